package audit

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx"
)

// Report joins what the collector saw with the reader's per-file accounting
// (sources: failures, damaged chunks, dirty headers) and the loaded rules,
// and returns one Host per machine, ordered by name. It does not change the
// collector; calling it twice gives the same result.
func (c *Collector) Report(sources []evtx.Source, rules []*detect.Rule) []Host {
	bySource := map[string]*evtx.Source{}
	for i := range sources {
		bySource[sources[i].Path] = &sources[i]
	}
	infos := make([]ruleInfo, 0, len(rules))
	for _, r := range rules {
		if r != nil {
			infos = append(infos, ruleInfoOf(r))
		}
	}
	hosts := c.report(bySource, infos)
	if h, ok := c.unattributed(sources); ok {
		hosts = append(hosts, h)
	}
	return hosts
}

// Unattributed is the Host name under which Report lists evidence files
// none of whose records could be decoded: their machine is unknown, but
// what they held is lost to every verdict, and the report says so.
const Unattributed = "(unattributed)"

func (c *Collector) unattributed(sources []evtx.Source) (Host, bool) {
	h := Host{
		Host: Unattributed, Names: []NameCount{}, Files: []string{}, Gaps: []Gap{},
		Rules: []RuleVerdict{}, Remedies: []Remedy{}, Truncated: []string{},
	}
	h.Logs.Channels = []ChannelLog{}
	h.Logs.Sysmon.ChannelLog = channelLog(nil, "Microsoft-Windows-Sysmon/Operational")
	h.Logs.Security.ChannelLog = channelLog(nil, "Security")
	h.Logs.System = channelLog(nil, "System")
	h.Logs.Sysmon.ProcessCreate = eventCount(nil)
	h.Logs.Sysmon.ServiceChanges, h.Logs.Sysmon.ConfigChanges = []Event{}, []Event{}
	h.Logs.Sysmon.Version10, h.Logs.Sysmon.VersionEvidence = "unknown", "no records decoded"
	h.Logs.Security.ProcessCreate, h.Logs.Security.HandleRequests = eventCount(nil), eventCount(nil)
	h.Logs.Security.Subcategories = []SubcategorySeen{}
	h.Policy = PolicyEvents{Auditpol: []Policy{}, Changes: []PolicyChange{}, Cleared: []Event{}, LogService: []Event{}}
	for _, s := range sources {
		if _, seen := c.files[s.Path]; seen {
			continue
		}
		if s.RecordsFailed == 0 && s.Error == "" && s.ChunksDamaged == 0 {
			continue
		}
		g := Gap{Path: s.Path, Channels: append([]string{}, s.Channels...), RecordsFailed: s.RecordsFailed,
			ChunksDamaged: s.ChunksDamaged, Dirty: s.Dirty, Holes: []Hole{}, Notes: []string{}}
		if s.Error != "" {
			g.Notes = append(g.Notes, "could not be read: "+s.Error)
		} else {
			g.Notes = append(g.Notes, fmt.Sprintf("none of its records could be decoded (%s failed, %s damaged), so its host is unknown",
				count(s.RecordsFailed, "record"), count(s.ChunksDamaged, "chunk")))
		}
		h.Files = append(h.Files, s.Path)
		h.Gaps = append(h.Gaps, g)
	}
	return h, len(h.Gaps) > 0
}

func (c *Collector) report(bySource map[string]*evtx.Source, rules []ruleInfo) []Host {
	known := knownSources()
	potential := map[sourceKey]map[string]bool{}
	for _, k := range known {
		potential[k.key] = k.potentialFields()
	}
	keys := sortedKeys(c.hosts)
	hosts := make([]Host, 0, len(keys))
	for _, key := range keys {
		h := c.hosts[key]
		h.exported = map[string]bool{}
		for lch, ch := range h.channels {
			for path := range ch.files.m {
				if f := c.files[path]; f != nil && f.renumbered > 0 {
					h.exported[lch] = true
				}
			}
		}
		out := c.hostReport(h, bySource)
		remedyRules := map[string][]string{}
		var remedyOrder []string
		note := func(id, rule string) {
			if _, ok := remedyRules[id]; !ok {
				remedyOrder = append(remedyOrder, id)
			}
			remedyRules[id] = appendUnique(remedyRules[id], rule)
		}
		for _, r := range rules {
			v, remedies := judge(h, r, known, potential)
			for _, need := range r.setup {
				p := c.prerequisite(h, need)
				v.Setup = append(v.Setup, p)
				if p.Remedy != "" && p.Status != Present {
					remedies = append(remedies, p.Remedy)
				}
			}
			for _, id := range remedies {
				if _, ok := remedyCatalog(id); ok {
					v.Remedies = appendUnique(v.Remedies, id)
					note(id, r.id)
				}
			}
			out.Rules = append(out.Rules, v)
		}
		for _, id := range remedyOrder {
			rem, _ := remedyCatalog(id)
			rem.Rules = remedyRules[id]
			out.Remedies = append(out.Remedies, rem)
		}
		hosts = append(hosts, out)
	}
	return hosts
}

