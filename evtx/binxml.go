package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the native BinXML reader behind FastDecoder: a template
// definition is compiled once per chunk into an element tree whose content
// and attributes point at substitution slots; each record then only reads
// its substitution value array and renders the values the tree uses.
//
// The reader is deliberately strict. It accepts exactly the BinXML that
// golang-evtx (the reference decoder, GoEvtxDecoder) reads to the same
// result, and reports errUnsupported for anything else (unknown tokens,
// sizes that disagree with their content, values running past the record,
// nesting shapes golang-evtx reads differently...). FastDecoder then hands
// the whole chunk to the reference decoder, so an unusual or damaged chunk
// yields exactly what it always did.

// errUnsupported means "not understood here; ask the reference decoder".
var errUnsupported = errors.New("BinXML shape not handled by the fast decoder")

// BinXML tokens (MS-EVEN6 / libevtx).
const (
	tokEOF           = 0x00
	tokOpenStart     = 0x01
	tokOpenStartAttr = 0x41
	tokCloseStart    = 0x02
	tokCloseEmpty    = 0x03
	tokEnd           = 0x04
	tokValue         = 0x05
	tokValue2        = 0x45
	tokAttrLast      = 0x06
	tokAttrMore      = 0x46
	tokCharRef       = 0x08
	tokEntityRef     = 0x09
	tokEntityRef2    = 0x49
	tokTemplate      = 0x0c
	tokNormalSub     = 0x0d
	tokOptionalSub   = 0x0e
	tokFragment      = 0x0f
)

// Value types of substitutions.
const (
	valNull     = 0x00
	valString   = 0x01
	valAnsi     = 0x02
	valInt8     = 0x03
	valUInt8    = 0x04
	valInt16    = 0x05
	valUInt16   = 0x06
	valInt32    = 0x07
	valUInt32   = 0x08
	valInt64    = 0x09
	valUInt64   = 0x0a
	valReal64   = 0x0c
	valBool     = 0x0d
	valBinary   = 0x0e
	valGUID     = 0x0f
	valFileTime = 0x11
	valSysTime  = 0x12
	valSID      = 0x13
	valHex32    = 0x14
	valHex64    = 0x15
	valBinXML   = 0x21
	valArray    = 0x80
)

// pieceKind says what one content or attribute token is.
type pieceKind uint8

const (
	pieceText   pieceKind = iota // literal text (ValueText, char and entity references)
	pieceSub                     // normal substitution
	pieceOptSub                  // optional substitution
)

// piece is one content or attribute token of a compiled template.
type piece struct {
	kind pieceKind
	sub  int    // substitution index
	text string // for pieceText
}

type tattr struct {
	name  string
	value piece
}

// tnode is a compiled element: what golang-evtx's NodeTree makes of the
// token list, kept in the same shape so the rendering order (content, with
// nested BinXML children, before static children) is the reference's.
type tnode struct {
	name     string
	attrs    []tattr
	content  []piece
	children []*tnode
	ed       *edKeys // made on first use when the node is an EventData (plan.go)
}

// ctemplate is a compiled template definition.
type ctemplate struct {
	roots  []*tnode // the top-level elements
	length int      // bytes from the definition's start to just past its EOF token
	plan   *tplan   // made on first use (plan.go)
}

// chunkReader reads one chunk's BinXML for the fast decoder; limit is the
// end of the record being read (nothing past it may be used).
type chunkReader struct {
	b     []byte // the whole chunk
	limit int
	names map[uint32]string
	tmpls map[uint32]*ctemplate
	// last is the template the last record used: a log's records come
	// in runs of one kind.
	last struct {
		off uint32
		t   *ctemplate
	}
	// shared holds compiled definitions across chunks, by their key
	// (tokenize): the same provider's templates recur in every chunk, at
	// other offsets and referring to names stored elsewhere in it (Windows
	// writes an element name once per chunk and refers to it after), so
	// the key holds the names themselves, not where they are.
	shared      map[string]*ctemplate
	sharedBytes int // the keys' bytes
	// toks and key are tokenize's scratch: the definition's tokens and
	// its key.
	toks []defToken
	key  []byte
}

// maxSharedTemplates and maxSharedKeyBytes bound the cross-chunk
// template cache of a worker: hostile input can make up any number of
// definitions, each up to a chunk long.
const (
	maxSharedTemplates = 1024
	maxSharedKeyBytes  = 8 << 20
)

func (c *chunkReader) u8(off int) (byte, bool) {
	if off < 0 || off+1 > c.limit {
		return 0, false
	}
	return c.b[off], true
}

