package evtx

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FastDecoder decodes chunks with shadowscan's own BinXML reader: each
// template definition is compiled once per chunk, and each record only
// reads its substitution values, without reflection and with buffers reused
// between records. It yields exactly what GoEvtxDecoder yields: a chunk
// holding anything the native reader does not handle the same way (damaged
// BinXML, unusual value encodings, records that fail) is decoded by
// GoEvtxDecoder instead, whole, so failures keep the reference's reasons.
// The differential tests (fastdecode_test.go) hold it to that over the
// corpus, the writer's fixtures and damaged variants of them.
type FastDecoder struct {
	// Reference decodes the chunks the fast path hands over; nil means
	// GoEvtxDecoder.
	Reference Decoder
	// renderOnly turns off the template plans (plan.go): every record is
	// rendered, for the differential tests.
	renderOnly bool
}

// fastState is the per-goroutine scratch of FastDecoder, pooled.
type fastState struct {
	cr       chunkReader
	vals     []valRef
	insts    []instance
	nodes    []fnode
	attrs    []fattr
	text     []byte
	deferred []int // indices into insts, nested BinXML waiting for their parent's text
	strs     map[string]string
	// raws interns a substitution value's rendered text by its type and
	// bytes (see internValue), bounded like strs.
	raws    map[string]string
	nodeSrc nodeSystem
	planSrc planSystem
	noPlans bool     // decode every record by rendering (differential tests)
	keep    *nameSet // event data names planned records keep (nil: all)
	scratch []byte
	ends    []int32
	keys    []string
	kept    []int
	slab    []recordAlloc // the chunk's records yet to be made (newRecord)
	spans   []recordSpan
	valSlab []string // the partial records' values (strings)
}

var fastStates = sync.Pool{New: func() any { return newFastState() }}

func newFastState() *fastState {
	return &fastState{
		cr:   chunkReader{names: map[uint32]string{}, tmpls: map[uint32]*ctemplate{}, shared: map[string]*ctemplate{}},
		strs: map[string]string{},
	}
}

// Decode implements Decoder.
func (d FastDecoder) Decode(data []byte, loc ChunkLocation) DecodedChunk {
	if out, ok := d.fast(data, loc); ok {
		return out
	}
	ref := d.Reference
	if ref == nil {
		ref = GoEvtxDecoder{}
	}
	return ref.Decode(data, loc)
}

// fast decodes a sound chunk whose records it all understands; ok is false
// when the chunk is for the reference decoder.
func (d FastDecoder) fast(data []byte, loc ChunkLocation) (out DecodedChunk, ok bool) {
	return d.fastSome(data, loc, nil)
}

// fastSome is fast keeping only names of the event data of planned
// records (nil: all).
func (d FastDecoder) fastSome(data []byte, loc ChunkLocation, names *nameSet) (out DecodedChunk, ok bool) {
	defer func() {
		// Our own reader must not take the scan down: a panic costs the
		// chunk its fast path, not its records.
		if p := recover(); p != nil {
			out, ok = DecodedChunk{}, false
		}
	}()
	if len(data) < ChunkSize || isZero(data) {
		return out, false // empty or truncated: rare, the reference's accounting
	}
	hdr, sane, hdrErr := parseChunkHeader(data)
	if hdrErr != nil || !sane || !hdr.checksumOK(data) {
		return out, false
	}
	st := fastStates.Get().(*fastState)
	defer fastStates.Put(st)
	return d.fastWith(st, data, loc, hdr, names)
}

// fastWith is fastSome on the scratch st, for a chunk whose header hdr is
// sound.
func (d FastDecoder) fastWith(st *fastState, data []byte, loc ChunkLocation, hdr chunkHeader, names *nameSet) (out DecodedChunk, ok bool) {
	st.reset(data)
	st.noPlans = d.renderOnly
	st.keep = names
	st.spans = appendRecords(st.spans[:0], data, hdr.usedEnd(), false)
	spans := st.spans
	recs := make([]*Record, 0, len(spans))
	st.slab = make([]recordAlloc, len(spans))
	defer func() { st.slab = nil }()
	for _, sp := range spans {
		if sp.bad != "" {
			return out, false
		}
		r, err := st.record(sp)
		if err != nil {
			return out, false
		}
		r.Path, r.Chunk, r.Offset = loc.Path, loc.Index, loc.Offset+int64(sp.offset)
		recs = append(recs, r)
	}
	return DecodedChunk{Records: recs}, true
}

func (st *fastState) reset(chunk []byte) {
	st.cr.b = chunk
	clear(st.cr.names)
	clear(st.cr.tmpls)
	st.cr.last.t = nil
	if len(st.raws) > 4096 {
		clear(st.raws)
	}
	if len(st.strs) > 4096 {
		clear(st.strs)
	}
}

// valRef is one substitution value of a record: its type and bytes, or the
// template instance a BinXML value holds.
type valRef struct {
	typ    byte
	off    int
	size   int
	nested int // index into insts for valBinXML
}

type instance struct {
	tmpl *ctemplate
	vals []valRef
}

// fnode is a rendered element, flat: text and attribute values are spans
// of fastState.text; children are a linked list of node indices.
type fnode struct {
	name              string
	attr0, attr1      int32
	text0, text1      int32
	first, last, next int32
}