func (c *Collector) hostReport(h *hostAcc, bySource map[string]*evtx.Source) Host {
	out := Host{
		Records: h.records, First: formatTime(h.first), Last: formatTime(h.last),
		Names: []NameCount{}, Files: []string{}, Gaps: []Gap{}, Rules: []RuleVerdict{}, Remedies: []Remedy{},
		Truncated: []string{},
	}
	for name, n := range h.names {
		out.Names = append(out.Names, NameCount{Name: name, Records: *n})
	}
	sort.Slice(out.Names, func(i, j int) bool {
		if out.Names[i].Records != out.Names[j].Records {
			return out.Names[i].Records > out.Names[j].Records
		}
		return out.Names[i].Name < out.Names[j].Name
	})
	switch {
	case h.key == overflowHost:
		out.Host = overflowHost
	case len(out.Names) > 0 && out.Names[0].Name != "":
		out.Host = out.Names[0].Name
	case h.key != "":
		out.Host = h.key
	default:
		out.Host = "(no computer name)"
	}
	for _, p := range c.policies {
		if hostKey(p.Machine) == h.key && p.Machine != "" {
			if p.Options == nil {
				p.Options = map[string]string{}
			}
			out.Policy.Auditpol = append(out.Policy.Auditpol, p)
			if len(out.Names) == 0 || !hasName(out.Names, p.Machine) {
				out.Names = append(out.Names, NameCount{Name: p.Machine})
				if out.Host == "" || out.Host == h.key && h.records == 0 {
					out.Host = p.Machine
				}
			}
		}
	}
	out.Files = sortedKeys(h.files)
	if h.namesCut > 0 {
		out.Truncated = append(out.Truncated, fmt.Sprintf("%d records under further name variants not listed", h.namesCut))
	}
	if h.sourceCut > 0 {
		out.Truncated = append(out.Truncated, fmt.Sprintf("%d records of further (channel, event id) pairs not analysed for fields", h.sourceCut))
	}
	if h.key == overflowHost {
		out.Truncated = append(out.Truncated, fmt.Sprintf("more than %d hosts: the rest are counted together here", maxHosts))
	}

	// Logs.
	out.Logs.Channels = []ChannelLog{}
	for _, lch := range sortedKeys(h.channels) {
		out.Logs.Channels = append(out.Logs.Channels, channelLog(h.channels[lch], lch))
	}
	out.Logs.Security.ChannelLog = channelLog(h.channels[channelSecurity], "Security")
	out.Logs.System = channelLog(h.channels[channelSystem], "System")
	out.Logs.Sysmon.ChannelLog = channelLog(h.channels[channelSysmon], "Microsoft-Windows-Sysmon/Operational")

	sm := &out.Logs.Sysmon
	sm.ProcessCreate = eventCount(h.sources[sourceKey{channelSysmon, 1}])
	sm.WithOriginalFileName = h.sysmon1OFN
	sm.ServiceChanges = nonNilEvents(h.sysmonStates.events)
	sm.ConfigChanges = nonNilEvents(h.sysmonConfigs.events)
	sm.Version10, sm.VersionEvidence = sysmonVersion(h, sm.ProcessCreate.Count)

	sec := &out.Logs.Security
	sec.ProcessCreate = eventCount(h.sources[sourceKey{channelSecurity, 4688}])
	sec.WithCommandLine = h.cmdline4688
	sec.HandleRequests = eventCount(h.sources[sourceKey{channelSecurity, 4656}])
	sec.HandleRequestsOnFiles = h.file4656
	sec.HandleRequestsSuccess = h.file4656Succ
	sec.HandleRequestsFailure = h.file4656Fail
	sec.Subcategories = []SubcategorySeen{}
	for _, guid := range sortedKeys(h.subcats) {
		sa := h.subcats[guid]
		ss := SubcategorySeen{
			Category: sa.sub.Category, Name: sa.sub.Name, GUID: sa.sub.GUID,
			Success: sa.success, Failure: sa.failure, Other: sa.other,
			First: formatTime(sa.first), Last: formatTime(sa.last), EventIDs: []int64{},
		}
		for id := range sa.eventIDs {
			ss.EventIDs = append(ss.EventIDs, id)
		}
		sort.Slice(ss.EventIDs, func(i, j int) bool { return ss.EventIDs[i] < ss.EventIDs[j] })
		sec.Subcategories = append(sec.Subcategories, ss)
	}
	sort.SliceStable(sec.Subcategories, func(i, j int) bool {
		a, b := sec.Subcategories[i], sec.Subcategories[j]
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		return a.Name < b.Name
	})

	// Policy evidence.
	if out.Policy.Auditpol == nil {
		out.Policy.Auditpol = []Policy{}
	}
	out.Policy.Changes = []PolicyChange{}
	changes := append([]policyChange(nil), h.changes...)
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].at.Before(changes[j].at) })
	for _, pc := range changes {
		if pc.Changes == nil {
			pc.Changes = []string{}
		}
		out.Policy.Changes = append(out.Policy.Changes, pc.PolicyChange)
	}
	out.Policy.ChangesTotal = len(h.changes) + h.changesCut
	out.Policy.Cleared = nonNilEvents(h.cleared.events)
	out.Policy.ClearedTotal = h.cleared.total
	out.Policy.LogService = nonNilEvents(h.logService.events)
	out.Policy.LogServiceTotal = h.logService.total

	if h.filesCut {
		out.Truncated = append(out.Truncated, fmt.Sprintf("more than %d files: the file list is cut (gaps are still reported for all)", maxHostFiles))
	}
	if n := h.unlistedFileRecords(); n > 0 {
		out.Truncated = append(out.Truncated, fmt.Sprintf("%d records are counted in files beyond the first %d listed per channel or event id (records_in_unlisted_files)", n, maxFilesPerList))
	}
	// Gaps, per file holding records of this host.
	for _, path := range sortedKeys(c.files) {
		f := c.files[path]
		if !f.hosts[h.key] {
			continue
		}
		if g, ok := f.gapReport(bySource[path]); ok {
			if g.Channels == nil {
				g.Channels = []string{}
			}
			if g.Holes == nil {
				g.Holes = []Hole{}
			}
			if g.Notes == nil {
				g.Notes = []string{}
			}
			out.Gaps = append(out.Gaps, g)
		}
	}
	return out
}