func (c *chunkReader) u16(off int) (uint16, bool) {
	if off < 0 || off+2 > c.limit {
		return 0, false
	}
	return binary.LittleEndian.Uint16(c.b[off:]), true
}

func (c *chunkReader) u32(off int) (uint32, bool) {
	if off < 0 || off+4 > c.limit {
		return 0, false
	}
	return binary.LittleEndian.Uint32(c.b[off:]), true
}

// name reads the chunk string at off: 4 bytes link, 2 hash, 2 count,
// count+1 UTF-16 units. It returns the string and its encoded size.
func (c *chunkReader) name(off uint32) (string, int, bool) {
	o := int(off)
	n, ok := c.u16(o + 6)
	if !ok {
		return "", 0, false
	}
	size := 8 + 2*(int(n)+1)
	if o+size > c.limit {
		return "", 0, false
	}
	if s, ok := c.names[off]; ok {
		return s, size, true
	}
	s := string(appendUTF16(nil, c.b[o+8:o+size]))
	c.names[off] = s
	return s, size, true
}

// nameAt checks a name referenced at pos by offset off, inline when off ==
// pos (the reader advances past it), elsewhere in the chunk otherwise,
// and appends its UTF-16 units to the key; it returns the position after
// the reference.
func (c *chunkReader) nameAt(pos int, off uint32) (int, bool) {
	o := int(off)
	if o != pos && o >= c.limit {
		return 0, false
	}
	n, ok := c.u16(o + 6)
	if !ok {
		return 0, false
	}
	size := 8 + 2*(int(n)+1)
	if o+size > c.limit {
		return 0, false
	}
	c.key = binary.LittleEndian.AppendUint32(c.key, uint32(size))
	c.key = append(c.key, c.b[o+8:o+size]...)
	if o == pos {
		return pos + size, true
	}
	return pos, true
}

// template returns the compiled definition whose data sits at off.
func (c *chunkReader) template(off uint32) (*ctemplate, error) {
	t, ok := c.last.t, c.last.t != nil && c.last.off == off
	if !ok {
		t, ok = c.tmpls[off]
	}
	if ok {
		if t == nil || int(off)+t.length > c.limit {
			return nil, unsupported()
		}
		c.last.off, c.last.t = off, t
		return t, nil
	}
	length, err := c.tokenize(int(off))
	if err != nil {
		c.tmpls[off] = nil
		return nil, err
	}
	t = c.shared[string(c.key)]
	if t == nil {
		t = c.build(length)
		if len(c.shared) >= maxSharedTemplates || c.sharedBytes+len(c.key) > maxSharedKeyBytes {
			clear(c.shared)
			c.sharedBytes = 0
		}
		c.shared[string(c.key)] = t
		c.sharedBytes += len(c.key)
	}
	c.tmpls[off] = t
	return t, nil
}

// defToken is a token of a template definition as tokenize reads it:
// names by their offset and texts by their place in the chunk, made
// strings by build only for a definition not compiled before.
type defToken struct {
	tok byte   // tokOpenStart for an element start, tokAttrMore for one of its attributes, tokValue for content, else the token
	off uint32 // the element's or attribute's name
	p   defPiece
}

// defPiece is a content token or an attribute's value: a text (tokValue,
// UTF-16 units at [at, end)), a character (tokCharRef, at), an entity
// (tokEntityRef, name at off) or a substitution (at: its index).
type defPiece struct {
	tok      byte
	optional bool
	at, end  int
	off      uint32
}

// rawToken is a token of a template definition, before NodeTree.
type rawToken struct {
	tok   byte // tokOpenStart for an element start, else the token
	name  string
	attrs []tattr
	piece piece
}

// tokenize reads the template definition data at off (4 bytes unknown,
// 16 GUID, 4 size, fragment header, tokens up to EOF) into c.toks, and
// its key into c.key: what build makes of the tokens depends on nothing
// else (not on where the definition or its names sit), and tokenize
// makes every check compiling does. It returns the definition's length.
func (c *chunkReader) tokenize(off int) (int, error) {
	c.toks, c.key = c.toks[:0], c.key[:0]
	size, ok := c.u32(off + 20)
	if !ok {
		return 0, unsupported()
	}
	pos := off + 24
	if b, ok := c.u8(pos); !ok || b != tokFragment || pos+4 > c.limit {
		return 0, unsupported()
	}
	pos += 4
	for {
		tok, ok := c.u8(pos)
		if !ok {
			return 0, unsupported()
		}
		c.key = append(c.key, tok)
		switch tok {
		case tokEOF:
			pos++
			// The reference skips a cached definition by its declared size
			// but reads a fresh one token by token: both must agree.
			if pos != off+24+int(size) {
				return 0, unsupported()
			}
			c.key = binary.LittleEndian.AppendUint32(c.key, uint32(pos-off))
			return pos - off, nil
		case tokOpenStart, tokOpenStartAttr:
			next, err := c.elementStart(pos, tok)
			if err != nil {
				return 0, err
			}
			pos = next
		case tokCloseStart, tokCloseEmpty, tokEnd:
			c.toks = append(c.toks, defToken{tok: tok})
			pos++
		default:
			p, next, err := c.contentToken(pos, tok)
			if err != nil {
				return 0, err
			}
			c.toks = append(c.toks, defToken{tok: tokValue, p: p})
			pos = next
		}
	}
}