type fattr struct {
	name   string
	str    string // the value when it is the template's own text, as a string
	isStr  bool
	text0  int32
	text1  int32
	single bool // the value is one substitution of type typ at off
	typ    byte
	off    int
}

// record decodes one record.
func (st *fastState) record(sp recordSpan) (*Record, error) {
	c := &st.cr
	c.limit = sp.offset + sp.size
	st.vals, st.insts, st.nodes, st.attrs, st.text = st.vals[:0], st.insts[:0], st.nodes[:0], st.attrs[:0], st.text[:0]
	pos := sp.offset + recordHeaderSize
	if b, ok := c.u8(pos); !ok || b != tokFragment || pos+4 > c.limit {
		return nil, unsupported()
	}
	top, _, err := st.instance(pos+4, 0)
	if err != nil {
		return nil, err
	}
	if !st.noPlans {
		if r, ok := st.planned(top); ok {
			r.HeaderRecordID = sp.id
			return r, nil
		}
	}
	st.nodes = append(st.nodes, fnode{first: -1, last: -1, next: -1}) // synthetic root
	if err := st.render(0, top, 0); err != nil {
		return nil, err
	}
	r, err := st.extract()
	if err != nil {
		return nil, err
	}
	r.HeaderRecordID = sp.id
	return r, nil
}

// Limits on a record's value tree, beyond the rendering limits shared with
// the reference renderer.
const maxNestedInstances = 1 << 12

// instance reads a template instance at pos (token 0x0c) and its value
// array; it returns the instance index and the position after it.
func (st *fastState) instance(pos, depth int) (int, int, error) {
	c := &st.cr
	if depth > maxRenderDepth || len(st.insts) >= maxNestedInstances {
		return 0, 0, unsupported()
	}
	if b, ok := c.u8(pos); !ok || b != tokTemplate {
		return 0, 0, unsupported()
	}
	defOff, ok := c.u32(pos + 6)
	if !ok {
		return 0, 0, unsupported()
	}
	pos += 10
	t, err := c.template(defOff)
	if err != nil {
		return 0, 0, err
	}
	if int(defOff) == pos {
		pos = int(defOff) + t.length
	}
	n, ok := c.u32(pos)
	if !ok || int32(n) < 0 || n > ChunkSize {
		return 0, 0, unsupported()
	}
	pos += 4
	descs := pos
	pos += 4 * int(n)
	if pos > c.limit {
		return 0, 0, unsupported()
	}
	idx := len(st.insts)
	st.insts = append(st.insts, instance{tmpl: t})
	// This instance's values take the next n slots; nested instances'
	// values go after them.
	v0 := len(st.vals)
	st.vals = append(st.vals, make([]valRef, n)...)
	for i := 0; i < int(n); i++ {
		size := int(binary.LittleEndian.Uint16(c.b[descs+4*i:]))
		typ := c.b[descs+4*i+2]
		if pos+size > c.limit {
			return 0, 0, unsupported()
		}
		v := valRef{typ: typ, off: pos, size: size}
		if typ == valBinXML {
			// A fragment holding a template instance, or (as Windows writes
			// EventData) the template instance alone.
			at := pos
			if size >= 4 && c.b[pos] == tokFragment {
				at += 4
			}
			if size < 1 || c.b[at] != tokTemplate {
				return 0, 0, unsupported()
			}
			nested, end, err := st.instance(at, depth+1)
			if err != nil {
				return 0, 0, err
			}
			// The reference reads the next value where the nested
			// instance ended, not where the descriptor says: only the last
			// value may carry bytes after it (the fragment's EOF token).
			if end != pos+size && (i != int(n)-1 || end > pos+size) {
				return 0, 0, unsupported()
			}
			v.nested = nested
		} else if !sizeMatches(typ, c.b[pos:pos+size]) {
			return 0, 0, unsupported()
		}
		st.vals[v0+i] = v
		pos += size
	}
	st.insts[idx].vals = st.vals[v0 : v0+int(n) : v0+int(n)]
	return idx, pos, nil
}

// sizeMatches reports whether a value of type typ and bytes b is read by
// the reference exactly as b (its readers take their natural size, not the
// descriptor's).
func sizeMatches(typ byte, b []byte) bool {
	n := len(b)
	switch typ {
	case valInt8, valUInt8:
		return n == 1
	case valInt16, valUInt16:
		return n == 2
	case valInt32, valUInt32, valBool, valHex32:
		return n == 4
	case valInt64, valUInt64, valReal64, valFileTime, valHex64:
		return n == 8
	case valGUID, valSysTime:
		return n == 16
	case valSID:
		// The reference refuses a SID without sub-authorities ("Not
		// initialized slice"), so such a value goes to it.
		return n >= 8 && b[1] > 0 && n == 8+4*int(b[1])
	case valString:
		return n%2 == 0
	case valAnsi:
		return n > 0 // the reference refuses an empty ANSI string the same way
	}
	if typ&valArray != 0 {
		switch {
		case typ&valString != 0: // read as a string table (even for other odd types)
			return n%2 == 0
		case typ&valUInt16 == valUInt16:
			return n%2 == 0
		case typ&valUInt64 == valUInt64:
			return n%8 == 0
		}
	}
	return true // null, ANSI, binary, and the types the reference skips by size
}