func hasName(names []NameCount, n string) bool {
	for _, nc := range names {
		if nc.Name == n {
			return true
		}
	}
	return false
}

func channelLog(ch *channelAcc, name string) ChannelLog {
	if ch == nil || ch.records == 0 {
		return ChannelLog{Channel: name, Files: []FileCount{}}
	}
	if ch.name != "" {
		name = ch.name
	}
	return ChannelLog{
		Channel: name, Collected: true, Records: ch.records,
		First: formatTime(ch.first), Last: formatTime(ch.last), Files: ch.files.list(),
		UnlistedFileRecords: ch.files.cut,
	}
}

func eventCount(s *sourceAcc) EventCount {
	if s == nil {
		return EventCount{Files: []FileCount{}}
	}
	return EventCount{Count: s.records, First: formatTime(s.first), Last: formatTime(s.last), Files: s.files.list(), UnlistedFileRecords: s.files.cut}
}

// unlistedFileRecords counts the records of h's channels whose files the
// bound on listed files left out (a source's are among its channel's).
func (h *hostAcc) unlistedFileRecords() int {
	n := 0
	for _, ch := range h.channels {
		n += ch.files.cut
	}
	return n
}

func (f *fileCounts) list() []FileCount {
	out := make([]FileCount, 0, len(f.m))
	for _, p := range sortedKeys(f.m) {
		out = append(out, *f.m[p])
	}
	return out
}

func nonNilEvents(e []Event) []Event {
	if e == nil {
		return []Event{}
	}
	return append([]Event(nil), e...)
}

func sysmonVersion(h *hostAcc, eid1 int) (string, string) {
	maxMajor := -1
	for _, v := range h.sysmonVersion {
		major, err := strconv.Atoi(strings.SplitN(strings.TrimSpace(v), ".", 2)[0])
		if err == nil && major > maxMajor {
			maxMajor = major
		}
	}
	switch {
	case h.sysmonOFN > 0:
		return "yes", fmt.Sprintf("%s %s OriginalFileName (written from Sysmon 10.0 on)", count(h.sysmonOFN, "Sysmon event"), carryVerb(h.sysmonOFN))
	case maxMajor >= 10:
		return "yes", fmt.Sprintf("Sysmon EID 4 reports version %d", maxMajor)
	case maxMajor >= 0:
		return "no", fmt.Sprintf("Sysmon EID 4 reports version %d and no event carries OriginalFileName", maxMajor)
	case eid1 > 0:
		return "no", fmt.Sprintf("none of the %s EID 1 events carries OriginalFileName (Sysmon 10.0 and later write it)", formatInt(int64(eid1)))
	}
	return "unknown", "no Sysmon process creation or service state events"
}

