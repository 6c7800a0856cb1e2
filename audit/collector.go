package audit

import (
	"slices"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/mapping"
	"github.com/shadowscan/shadowscan/report"
)

// Bounds on what the collector keeps, so that hostile evidence (a record
// per made-up computer name, a made-up field name per record) cannot grow
// memory without limit. Beyond a bound the counts stay exact and the report
// says what was cut.
const (
	maxHosts          = 4096 // further hosts are counted under overflowHost
	maxNames          = 64   // name variants per host
	maxSourcesPerHost = 512  // (channel, event id) pairs per host
	maxFieldsPerSrc   = 2048 // distinct field names per source
	maxFilesPerList   = 256  // files listed per channel or source
	maxHostFiles      = 4096 // files listed per host (a KAPE triage holds ~350 logs per host)
	maxEvents         = 200  // policy events (4719, 1102, ...) kept per host and kind
	maxRuns           = 4096 // runs of consecutive record ids kept per file
	maxCategories     = 16   // event.category values per source
)

const overflowHost = "(other hosts)"

const (
	channelSecurity = "security"
	channelSystem   = "system"
	channelSysmon   = "microsoft-windows-sysmon/operational"
)

// Collector accumulates, document by document, what the audit needs:
// counters and small sets per host, per source and per file, never the
// documents. Add it every mapped record in scan order; Report then joins the
// evidence with the reader's accounting and the rules. A Collector is not
// safe for concurrent use (the reader emits from one goroutine).
type Collector struct {
	lowered  map[string]string // channel names in lower case, cached
	tasks    map[string]int64  // Security task names to subcategory ids, cached
	hosts    map[string]*hostAcc
	files    map[string]*fileAcc
	policies []Policy
	// tracked, when not nil, are the only fields whose presence per source
	// is recorded (see TrackFields); nil records every field.
	tracked []string
	memo    memo
	// lastFile is the entry of files last looked up for a record's
	// header (consecutive records share their file); entries are never
	// replaced.
	lastFile *fileAcc
}

// TrackFields limits the per-source field inventory to fields: the fields
// of the rules Report will be given (detect.Analysis Fields), which are the
// only ones its verdicts ask about. Report's findings are then the same as
// without it, and Add no longer looks at every field of every document,
// only at these, and at none once a source has shown them all. Report must
// not be given rules that use other fields: those would read as absent.
// Call it before the first Add; RuleFields lists the fields of rules.
func (c *Collector) TrackFields(fields []string) {
	c.tracked = []string{}
	for _, f := range fields {
		if !slices.Contains(c.tracked, f) {
			c.tracked = append(c.tracked, f)
		}
	}
}

// NewCollector returns an empty Collector.
func NewCollector() *Collector {
	return &Collector{hosts: map[string]*hostAcc{}, files: map[string]*fileAcc{}, lowered: map[string]string{}, tasks: map[string]int64{}}
}

// lower returns s in lower case, cached for the few channel names a scan
// meets (bounded, so hostile names cannot grow it).
func (c *Collector) lower(s string) string {
	if l, ok := c.lowered[s]; ok {
		return l
	}
	l := strings.ToLower(s)
	if len(c.lowered) < maxSourcesPerHost {
		c.lowered[s] = l
	}
	return l
}

// AddPolicy records an auditpol output (see ParseAuditpol) as direct
// evidence for the host named in its Machine Name column.
func (c *Collector) AddPolicy(p Policy) {
	c.policies = append(c.policies, p)
	if p.Machine != "" {
		c.host(p.Machine)
	}
}

type hostAcc struct {
	key       string
	names     map[string]*int // records per name variant
	namesCut  int
	records   int
	first     time.Time
	last      time.Time
	channels  map[string]*channelAcc
	sources   map[sourceKey]*sourceAcc
	sourceCut int // records whose source was not tracked (bound reached)
	files     map[string]bool
	filesCut  bool

	sysmonOFN     int      // Sysmon events of any id carrying OriginalFileName
	sysmon1OFN    int      // Sysmon EID 1 carrying OriginalFileName
	sysmonVersion []string // Version values of Sysmon EID 4, as written
	sysmonStates  eventList
	sysmonConfigs eventList
	cleared       eventList // 1102, 104
	logService    eventList // 1100, 1104, 1105
	changes       []policyChange
	changesCut    int

	// exported names the channels (lower case) with records from exported
	// files, set by Report: absence in a filtered export proves little.
	exported map[string]bool

	cmdline4688  int
	file4656     int
	file4656Succ int
	file4656Fail int
	subcats      map[string]*subcatAcc // by GUID
	lastSubcat   *subcatAcc            // the one the last Security record counted in
}

type channelAcc struct {
	name    string // as first written
	records int
	first   time.Time
	last    time.Time
	files   fileCounts
}

type sourceKey struct {
	channel string // lower case
	eventID int64
}

type sourceAcc struct {
	channel    string // as first written
	eventID    int64
	records    int
	first      time.Time
	last       time.Time
	categories map[string]bool
	fields     map[string]bool // fields present in at least one record
	fieldsCut  bool
	files      fileCounts
	unseen     unseenCache
}