// render renders template instance idx under node parent.
func (st *fastState) render(parent int, idx int, depth int) error {
	if depth > maxRenderDepth {
		return unsupported()
	}
	for _, n := range st.insts[idx].tmpl.roots {
		if err := st.node(parent, idx, n, depth); err != nil {
			return err
		}
	}
	return nil
}

func (st *fastState) node(parent, inst int, n *tnode, depth int) error {
	if len(st.nodes) > maxRenderNodes {
		return unsupported()
	}
	me := int32(len(st.nodes))
	st.nodes = append(st.nodes, fnode{name: n.name, first: -1, last: -1, next: -1})
	p := &st.nodes[parent]
	if p.last < 0 {
		p.first = me
	} else {
		st.nodes[p.last].next = me
	}
	p.last = me

	vals := st.insts[inst].vals
	a0 := int32(len(st.attrs))
	for i := range n.attrs {
		a := &n.attrs[i]
		t0 := int32(len(st.text))
		fa := fattr{name: a.name}
		switch a.value.kind {
		case pieceText:
			st.text = append(st.text, a.value.text...)
			fa.str, fa.isStr = a.value.text, true
		default:
			if a.value.sub >= len(vals) {
				return unsupported()
			}
			v := vals[a.value.sub]
			if v.typ == valNull {
				if a.value.kind == pieceOptSub {
					continue // dropped, as Windows renders it
				}
				break
			}
			if v.typ == valBinXML {
				return unsupported()
			}
			var ok bool
			if st.text, ok = st.appendValue(st.text, v); !ok {
				return unsupported()
			}
			fa.single, fa.typ, fa.off = true, v.typ, v.off
		}
		if len(st.text) > maxRenderText {
			return unsupported()
		}
		fa.text0, fa.text1 = t0, int32(len(st.text))
		st.attrs = append(st.attrs, fa)
	}
	d0 := len(st.deferred)
	t0 := int32(len(st.text))
	for i := range n.content {
		pc := &n.content[i]
		if len(st.text) > maxRenderText {
			return unsupported()
		}
		if pc.kind == pieceText {
			st.text = append(st.text, pc.text...)
			continue
		}
		if pc.sub >= len(vals) {
			return unsupported()
		}
		v := vals[pc.sub]
		switch v.typ {
		case valNull:
		case valBinXML:
			st.deferred = append(st.deferred, v.nested)
		default:
			var ok bool
			if st.text, ok = st.appendValue(st.text, v); !ok {
				return unsupported()
			}
		}
	}
	if len(st.text) > maxRenderText {
		return unsupported()
	}
	me1 := &st.nodes[me]
	me1.attr0, me1.attr1 = a0, int32(len(st.attrs))
	me1.text0, me1.text1 = t0, int32(len(st.text))
	// Nested BinXML becomes children before the static children, as in
	// the reference renderer.
	nested := st.deferred[d0:]
	for i := 0; i < len(nested); i++ {
		if err := st.render(int(me), nested[i], depth+1); err != nil {
			return err
		}
		nested = st.deferred[d0:]
	}
	st.deferred = st.deferred[:d0]
	for _, c := range n.children {
		if err := st.node(int(me), inst, c, depth); err != nil {
			return err
		}
	}
	return nil
}

