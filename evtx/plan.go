package evtx

import (
	"slices"
	"strconv"
	"time"
)

// This file is the fast decoder's shortcut for the records Windows writes:
// a top-level template <Event><System>...</System>[EventData]</Event>,
// its EventData inline or in a nested template instance. For such a
// template, compiled once per chunk (or shared across chunks), a plan
// says which element each System field comes from and where EventData
// sits; each record then renders only the values a Record holds, straight
// from its substitution array, instead of a node tree of the whole event.
//
// The plan answers only for the records it is sure about and leaves every
// other one to the rendering path (record's render and extract): any
// substitution that would be nested BinXML outside Event's and UserData's
// content, a value the renderer may refuse, a template whose element has
// two attributes of one name, a record near the renderer's size limits. The differential tests decode every record of the corpus
// both ways (TestPlanSameAsRender) besides holding the decoder to
// golang-evtx.

// tplan is a compiled template's shape, as far as the shortcut reads it.
type tplan struct {
	// top: usable as a record's top-level template, with its System
	// element, System's children by sXxx index (the first of each name),
	// Event's first static EventData child, and the substitutions of
	// Event's content in order (nested BinXML there becomes Event's first
	// children).
	top       bool
	system    *tnode
	sys       [sCount]*tnode
	eventData *tnode
	userData  *tnode // Event's first static UserData child
	userSubs  []int  // the substitutions of its content
	eventSubs []int
	// stable are the substitutions the stable System fields are read
	// from (stableSlots); memos are plannedSystem's memos of those fields
	// (at most maxPlanMemos, memoNext the one to replace next). A plan is
	// its decoder's own, made from a template of its chunkReader, so the
	// memos are that decoder's.
	stable   []int
	memos    []systemMemo
	memoNext int
	// nested: usable as an instance in Event's content (no root named
	// System or UserData), with its first root named EventData.
	nested   bool
	nestedED *tnode
	// refs are all the substitutions the template renders; nestable
	// marks those of Event's and UserData's content (the only places
	// nested BinXML may be).
	refs      []subRef
	nodes     int // elements
	textBytes int // bytes of the template's own text
}

type subRef struct {
	slot     int
	nestable bool
}

// planOf returns t's plan, making it on first use.
func planOf(t *ctemplate) *tplan {
	if t.plan != nil {
		return t.plan
	}
	p := &tplan{}
	sound := true
	top := len(t.roots) == 1 && t.roots[0].name == "Event"
	if top {
		for _, c := range t.roots[0].children {
			if c.name == "UserData" {
				p.userData = c
				break
			}
		}
	}
	var walk func(n *tnode, isEvent bool)
	walk = func(n *tnode, isEvent bool) {
		p.nodes++
		for i, a := range n.attrs {
			for _, b := range n.attrs[:i] {
				if b.name == a.name {
					sound = false // first-match lookups would need the values
				}
			}
			if a.value.kind == pieceText {
				p.textBytes += len(a.value.text)
			} else {
				p.refs = append(p.refs, subRef{slot: a.value.sub})
			}
		}
		for _, pc := range n.content {
			if pc.kind == pieceText {
				p.textBytes += len(pc.text)
				continue
			}
			isUser := n == p.userData
			p.refs = append(p.refs, subRef{slot: pc.sub, nestable: isEvent || isUser})
			if isEvent {
				p.eventSubs = append(p.eventSubs, pc.sub)
			}
			if isUser {
				p.userSubs = append(p.userSubs, pc.sub)
			}
		}
		for _, c := range n.children {
			walk(c, false)
		}
	}
	for _, r := range t.roots {
		walk(r, top)
	}
	if top {
		p.top = true
		for _, c := range t.roots[0].children {
			switch c.name {
			case "System":
				if p.system == nil {
					p.system = c
				}
			case "EventData":
				if p.eventData == nil {
					p.eventData = c
				}
			}
		}
		if p.system == nil {
			p.top = false
		} else {
			for _, c := range p.system.children {
				if k := systemChild(c.name); k >= 0 && p.sys[k] == nil {
					p.sys[k] = c
				}
			}
			p.stable = stableSlots(&p.sys)
		}
	}
	p.nested = true
	for _, r := range t.roots {
		switch r.name {
		case "System", "UserData":
			p.nested = false
		case "EventData":
			if p.nestedED == nil {
				p.nestedED = r
			}
		}
	}
	if !sound {
		p.top, p.nested = false, false
	}
	t.plan = p
	return p
}

