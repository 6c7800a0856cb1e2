package audit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shadowscan/shadowscan/detect"
)

// ruleInfo is what the audit needs of a rule, taken from its AST through
// detect's analysis.
type ruleInfo struct {
	id, name   string
	version    int
	categories []string // nil: any category
	required   []string
	optional   []string
	feasible   func(has func(string) bool) (bool, []string)
	setup      []setupNeed
	err        string
}

func ruleInfoOf(r *detect.Rule) ruleInfo {
	ri := ruleInfo{id: r.ID, name: r.Name, version: r.Version, setup: parseSetup(setupSection(r.Setup, r.Note))}
	if r.Compiled == nil {
		ri.err = "the rule's query is not compiled"
		return ri
	}
	q := r.Compiled
	a := q.Analysis()
	for _, c := range a.Categories {
		if !strings.EqualFold(c, "any") {
			ri.categories = append(ri.categories, strings.ToLower(c))
		}
	}
	for _, f := range a.Fields {
		switch {
		case f.Required:
			ri.required = append(ri.required, f.Name)
		default:
			ri.optional = append(ri.optional, f.Name)
		}
	}
	ri.feasible = q.Feasible
	return ri
}

func (r ruleInfo) prefix() string {
	if r.version > 0 {
		return fmt.Sprintf("version %d", r.version)
	}
	return "the rule"
}

func (r ruleInfo) matchesCategory(cats map[string]bool) bool {
	if len(r.categories) == 0 {
		return true
	}
	for _, c := range r.categories {
		if cats[c] {
			return true
		}
	}
	return false
}

// candidate is one source judged for one rule, with what the verdict text
// needs.
type candidate struct {
	SourceVerdict
	causes   []string // why fields are missing (conditions)
	coverage string   // when only some of the source's events carry a needed field
	remedy   []string
	channel  *channelAcc
}

// judge decides whether rule r can fire on host h.
func judge(h *hostAcc, r ruleInfo, known []knownSource, potential map[sourceKey]map[string]bool) (RuleVerdict, []string) {
	v := RuleVerdict{
		RuleID: r.id, Name: r.name, Version: r.version,
		Categories: nonNil(r.categories), Required: nonNil(r.required), Optional: nonNil(r.optional),
		Sources: []SourceVerdict{}, Setup: []Prerequisite{}, Remedies: []string{},
	}
	if r.feasible == nil {
		v.Verdict, v.Reason = NoData, r.err
		return v, nil
	}
	var cands []candidate
	seen := map[sourceKey]bool{}
	for i := range known {
		k := &known[i]
		if len(r.categories) > 0 && !r.matchesCategory(map[string]bool{k.category: true}) {
			continue
		}
		seen[k.key] = true
		cands = append(cands, judgeSource(h, r, k.key, k, potential[k.key]))
	}
	var extra []candidate
	for _, key := range sortedSourceKeys(h.sources) {
		if seen[key] {
			continue
		}
		src := h.sources[key]
		if len(r.categories) > 0 && !r.matchesCategory(src.categories) {
			continue
		}
		extra = append(extra, judgeSource(h, r, key, nil, nil))
	}
	if len(r.categories) == 0 {
		// "any where": list the sources that match, or the closest ones.
		var matching []candidate
		for _, c := range extra {
			if c.Status == SourceMatches {
				matching = append(matching, c)
			}
		}
		if len(matching) == 0 {
			sort.SliceStable(extra, func(i, j int) bool { return len(extra[i].Missing) < len(extra[j].Missing) })
			if len(extra) > 3 {
				extra = extra[:3]
			}
		} else {
			extra = matching
		}
	}
	cands = append(cands, extra...)

	var matches, fixable, presentN int
	for _, c := range cands {
		if c.Events > 0 {
			presentN++
		}
		switch {
		case c.Status == SourceMatches:
			matches++
		case c.Status == SourceMissesFields:
			fixable++
		}
		v.Sources = append(v.Sources, c.SourceVerdict)
	}
	switch {
	case matches > 0 && fixable > 0:
		v.Verdict = CanFirePartially
	case matches > 0:
		v.Verdict = CanFire
	case presentN == 0:
		v.Verdict = NoData
	default:
		v.Verdict = CannotFire
	}
	v.Reason = reason(r, v.Verdict, cands)
	var remedies []string
	if v.Verdict != CanFire {
		for _, c := range cands {
			if c.Status == SourceMissesFields || c.Status == SourceNotPresent {
				remedies = append(remedies, c.remedy...)
			}
		}
	}
	return v, remedies
}

