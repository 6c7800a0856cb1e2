package evtx

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	goevtx "github.com/0xrawsec/golang-evtx/evtx"
)

// xmlNode is a rendered BinXML element: what Event Viewer's XML view shows.
// golang-evtx's own GoEvtxMap loses value types (GUIDs without braces, hex
// integers zero-padded, SYSTEMTIME milliseconds wrong) and panics on
// duplicate keys, so the element tree is rendered here from the parsed
// tokens, with the types the substitution values carry.
type xmlNode struct {
	name     string
	attrs    []xmlAttr
	text     strings.Builder
	children []*xmlNode
}

type xmlAttr struct{ name, value string }

func (n *xmlNode) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}

func (n *xmlNode) child(name string) *xmlNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Rendering limits. Nested BinXML values can reference each other many
// times over, so a small record could expand exponentially; real records
// have a few dozen elements.
const (
	maxRenderDepth = 64      // nesting of BinXML fragments inside values
	maxRenderNodes = 1 << 14 // elements per record
	maxRenderText  = 4 << 20 // bytes of text per record
)

// render turns a parsed record fragment into its element tree; the result
// is a synthetic root whose children are the top-level elements (Event).
func render(frag *goevtx.Fragment, chunk []byte) (*xmlNode, error) {
	r := renderer{chunk: chunk}
	root := &xmlNode{}
	if err := r.fragment(root, frag, 0); err != nil {
		return nil, err
	}
	return root, nil
}

type renderer struct {
	chunk       []byte // for values golang-evtx does not decode (UnkVal offsets are chunk-relative)
	nodes, text int    // spent so far, against the limits
}

func (r *renderer) fragment(parent *xmlNode, frag *goevtx.Fragment, depth int) error {
	if depth > maxRenderDepth {
		return fmt.Errorf("BinXML nested deeper than %d fragments", maxRenderDepth)
	}
	ti, ok := frag.BinXMLElement.(*goevtx.TemplateInstance)
	if !ok || ti == nil {
		return fmt.Errorf("BinXML fragment holds %T, not a template instance", frag.BinXMLElement)
	}
	return r.template(parent, ti, depth)
}