// unseenCache is what Collector.unseenFields keeps for a source: the
// tracked fields it has not shown that records of provider may have,
// while fields holds shown of them.
type unseenCache struct {
	ok       bool
	provider string
	shown    int
	fields   []string
}

type subcatAcc struct {
	sub         Subcategory
	lastEventID int64 // the event ID last put in eventIDs
	success     int
	failure     int
	other       int
	eventIDs    map[int64]bool
	first       time.Time
	last        time.Time
	lastSucc    time.Time
	lastFail    time.Time
}

// fileCounts counts records per evidence file, with the range of record ids.
type fileCounts struct {
	m   map[string]*FileCount
	cut int
}

// find returns path's FileCount, made if the bound on files leaves room,
// nil if it does not.
func (f *fileCounts) find(path string) *FileCount {
	if f.m == nil {
		f.m = map[string]*FileCount{}
	}
	fc := f.m[path]
	if fc == nil && len(f.m) < maxFilesPerList {
		fc = &FileCount{Path: path}
		f.m[path] = fc
	}
	return fc
}

// addTo counts a record in fc, the FileCount find returned (nil: cut).
func (f *fileCounts) addTo(fc *FileCount, rid uint64, hasRID bool) {
	if fc == nil {
		f.cut++
		return
	}
	fc.Records++
	if hasRID {
		if fc.FirstRecordID == 0 || rid < fc.FirstRecordID {
			fc.FirstRecordID = rid
		}
		if rid > fc.LastRecordID {
			fc.LastRecordID = rid
		}
	}
}

type eventList struct {
	events []Event
	total  int
}

func (l *eventList) add(e Event) {
	l.total++
	if len(l.events) < maxEvents {
		l.events = append(l.events, e)
	}
}

type policyChange struct {
	PolicyChange
	at time.Time
}

// hostKey groups the name variants of one machine: "DC01", "dc01" and
// "DC01.corp.local" are the same host to a responder. The key is the first
// DNS label in upper case; two machines with the same short name in two
// domains would be merged, and the variants list shows it.
func hostKey(computer string) string {
	name := strings.TrimSpace(computer)
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	return strings.ToUpper(name)
}

func (c *Collector) host(computer string) *hostAcc {
	key := hostKey(computer)
	h := c.hosts[key]
	if h == nil {
		if len(c.hosts) >= maxHosts-1 { // the last place is the overflow's
			key = overflowHost
			h = c.hosts[key]
		}
		if h == nil {
			h = &hostAcc{
				key:      key,
				names:    map[string]*int{},
				channels: map[string]*channelAcc{},
				sources:  map[sourceKey]*sourceAcc{},
				files:    map[string]bool{},
				subcats:  map[string]*subcatAcc{},
			}
			c.hosts[key] = h
		}
	}
	return h
}

// AddRecord is Add with the decoded record at hand: besides the document it
// notes whether the record header's number differs from its EventRecordID,
// which tells an exported log (whose EventRecordID gaps are expected) from
// a live one (where they suggest deleted records). Callers that have the
// record should prefer it to Add.
func (c *Collector) AddRecord(r *evtx.Record, d mapping.Doc) {
	c.Add(d)
	c.fileHeader(r)
}

// fileHeader notes whether r's header number differs from its
// EventRecordID.
func (c *Collector) fileHeader(r *evtx.Record) {
	if r == nil || r.Path == "" {
		return
	}
	f := c.lastFile
	if f == nil || f.path != r.Path {
		if f = c.files[r.Path]; f == nil {
			return
		}
		c.lastFile = f
	}
	f.headers++
	if r.HeaderRecordID != r.RecordID {
		f.renumbered++
	}
}

// Add takes one mapped record into account.
func (c *Collector) Add(d mapping.Doc) {
	c.add(c.eventFromDoc(d), d)
}

// event is what the collector counts every record by: read from its
// document (eventFromDoc), or worked out from the record without one
// (eventFromRecord, for the records NeedsDocument lets through).
type event struct {
	computer, channel, provider, path string
	eid                               int64
	rid                               uint64
	hasRID                            bool
	ts                                time.Time
	categories                        []string
	objectType                        string
	outcome                           string
	task                              int64 // subcategory message id of winlog.task, 0 if none
	commandLine                       bool  // the event data or process.command_line holds a command line
	originalFileName                  bool  // winlog.event_data.OriginalFileName is set
	peOriginalFileName                bool  // process.pe.original_file_name is set
	// sub is the audit subcategory of a Security event (subOK), worked
	// out with the rest so that the scan does it on its workers.
	sub   Subcategory
	subOK bool
}

// classify sets ev.sub from the event ID, task and object type.
func (ev *event) classify() {
	ev.sub, ev.subOK = subcategoryOfEvent(ev.eid, ev.task, ev.objectType)
}