// appendValue renders a substitution value as the reference renderer does
// (render.go's value, with golang-evtx's typing of each value type).
func (st *fastState) appendValue(dst []byte, v valRef) ([]byte, bool) {
	b := st.cr.b[v.off : v.off+v.size]
	le := binary.LittleEndian
	switch v.typ {
	case valString:
		return appendUTF16(dst, b), true
	case valAnsi:
		for len(b) > 0 && b[len(b)-1] == 0 {
			b = b[:len(b)-1]
		}
		return append(dst, b...), true
	case valInt8:
		return strconv.AppendInt(dst, int64(int8(b[0])), 10), true
	case valUInt8:
		return strconv.AppendUint(dst, uint64(b[0]), 10), true
	case valInt16:
		return strconv.AppendInt(dst, int64(int16(le.Uint16(b))), 10), true
	case valUInt16:
		return strconv.AppendUint(dst, uint64(le.Uint16(b)), 10), true
	case valInt32:
		return strconv.AppendInt(dst, int64(int32(le.Uint32(b))), 10), true
	case valUInt32:
		return strconv.AppendUint(dst, uint64(le.Uint32(b)), 10), true
	case valInt64:
		return strconv.AppendInt(dst, int64(le.Uint64(b)), 10), true
	case valUInt64:
		return strconv.AppendUint(dst, le.Uint64(b), 10), true
	case valHex32:
		return strconv.AppendUint(append(dst, "0x"...), uint64(le.Uint32(b)), 16), true
	case valHex64:
		return strconv.AppendUint(append(dst, "0x"...), le.Uint64(b), 16), true
	case valReal64:
		return strconv.AppendFloat(dst, math.Float64frombits(le.Uint64(b)), 'g', -1, 64), true
	case valBool:
		return strconv.AppendBool(dst, le.Uint32(b) == 1), true
	case valBinary:
		return appendHexUpper(dst, b), true
	case valGUID:
		dst = append(dst, '{')
		// Data1-3 little-endian, Data4 as stored (golang-evtx's GUID.String).
		for _, j := range [16]int{3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11} {
			if j < 0 {
				dst = append(dst, '-')
				continue
			}
			dst = appendHexUpper(dst, b[j:j+1])
		}
		dst = appendHexUpper(dst, b[12:16])
		return append(dst, '}'), true
	case valFileTime:
		return appendTime(dst, filetime(le.Uint64(b))), true
	case valSysTime:
		return appendTime(dst, systime(b)), true
	case valSID:
		dst = append(dst, "S-"...)
		dst = strconv.AppendUint(dst, uint64(b[0]), 10)
		var auth uint64
		for _, x := range b[2:8] {
			auth = auth<<8 | uint64(x)
		}
		dst = strconv.AppendUint(append(dst, '-'), auth, 10)
		for i := 8; i+4 <= len(b); i += 4 {
			dst = strconv.AppendUint(append(dst, '-'), uint64(le.Uint32(b[i:])), 10)
		}
		return dst, true
	}
	if v.typ&valArray != 0 {
		switch {
		case v.typ&valString != 0: // golang-evtx's string table
			first := true
			for i := 0; i+2 <= len(b); {
				j := i
				for j+2 <= len(b) && (b[j] != 0 || b[j+1] != 0) {
					j += 2
				}
				if j+2 > len(b) {
					break // an unterminated last string is dropped by the reference
				}
				if j > i {
					if !first {
						dst = append(dst, ", "...)
					}
					first = false
					dst = appendUTF16(dst, b[i:j])
				}
				i = j + 2
			}
			return dst, true
		case v.typ&valUInt16 == valUInt16:
			for i := 0; i+2 <= len(b); i += 2 {
				if i > 0 {
					dst = append(dst, ' ')
				}
				dst = strconv.AppendUint(dst, uint64(le.Uint16(b[i:])), 10)
			}
			return dst, true
		case v.typ&valUInt64 == valUInt64:
			for i := 0; i+8 <= len(b); i += 8 {
				if i > 0 {
					dst = append(dst, ' ')
				}
				dst = strconv.AppendUint(dst, le.Uint64(b[i:]), 10)
			}
			return dst, true
		}
		s, err := (&renderer{}).array(v.typ&0x7f, b)
		return append(dst, s...), err == nil
	}
	s, err := scalar(v.typ, b)
	return append(dst, s...), err == nil
}

func appendHexUpper(dst, b []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, x := range b {
		dst = append(dst, digits[x>>4], digits[x&15])
	}
	return dst
}

// systime reads a SYSTEMTIME as golang-evtx does (signed 16-bit fields).
func systime(b []byte) time.Time {
	f := func(i int) int { return int(int16(binary.LittleEndian.Uint16(b[2*i:]))) }
	return time.Date(f(0), time.Month(f(1)), f(3), f(4), f(5), f(6), f(7)*int(time.Millisecond), time.UTC)
}

func appendTime(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, time.RFC3339Nano)
}

// child returns the first child of node n named name, or -1.
func (st *fastState) child(n int32, name string) int32 {
	if n < 0 {
		return -1
	}
	for c := st.nodes[n].first; c >= 0; c = st.nodes[c].next {
		if st.nodes[c].name == name {
			return c
		}
	}
	return -1
}

func (st *fastState) textOf(n int32) []byte {
	return st.text[st.nodes[n].text0:st.nodes[n].text1]
}

func (st *fastState) attr(n int32, name string) (*fattr, bool) {
	if n < 0 {
		return nil, false
	}
	for i := st.nodes[n].attr0; i < st.nodes[n].attr1; i++ {
		if st.attrs[i].name == name {
			return &st.attrs[i], true
		}
	}
	return nil, false
}

func (st *fastState) attrText(a *fattr) []byte { return st.text[a.text0:a.text1] }

// attrString is intern(attrText(a)), without the lookup when the value is
// the template's own text (a Data element's Name, a provider's name).
func (st *fastState) attrString(a *fattr) string {
	if a.isStr {
		return a.str
	}
	return st.intern(st.attrText(a))
}

// attrStringOf is attrString of node n's attribute name, "" when absent.
func (st *fastState) attrStringOf(n int32, name string) string {
	if a, ok := st.attr(n, name); ok {
		return st.attrString(a)
	}
	return ""
}

// intern returns b as a string, shared between the records of a chunk
// (providers, channels, computers repeat).
func (st *fastState) intern(b []byte) string {
	if s, ok := st.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	st.strs[s] = s
	return s
}

// internValue is intern of v's rendered text (trimmed as
// trimSpaceBytes does when trim is set), looked up by the value's type
// and bytes first: the computer, channel, keywords, provider GUID and
// user SID of a log's records repeat, and are then neither rendered nor
// hashed as text again.
func (st *fastState) internValue(v valRef, trim bool) string {
	key := append(st.scratch[:0], v.typ, 0)
	if trim {
		key[1] = 1
	}
	key = append(key, st.cr.b[v.off:v.off+v.size]...)
	st.scratch = key[:0]
	if s, ok := st.raws[string(key)]; ok {
		return s
	}
	start := len(st.text)
	st.text, _ = st.appendValue(st.text, v)
	text := st.text[start:]
	if trim {
		text = trimSpaceBytes(text)
	}
	s := st.intern(text)
	if st.raws == nil {
		st.raws = map[string]string{}
	}
	st.raws[string(key)] = s
	return s
}