// stableSlots lists the substitutions the System children of sys that
// stableSystem is read from render, each once, the small values that tell
// kinds of records apart first: a memo that does not hold
// (plannedSystem) is then told by a byte or two.
func stableSlots(sys *[sCount]*tnode) []int {
	var slots []int
	add := func(pc piece) {
		if pc.kind != pieceText && !slices.Contains(slots, pc.sub) {
			slots = append(slots, pc.sub)
		}
	}
	for _, k := range [...]int{sEventID, sTask, sOpcode, sLevel, sVersion, sKeywords, sComputer, sChannel, sProvider, sSecurity} {
		n := sys[k]
		if n == nil {
			continue
		}
		for _, a := range n.attrs {
			add(a.value)
		}
		for _, pc := range n.content {
			add(pc)
		}
	}
	return slots
}

// planned decodes the record whose top-level instance is top by its
// template's plan; ok is false when the plan cannot vouch for it.
func (st *fastState) planned(top int) (r *Record, ok bool) {
	inst := &st.insts[top]
	p := planOf(inst.tmpl)
	if !p.top {
		return nil, false
	}
	nodes, text := 1+p.nodes, p.textBytes
	if !st.plannedValues(inst, p, &text) {
		return nil, false
	}
	ed, edInst := (*tnode)(nil), -1
	for _, slot := range p.eventSubs {
		v := inst.vals[slot]
		if v.typ != valBinXML {
			continue
		}
		nested := &st.insts[v.nested]
		np := planOf(nested.tmpl)
		if !np.nested || !st.plannedNested(nested, np, &nodes, &text) {
			return nil, false
		}
		if ed == nil && np.nestedED != nil {
			ed, edInst = np.nestedED, v.nested
		}
	}
	for _, slot := range p.userSubs {
		if v := inst.vals[slot]; v.typ == valBinXML {
			nested := &st.insts[v.nested]
			if !st.plannedNested(nested, planOf(nested.tmpl), &nodes, &text) {
				return nil, false
			}
		}
	}
	if ed == nil && p.eventData != nil {
		ed, edInst = p.eventData, top
	}
	if nodes >= maxRenderNodes || text > maxRenderText {
		return nil, false // near the renderer's limits: let it decide
	}
	src := &st.planSrc
	src.st, src.vals, src.sys = st, inst.vals, &p.sys
	ra, err := st.plannedSystem(p, src)
	if err != nil {
		return nil, false
	}
	r = &ra.rec
	if ed != nil {
		m, keys, vals, partial := st.planEventData(ed, st.insts[edInst].vals, st.keep)
		r.EventData = m
		if partial {
			ra.partial = partialData{names: st.keep, keys: keys, vals: vals}
			r.partial = &ra.partial
		}
	}
	if p.userData != nil {
		// UserData's children, as the rendering path orders them: the
		// elements of the nested templates of its content, then its own.
		// Their values are never nested BinXML (plannedNested,
		// plannedValues): leaves are the elements without children.
		r.UserData = map[string]string{}
		for _, slot := range p.userSubs {
			if v := inst.vals[slot]; v.typ == valBinXML {
				nested := &st.insts[v.nested]
				for _, root := range nested.tmpl.roots {
					st.planLeaves(root, nested.vals, r.UserData)
				}
			}
		}
		for _, c := range p.userData.children {
			st.planLeaves(c, inst.vals, r.UserData)
		}
	}
	return r, true
}