func (c *Collector) eventFromDoc(d mapping.Doc) event {
	ev := event{
		computer:   docString(d, "winlog.computer_name"),
		channel:    docString(d, "winlog.channel"),
		provider:   docString(d, "winlog.provider_name"),
		path:       docString(d, "log.file.path"),
		ts:         report.DocTime(d),
		categories: docStrings(d, "event.category"),
		outcome:    outcome(d),
	}
	if ev.computer == "" {
		ev.computer = docString(d, "host.name")
	}
	if ev.provider == "" {
		ev.provider = docString(d, "event.provider")
	}
	if readsEventData(channelOf(ev.channel, ev.provider)) {
		ev.objectType = docString(d, "winlog.event_data.ObjectType")
		ev.commandLine = docHas(d, "winlog.event_data.CommandLine") || docHas(d, "process.command_line")
		ev.originalFileName = docHas(d, "winlog.event_data.OriginalFileName")
		ev.peOriginalFileName = docHas(d, "process.pe.original_file_name")
	}
	ev.eid, _ = docInt(d, "winlog.event_id")
	if ev.eid == 0 {
		ev.eid, _ = docInt(d, "event.code")
	}
	ev.rid, ev.hasRID = docUint(d, "winlog.record_id")
	// winlog.task is the subcategory's name as the mapping renders it
	// ("File System"), or its number from other sources.
	if name, ok := d["winlog.task"].(string); ok {
		ev.task = c.taskID(name)
	} else {
		ev.task, _ = docInt(d, "winlog.task")
	}
	ev.classify()
	return ev
}

// eventFromRecord is eventFromDoc(mapping.Map(r)) without the document,
// for a record NeedsDocument does not hold back: the mapping's own answers
// (mapping.Kept, Timestamp, Outcome, ...) stand for the fields of the
// document. The differential tests hold the two to the same events.
func eventFromRecord(r *evtx.Record) event { return eventFrom(r, kindOf(r), &dataLookups{r: r}) }

// eventFrom is eventFromRecord with the facts of r's kind k and l's event
// data answers, which needsDocument may have asked for already.
func eventFrom(r *evtx.Record, k *kindFacts, l *dataLookups) event {
	ev := event{
		computer:   k.computer,
		channel:    k.channel,
		provider:   k.provider,
		path:       mapping.Kept(r, r.Path),
		eid:        int64(r.EventID),
		rid:        r.RecordID,
		hasRID:     true,
		ts:         mapping.Timestamp(r),
		categories: k.categories,
		outcome:    k.outcome,
		task:       k.task,
	}
	if k.readsData {
		ev.objectType, _ = l.get(dataObjectType)
		ofn, _ := l.get(dataOriginalFileName)
		ev.originalFileName = ofn != ""
		pe, _ := mapping.FieldValues(r, "process.pe.original_file_name")
		ev.peOriginalFileName = len(pe) > 0 && pe[0] != ""
		// A 4688's process.command_line is its event data CommandLine,
		// so only a Sysmon process start needs the second look.
		cmd, _ := l.get(dataCommandLine)
		ev.commandLine = cmd != ""
		if !ev.commandLine {
			pcl, _ := mapping.FieldValues(r, "process.command_line")
			ev.commandLine = len(pcl) > 0 && pcl[0] != ""
		}
	}
	if k.subByTask {
		ev.sub, ev.subOK = k.sub, true
	} else {
		ev.classify()
	}
	return ev
}

// kindFacts is what the audit works out from a record's kind alone, the
// System fields kindKey holds, which a log's records repeat.
type kindFacts struct {
	computer, channel, provider string // as mapping.Kept gives them
	lch                         string // channelOf
	readsData                   bool   // readsEventData(lch)
	categories                  []string
	outcome                     string
	task                        int64 // the subcategory id of the task's name
	// sub is the record's subcategory when its task names one (subByTask):
	// classify's answer then, whatever the object type.
	sub       Subcategory
	subByTask bool
}

// kindKey is what kindOf reads of a record.
type kindKey struct {
	provider, channel, computer, keywords string
	eventID, task                         int
	hasTask                               bool
}

func kindKeyOf(r *evtx.Record) kindKey {
	k := kindKey{provider: r.Provider, channel: r.Channel, computer: r.Computer, keywords: r.Keywords, eventID: r.EventID}
	if r.Task != nil {
		k.task, k.hasTask = *r.Task, true
	}
	return k
}

// kindOf works out the facts of r's kind.
func kindOf(r *evtx.Record) *kindFacts {
	k := &kindFacts{
		computer:   mapping.Kept(r, r.Computer),
		channel:    mapping.Kept(r, r.Channel),
		provider:   mapping.Kept(r, r.Provider),
		categories: mapping.EventCategories(r),
		outcome:    mapping.Outcome(r),
	}
	k.lch = channelOf(k.channel, k.provider)
	k.readsData = readsEventData(k.lch)
	if name, ok := mapping.TaskName(r); ok {
		if sub, ok := SubcategoryByName(name); ok {
			k.task = int64(sub.ID) // as taskID, without its cache
		}
	}
	if k.task > 0 {
		k.sub, k.subByTask = subcategoryByID(int(k.task))
	}
	return k
}

