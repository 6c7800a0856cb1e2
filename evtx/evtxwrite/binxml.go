package evtxwrite

import (
	"crypto/sha256"
	"encoding/binary"
	"unicode/utf16"
)

// BinXML tokens (MS-EVEN6 2.2.12 / libevtx). The 0x40 bit on element and
// attribute tokens means "has attributes" / "more attributes follow".
const (
	tokEOF             = 0x00
	tokOpenStart       = 0x01
	tokOpenStartAttrs  = 0x41
	tokCloseStart      = 0x02
	tokCloseEmpty      = 0x03
	tokEndElement      = 0x04
	tokValue           = 0x05
	tokAttributeLast   = 0x06
	tokAttributeMore   = 0x46
	tokTemplate        = 0x0c
	tokNormalSubst     = 0x0d
	tokOptionalSubst   = 0x0e
	tokFragmentHeader  = 0x0f
	noDependency       = 0xffff
	fragmentMajor      = 1
	fragmentMinor      = 1
	templateHeaderSize = 24 // next offset, GUID, data size
)

// The pieces a template definition is made of. Templates hold the XML
// shape and literal text; records hold only the substitution values.
type (
	node interface{ isNode() }

	element struct {
		name    string
		dep     uint16 // dependency: index of the optional substitution the element hangs on, or noDependency
		attrs   []attribute
		content []node // *element, text or subst
	}

	attribute struct {
		name  string
		value node // text or subst
	}

	text string

	subst struct {
		index    uint16
		typ      Type
		optional bool // 0x0e: the reader drops the attribute/element when the value is null
	}
)

func (*element) isNode() {}
func (text) isNode()     {}
func (subst) isNode()    {}

// template is a template definition, shared by every record of its shape.
// Its GUID is derived from key, so files are reproducible byte for byte.
type template struct {
	key  string
	guid [16]byte
	root *element
}

func newTemplate(key string, root *element) *template {
	sum := sha256.Sum256([]byte(key))
	t := &template{key: key, root: root}
	copy(t.guid[:], sum[:16])
	return t
}

// id is the template identifier stored in the instance token: the first
// four bytes of the GUID, as Windows writes it.
func (t *template) id() uint32 { return binary.LittleEndian.Uint32(t.guid[:4]) }

// instance is one use of a template with its substitution values. A value
// of type BinXML carries a nested instance (EventData / UserData).
type instance struct {
	t      *template
	values []Value
}

// nameHash is the hash Windows stores with each name in a chunk (and
// whose low 6 bits pick the string-table bucket): h = h*65599 + unit over
// the UTF-16 code units, low 16 bits kept.
func nameHash(units []uint16) uint16 {
	var h uint32
	for _, u := range units {
		h = h*65599 + uint32(u)
	}
	return uint16(h)
}

func appendUTF16(b []byte, s string) ([]byte, int) {
	units := utf16.Encode([]rune(s))
	for _, u := range units {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b, len(units)
}