// plannedNested checks the values of a template instance nested in
// Event's or UserData's content, as plannedValues does those of the
// record's, but nested BinXML is refused there; nodes and text grow by
// its share.
func (st *fastState) plannedNested(nested *instance, np *tplan, nodes, text *int) bool {
	*nodes += np.nodes
	*text += np.textBytes
	for _, ref := range np.refs {
		if ref.slot >= len(nested.vals) || nested.vals[ref.slot].typ == valBinXML {
			return false
		}
		if !st.plannedValue(nested.vals[ref.slot], text) {
			return false
		}
	}
	return true
}

// planLeaves is leaves for a planned element n: its leaf elements' texts
// into m by element name.
func (st *fastState) planLeaves(n *tnode, vals []valRef, m map[string]string) {
	if len(n.children) == 0 {
		start := len(st.text)
		st.text = st.appendPieces(st.text, n.content, vals)
		put(m, n.name, string(st.text[start:]))
		return
	}
	for _, c := range n.children {
		st.planLeaves(c, vals, m)
	}
}

// plannedValues checks the substitutions inst's template renders: in
// range, nested BinXML only in Event's and UserData's content, every
// other value one the renderer takes. text grows by a bound on their
// rendered size.
func (st *fastState) plannedValues(inst *instance, p *tplan, text *int) bool {
	for _, ref := range p.refs {
		if ref.slot >= len(inst.vals) {
			return false
		}
		v := inst.vals[ref.slot]
		if v.typ == valBinXML {
			if !ref.nestable {
				return false
			}
			continue
		}
		if !st.plannedValue(v, text) {
			return false
		}
	}
	return true
}

// plannedValue reports whether appendValue renders v, adding a bound on
// its size to text.
func (st *fastState) plannedValue(v valRef, text *int) bool {
	switch v.typ {
	case valNull:
		return true
	case valString, valAnsi, valInt8, valUInt8, valInt16, valUInt16, valInt32, valUInt32,
		valInt64, valUInt64, valHex32, valHex64, valReal64, valBool, valBinary, valGUID,
		valFileTime, valSysTime, valSID:
		*text += 4*v.size + 48
		return true
	}
	*text += 16*v.size + 64
	scratch, ok := st.appendValue(st.scratch[:0], v)
	st.scratch = scratch[:0]
	return ok
}

// appendPieces renders a planned element's content (its own text, as a
// node's text is) from vals.
func (st *fastState) appendPieces(dst []byte, pieces []piece, vals []valRef) []byte {
	for i := range pieces {
		dst = st.appendPiece(dst, &pieces[i], vals)
	}
	return dst
}

func (st *fastState) appendPiece(dst []byte, pc *piece, vals []valRef) []byte {
	if pc.kind == pieceText {
		return append(dst, pc.text...)
	}
	if v := vals[pc.sub]; v.typ != valNull {
		dst, _ = st.appendValue(dst, v) // plannedValues checked it renders
	}
	return dst
}

// planSystem reads System through a plan.
type planSystem struct {
	st   *fastState
	vals []valRef
	sys  *[sCount]*tnode
}

func (s *planSystem) text(k int) ([]byte, bool) {
	n := s.sys[k]
	if n == nil {
		return nil, false
	}
	start := len(s.st.text)
	s.st.text = s.st.appendPieces(s.st.text, n.content, s.vals)
	return trimSpaceBytes(s.st.text[start:]), true
}

// attrPiece returns attribute name of child k, and whether the rendered
// element has it (an optional substitution with no value drops it).
func (s *planSystem) attrPiece(k int, name string) (*piece, bool) {
	n := s.sys[k]
	if n == nil {
		return nil, false
	}
	for i := range n.attrs {
		a := &n.attrs[i]
		if a.name != name {
			continue
		}
		if a.value.kind == pieceOptSub && s.vals[a.value.sub].typ == valNull {
			return nil, false
		}
		return &a.value, true
	}
	return nil, false
}

func (s *planSystem) attr(k int, name string) ([]byte, bool) {
	pc, ok := s.attrPiece(k, name)
	if !ok {
		return nil, false
	}
	start := len(s.st.text)
	s.st.text = s.st.appendPiece(s.st.text, pc, s.vals)
	return s.st.text[start:], true
}