// recordAlloc holds a Record and its optional numbers in one allocation.
type recordAlloc struct {
	rec     Record
	ints    [5]int
	u32     [2]uint32
	partial partialData // rec.partial's, when set
}

// newRecord returns the next of the chunk's records, allocated together
// (one allocation per chunk rather than per record: the records of a
// chunk live and die together).
func (st *fastState) newRecord() *recordAlloc {
	if len(st.slab) == 0 {
		return &recordAlloc{}
	}
	ra := &st.slab[0]
	st.slab = st.slab[1:]
	return ra
}

// System's children that a Record is made of; the first element of each
// name counts, as child() finds it.
const (
	sProvider = iota
	sEventID
	sVersion
	sLevel
	sTask
	sOpcode
	sKeywords
	sTimeCreated
	sEventRecordID
	sCorrelation
	sExecution
	sChannel
	sComputer
	sSecurity
	sCount
)

// systemChild returns the sXxx index of a System child's name, -1 for
// names a Record does not use.
func systemChild(name string) int {
	switch name {
	case "Provider":
		return sProvider
	case "EventID":
		return sEventID
	case "Version":
		return sVersion
	case "Level":
		return sLevel
	case "Task":
		return sTask
	case "Opcode":
		return sOpcode
	case "Keywords":
		return sKeywords
	case "TimeCreated":
		return sTimeCreated
	case "EventRecordID":
		return sEventRecordID
	case "Correlation":
		return sCorrelation
	case "Execution":
		return sExecution
	case "Channel":
		return sChannel
	case "Computer":
		return sComputer
	case "Security":
		return sSecurity
	}
	return -1
}

// systemSource is what fillSystem reads a record's System section from:
// the rendered nodes (nodeSystem) or a template's plan (planSystem).
type systemSource interface {
	// text returns the trimmed text of System child k.
	text(k int) ([]byte, bool)
	// attr returns the text of attribute name of child k.
	attr(k int, name string) ([]byte, bool)
	// attrString is attr as an interned string, "" when absent.
	attrString(k int, name string) string
	// time returns attribute name of child k as a time: present is false
	// without the attribute or with an empty one, ok false when it does
	// not parse.
	time(k int, name string) (t time.Time, present, ok bool)
	// textString is intern of text(k).
	textString(k int) (string, bool)
	// single returns the one value child k's content consists of, and
	// singleAttr the one value its attribute name consists of, when the
	// source knows (a plan); fillSystem then reads numbers without
	// rendering and parsing them.
	single(k int) (valRef, bool)
	singleAttr(k int, name string) (valRef, bool)
}

// nodeSystem reads System from the rendered nodes.
type nodeSystem struct {
	st *fastState
	sn [sCount]int32
}

func (s *nodeSystem) text(k int) ([]byte, bool) {
	if n := s.sn[k]; n >= 0 {
		return trimSpaceBytes(s.st.textOf(n)), true
	}
	return nil, false
}

func (s *nodeSystem) attr(k int, name string) ([]byte, bool) {
	if a, ok := s.st.attr(s.sn[k], name); ok {
		return s.st.attrText(a), true
	}
	return nil, false
}

func (s *nodeSystem) attrString(k int, name string) string { return s.st.attrStringOf(s.sn[k], name) }

func (s *nodeSystem) textString(k int) (string, bool) {
	b, ok := s.text(k)
	if !ok {
		return "", false
	}
	return s.st.intern(b), true
}

func (s *nodeSystem) single(int) (valRef, bool)             { return valRef{}, false }
func (s *nodeSystem) singleAttr(int, string) (valRef, bool) { return valRef{}, false }

func (s *nodeSystem) time(k int, name string) (time.Time, bool, bool) {
	a, ok := s.st.attr(s.sn[k], name)
	if !ok || a.text1 <= a.text0 {
		return time.Time{}, false, true
	}
	t, ok := s.st.timeOf(a)
	return t, true, ok
}

// extract fills a Record from the rendered nodes, field for field as
// recordFromXML does; anything that would make recordFromXML fail is
// handed to the reference.
func (st *fastState) extract() (*Record, error) {
	ev := st.child(0, "Event")
	if ev < 0 {
		return nil, unsupported()
	}
	sys := st.child(ev, "System")
	if sys < 0 {
		return nil, unsupported()
	}
	src := &st.nodeSrc // reused: an interface value would escape per record
	src.st = st
	for i := range src.sn {
		src.sn[i] = -1
	}
	for c := st.nodes[sys].first; c >= 0; c = st.nodes[c].next {
		if k := systemChild(st.nodes[c].name); k >= 0 && src.sn[k] < 0 {
			src.sn[k] = c
		}
	}
	ra, err := st.fillSystem(src)
	if err != nil {
		return nil, err
	}
	r := &ra.rec
	if ed := st.child(ev, "EventData"); ed >= 0 {
		r.EventData = st.eventData(ed)
	}
	if ud := st.child(ev, "UserData"); ud >= 0 {
		r.UserData = map[string]string{}
		for c := st.nodes[ud].first; c >= 0; c = st.nodes[c].next {
			st.leaves(c, r.UserData)
		}
	}
	return r, nil
}

