package evtx

import "sync"

// Partial decoding (Options.EventData): a consumer that reads a handful of
// event data names from most records (the scan's audit and rule gate)
// lets the fast decoder skip rendering the rest, which is most of a
// record's cost. A record decoded so keeps its chunk's bytes, and decodes
// the chunk again, whole, the first time anything asks for a name it left
// out (Record.Value, Record.Full): which names a consumer lists only
// changes the speed, never an answer.

// nameSet is the event data names a partial decode keeps. It is read-only
// once made, shared by the workers; its address identifies it in the
// per-template caches of kept positions.
type nameSet struct{ m map[string]bool }

func newNameSet(names []string) *nameSet {
	s := &nameSet{m: make(map[string]bool, len(names))}
	for _, n := range names {
		s.m[n] = true
	}
	return s
}

func (s *nameSet) has(name string) bool { return s.m[name] }

// partialData ties a partially decoded record to its chunk, and holds
// the values kept: keys[i] is vals[i]'s name. A handful of values in two
// slices (the keys shared by every record of a template) rather than a
// map per record: making and filling that map cost more than rendering
// the values.
type partialData struct {
	names *nameSet
	keys  []string
	vals  []string
	chunk *keptChunk
	index int // in the chunk's records
}

func (p *partialData) kept(name string) bool { return p.names.has(name) }

// value returns the kept value of name; held is false when the record
// does not hold name, and kept that the decode kept it if it did.
func (p *partialData) value(name string) (v string, held, kept bool) {
	for i, k := range p.keys {
		if k == name {
			return p.vals[i], true, true
		}
	}
	return "", false, p.kept(name)
}

// eventData returns the kept values as a map.
func (p *partialData) eventData() map[string]string {
	m := make(map[string]string, len(p.keys))
	for i, k := range p.keys {
		m[k] = p.vals[i]
	}
	return m
}

// full returns the whole record. The whole decode of the chunk yields
// the same records (decodeSome's promise, held by the tests); should it
// ever not, the partial record's own fields are returned rather than a
// stranger's, or a panic on the goroutine that asked.
func (p *partialData) full(r *Record) *Record {
	if w := p.chunk.record(p.index); w != nil && w.Offset == r.Offset && w.RecordID == r.RecordID {
		return w
	}
	cp := *r
	cp.EventData = p.eventData()
	cp.partial = nil
	return &cp
}

// keptChunk is the bytes of a chunk decoded partially, decoded whole on
// first need, once, whichever goroutine asks.
type keptChunk struct {
	data []byte // owned: nothing else writes it until release
	loc  ChunkLocation
	once sync.Once
	recs []*Record
	// buf is the reader's buffer behind data, given back by release
	// (Options.Transient); released marks data as no longer ours.
	buf      *[]byte
	released bool
	decoded  bool // recs holds the whole decode
}

func (c *keptChunk) record(i int) *Record {
	c.once.Do(func() {
		if !c.released {
			c.recs = FastDecoder{}.Decode(c.data, c.loc).Records
			c.data, c.decoded = nil, true
		}
	})
	if !c.decoded {
		panic("evtx: a partial record was asked for its event data after emit returned (Options.Transient)")
	}
	if i < 0 || i >= len(c.recs) {
		return nil
	}
	return c.recs[i]
}

// release gives back the reader's buffer behind the chunk once no record
// of it is used any more (Options.Transient: emit has returned for the
// chunk's last record, and prepare before it); nil if there is none. The
// chunk's records can still answer from a whole decode done before.
func (c *keptChunk) release() *[]byte {
	buf := c.buf
	c.buf, c.data, c.released = nil, nil, true
	return buf
}

// decodeSome is Decode keeping only names of the event data of the
// records its template plans decode; they are marked partial and keep
// data, which the caller must not reuse while the returned chunk (nil if
// no record is partial) is alive. The whole
// decode of data yields the same records in the same order (the plans
// accept or refuse a record before rendering any of its event data), which
// is what Record.Full relies on; TestPartialSameAsWhole holds it to that.
func (d FastDecoder) decodeSome(data []byte, loc ChunkLocation, names *nameSet) (out DecodedChunk, kept *keptChunk) {
	if d.Reference != nil || d.renderOnly {
		return d.Decode(data, loc), nil
	}
	out, ok := d.fastSome(data, loc, names)
	if !ok {
		return d.Decode(data, loc), nil
	}
	for i, r := range out.Records {
		if r.partial == nil {
			continue
		}
		if kept == nil {
			kept = &keptChunk{data: data, loc: loc}
		}
		r.partial.chunk, r.partial.index = kept, i
	}
	return out, kept
}