func (s *planSystem) attrString(k int, name string) string {
	pc, ok := s.attrPiece(k, name)
	switch {
	case !ok:
		return ""
	case pc.kind == pieceText:
		return pc.text
	case s.vals[pc.sub].typ == valNull:
		return "" // a required substitution with no value renders empty
	}
	return s.st.internValue(s.vals[pc.sub], false)
}

func (s *planSystem) textString(k int) (string, bool) {
	if v, ok := s.single(k); ok {
		return s.st.internValue(v, true), true
	}
	b, ok := s.text(k)
	if !ok {
		return "", false
	}
	return s.st.intern(b), true
}

func (s *planSystem) single(k int) (valRef, bool) {
	n := s.sys[k]
	if n == nil || len(n.content) != 1 || n.content[0].kind == pieceText {
		return valRef{}, false
	}
	v := s.vals[n.content[0].sub]
	return v, v.typ != valNull
}

func (s *planSystem) singleAttr(k int, name string) (valRef, bool) {
	pc, ok := s.attrPiece(k, name)
	if !ok || pc.kind == pieceText {
		return valRef{}, false
	}
	v := s.vals[pc.sub]
	return v, v.typ != valNull
}

func (s *planSystem) time(k int, name string) (time.Time, bool, bool) {
	if _, ok := s.attrPiece(k, name); !ok {
		return time.Time{}, false, true
	}
	if v, ok := s.singleAttr(k, name); ok {
		// A FILETIME or SYSTEMTIME renders as non-empty text: read the
		// value itself, without rendering it, when the text would parse.
		if t, ok := s.st.valueTime(v.typ, v.off); ok {
			return t, true, true
		}
	}
	text, _ := s.attr(k, name)
	if len(text) == 0 {
		return time.Time{}, false, true
	}
	t, ok := s.st.timeOfValue(false, 0, 0, text) // the value's own reading failed above
	return t, true, ok
}

// planEventData is eventData for a planned EventData element: its
// children's texts as values, Data elements keyed by their Name. With
// keep, only the names it holds are rendered, as keys and vals (partial
// is then true and m nil), unless a name repeats (the suffixes put gives
// depend on all of them) or every name is kept: such a record gets all
// its values in m.
func (st *fastState) planEventData(ed *tnode, vals []valRef, keep *nameSet) (m map[string]string, keys, values []string, partial bool) {
	c := st.edKeysOf(ed)
	all, unique := c.keys, c.distinct
	if all == nil { // a Name is a substitution: per record
		all = st.keys[:0]
		unnamed := 0
		for _, c := range ed.children {
			k, _ := st.dataKey(c, vals, &unnamed)
			all = append(all, k)
		}
		st.keys = all
		unique = keep != nil && distinct(all)
	}
	if keep != nil && unique {
		var kept []int
		if c.keys != nil {
			kept, keys = c.keptBy(keep) // the same for every record
		} else {
			kept = st.kept[:0]
			for i, k := range all {
				if keep.has(k) {
					kept = append(kept, i)
					keys = append(keys, k) // the record's own
				}
			}
			st.kept = kept
		}
		if len(kept) < len(all) {
			return nil, keys, st.renderKept(ed, vals, kept), true
		}
	}
	m = make(map[string]string, len(ed.children))
	if len(ed.children) == 0 {
		return m, nil, nil, false
	}
	lo := len(st.text)
	ends := st.ends[:0]
	for _, c := range ed.children {
		st.text = st.appendPieces(st.text, c.content, vals)
		ends = append(ends, int32(len(st.text)-lo))
	}
	st.ends = ends
	text := string(st.text[lo:])
	value := func(i int) string {
		start := int32(0)
		if i > 0 {
			start = ends[i-1]
		}
		return text[start:ends[i]]
	}
	for i, k := range all {
		before := len(m)
		m[k] = value(i)
		if len(m) == before {
			// A repeated name: again with put, which keeps the first value
			// and suffixes the others, as eventDataCareful does.
			m = map[string]string{}
			for j, k := range all {
				put(m, k, value(j))
			}
			return m, nil, nil, false
		}
	}
	return m, nil, nil, false
}