// NeedsDocument reports whether the audit must see r's mapped document
// rather than the record alone: the policy events it lists one by one
// (4719, 1102, Sysmon 4 and 16, ...), and records whose command line,
// object type or OriginalFileName only the mapping can tell. AddLazy asks
// for the document then, and also when a record may show a rule field its
// source has not shown yet and the mapping cannot tell its value without
// the document.
func NeedsDocument(r *evtx.Record) bool {
	return r == nil || needsDocument(r, kindOf(r), &dataLookups{r: r})
}

// needsDocument is NeedsDocument with the facts of r's kind k, asking l
// for event data.
func needsDocument(r *evtx.Record, k *kindFacts, l *dataLookups) bool {
	eid := r.EventID
	switch k.lch {
	case channelSysmon:
		if eid == 4 || eid == 16 {
			return true
		}
		_, knownData := l.get(dataOriginalFileName)
		_, knownPE := mapping.FieldValues(r, "process.pe.original_file_name")
		return !knownData || eid == 1 && !knownPE
	case channelSecurity:
		switch eid {
		case 4719, 1102, 1100, 1104, 1105:
			return true
		}
		_, knownCmd := l.get(dataCommandLine)
		_, knownType := l.get(dataObjectType)
		return !knownCmd || !knownType
	case channelSystem:
		return eid == 104
	}
	return false
}

// readsEventData reports whether the collector reads an event's object
// type, command line and original file names on the channel lch (the
// Security and Sysmon accounting, addSecurity and addSysmon): the events
// of other channels are counted without them.
func readsEventData(lch string) bool {
	return lch == channelSecurity || lch == channelSysmon
}

// channelOf returns the lower-case channel the collector files a record
// under: Sysmon events whose channel is missing go under Sysmon's.
func channelOf(channel, provider string) string {
	if channel == "" && strings.EqualFold(provider, "Microsoft-Windows-Sysmon") {
		return channelSysmon
	}
	for _, known := range [...]string{channelSecurity, channelSysmon, channelSystem} {
		if lowerIs(channel, known) {
			return known
		}
	}
	return strings.ToLower(channel)
}

// lowerIs reports whether strings.ToLower(s) == lower, for an ASCII lower
// without ToLower's allocation when s is ASCII too.
func lowerIs(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.ToLower(s) == lower
		}
	}
	return len(s) == len(lower) && strings.EqualFold(s, lower)
}

// Prepared is what Prepare works out about a record for AddPrepared: a
// pure function of the record, so that the scan computes it on its
// decoding workers, in parallel, and the collector's own goroutine only
// counts.
type Prepared struct {
	needsDoc bool
	ev       event
}

// NeedsDocument reports whether the record needs its document
// (NeedsDocument of the record).
func (p Prepared) NeedsDocument() bool { return p.needsDoc }

// Prepare works out what AddPrepared needs to know about r without its
// document. It is safe for concurrent use.
func Prepare(r *evtx.Record) Prepared {
	if r == nil {
		return Prepared{needsDoc: true}
	}
	return prepare(r, kindOf(r))
}

// prepare is Prepare of a record r (not nil) of the kind k.
func prepare(r *evtx.Record, k *kindFacts) Prepared {
	l := dataLookups{r: r}
	if needsDocument(r, k, &l) {
		return Prepared{needsDoc: true}
	}
	return Prepared{ev: eventFrom(r, k, &l)}
}

// A Preparer is Prepare for one goroutine: it remembers the facts of the
// last kinds of records it saw (kindOf), as a log's records repeat their
// provider, channel, computer, event id, keywords and task. The zero value
// is ready; a Preparer is not safe for concurrent use.
type Preparer struct {
	// kinds are the last kinds seen, looked through first: a log's
	// records cycle through a few.
	kinds [maxPreparerKinds]struct {
		key   kindKey
		facts *kindFacts
	}
	next int
	// more holds every kind seen, up to maxPreparerMore: a log of many
	// providers (Application, System) cycles through more than kinds
	// holds, and working a kind out again costs more than a map look-up.
	more map[kindKey]*kindFacts
}

// maxPreparerKinds is how many kinds a Preparer looks through first, and
// maxPreparerMore how many it keeps in all (hostile logs can make up any
// number of kinds).
const (
	maxPreparerKinds = 8
	maxPreparerMore  = 4096
)

// Prepare is the package's Prepare.
func (p *Preparer) Prepare(r *evtx.Record) Prepared {
	if r == nil {
		return Prepared{needsDoc: true}
	}
	key := kindKeyOf(r)
	for i := range p.kinds {
		if k := &p.kinds[i]; k.facts != nil && k.key == key {
			return prepare(r, k.facts)
		}
	}
	facts := p.more[key]
	if facts == nil {
		facts = kindOf(r)
		if p.more == nil || len(p.more) >= maxPreparerMore {
			p.more = map[kindKey]*kindFacts{}
		}
		p.more[key] = facts
	}
	p.kinds[p.next].key, p.kinds[p.next].facts = key, facts
	p.next = (p.next + 1) % len(p.kinds)
	return prepare(r, facts)
}