func judgeSource(h *hostAcc, r ruleInfo, key sourceKey, k *knownSource, potential map[string]bool) candidate {
	src := h.sources[key]
	c := candidate{channel: h.channels[key.channel]}
	c.Source = sourceID(key.channel, key.eventID)
	c.Label = sourceLabel(key.channel, key.eventID)
	if k != nil {
		c.Label = k.label
	}
	if src != nil && src.channel != "" && k == nil {
		c.Label = sourceLabel(src.channel, key.eventID)
	}
	c.Missing = []string{}
	if src != nil && src.records > 0 {
		c.Events = src.records
		has := func(f string) bool { return src.fields[f] }
		ok, missing := r.feasible(has)
		if ok {
			c.Status = SourceMatches
			c.Detail = fmt.Sprintf("%s (%s, %s to %s) carries every field the query needs",
				c.Label, count(src.records, "event"), formatTime(src.first), formatTime(src.last))
			c.coverage = coverage(h, r, key, src.records)
			if c.coverage != "" {
				c.Detail += " (" + c.coverage + ")"
			}
			return c
		}
		pot := func(f string) bool { return has(f) || potential[f] }
		if pok, pmissing := r.feasible(pot); !pok {
			c.Status = SourceCannotCarry
			c.Missing = pmissing
			c.Detail = fmt.Sprintf("%s does not carry %s", c.Label, andList(pmissing))
			return c
		}
		c.Status = SourceMissesFields
		// Name the fields a configuration change would add (those the
		// query reads that this kind of event carries when configured),
		// rather than every absent field.
		if fixable := r.readsAmong(func(f string) bool { return potential[f] && !has(f) }); len(fixable) > 0 {
			missing = fixable
		}
		c.Missing = missing
		for _, f := range missing {
			if k == nil {
				continue
			}
			if cond, ok := k.conditionOf(f); ok {
				c.causes = appendUnique(c.causes, cond.cause)
				if cond.remedy != "" {
					c.remedy = appendUnique(c.remedy, cond.remedy)
				}
			}
		}
		cause := strings.Join(c.causes, "; ")
		if cause == "" {
			cause = "none of its events carried them"
		}
		c.Detail = fmt.Sprintf("%s (%s, %s): %s %s missing",
			cause, c.Label, count(src.records, "event"), andList(missing), isAre(len(missing)))
		return c
	}
	// Not present on this host.
	pot := func(f string) bool { return potential[f] }
	if pok, pmissing := r.feasible(pot); !pok {
		c.Status = SourceCannotCarry
		c.Missing = pmissing
		c.Detail = fmt.Sprintf("%s does not carry %s", c.Label, andList(pmissing))
		return c
	}
	c.Status = SourceNotPresent
	collected := c.channel != nil && c.channel.records > 0
	switch {
	case key.channel == channelSysmon && collected:
		c.Detail = fmt.Sprintf("no %s events are present (the Sysmon log is collected, %s, but holds no process creation: EID 1 not logged by its configuration, or a filtered export)%s",
			c.Label, count(c.channel.records, "record"), exportNote(h, key.channel))
		c.remedy = []string{"sysmon_process_create"}
	case key.channel == channelSysmon:
		c.Detail = fmt.Sprintf("no %s events are present (no Sysmon log was collected for this host)", c.Label)
		c.remedy = []string{"collect_sysmon"}
	case key.channel == channelSecurity && collected:
		c.Detail = fmt.Sprintf("no %s events are present (the Security log is collected, %s from %s to %s, but holds none: auditing off for them, or a filtered export)%s",
			c.Label, count(c.channel.records, "record"), formatTime(c.channel.first), formatTime(c.channel.last), exportNote(h, key.channel))
		if key.eventID == 4688 {
			proc, _ := SubcategoryByName("Process Creation")
			c.remedy = []string{auditpolRemedyID(proc, true, false), "process_command_line"}
		}
	case key.channel == channelSecurity:
		c.Detail = fmt.Sprintf("no %s events are present (no Security log was collected for this host)", c.Label)
		c.remedy = []string{"collect_security"}
	default:
		c.Detail = fmt.Sprintf("no %s events are present for this host", c.Label)
	}
	return c
}