// elementStart reads an element start inside a template definition (with
// its dependency id), its name and attributes, up to but not including the
// close token, which the caller reads as the next token.
func (c *chunkReader) elementStart(pos int, tok byte) (int, error) {
	nameOff, ok := c.u32(pos + 7)
	if !ok {
		return 0, unsupported()
	}
	next, ok := c.nameAt(pos+11, nameOff)
	if !ok {
		return 0, unsupported()
	}
	c.toks = append(c.toks, defToken{tok: tokOpenStart, off: nameOff})
	pos = next
	if tok == tokOpenStartAttr {
		pos += 4 // attribute list size, unused
		for {
			at, ok := c.u8(pos)
			if !ok || (at != tokAttrLast && at != tokAttrMore) {
				return 0, unsupported()
			}
			c.key = append(c.key, at)
			aoff, ok := c.u32(pos + 1)
			if !ok {
				return 0, unsupported()
			}
			next, ok := c.nameAt(pos+5, aoff)
			if !ok {
				return 0, unsupported()
			}
			vt, ok := c.u8(next)
			if !ok {
				return 0, unsupported()
			}
			c.key = append(c.key, vt)
			// The reference reads exactly one token as the value.
			p, next, err := c.contentToken(next, vt)
			if err != nil {
				return 0, err
			}
			c.toks = append(c.toks, defToken{tok: tokAttrMore, off: aoff, p: p})
			pos = next
			if at == tokAttrLast {
				break
			}
		}
	}
	if b, ok := c.u8(pos); !ok || (b != tokCloseStart && b != tokCloseEmpty) {
		return 0, unsupported()
	}
	return pos, nil
}

// contentToken reads a text, character reference, entity reference or
// substitution token, and appends it to the key.
func (c *chunkReader) contentToken(pos int, tok byte) (defPiece, int, error) {
	le := binary.LittleEndian
	switch tok {
	case tokValue, tokValue2:
		vt, ok1 := c.u8(pos + 1)
		n, ok2 := c.u16(pos + 2)
		if !ok1 || !ok2 || vt != valString || int16(n) < 0 {
			return defPiece{}, 0, unsupported()
		}
		end := pos + 4 + 2*int(n)
		if end > c.limit {
			return defPiece{}, 0, unsupported()
		}
		c.key = le.AppendUint16(c.key, n)
		c.key = append(c.key, c.b[pos+4:end]...)
		return defPiece{tok: tokValue, at: pos + 4, end: end}, end, nil
	case tokCharRef:
		v, ok := c.u16(pos + 1)
		if !ok {
			return defPiece{}, 0, unsupported()
		}
		c.key = le.AppendUint16(c.key, v)
		return defPiece{tok: tokCharRef, at: int(v)}, pos + 3, nil
	case tokEntityRef, tokEntityRef2:
		off, ok := c.u32(pos + 1)
		if !ok {
			return defPiece{}, 0, unsupported()
		}
		next, ok := c.nameAt(pos+5, off)
		if !ok {
			return defPiece{}, 0, unsupported()
		}
		return defPiece{tok: tokEntityRef, off: off}, next, nil
	case tokNormalSub, tokOptionalSub:
		id, ok := c.u16(pos + 1)
		if _, ok2 := c.u8(pos + 3); !ok || !ok2 || int16(id) < 0 {
			return defPiece{}, 0, unsupported()
		}
		c.key = le.AppendUint16(c.key, id)
		return defPiece{tok: tokNormalSub, optional: tok == tokOptionalSub, at: int(id)}, pos + 4, nil
	}
	return defPiece{}, 0, unsupported()
}