// fillSystem makes a Record of the System section src reads.
func (st *fastState) fillSystem(src systemSource) (*recordAlloc, error) {
	ra := st.newRecord()
	var s stableSystem
	if err := st.readStable(src, &s); err != nil {
		return nil, err
	}
	s.apply(ra)
	if err := st.readVarying(src, ra); err != nil {
		return nil, err
	}
	return ra, nil
}

// stableSystem is what a Record holds of the System fields that repeat
// from one record of a log to the next: provider, event id, version,
// level, task, opcode, keywords, channel, computer and user.
type stableSystem struct {
	provider, providerGUID, keywords, channel, computer, userID string
	eventID                                                     int
	hasEventID                                                  bool
	// ints are Qualifiers, Version, Level, Task and Opcode, each where has
	// says the record has it.
	ints [5]int
	has  [5]bool
}

// readStable reads the stable System fields from src.
func (st *fastState) readStable(src systemSource, s *stableSystem) error {
	s.provider = src.attrString(sProvider, "Name")
	if s.provider == "" {
		s.provider = src.attrString(sProvider, "EventSourceName")
	}
	s.providerGUID = src.attrString(sProvider, "Guid")
	if id, present, ok := st.uintOf(src, sEventID, 32); present {
		if !ok {
			return unsupported()
		}
		s.eventID, s.hasEventID = int(id), true
		s.ints[0], s.has[0] = st.intOfAttr(src, sEventID, "Qualifiers")
	}
	for i, k := range [4]int{sVersion, sLevel, sTask, sOpcode} {
		s.ints[i+1], s.has[i+1] = st.intOf(src, k)
	}
	s.keywords, _ = src.textString(sKeywords)
	s.channel, _ = src.textString(sChannel)
	s.computer, _ = src.textString(sComputer)
	s.userID = src.attrString(sSecurity, "UserID")
	return nil
}

// apply sets ra's stable fields from s.
func (s *stableSystem) apply(ra *recordAlloc) {
	r := &ra.rec
	r.Provider, r.ProviderGUID = s.provider, s.providerGUID
	r.Keywords, r.Channel, r.Computer, r.UserID = s.keywords, s.channel, s.computer, s.userID
	if s.hasEventID {
		r.EventID = s.eventID
	}
	ra.ints = s.ints
	opt := [5]**int{&r.Qualifiers, &r.Version, &r.Level, &r.Task, &r.Opcode}
	for i, has := range s.has {
		if has {
			*opt[i] = &ra.ints[i]
		}
	}
}

// readVarying reads the System fields that change from record to record
// (time, record id, activity, process and thread) into ra.
func (st *fastState) readVarying(src systemSource, ra *recordAlloc) error {
	r := &ra.rec
	if t, present, ok := src.time(sTimeCreated, "SystemTime"); present {
		if !ok {
			return unsupported()
		}
		r.TimeCreated = t
	}
	if id, present, ok := st.uintOf(src, sEventRecordID, 64); present {
		if !ok {
			return unsupported()
		}
		r.RecordID = id
	}
	if a, ok := src.attr(sCorrelation, "ActivityID"); ok {
		r.ActivityID = string(a)
	}
	if v, ok := st.uintOfAttr(src, sExecution, "ProcessID", 32); ok {
		ra.u32[0] = uint32(v)
		r.ProcessID = &ra.u32[0]
	}
	if v, ok := st.uintOfAttr(src, sExecution, "ThreadID", 32); ok {
		ra.u32[1] = uint32(v)
		r.ThreadID = &ra.u32[1]
	}
	return nil
}

// plannedSystem is fillSystem for a planned record: the stable fields
// come from a memo of the record's plan when the substitution values they
// are read from are the bytes the memo was made from (a log's records
// repeat them, and reading them is most of fillSystem).
func (st *fastState) plannedSystem(p *tplan, src *planSystem) (*recordAlloc, error) {
	ra := st.newRecord()
	if m := st.systemMemo(p, src.vals); m != nil {
		m.fields.apply(ra)
	} else {
		var s stableSystem
		if err := st.readStable(src, &s); err != nil {
			return nil, err
		}
		s.apply(ra)
		st.remember(p, src.vals, &s)
	}
	if err := st.readVarying(src, ra); err != nil {
		return nil, err
	}
	return ra, nil
}

// systemMemo is a memo of the stable System fields of a record a plan
// decoded, with the values they were read from (copied: the chunk's
// buffer goes back to the reader).
type systemMemo struct {
	raw    []byte // per slot of plan.stable: type, size (2 bytes), bytes
	fields stableSystem
}

// maxPlanMemos is how many memos a plan keeps: its records repeat one set
// of stable values, alternate between two (audit success and failure),
// or, in an Application or System log, cycle through a few event ids or
// hosts. maxMemoBytes bounds one memo's values (a hostile computer name
// can be a chunk long; its records are read every time instead).
const (
	maxPlanMemos = 8
	maxMemoBytes = 1024
)