// The event data names the audit reads from a record without its
// document (mapping.EventDataString), in dataLookups' order.
const (
	dataCommandLine = iota
	dataObjectType
	dataOriginalFileName
	dataNames
)

// dataLookups asks mapping.EventDataString once per name and record:
// needsDocument and eventFrom both read them.
type dataLookups struct {
	r     *evtx.Record
	asked [dataNames]bool
	known [dataNames]bool
	value [dataNames]string
}

func (l *dataLookups) get(name int) (string, bool) {
	if !l.asked[name] {
		l.value[name], l.known[name] = mapping.EventDataString(l.r, [dataNames]string{"CommandLine", "ObjectType", "OriginalFileName"}[name])
		l.asked[name] = true
	}
	return l.value[name], l.known[name]
}

// AddLazy takes r into account as AddRecord(r, mapping.Map(r)) would,
// calling mapDoc for the document only when the audit needs it (see
// NeedsDocument): the scan maps just the records something needs, and
// most records need nothing but their origin and kind.
func (c *Collector) AddLazy(r *evtx.Record, mapDoc func() mapping.Doc) {
	p := Prepare(r)
	c.AddPrepared(r, &p, mapDoc)
}

// AddPrepared is AddLazy with Prepare(r) already worked out.
func (c *Collector) AddPrepared(r *evtx.Record, p *Prepared, mapDoc func() mapping.Doc) {
	if c.tracked == nil || p.needsDoc {
		c.AddRecord(r, mapDoc())
		return
	}
	ev := p.ev
	// A rule field the record's source has not shown yet is learnt from
	// the record, when its kind can have it at all.
	var src *sourceAcc
	if s := c.memo.source(ev.eid); s != nil && c.memo.sameOrigin(ev) {
		src = s.src
	} else if h := c.hosts[hostKey(ev.computer)]; h != nil {
		channel, _ := c.channelNames(ev)
		src = h.sources[sourceKey{channel, ev.eid}]
	}
	// The record's values for those fields come from the mapping's own
	// answers (mapping.FieldValues) when it has them, else from the
	// document: a source that never shows a field (Sysmon without
	// OriginalFileName, 4688 without command lines) must not cost a
	// document per record.
	var shown []string
	if src == nil || len(src.fields) != len(c.tracked) {
		unseen, byKind := c.unseenFields(src, r)
		for _, k := range unseen {
			if (!byKind || recordDependent(k)) && !mapping.MayHave(r, k) {
				continue
			}
			vals, known := mapping.FieldValues(r, k)
			if !known {
				c.AddRecord(r, mapDoc())
				return
			}
			if len(vals) > 0 {
				shown = append(shown, k)
			}
		}
	}
	c.addRecordEvent(r, ev)
	if len(shown) > 0 {
		c.addShown(ev, shown)
	}
}

// unseenFields returns the tracked fields src has not shown yet (all of
// them without a source). byKind says that those records of r's kind
// cannot have (mapping.MayHave) are left out already, but for the event
// and user data fields, which depend on the record: a source keeps that
// list while it shows nothing new, so that a source which never shows
// some field (a 4656 has no command line) costs no lookups per record.
func (c *Collector) unseenFields(src *sourceAcc, r *evtx.Record) (fields []string, byKind bool) {
	if src == nil {
		return c.tracked, false
	}
	u := &src.unseen
	if u.ok && u.provider == r.Provider && u.shown == len(src.fields) {
		return u.fields, true
	}
	u.fields = u.fields[:0]
	for _, k := range c.tracked {
		if src.fields[k] || !recordDependent(k) && !mapping.MayHave(r, k) {
			continue
		}
		u.fields = append(u.fields, k)
	}
	u.ok, u.provider, u.shown = true, r.Provider, len(src.fields)
	return u.fields, true
}

// recordDependent reports whether mapping.MayHave's answer for field
// depends on the record rather than on its provider and event id alone.
func recordDependent(field string) bool {
	return strings.HasPrefix(field, "winlog.event_data.") || strings.HasPrefix(field, "winlog.user_data.")
}

// addShown records fields as present in the source of ev, which add has
// just counted (as addFields does from a document).
func (c *Collector) addShown(ev event, fields []string) {
	// add remembered where it counted ev (memo), the overflow host and
	// the bound on sources included.
	s := c.memo.source(ev.eid)
	if s == nil || !c.memo.sameOrigin(ev) || s.src == nil {
		return // left out by the bound on sources: counted as cut
	}
	src := s.src
	for _, k := range fields {
		if _, seen := src.fields[k]; !seen {
			src.addField(k)
		}
	}
}

// addRecordEvent is AddRecord for an event made without a document.
func (c *Collector) addRecordEvent(r *evtx.Record, ev event) {
	c.add(ev, nil)
	c.fileHeader(r)
}