// renderKept renders the values of ed's children at kept, as one string
// sliced (one allocation per record, not per value), as the whole decode
// above does for all of them; one loop for both cost the whole decode
// 5 % (BenchmarkDecodeRealChunks).
func (st *fastState) renderKept(ed *tnode, vals []valRef, kept []int) []string {
	if len(kept) == 0 {
		return nil
	}
	lo := len(st.text)
	ends := st.ends[:0]
	for _, i := range kept {
		st.text = st.appendPieces(st.text, ed.children[i].content, vals)
		ends = append(ends, int32(len(st.text)-lo))
	}
	st.ends = ends
	text := string(st.text[lo:])
	out := st.valueSlots(len(kept))
	start := int32(0)
	for j, end := range ends {
		out[j] = text[start:end]
		start = end
	}
	return out
}

// valueSlots returns n strings for a record's values, carved from a block
// shared by the chunk's records.
func (st *fastState) valueSlots(n int) []string {
	if len(st.valSlab)+n > cap(st.valSlab) {
		st.valSlab = make([]string, 0, max(512, n))
	}
	out := st.valSlab[len(st.valSlab) : len(st.valSlab)+n : len(st.valSlab)+n]
	st.valSlab = st.valSlab[:len(st.valSlab)+n]
	return out
}

// edKeys caches on an EventData element of a compiled template what its
// shape decides: its children's keys when no Name is a substitution, and
// which of them a partial decode keeps.
type edKeys struct {
	keys     []string // nil: some key depends on the record
	distinct bool     // no key twice
	keepBy   *nameSet
	kept     []int
	keptKeys []string // the keys at kept, shared by the partial records
}

func (st *fastState) edKeysOf(ed *tnode) *edKeys {
	if ed.ed != nil {
		return ed.ed
	}
	c := &edKeys{}
	constant := true
	keys := make([]string, 0, len(ed.children))
	unnamed := 0
	for _, ch := range ed.children {
		k, ok := st.dataKey(ch, nil, &unnamed)
		if !ok {
			constant = false
			break
		}
		keys = append(keys, k)
	}
	if constant {
		c.keys, c.distinct = keys, distinct(keys)
	}
	ed.ed = c
	return c
}

// keptBy returns the positions of the keys keep holds, and those keys.
// The keys are shared by the records decoded with them: another keep gets
// new slices, never these rewritten.
func (c *edKeys) keptBy(keep *nameSet) ([]int, []string) {
	if c.keepBy != keep {
		c.kept, c.keptKeys = nil, nil
		for i, k := range c.keys {
			if keep.has(k) {
				c.kept = append(c.kept, i)
				c.keptKeys = append(c.keptKeys, k)
			}
		}
		c.keepBy = keep
	}
	return c.kept, c.keptKeys
}

// dataKey is the key of an EventData child: its name, or for a Data
// element its Name attribute, or param1, param2, ... (unnamed counts them).
// With vals nil it answers only for keys the template decides: ok is
// false when the Name is a substitution.
func (st *fastState) dataKey(c *tnode, vals []valRef, unnamed *int) (key string, ok bool) {
	if c.name != "Data" {
		return c.name, true
	}
	for i := range c.attrs {
		a := &c.attrs[i]
		if a.name != "Name" {
			continue
		}
		switch {
		case a.value.kind == pieceText:
			if a.value.text != "" {
				return a.value.text, true
			}
		case vals == nil:
			return "", false
		case vals[a.value.sub].typ != valNull:
			start := len(st.text)
			st.text = st.appendPiece(st.text, &a.value, vals)
			if len(st.text) > start {
				return st.intern(st.text[start:]), true
			}
		}
		break
	}
	*unnamed++
	return "param" + strconv.Itoa(*unnamed), true
}

// distinct reports whether keys holds no name twice (a few dozen at most
// in practice; a long list is answered no rather than sorted).
func distinct(keys []string) bool {
	if len(keys) > 64 {
		return false
	}
	for i, k := range keys {
		for _, k2 := range keys[:i] {
			if k == k2 {
				return false
			}
		}
	}
	return true
}