// build compiles the definition tokenize has just read, of the given
// length, into a tree.
func (c *chunkReader) build(length int) *ctemplate {
	toks := make([]rawToken, 0, len(c.toks))
	for _, t := range c.toks {
		switch t.tok {
		case tokOpenStart:
			toks = append(toks, rawToken{tok: tokOpenStart, name: c.nameString(t.off)})
		case tokAttrMore:
			el := &toks[len(toks)-1] // an attribute follows its element start
			el.attrs = append(el.attrs, tattr{name: c.nameString(t.off), value: c.piece(t.p)})
		case tokValue:
			toks = append(toks, rawToken{tok: tokValue, piece: c.piece(t.p)})
		default:
			toks = append(toks, rawToken{tok: t.tok})
		}
	}
	return &ctemplate{roots: nodeTree(toks), length: length}
}

// piece makes the piece of a content token or attribute value.
func (c *chunkReader) piece(p defPiece) piece {
	switch p.tok {
	case tokValue:
		return piece{kind: pieceText, text: string(appendUTF16(nil, c.b[p.at:p.end]))}
	case tokCharRef:
		return piece{kind: pieceText, text: string(rune(p.at))}
	case tokEntityRef:
		return piece{kind: pieceText, text: entity(c.nameString(p.off))}
	}
	if p.optional {
		return piece{kind: pieceOptSub, sub: p.at}
	}
	return piece{kind: pieceSub, sub: p.at}
}

// nameString is the name tokenize checked at off.
func (c *chunkReader) nameString(off uint32) string {
	s, _, _ := c.name(off)
	return s
}

// nodeTree builds the element tree from the token list the way
// golang-evtx's NodeTree does (including where it stops on a stray end
// tag), returning the top-level elements.
func nodeTree(toks []rawToken) []*tnode {
	root, _ := nodeTreeAt(toks, 0)
	return root.children
}

func nodeTreeAt(toks []rawToken, i int) (*tnode, int) {
	n := &tnode{}
	for i < len(toks) {
		t := toks[i]
		switch t.tok {
		case tokOpenStart:
			var child *tnode
			child, i = nodeTreeAt(toks, i+1)
			child.name, child.attrs = t.name, t.attrs
			n.children = append(n.children, child)
		case tokEnd, tokCloseEmpty:
			return n, i
		case tokCloseStart:
		default:
			n.content = append(n.content, t.piece)
		}
		i++
	}
	return n, i
}

// appendUTF16 appends the UTF-16LE bytes b as UTF-8, the way
// strings.TrimRight(string(utf16.Decode(u)), "\x00") renders them.
func appendUTF16(dst []byte, b []byte) []byte {
	n := len(b) / 2
	for n > 0 && b[2*n-2] == 0 && b[2*n-1] == 0 {
		n--
	}
	// ASCII, the common case, four code units at a time into room made
	// once; the first other unit sends the string to the general loop.
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	out := dst[start:]
	i := 0
	for ; i+4 <= n; i += 4 {
		w := binary.LittleEndian.Uint64(b[2*i:])
		if w&0xff80ff80ff80ff80 != 0 {
			break
		}
		out[i], out[i+1], out[i+2], out[i+3] = byte(w), byte(w>>16), byte(w>>32), byte(w>>48)
	}
	for ; i < n && b[2*i+1] == 0 && b[2*i] < 0x80; i++ {
		out[i] = b[2*i]
	}
	if i == n {
		return dst
	}
	dst = dst[:start]
	for i := 0; i < n; i++ {
		u := rune(binary.LittleEndian.Uint16(b[2*i:]))
		if utf16.IsSurrogate(u) {
			if u < 0xdc00 && i+1 < n {
				if u2 := rune(binary.LittleEndian.Uint16(b[2*i+2:])); u2 >= 0xdc00 && u2 < 0xe000 {
					dst = utf8.AppendRune(dst, utf16.DecodeRune(u, u2))
					i++
					continue
				}
			}
			u = utf8.RuneError
		}
		dst = utf8.AppendRune(dst, u)
	}
	return dst
}

// entity renders an entity reference as the reference renderer does: the
// five XML entities as their character, any other as "&name;".
func entity(name string) string {
	switch name {
	case "amp":
		return "&"
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "quot":
		return "\""
	case "apos":
		return "'"
	}
	return "&" + name + ";"
}

// debugUnsupported makes unsupported name the line that gave up; for
// working on the fast decoder only (like debugStacks).
const debugUnsupported = false

func unsupported() error {
	if debugUnsupported {
		_, file, line, _ := runtime.Caller(1)
		return fmt.Errorf("%w at %s:%d", errUnsupported, filepath.Base(file), line)
	}
	return errUnsupported
}