// prerequisite evaluates one documented setup step on host h.
func (c *Collector) prerequisite(h *hostAcc, n setupNeed) Prerequisite {
	p := Prerequisite{Text: n.text, Kind: n.kind, Evidence: []string{}}
	sec := h.channels[channelSecurity]
	secCollected := sec != nil && sec.records > 0
	switch n.kind {
	case "audit_subcategory":
		p.Subcategory, p.GUID = n.sub.Name, n.sub.GUID
		var statuses []string
		if n.success {
			st, ev := c.subStatus(h, n.sub, "success")
			p.Success = st
			statuses = append(statuses, st)
			for _, e := range ev {
				p.Evidence = appendUnique(p.Evidence, e)
			}
		}
		if n.failure {
			st, ev := c.subStatus(h, n.sub, "failure")
			p.Failure = st
			statuses = append(statuses, st)
			for _, e := range ev {
				p.Evidence = appendUnique(p.Evidence, e)
			}
		}
		p.Status = combine(statuses)
		switch p.Status {
		case NotCollected:
			p.Remedy = "collect_security"
		case Present:
		default:
			p.Remedy = auditpolRemedyID(n.sub, n.success && p.Success != Present, n.failure && p.Failure != Present)
		}
	case "event":
		key := sourceKey{channelSecurity, n.eventID}
		label := "Security " + itoa(n.eventID)
		collected := secCollected
		if n.sysmon {
			key = sourceKey{channelSysmon, n.eventID}
			label = "Sysmon EID " + itoa(n.eventID)
			ch := h.channels[channelSysmon]
			collected = ch != nil && ch.records > 0
		}
		s := h.sources[key]
		switch {
		case s != nil && s.records > 0:
			p.Status = Present
			ev := fmt.Sprintf("%s, %s to %s", count(s.records, label+" event"), formatTime(s.first), formatTime(s.last))
			if !n.sysmon && n.eventID == 4656 {
				ev += fmt.Sprintf(" (%s on files)", formatInt(int64(h.file4656)))
			}
			p.Evidence = append(p.Evidence, ev)
			p.Evidence = append(p.Evidence, fileEvidence(s.files.list())...)
		case collected:
			p.Status = Unknown
			ch := h.channels[key.channel]
			p.Evidence = append(p.Evidence, fmt.Sprintf("no %s in the %s records of %s, %s to %s%s",
				label, formatInt(int64(ch.records)), ch.name, formatTime(ch.first), formatTime(ch.last), exportNote(h, key.channel)))
			if n.sysmon {
				p.Remedy = "sysmon_process_create"
			} else if sub, ok := subcategoryOfEvent(n.eventID, 0, "File"); ok {
				p.Remedy = auditpolRemedyID(sub, true, true)
			}
		default:
			p.Status = NotCollected
			p.Evidence = append(p.Evidence, "no "+strings.SplitN(label, " ", 2)[0]+" log in the evidence for this host")
			p.Remedy = "collect_security"
			if n.sysmon {
				p.Remedy = "collect_sysmon"
			}
		}
	case "command_line":
		s := h.sources[sourceKey{channelSecurity, 4688}]
		switch {
		case s != nil && h.cmdline4688 > 0:
			p.Status = Present
			p.Evidence = append(p.Evidence, fmt.Sprintf("%s of %s 4688 events carry a CommandLine", formatInt(int64(h.cmdline4688)), formatInt(int64(s.records))))
		case s != nil:
			p.Status = Missing
			p.Evidence = append(p.Evidence, fmt.Sprintf("none of %s 4688 events carries a CommandLine", formatInt(int64(s.records))))
			p.Remedy = "process_command_line"
		case secCollected:
			p.Status = Unknown
			p.Evidence = append(p.Evidence, "no 4688 events in the Security log")
			p.Remedy = "process_command_line"
		default:
			p.Status = NotCollected
			p.Remedy = "collect_security"
		}
	case "process_creation":
		sub, _ := SubcategoryByName("Process Creation")
		st, ev := c.subStatus(h, sub, "success")
		p.Subcategory, p.GUID, p.Success, p.Status, p.Evidence = sub.Name, sub.GUID, st, st, ev
		switch st {
		case NotCollected:
			p.Remedy = "collect_security"
		case Present:
		default:
			p.Remedy = auditpolRemedyID(sub, true, false)
		}
	}
	return p
}