// channelNames returns the lower-case channel key and the channel name as
// written, with eventless Sysmon records filed under Sysmon's channel.
func (c *Collector) channelNames(ev event) (lch, channel string) {
	lch, channel = c.lower(ev.channel), ev.channel
	if lch == "" && strings.EqualFold(ev.provider, "Microsoft-Windows-Sysmon") {
		lch, channel = channelSysmon, "Microsoft-Windows-Sysmon/Operational"
	}
	return lch, channel
}

// places are where an event is counted: its host and name variant, its
// channel, source and file, and the per-file entries of the channel and
// the source. A nil pointer is a place a bound left out, counted as cut.
type places struct {
	h       *hostAcc
	name    *int
	ch      *channelAcc
	chFile  *FileCount
	src     *sourceAcc
	srcFile *FileCount
	file    *fileAcc
}

// find returns ev's places, making them as the bounds allow, and fills
// the sets one mention per place is enough for (the host's files, the
// source's categories).
func (c *Collector) find(ev event) places {
	var p places
	p.h = c.host(ev.computer)
	h := p.h
	if p.name = h.names[ev.computer]; p.name == nil && len(h.names) < maxNames {
		p.name = new(int)
		h.names[ev.computer] = p.name
	}
	lch, channel := c.channelNames(ev)
	path := ev.path
	if len(h.files) < maxHostFiles || h.files[path] {
		h.files[path] = true
	} else {
		h.filesCut = true
	}
	if p.ch = h.channels[lch]; p.ch == nil {
		p.ch = &channelAcc{name: channel}
		h.channels[lch] = p.ch
	}
	p.chFile = p.ch.files.find(path)
	sk := sourceKey{lch, ev.eid}
	if p.src = h.sources[sk]; p.src == nil && len(h.sources) < maxSourcesPerHost {
		p.src = &sourceAcc{channel: channel, eventID: ev.eid, categories: map[string]bool{}, fields: map[string]bool{}}
		h.sources[sk] = p.src
	}
	if p.src != nil {
		p.srcFile = p.src.files.find(path)
		for _, cat := range ev.categories {
			if len(p.src.categories) < maxCategories {
				p.src.categories[strings.ToLower(cat)] = true
			}
		}
	}
	if path != "" {
		p.file = c.file(path, h.key)
	}
	return p
}

// count counts ev in its places; d is its document, nil when
// NeedsDocument let the record through without one.
func (c *Collector) count(p places, ev event, d mapping.Doc) {
	h := p.h
	if p.name != nil {
		*p.name++
	} else {
		h.namesCut++
	}
	h.records++
	rid, hasRID, ts := ev.rid, ev.hasRID, ev.ts
	widen(&h.first, &h.last, ts)
	p.ch.records++
	widen(&p.ch.first, &p.ch.last, ts)
	p.ch.files.addTo(p.chFile, rid, hasRID)
	if src := p.src; src != nil {
		src.records++
		widen(&src.first, &src.last, ts)
		src.files.addTo(p.srcFile, rid, hasRID)
		if d != nil {
			src.addFields(d, c.tracked)
		}
	} else {
		h.sourceCut++
	}
	c.addSpecial(h, ev, d)
	if p.file != nil {
		p.file.add(rid, hasRID, ts)
	}
}

// memo remembers the places of the last events without a document:
// consecutive records of a log share their host, channel and file, and
// cycle through a few event IDs (a Security log's logons, logoffs and
// privileges; an Application log's providers' several), so the next such
// event is counted in the same places without looking them up again. The
// pointers stay valid (the maps hold pointers), and a place a bound left
// out stays left out.
type memo struct {
	ok                                bool
	computer, channel, provider, path string
	at                                places        // the origin's places; src and srcFile from sources
	sources                           [8]memoSource // by event ID, the most recent first
}

type memoSource struct {
	ok      bool
	eid     int64
	src     *sourceAcc
	srcFile *FileCount
}

func (m *memo) sameOrigin(ev event) bool {
	return m.ok && ev.computer == m.computer && ev.channel == m.channel && ev.path == m.path && ev.provider == m.provider
}

// source returns the remembered places of ev's event ID, nil if none.
func (m *memo) source(eid int64) *memoSource {
	for i := range m.sources {
		if s := &m.sources[i]; s.ok && s.eid == eid {
			return s
		}
	}
	return nil
}

// places returns ev's remembered places, if the memo holds them all.
func (m *memo) places(ev event) (places, bool) {
	if !m.sameOrigin(ev) {
		return places{}, false
	}
	s := m.source(ev.eid)
	if s == nil {
		return places{}, false
	}
	p := m.at
	p.src, p.srcFile = s.src, s.srcFile
	return p, true
}

// remember notes ev's places.
func (m *memo) remember(ev event, p places) {
	if !m.sameOrigin(ev) {
		*m = memo{ok: true, computer: ev.computer, channel: ev.channel, provider: ev.provider, path: ev.path, at: p}
	}
	copy(m.sources[1:], m.sources[:len(m.sources)-1])
	m.sources[0] = memoSource{ok: true, eid: ev.eid, src: p.src, srcFile: p.srcFile}
}