// systemMemo returns the memo of plan p made from the values vals hold,
// nil if there is none.
func (st *fastState) systemMemo(p *tplan, vals []valRef) *systemMemo {
	for i := range p.memos {
		if m := &p.memos[i]; m.holds(st.cr.b, vals, p.stable) {
			return m
		}
	}
	return nil
}

// remember keeps s, read from vals by plan p, as one of p's memos, in
// place of its oldest when it has maxPlanMemos.
func (st *fastState) remember(p *tplan, vals []valRef, s *stableSystem) {
	size := 0
	for _, slot := range p.stable {
		if slot >= len(vals) {
			return // no memo: holds could not check it
		}
		size += 3 + vals[slot].size
	}
	if size > maxMemoBytes {
		return
	}
	var m *systemMemo
	if len(p.memos) < maxPlanMemos {
		p.memos = append(p.memos, systemMemo{})
		m = &p.memos[len(p.memos)-1]
	} else {
		m = &p.memos[p.memoNext]
		p.memoNext = (p.memoNext + 1) % maxPlanMemos
	}
	m.raw, m.fields = m.raw[:0], *s
	for _, slot := range p.stable {
		v := vals[slot]
		m.raw = append(m.raw, v.typ, byte(v.size), byte(v.size>>8))
		m.raw = append(m.raw, st.cr.b[v.off:v.off+v.size]...)
	}
}

// holds reports whether vals' stable slots are the bytes m was made from.
func (m *systemMemo) holds(b []byte, vals []valRef, slots []int) bool {
	raw := m.raw
	for _, slot := range slots {
		if slot >= len(vals) || len(raw) < 3 {
			return false
		}
		v := vals[slot]
		if raw[0] != v.typ || int(raw[1])|int(raw[2])<<8 != v.size || len(raw)-3 < v.size ||
			string(raw[3:3+v.size]) != string(b[v.off:v.off+v.size]) {
			return false
		}
		raw = raw[3+v.size:]
	}
	return true
}

// integer reads an integer value: its magnitude, its sign, and whether v
// is of an integer type at all (the hex types render as 0x..., which the
// decimal parsers refuse, so they are not integers here).
func (st *fastState) integer(v valRef) (mag uint64, neg, ok bool) {
	b := st.cr.b[v.off : v.off+v.size]
	le := binary.LittleEndian
	var n int64
	switch v.typ {
	case valUInt8:
		return uint64(b[0]), false, true
	case valUInt16:
		return uint64(le.Uint16(b)), false, true
	case valUInt32:
		return uint64(le.Uint32(b)), false, true
	case valUInt64:
		return le.Uint64(b), false, true
	case valInt8:
		n = int64(int8(b[0]))
	case valInt16:
		n = int64(int16(le.Uint16(b)))
	case valInt32:
		n = int64(int32(le.Uint32(b)))
	case valInt64:
		n = int64(le.Uint64(b))
	default:
		return 0, false, false
	}
	if n < 0 {
		return uint64(-n), true, true // -MinInt64 wraps to its own magnitude
	}
	return uint64(n), false, true
}

// uintOf is parseUintBytes of child k's text; present is false without
// the child.
func (st *fastState) uintOf(src systemSource, k, bits int) (v uint64, present, ok bool) {
	if val, ok := src.single(k); ok {
		if mag, neg, isInt := st.integer(val); isInt {
			return mag, true, !neg && (bits == 64 || mag>>bits == 0)
		}
	}
	s, present := src.text(k)
	if !present {
		return 0, false, false
	}
	v, ok = parseUintBytes(s, bits)
	return v, true, ok
}

// uintOfAttr is parseUintBytes of attribute name of child k.
func (st *fastState) uintOfAttr(src systemSource, k int, name string, bits int) (uint64, bool) {
	if val, ok := src.singleAttr(k, name); ok {
		if mag, neg, isInt := st.integer(val); isInt {
			return mag, !neg && (bits == 64 || mag>>bits == 0)
		}
	}
	a, _ := src.attr(k, name)
	return parseUintBytes(a, bits)
}

// intOf is atoiBytes of child k's text.
func (st *fastState) intOf(src systemSource, k int) (int, bool) {
	if val, ok := src.single(k); ok {
		if mag, neg, isInt := st.integer(val); isInt {
			return signed(mag, neg)
		}
	}
	s, present := src.text(k)
	if !present {
		return 0, false
	}
	return atoiBytes(s)
}

// intOfAttr is atoiBytes of attribute name of child k.
func (st *fastState) intOfAttr(src systemSource, k int, name string) (int, bool) {
	if val, ok := src.singleAttr(k, name); ok {
		if mag, neg, isInt := st.integer(val); isInt {
			return signed(mag, neg)
		}
	}
	a, _ := src.attr(k, name)
	return atoiBytes(a)
}

// signed is strconv.Atoi of a rendered magnitude and sign.
func signed(mag uint64, neg bool) (int, bool) {
	if neg {
		if mag > 1<<(strconv.IntSize-1) {
			return 0, false
		}
		return int(-mag), true
	}
	if mag > 1<<(strconv.IntSize-1)-1 {
		return 0, false
	}
	return int(mag), true
}