func reason(r ruleInfo, verdict string, cands []candidate) string {
	var matching, others []string
	for _, c := range cands {
		if c.Status == SourceMatches {
			matching = append(matching, fmt.Sprintf("%s (%s)", c.Label, count(c.Events, "event")))
		}
	}
	switch verdict {
	case CanFire:
		for _, c := range cands {
			if c.Status == SourceCannotCarry && c.Events > 0 {
				others = append(others, c.Detail)
			}
		}
		s := fmt.Sprintf("%s can fire on this host: %s %s every field it needs", r.prefix(), andList(matching), carryVerb(len(matching)))
		for _, c := range cands {
			if c.Status == SourceMatches && c.coverage != "" {
				others = append(others, c.coverage)
			}
		}
		if len(others) > 0 {
			s += " (" + strings.Join(others, "; ") + ")"
		}
		return s
	case CanFirePartially:
		for _, c := range cands {
			if c.Status == SourceMissesFields {
				others = append(others, c.Detail)
			}
		}
		return fmt.Sprintf("%s can fire on this host, but only on %s: %s", r.prefix(), andList(matching), strings.Join(others, "; "))
	case CannotFire:
		// Most decisive first: what a source can never carry, then what
		// configuration left out, then what is absent.
		var clauses []string
		for _, status := range []string{SourceCannotCarry, SourceMissesFields, SourceNotPresent} {
			for _, c := range cands {
				if c.Status != status {
					continue
				}
				if status == SourceCannotCarry {
					clauses = append(clauses, fmt.Sprintf("it requires %s, which %s does not carry", andList(c.Missing), c.Label))
				} else {
					clauses = append(clauses, c.Detail)
				}
			}
		}
		return fmt.Sprintf("%s cannot fire on this host: %s", r.prefix(), list(clauses, "and"))
	default:
		var details []string
		for _, c := range cands {
			if c.Status == SourceNotPresent {
				details = append(details, c.Detail)
			}
		}
		if len(details) == 0 {
			details = append(details, "no events of category "+strings.Join(r.categories, ", ")+" are present")
		}
		return fmt.Sprintf("%s has nothing to run on for this host: %s", r.prefix(), list(details, "and"))
	}
}

// coverage says when a matching source carries a configuration-dependent
// field the query reads in only some of its events (command lines turned on
// part way through, a Sysmon upgrade): events before the change cannot
// match.
func coverage(h *hostAcc, r ruleInfo, key sourceKey, events int) string {
	reads := func(fields ...string) bool {
		return len(r.readsAmong(func(f string) bool {
			for _, x := range fields {
				if f == x {
					return true
				}
			}
			return false
		})) > 0
	}
	switch {
	case key == sourceKey{channelSecurity, 4688} && h.cmdline4688 < events &&
		reads("process.command_line", "process.args", "process.args_count", "winlog.event_data.CommandLine"):
		return fmt.Sprintf("only %s of %s carry a command line", formatInt(int64(h.cmdline4688)), count(events, "Security 4688 event"))
	case key == sourceKey{channelSysmon, 1} && h.sysmon1OFN < events &&
		reads("process.pe.original_file_name", "winlog.event_data.OriginalFileName"):
		if h.sysmon1OFN == 0 {
			// Only possible when the field is optional (?field): say it
			// plainly rather than "only 0 of".
			return fmt.Sprintf("none of the %s carries OriginalFileName", count(events, "Sysmon EID 1 event"))
		}
		return fmt.Sprintf("only %s of %s carry OriginalFileName", formatInt(int64(h.sysmon1OFN)), count(events, "Sysmon EID 1 event"))
	}
	return ""
}

// readsAmong returns the fields the query reads for which keep is true.
func (r ruleInfo) readsAmong(keep func(string) bool) []string {
	var out []string
	for _, f := range append(append([]string(nil), r.required...), r.optional...) {
		if keep(f) {
			out = appendUnique(out, f)
		}
	}
	sort.Strings(out)
	return out
}

func carryVerb(n int) string {
	if n == 1 {
		return "carries"
	}
	return "carry"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func andList(items []string) string { return list(items, "and") }

func list(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		if strings.Contains(items[0], ",") {
			return items[0] + ", " + conj + " " + items[1]
		}
		return items[0] + " " + conj + " " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

func appendUnique(s []string, v string) []string {
	for _, e := range s {
		if e == v {
			return s
		}
	}
	return append(s, v)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sortedSourceKeys(m map[sourceKey]*sourceAcc) []sourceKey {
	keys := make([]sourceKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].channel != keys[j].channel {
			return keys[i].channel < keys[j].channel
		}
		return keys[i].eventID < keys[j].eventID
	})
	return keys
}