func combine(statuses []string) string {
	has := func(s string) bool {
		for _, x := range statuses {
			if x == s {
				return true
			}
		}
		return false
	}
	switch {
	case len(statuses) == 0:
		return Unknown
	case has(Missing):
		return Missing
	case !has(Unknown) && !has(NotCollected):
		return Present
	case has(NotCollected) && !has(Present):
		return NotCollected
	}
	return Unknown
}

// subStatus decides whether a subcategory audits an outcome on host h: from
// auditpol output first (the configured policy itself), then from the
// latest 4719 that changed it when no event of the subcategory came after,
// then from the subcategory's own events.
func (c *Collector) subStatus(h *hostAcc, sub Subcategory, outcome string) (string, []string) {
	var evidence []string
	for _, p := range c.policies {
		if hostKey(p.Machine) != h.key || p.Machine == "" {
			continue
		}
		for _, s := range p.Settings {
			if s.GUID != sub.GUID {
				continue
			}
			on, known := s.Success()
			if outcome == "failure" {
				on, known = s.Failure()
			}
			if known {
				ev := fmt.Sprintf("auditpol output %s: %s = %q", p.Path, sub.Name, s.Inclusion)
				if on {
					return Present, []string{ev}
				}
				return Missing, []string{ev}
			}
		}
	}
	var last *policyChange
	for i := range h.changes {
		pc := &h.changes[i]
		if pc.GUID != sub.GUID {
			continue
		}
		for _, ch := range pc.Changes {
			if ch == outcome+" added" || ch == outcome+" removed" {
				if last == nil || !pc.at.Before(last.at) {
					last = pc
				}
			}
		}
	}
	sa := h.subcats[sub.GUID]
	var n int
	var lastSeen time.Time
	if sa != nil {
		n, lastSeen = sa.success, sa.lastSucc
		if outcome == "failure" {
			n, lastSeen = sa.failure, sa.lastFail
		}
	}
	if last != nil && (n == 0 || last.at.After(lastSeen)) {
		ev := fmt.Sprintf("4719 at %s (%s record %d): %s %s", last.Time, last.Path, last.RecordID, sub.Name, strings.Join(last.Changes, ", "))
		for _, ch := range last.Changes {
			if ch == outcome+" removed" {
				return Missing, []string{ev}
			}
		}
		return Present, []string{ev}
	}
	if n > 0 {
		ids := make([]string, 0, len(sa.eventIDs))
		for id := range sa.eventIDs {
			ids = append(ids, itoa(id))
		}
		sort.Strings(ids)
		evidence = append(evidence, fmt.Sprintf("%s %s events of %s (event ids %s), last at %s",
			formatInt(int64(n)), outcome, sub.Name, strings.Join(ids, ", "), formatTime(lastSeen)))
		return Present, evidence
	}
	sec := h.channels[channelSecurity]
	if sec == nil || sec.records == 0 {
		return NotCollected, []string{"no Security log in the evidence for this host"}
	}
	extra := ""
	switch sub.Category {
	case "Object Access":
		extra = ": the subcategory is off, or no object's SACL asked for it"
	}
	return Unknown, []string{fmt.Sprintf("no %s %s events in the %s Security records, %s to %s%s%s",
		sub.Name, outcome, formatInt(int64(sec.records)), formatTime(sec.first), formatTime(sec.last), extra, exportNote(h, channelSecurity))}
}

func fileEvidence(files []FileCount) []string {
	var out []string
	for i, f := range files {
		if i == 5 {
			out = append(out, fmt.Sprintf("and %d more files", len(files)-5))
			break
		}
		out = append(out, fmt.Sprintf("%s: %s, record ids %d to %d", f.Path, count(f.Records, "record"), f.FirstRecordID, f.LastRecordID))
	}
	return out
}

// formatInt writes n with thousands separators.
func formatInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// count writes "1 record", "2,345 records".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return formatInt(int64(n)) + " " + noun + "s"
}

// exportNote warns that a channel's records come from exported logs, where
// a filter may have left out the events whose absence is being read.
func exportNote(h *hostAcc, lch string) string {
	if h.exported[lch] {
		return " (from exported logs, which a filter may have thinned)"
	}
	return ""
}