// add takes one event into account; d is its document, nil when
// NeedsDocument let the record through without one.
func (c *Collector) add(ev event, d mapping.Doc) {
	if d == nil {
		p, ok := c.memo.places(ev)
		if !ok {
			// The categories a source records need no second look at
			// the memo's next events: the same provider and event ID give
			// the same categories, and they have no document.
			p = c.find(ev)
			c.memo.remember(ev, p)
		}
		c.count(p, ev, nil)
		return
	}
	c.count(c.find(ev), ev, d)
}

// addSpecial does what the record's channel calls for beyond counting.
func (c *Collector) addSpecial(h *hostAcc, ev event, d mapping.Doc) {
	lch, channel := c.channelNames(ev)
	// evd makes the evidence entry for the few events kept one by one,
	// only for them (a value, not a closure, so that Add allocates
	// nothing).
	evd := evidence{eid: ev.eid, channel: channel, ts: ev.ts, path: ev.path, rid: ev.rid}
	switch lch {
	case channelSysmon:
		c.addSysmon(h, d, ev, evd)
	case channelSecurity:
		c.addSecurity(h, d, ev, evd)
	case channelSystem:
		if ev.eid == 104 && strings.Contains(strings.ToLower(ev.provider), "eventlog") {
			e := evd.event()
			e.Detail = clearedDetail(d, "log cleared")
			h.cleared.add(e)
		}
	}
}

// evidence is what an Event of the record being added is made of.
type evidence struct {
	eid     int64
	channel string
	ts      time.Time
	path    string
	rid     uint64
}

func (e evidence) event() Event {
	return Event{EventID: e.eid, Channel: e.channel, Time: formatTime(e.ts), Path: e.path, RecordID: e.rid}
}

// RuleFields returns the fields the compiled queries of rules read, for
// TrackFields.
func RuleFields(rules []*detect.Rule) []string {
	fields := []string{}
	for _, r := range rules {
		if r == nil || r.Compiled == nil {
			continue
		}
		for _, f := range r.Compiled.Analysis().Fields {
			if !slices.Contains(fields, f.Name) {
				fields = append(fields, f.Name)
			}
		}
	}
	return fields
}

// addFields records which fields of d are present: those in tracked, or
// every field when tracked is nil.
func (src *sourceAcc) addFields(d mapping.Doc, tracked []string) {
	if tracked != nil {
		// src.fields holds only tracked fields: once it holds them all
		// there is nothing left to learn from any record.
		if len(src.fields) == len(tracked) {
			return
		}
		for _, k := range tracked {
			if _, seen := src.fields[k]; !seen && present(d[k]) {
				src.addField(k)
			}
		}
		return
	}
	// Field presence, not counts: one map lookup per field keeps this
	// loop, which runs for every field of every record, cheap.
	for k, v := range d {
		if _, seen := src.fields[k]; seen || !present(v) {
			continue
		}
		src.addField(k)
	}
}

func (src *sourceAcc) addField(k string) {
	if len(src.fields) < maxFieldsPerSrc {
		src.fields[k] = true
	} else {
		src.fieldsCut = true
	}
}

func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []string:
		return len(v) > 0
	case []any:
		return len(v) > 0
	}
	return true
}

func widen(first, last *time.Time, t time.Time) {
	if t.IsZero() {
		return
	}
	if first.IsZero() || t.Before(*first) {
		*first = t
	}
	if last.IsZero() || t.After(*last) {
		*last = t
	}
}

// later moves *last forward to t.
func later(last *time.Time, t time.Time) {
	if t.After(*last) {
		*last = t
	}
}

// taskID returns the subcategory message id of a Security task name (0 if
// it names none), cached and bounded like lower.
func (c *Collector) taskID(name string) int64 {
	if id, ok := c.tasks[name]; ok {
		return id
	}
	var id int64
	if s, ok := SubcategoryByName(name); ok {
		id = int64(s.ID)
	}
	if len(c.tasks) < maxSourcesPerHost {
		c.tasks[name] = id
	}
	return id
}

func (c *Collector) addSysmon(h *hostAcc, d mapping.Doc, e event, evf evidence) {
	eid := e.eid
	if e.originalFileName || (eid == 1 && e.peOriginalFileName) {
		h.sysmonOFN++
		if eid == 1 {
			h.sysmon1OFN++
		}
	}
	switch eid {
	case 4: // Sysmon service state changed: State, Version, SchemaVersion
		ev := evf.event()
		v := docString(d, "winlog.event_data.Version")
		ev.Detail = joinNonEmpty(", ",
			prefixed("state ", docString(d, "winlog.event_data.State")),
			prefixed("version ", v),
			prefixed("schema ", docString(d, "winlog.event_data.SchemaVersion")))
		if v != "" && len(h.sysmonVersion) < maxEvents {
			h.sysmonVersion = append(h.sysmonVersion, v)
		}
		h.sysmonStates.add(ev)
	case 16: // Sysmon config state changed: Configuration, ConfigurationFileHash
		ev := evf.event()
		ev.Detail = joinNonEmpty(", ",
			prefixed("configuration ", docString(d, "winlog.event_data.Configuration")),
			prefixed("hash ", docString(d, "winlog.event_data.ConfigurationFileHash")))
		h.sysmonConfigs.add(ev)
	}
}