func (r *renderer) template(parent *xmlNode, ti *goevtx.TemplateInstance, depth int) error {
	root := ti.Root()
	for _, c := range root.Child {
		if err := r.node(parent, ti, c, depth); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) node(parent *xmlNode, ti *goevtx.TemplateInstance, n *goevtx.Node, depth int) error {
	if n.Start == nil {
		return fmt.Errorf("BinXML element without a start tag")
	}
	r.nodes++
	if r.nodes > maxRenderNodes {
		return fmt.Errorf("record expands to more than %d elements", maxRenderNodes)
	}
	x := &xmlNode{name: n.Start.Name.String()}
	for _, a := range n.Start.AttributeList.Attributes {
		v, present, err := r.content(nil, ti, a.AttributeData, depth)
		if err != nil {
			return fmt.Errorf("attribute %s: %w", a.Name.String(), err)
		}
		// An optional substitution whose value is null drops the
		// attribute, as Windows renders it.
		if present {
			x.attrs = append(x.attrs, xmlAttr{a.Name.String(), v})
		}
	}
	for _, e := range n.Element {
		v, _, err := r.content(x, ti, e, depth)
		if err != nil {
			return fmt.Errorf("element %s: %w", x.name, err)
		}
		r.text += len(v)
		if r.text > maxRenderText {
			return fmt.Errorf("record expands to more than %d bytes of text", maxRenderText)
		}
		x.text.WriteString(v)
	}
	for _, c := range n.Child {
		if err := r.node(x, ti, c, depth); err != nil {
			return err
		}
	}
	parent.children = append(parent.children, x)
	return nil
}

// content renders one content or attribute token. Nested BinXML (a value of
// type BinXml) becomes children of x; it cannot appear in an attribute
// (x == nil).
func (r *renderer) content(x *xmlNode, ti *goevtx.TemplateInstance, e goevtx.Element, depth int) (string, bool, error) {
	switch v := e.(type) {
	case *goevtx.ValueText:
		return v.String(), true, nil
	case *goevtx.CharEntityRef:
		return string(rune(uint16(v.Value))), true, nil
	case *goevtx.BinXMLEntityReference:
		s := v.String()
		if s == "" {
			return "&" + v.Name.String() + ";", true, nil
		}
		return s, true, nil
	case *goevtx.NormalSubstitution:
		return r.substitution(x, ti, int(v.SubID), false, depth)
	case *goevtx.OptionalSubstitution:
		return r.substitution(x, ti, int(v.SubID), true, depth)
	case *goevtx.Fragment:
		if x == nil {
			return "", false, fmt.Errorf("BinXML value in an attribute")
		}
		return "", true, r.fragment(x, v, depth+1)
	case *goevtx.TemplateInstance:
		if x == nil {
			return "", false, fmt.Errorf("BinXML value in an attribute")
		}
		return "", true, r.template(x, v, depth+1)
	case nil:
		return "", false, nil
	}
	s, err := r.value(e)
	return s, true, err
}

func (r *renderer) substitution(x *xmlNode, ti *goevtx.TemplateInstance, id int, optional bool, depth int) (string, bool, error) {
	if id < 0 || id >= len(ti.Data.Values) {
		return "", false, fmt.Errorf("substitution %d out of range (%d values)", id, len(ti.Data.Values))
	}
	v := ti.Data.Values[id]
	if _, null := v.(*goevtx.ValueNull); null {
		return "", !optional, nil
	}
	switch v.(type) {
	case *goevtx.Fragment, *goevtx.TemplateInstance:
		return r.content(x, ti, v, depth)
	}
	s, err := r.value(v)
	return s, true, err
}

// value renders a typed substitution value as Event Viewer's XML does.
// Careful: golang-evtx's ValueHexInt32/64.Value() recurse forever, so hex
// values are rendered from String().
func (r *renderer) value(e goevtx.Element) (string, error) {
	switch v := e.(type) {
	case *goevtx.ValueNull:
		return "", nil
	case *goevtx.ValueString:
		return v.String(), nil
	case *goevtx.AnsiString:
		return strings.TrimRight(v.String(), "\x00"), nil
	case *goevtx.ValueInt8, *goevtx.ValueUInt8, *goevtx.ValueInt16, *goevtx.ValueUInt16,
		*goevtx.ValueInt32, *goevtx.ValueUInt32, *goevtx.ValueInt64, *goevtx.ValueUInt64,
		*goevtx.ValueSID:
		return v.(fmt.Stringer).String(), nil
	case *goevtx.ValueHexInt32, *goevtx.ValueHexInt64:
		return normaliseHex(v.(fmt.Stringer).String()), nil
	case *goevtx.ValueReal64:
		f, _ := v.Value().(float64)
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case *goevtx.ValueBool:
		b, _ := v.Value().(bool)
		return strconv.FormatBool(b), nil
	case *goevtx.ValueBinary:
		return v.String(), nil
	case *goevtx.ValueGUID:
		return "{" + v.String() + "}", nil
	case *goevtx.ValueFileTime:
		t, _ := v.Value().(goevtx.UTCTime)
		return formatTime(time.Time(t)), nil
	case *goevtx.ValueSysTime:
		st, _ := v.Value().(goevtx.SysTime)
		return formatTime(time.Date(int(st.Year), time.Month(st.Month), int(st.DayOfMonth),
			int(st.Hours), int(st.Minutes), int(st.Seconds), int(st.Milliseconds)*int(time.Millisecond), time.UTC)), nil
	case *goevtx.ValueStringTable:
		strs, _ := v.Repr().([]string)
		return strings.Join(strs, ", "), nil
	case *goevtx.ValueArrayUInt16, *goevtx.ValueArrayUInt64:
		return strings.Trim(fmt.Sprint(v.(goevtx.Value).Repr()), "[]"), nil
	case *goevtx.UnkVal:
		return r.unknown(v)
	case goevtx.Value:
		return v.String(), nil
	}
	return "", fmt.Errorf("unexpected BinXML token %T in content", e)
}

// unknown decodes the value types golang-evtx skips (Real32, SizeT, arrays
// of numbers, GUIDs, SIDs...) from the chunk bytes it points at.
func (r *renderer) unknown(u *goevtx.UnkVal) (string, error) {
	size := int(u.Desc.Size)
	if u.Offset < 0 || int(u.Offset)+size > len(r.chunk) {
		return "", fmt.Errorf("value of type 0x%02x out of chunk bounds", uint8(u.Desc.ValType))
	}
	b := r.chunk[u.Offset : int(u.Offset)+size]
	t := uint8(u.Desc.ValType)
	if t&0x80 != 0 {
		return r.array(t&0x7f, b)
	}
	return scalar(t, b)
}

func (r *renderer) array(t uint8, b []byte) (string, error) {
	width := map[uint8]int{0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0a: 8,
		0x0b: 4, 0x0c: 8, 0x0d: 4, 0x0f: 16, 0x10: 8, 0x11: 8, 0x12: 16, 0x14: 4, 0x15: 8}[t]
	switch {
	case t == 0x02: // array of ANSI strings
		return strings.Join(strings.FieldsFunc(string(b), func(r rune) bool { return r == 0 }), ", "), nil
	case width == 0 || len(b)%width != 0:
		return fmt.Sprintf("%X", b), nil
	}
	var parts []string
	for i := 0; i < len(b); i += width {
		s, err := scalar(t, b[i:i+width])
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", "), nil
}

func scalar(t uint8, b []byte) (string, error) {
	le := binary.LittleEndian
	need := func(n int) bool { return len(b) >= n }
	switch {
	case t == 0x00:
		return "", nil
	case t == 0x01:
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = le.Uint16(b[2*i:])
		}
		return strings.TrimRight(string(utf16.Decode(u)), "\x00"), nil
	case t == 0x02:
		return strings.TrimRight(string(b), "\x00"), nil
	case t == 0x03 && need(1):
		return strconv.Itoa(int(int8(b[0]))), nil
	case t == 0x04 && need(1):
		return strconv.Itoa(int(b[0])), nil
	case t == 0x05 && need(2):
		return strconv.Itoa(int(int16(le.Uint16(b)))), nil
	case t == 0x06 && need(2):
		return strconv.Itoa(int(le.Uint16(b))), nil
	case t == 0x07 && need(4):
		return strconv.Itoa(int(int32(le.Uint32(b)))), nil
	case t == 0x08 && need(4):
		return strconv.FormatUint(uint64(le.Uint32(b)), 10), nil
	case t == 0x09 && need(8):
		return strconv.FormatInt(int64(le.Uint64(b)), 10), nil
	case t == 0x0a && need(8):
		return strconv.FormatUint(le.Uint64(b), 10), nil
	case t == 0x0b && need(4):
		return strconv.FormatFloat(float64(math.Float32frombits(le.Uint32(b))), 'g', -1, 32), nil
	case t == 0x0c && need(8):
		return strconv.FormatFloat(math.Float64frombits(le.Uint64(b)), 'g', -1, 64), nil
	case t == 0x0d && need(4):
		return strconv.FormatBool(le.Uint32(b) != 0), nil
	case t == 0x0e:
		return fmt.Sprintf("%X", b), nil
	case t == 0x0f && need(16):
		return fmt.Sprintf("{%08X-%04X-%04X-%X-%X}", le.Uint32(b), le.Uint16(b[4:]), le.Uint16(b[6:]), b[8:10], b[10:16]), nil
	case t == 0x10 && len(b) == 4, t == 0x14 && need(4):
		return "0x" + strconv.FormatUint(uint64(le.Uint32(b)), 16), nil
	case t == 0x10 && need(8), t == 0x15 && need(8):
		return "0x" + strconv.FormatUint(le.Uint64(b), 16), nil
	case t == 0x11 && need(8):
		return formatTime(filetime(le.Uint64(b))), nil
	case t == 0x12 && need(16):
		return formatTime(time.Date(int(le.Uint16(b)), time.Month(le.Uint16(b[2:])), int(le.Uint16(b[6:])),
			int(le.Uint16(b[8:])), int(le.Uint16(b[10:])), int(le.Uint16(b[12:])), int(le.Uint16(b[14:]))*int(time.Millisecond), time.UTC)), nil
	case t == 0x13 && need(8):
		n := int(b[1])
		if len(b) < 8+4*n {
			break
		}
		var auth uint64
		for _, c := range b[2:8] {
			auth = auth<<8 | uint64(c)
		}
		s := fmt.Sprintf("S-%d-%d", b[0], auth)
		for i := 0; i < n; i++ {
			s += "-" + strconv.FormatUint(uint64(le.Uint32(b[8+4*i:])), 10)
		}
		return s, nil
	}
	// EvtHandle, EvtXml and types Windows does not define: shown as hex so
	// nothing is lost.
	return fmt.Sprintf("%X", b), nil
}

// filetime converts a Windows FILETIME (100 ns ticks since 1601) to UTC
// exactly as golang-evtx's FileTime.Convert does (signed ticks, seconds
// through float64, the rest in integers), so that both decoders render the
// same instant even for values out of any sane range, where integer
// arithmetic and golang-evtx's overflow differ. For real timestamps the
// two give the same instant.
func filetime(ticks uint64) time.Time {
	const perSecond = 10000000
	const epochSeconds = 11644473600 // 1601-01-01 to 1970-01-01
	n := int64(ticks)
	sec := int64(float64(n)/float64(perSecond) - float64(epochSeconds))
	nsec := ((n - epochSeconds*perSecond) - sec*perSecond) * 100
	return time.Unix(sec, nsec).UTC()
}

// normaliseHex turns golang-evtx's zero-padded "0x0000abcd" into Event
// Viewer's "0xabcd".
func normaliseHex(s string) string {
	h := strings.TrimPrefix(s, "0x")
	u, err := strconv.ParseUint(h, 16, 64)
	if err != nil {
		return s
	}
	return "0x" + strconv.FormatUint(u, 16)
}

// formatTime renders a timestamp as RFC 3339 with nanoseconds, in UTC.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
