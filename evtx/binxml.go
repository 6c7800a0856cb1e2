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
	// shared holds compiled definitions across chunks, by their bytes:
	// the same provider's templates recur in every chunk. A definition
	// depends on its bytes and on the names it refers to elsewhere in its
	// chunk (Windows writes an element name once per chunk and refers to
	// it after), so an entry also holds those names by offset, and serves
	// a chunk only where the same offsets hold the same names.
	shared      map[string][]sharedTemplate
	sharedCount int
	// external collects, while compiling, the names read outside the
	// definition.
	external []nameRef
}

// sharedTemplate is a compiled definition and the names outside it that
// it was compiled with.
type sharedTemplate struct {
	t     *ctemplate
	names []nameRef
}

// nameRef is a chunk string a definition refers to, by its offset.
type nameRef struct {
	off  uint32
	name string
}

// holds reports whether this chunk has the same names at the same
// offsets as the chunk e was compiled in.
func (c *chunkReader) holds(e sharedTemplate) bool {
	for _, ref := range e.names {
		if int(ref.off) >= c.limit {
			return false
		}
		if s, _, ok := c.name(ref.off); !ok || s != ref.name {
			return false
		}
	}
	return true
}

// maxSharedTemplates bounds the cross-chunk template cache of a worker.
const maxSharedTemplates = 1024

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

// nameAt reads a name referenced at pos by offset off: inline when off ==
// pos (the reader advances past it), elsewhere in the chunk otherwise.
func (c *chunkReader) nameAt(pos int, off uint32) (string, int, bool) {
	if int(off) == pos {
		s, size, ok := c.name(off)
		return s, pos + size, ok
	}
	if int(off) >= c.limit {
		return "", 0, false
	}
	s, _, ok := c.name(off)
	if ok {
		c.external = append(c.external, nameRef{off, s})
	}
	return s, pos, ok
}

// template returns the compiled definition whose data sits at off.
func (c *chunkReader) template(off uint32) (*ctemplate, error) {
	if t, ok := c.tmpls[off]; ok {
		if t == nil || int(off)+t.length > c.limit {
			return nil, unsupported()
		}
		return t, nil
	}
	// The key leaves out the first 4 bytes (the link to the next template
	// of the chunk's hash table), which compile does not read.
	var def []byte
	if size, ok := c.u32(int(off) + 20); ok && int(off)+24+int(size) <= c.limit {
		def = c.b[off+4 : int(off)+24+int(size)]
		for _, e := range c.shared[string(def)] {
			if c.holds(e) {
				c.tmpls[off] = e.t
				return e.t, nil
			}
		}
	}
	c.external = c.external[:0]
	t, err := c.compile(int(off))
	if err != nil {
		c.tmpls[off] = nil
		return nil, err
	}
	c.tmpls[off] = t
	if def != nil && len(def)+4 == t.length {
		if c.sharedCount >= maxSharedTemplates {
			clear(c.shared)
			c.sharedCount = 0
		}
		key := string(def)
		c.shared[key] = append(c.shared[key], sharedTemplate{t: t, names: slices.Clone(c.external)})
		c.sharedCount++
	}
	return t, nil
}

// rawToken is a token of a template definition, before NodeTree.
type rawToken struct {
	tok   byte // tokOpenStart for an element start, else the token
	name  string
	attrs []tattr
	piece piece
}

// compile reads the template definition data at off (4 bytes unknown, 16
// GUID, 4 size, fragment header, tokens up to EOF) into a tree.
func (c *chunkReader) compile(off int) (*ctemplate, error) {
	size, ok := c.u32(off + 20)
	if !ok {
		return nil, unsupported()
	}
	pos := off + 24
	if b, ok := c.u8(pos); !ok || b != tokFragment || pos+4 > c.limit {
		return nil, unsupported()
	}
	pos += 4
	var toks []rawToken
	for {
		tok, ok := c.u8(pos)
		if !ok {
			return nil, unsupported()
		}
		switch tok {
		case tokEOF:
			pos++
			// The reference skips a cached definition by its declared size
			// but reads a fresh one token by token: both must agree.
			if pos != off+24+int(size) {
				return nil, unsupported()
			}
			roots := nodeTree(toks)
			return &ctemplate{roots: roots, length: pos - off}, nil
		case tokOpenStart, tokOpenStartAttr:
			t, next, err := c.elementStart(pos, tok)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			pos = next
		case tokCloseStart, tokCloseEmpty, tokEnd:
			toks = append(toks, rawToken{tok: tok})
			pos++
		default:
			p, next, err := c.contentToken(pos, tok)
			if err != nil {
				return nil, err
			}
			toks = append(toks, rawToken{tok: tokValue, piece: p})
			pos = next
		}
	}
}