// eventData maps EventData's children as eventData in fields.go does. The
// values share one string allocation (they are contiguous in the text
// buffer, with the attribute values between them).
func (st *fastState) eventData(ed int32) map[string]string {
	n := 0
	lo, hi := int32(-1), int32(0)
	for c := st.nodes[ed].first; c >= 0; c = st.nodes[c].next {
		n++
		nd := &st.nodes[c]
		if lo < 0 || nd.text0 < lo {
			lo = nd.text0
		}
		hi = max(hi, nd.text1)
	}
	m := make(map[string]string, n)
	if n == 0 {
		return m
	}
	all := string(st.text[lo:hi])
	unnamed := 0
	for c := st.nodes[ed].first; c >= 0; c = st.nodes[c].next {
		key := st.nodeKey(c, &unnamed)
		before := len(m)
		m[key] = all[st.nodes[c].text0-lo : st.nodes[c].text1-lo]
		if len(m) == before {
			// A repeated name: start again the careful way, which keeps
			// the first value and suffixes the others.
			return st.eventDataCareful(ed, all, lo)
		}
	}
	return m
}

// nodeKey is the key of EventData child c: its name, or for a Data
// element its Name attribute, or param1, param2, ... (unnamed counts
// them), as winlogbeat names them.
func (st *fastState) nodeKey(c int32, unnamed *int) string {
	key := st.nodes[c].name
	if key == "Data" {
		if a, ok := st.attr(c, "Name"); ok && a.text1 > a.text0 {
			return st.attrString(a)
		}
		*unnamed++
		key = "param" + strconv.Itoa(*unnamed)
	}
	return key
}

func (st *fastState) eventDataCareful(ed int32, all string, lo int32) map[string]string {
	m := map[string]string{}
	unnamed := 0
	for c := st.nodes[ed].first; c >= 0; c = st.nodes[c].next {
		key := st.nodeKey(c, &unnamed)
		put(m, key, all[st.nodes[c].text0-lo:st.nodes[c].text1-lo])
	}
	return m
}

func (st *fastState) leaves(n int32, m map[string]string) {
	if st.nodes[n].first < 0 {
		put(m, st.nodes[n].name, string(st.textOf(n)))
		return
	}
	for c := st.nodes[n].first; c >= 0; c = st.nodes[c].next {
		st.leaves(c, m)
	}
}

// timeOf is time.Parse(time.RFC3339Nano, text).UTC(), short-cut when the
// attribute is one FILETIME or SYSTEMTIME value in the years that format
// and parse back exactly.
func (st *fastState) timeOf(a *fattr) (time.Time, bool) {
	return st.timeOfValue(a.single, a.typ, a.off, st.attrText(a))
}

// timeOfValue is timeOf for an attribute whose rendered text is text and
// which, when single, is one value of type typ at off.
func (st *fastState) timeOfValue(single bool, typ byte, off int, text []byte) (time.Time, bool) {
	if single {
		if t, ok := st.valueTime(typ, off); ok {
			return t, true
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(text))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// valueTime reads a FILETIME or SYSTEMTIME value at off as its rendered
// text would parse back: ok is false for other types and for years that
// RFC 3339 text does not round-trip.
func (st *fastState) valueTime(typ byte, off int) (time.Time, bool) {
	var t time.Time
	switch typ {
	case valFileTime:
		t = filetime(binary.LittleEndian.Uint64(st.cr.b[off:]))
	case valSysTime:
		t = systime(st.cr.b[off : off+16])
	default:
		return t, false
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// trimSpaceBytes is strings.TrimSpace for the ASCII case; text with other
// bytes at its ends goes through strings.TrimSpace itself.
func trimSpaceBytes(b []byte) []byte {
	if len(b) > 0 && (b[0] >= 0x80 || b[len(b)-1] >= 0x80) {
		return []byte(strings.TrimSpace(string(b)))
	}
	for len(b) > 0 && asciiSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && asciiSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// parseUintBytes is strconv.ParseUint(string(b), 10, bits) for the plain
// digits case, and strconv itself otherwise.
func parseUintBytes(b []byte, bits int) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if len(b) > 18 {
		v, err := strconv.ParseUint(string(b), 10, bits)
		return v, err == nil
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			v, err := strconv.ParseUint(string(b), 10, bits)
			return v, err == nil
		}
		v = v*10 + uint64(c-'0')
	}
	if bits < 64 && v>>bits != 0 {
		return 0, false
	}
	return v, true
}

// atoiBytes is strconv.Atoi(string(b)).
func atoiBytes(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if len(b) > 0 && len(b) <= 18 {
		var v int
		ok := true
		for _, c := range b {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			v = v*10 + int(c-'0')
		}
		if ok {
			return v, true
		}
	}
	v, err := strconv.Atoi(string(b))
	return v, err == nil
}

// DecoderEnv is the environment variable that picks the decoder when
// Options.Decoder is nil: "fast" (default) or "goevtx".
const DecoderEnv = "SHADOWSCAN_DECODER"

// DecoderByName returns the decoder a --decoder switch names: "fast" (the
// default, FastDecoder) or "goevtx" (the reference, GoEvtxDecoder).
func DecoderByName(name string) (Decoder, error) {
	switch name {
	case "", "fast":
		return FastDecoder{}, nil
	case "goevtx":
		return GoEvtxDecoder{}, nil
	}
	return nil, fmt.Errorf("unknown decoder %q (want fast or goevtx)", name)
}