func (c *Collector) addSecurity(h *hostAcc, d mapping.Doc, e event, evf evidence) {
	eid, ts, provider := e.eid, e.ts, e.provider
	objectType := e.objectType
	out := e.outcome
	switch eid {
	case 4688:
		if e.commandLine {
			h.cmdline4688++
		}
	case 4656:
		if strings.EqualFold(objectType, "File") {
			h.file4656++
			switch out {
			case "success":
				h.file4656Succ++
			case "failure":
				h.file4656Fail++
			}
		}
	case 4719:
		h.addPolicyChange(d, ts, evf.event())
	case 1102:
		ev := evf.event()
		ev.Detail = clearedDetail(d, "Security log cleared")
		h.cleared.add(ev)
	case 1100, 1104, 1105:
		if eid == 1100 || strings.Contains(strings.ToLower(provider), "eventlog") {
			ev := evf.event()
			ev.Detail = map[int64]string{
				1100: "event logging service shut down",
				1104: "Security log full",
				1105: "Security log archived (auto-backup)",
			}[eid]
			h.logService.add(ev)
		}
	}
	if !e.subOK {
		return
	}
	sub := e.sub
	sa := h.lastSubcat // consecutive records mostly share it
	if sa == nil || sa.sub.GUID != sub.GUID {
		sa = h.subcats[sub.GUID]
		if sa == nil {
			sa = &subcatAcc{sub: sub, eventIDs: map[int64]bool{}}
			h.subcats[sub.GUID] = sa
		}
		h.lastSubcat = sa
	}
	switch out {
	case "success":
		sa.success++
		later(&sa.lastSucc, ts)
	case "failure":
		sa.failure++
		later(&sa.lastFail, ts)
	default:
		sa.other++
	}
	if len(sa.eventIDs) < 64 && (sa.lastEventID != eid || len(sa.eventIDs) == 0) {
		sa.eventIDs[eid] = true
		sa.lastEventID = eid
	}
	widen(&sa.first, &sa.last, ts)
}

func (h *hostAcc) addPolicyChange(d mapping.Doc, ts time.Time, ev Event) {
	pc := PolicyChange{
		Time:          ev.Time,
		Path:          ev.Path,
		RecordID:      ev.RecordID,
		SubcategoryID: docString(d, "winlog.event_data.SubcategoryId"),
		GUID:          normalizeGUID(docString(d, "winlog.event_data.SubcategoryGuid")),
		By: joinNonEmpty("\\", docString(d, "winlog.event_data.SubjectDomainName"),
			docString(d, "winlog.event_data.SubjectUserName")),
		Raw: docString(d, "winlog.event_data.AuditPolicyChanges"),
	}
	if n, ok := messageID(docString(d, "winlog.event_data.CategoryId")); ok {
		pc.Category = categoryByID[n]
	}
	sub, ok := SubcategoryByGUID(pc.GUID)
	if !ok {
		if n, ok2 := messageID(pc.SubcategoryID); ok2 {
			sub, ok = subcategoryByID(n)
		}
	}
	if ok {
		pc.Subcategory, pc.GUID = sub.Name, sub.GUID
		if pc.Category == "" {
			pc.Category = sub.Category
		}
	}
	for _, part := range strings.Split(pc.Raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if n, ok := messageID(part); ok {
			if s, ok := policyChangeByID[n]; ok {
				pc.Changes = append(pc.Changes, s)
				continue
			}
		}
		pc.Changes = append(pc.Changes, strings.ToLower(part)) // already rendered text
	}
	if len(h.changes) < maxEvents {
		h.changes = append(h.changes, policyChange{pc, ts})
	} else {
		h.changesCut++
	}
}

func clearedDetail(d mapping.Doc, what string) string {
	user := ""
	for _, k := range []string{"winlog.user_data.SubjectUserName", "winlog.event_data.SubjectUserName", "user.name"} {
		if user = docString(d, k); user != "" {
			break
		}
	}
	domain := ""
	for _, k := range []string{"winlog.user_data.SubjectDomainName", "winlog.event_data.SubjectDomainName", "user.domain"} {
		if domain = docString(d, k); domain != "" {
			break
		}
	}
	channel := docString(d, "winlog.user_data.Channel")
	if channel == "" {
		channel = docString(d, "winlog.event_data.Channel")
	}
	if channel != "" {
		what = channel + " log cleared"
	}
	return joinNonEmpty(" by ", what, joinNonEmpty("\\", domain, user))
}

func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

func prefixed(prefix, v string) string {
	if v == "" {
		return ""
	}
	return prefix + v
}