// elementStart reads an element start inside a template definition (with
// its dependency id), its name and attributes, up to but not including the
// close token, which the caller reads as the next token.
func (c *chunkReader) elementStart(pos int, tok byte) (rawToken, int, error) {
	nameOff, ok := c.u32(pos + 7)
	if !ok {
		return rawToken{}, 0, unsupported()
	}
	name, next, ok := c.nameAt(pos+11, nameOff)
	if !ok {
		return rawToken{}, 0, unsupported()
	}
	t := rawToken{tok: tokOpenStart, name: name}
	pos = next
	if tok == tokOpenStartAttr {
		pos += 4 // attribute list size, unused
		for {
			at, ok := c.u8(pos)
			if !ok || (at != tokAttrLast && at != tokAttrMore) {
				return rawToken{}, 0, unsupported()
			}
			aoff, ok := c.u32(pos + 1)
			if !ok {
				return rawToken{}, 0, unsupported()
			}
			aname, next, ok := c.nameAt(pos+5, aoff)
			if !ok {
				return rawToken{}, 0, unsupported()
			}
			vt, ok := c.u8(next)
			if !ok {
				return rawToken{}, 0, unsupported()
			}
			// The reference reads exactly one token as the value.
			p, next, err := c.contentToken(next, vt)
			if err != nil {
				return rawToken{}, 0, err
			}
			t.attrs = append(t.attrs, tattr{name: aname, value: p})
			pos = next
			if at == tokAttrLast {
				break
			}
		}
	}
	if b, ok := c.u8(pos); !ok || (b != tokCloseStart && b != tokCloseEmpty) {
		return rawToken{}, 0, unsupported()
	}
	return t, pos, nil
}

// contentToken reads a text, character reference, entity reference or
// substitution token.
func (c *chunkReader) contentToken(pos int, tok byte) (piece, int, error) {
	switch tok {
	case tokValue, tokValue2:
		vt, ok1 := c.u8(pos + 1)
		n, ok2 := c.u16(pos + 2)
		if !ok1 || !ok2 || vt != valString || int16(n) < 0 {
			return piece{}, 0, unsupported()
		}
		end := pos + 4 + 2*int(n)
		if end > c.limit {
			return piece{}, 0, unsupported()
		}
		return piece{kind: pieceText, text: string(appendUTF16(nil, c.b[pos+4:end]))}, end, nil
	case tokCharRef:
		v, ok := c.u16(pos + 1)
		if !ok {
			return piece{}, 0, unsupported()
		}
		return piece{kind: pieceText, text: string(rune(v))}, pos + 3, nil
	case tokEntityRef, tokEntityRef2:
		off, ok := c.u32(pos + 1)
		if !ok {
			return piece{}, 0, unsupported()
		}
		name, next, ok := c.nameAt(pos+5, off)
		if !ok {
			return piece{}, 0, unsupported()
		}
		return piece{kind: pieceText, text: entity(name)}, next, nil
	case tokNormalSub, tokOptionalSub:
		id, ok := c.u16(pos + 1)
		if _, ok2 := c.u8(pos + 3); !ok || !ok2 || int16(id) < 0 {
			return piece{}, 0, unsupported()
		}
		k := pieceSub
		if tok == tokOptionalSub {
			k = pieceOptSub
		}
		return piece{kind: k, sub: int(id)}, pos + 4, nil
	}
	return piece{}, 0, unsupported()
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
