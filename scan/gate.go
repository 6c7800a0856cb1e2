package scan

import (
	"cmp"
	"slices"
	"strings"

	"github.com/shadowscan/shadowscan/audit"
	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/mapping"
	"github.com/shadowscan/shadowscan/report"
)

// worker is what one decoding goroutine borrows to prepare records.
type worker struct {
	mapper *mapping.Mapper
	gate   *ruleGate
	audit  audit.Preparer
}

// ruleGate tells the records no rule can match, so that they need no
// document: a rule whose query needs a field the record's kind of event
// never has (the seed rules need process.pe.original_file_name, which
// only Sysmon process starts carry) cannot match it, whatever the values.
// That depends on the provider and event ID alone for the fields outside
// winlog.event_data and winlog.user_data (mapping.MayHave), so answers are
// kept per (provider, event ID); rules reading those raw fields are
// treated as able to match anything.
//
// For the records a rule could match by their kind, the rule's literals
// (detect.Analysis.MustContain: every match holds "HarddiskVolumeShadowCopy"
// in process.command_line, ...) are looked for in the values the mapping
// would give those fields (mapping.FieldValues), when it can tell them
// without mapping; a record lacking them needs no document either.
type ruleGate struct {
	queries  []*detect.Query
	literals []detect.LiteralSet
	open     bool              // some rule reads raw event or user data: no gate
	known    map[gateKey][]int // rules that could match, by kind
	// last is the kind byKind answered last, and its rules: a log's
	// records come in runs of the same kind.
	last      gateKey
	lastRules []int
	// values holds the current record's mapping.FieldValues, asked for by
	// several rules.
	values map[string]fieldValues
}

type fieldValues struct {
	vals  []string
	known bool
}

// cheapFirst orders a rule's literal groups so that those needing a
// command line split (process.args) come last: any group can rule a
// record out, and most are ruled out by the first.
func cheapFirst(set detect.LiteralSet) detect.LiteralSet {
	out := slices.Clone(set)
	slices.SortStableFunc(out, func(a, b detect.LiteralGroup) int {
		return cmp.Compare(splitCost(a), splitCost(b))
	})
	return out
}

func splitCost(g detect.LiteralGroup) int {
	if slices.ContainsFunc(g.Fields, func(f string) bool { return strings.HasSuffix(f, ".args") }) {
		return 1
	}
	return 0
}

type gateKey struct {
	provider string
	eventID  int
}

// maxGateKeys bounds the answers kept: hostile logs can make up any
// number of providers.
const maxGateKeys = 1024

func newRuleGate(rules []*detect.Rule) *ruleGate {
	g := &ruleGate{known: map[gateKey][]int{}, values: map[string]fieldValues{}}
	for _, r := range rules {
		a := r.Compiled.Analysis()
		g.queries = append(g.queries, r.Compiled)
		g.literals = append(g.literals, cheapFirst(a.MustContain))
		for _, f := range a.Fields {
			if strings.HasPrefix(f.Name, "winlog.event_data.") || strings.HasPrefix(f.Name, "winlog.user_data.") {
				g.open = true
			}
		}
	}
	return g
}

// anyCouldMatch reports whether some rule could match rec's document.
func (g *ruleGate) anyCouldMatch(rec *evtx.Record) bool {
	if g.open {
		return len(g.queries) > 0
	}
	rules := g.byKind(rec)
	if len(rules) == 0 {
		return false
	}
	clear(g.values)
	values := func(field string) ([]string, bool) {
		v, ok := g.values[field]
		if !ok {
			v.vals, v.known = mapping.FieldValues(rec, field)
			g.values[field] = v
		}
		return v.vals, v.known
	}
	for _, i := range rules {
		if g.literals[i].Admits(values) {
			return true
		}
	}
	return false
}

// byKind returns the rules that could match some record of rec's kind.
func (g *ruleGate) byKind(rec *evtx.Record) []int {
	key := gateKey{rec.Provider, rec.EventID}
	if g.lastRules != nil && key == g.last {
		return g.lastRules
	}
	if could, ok := g.known[key]; ok {
		g.last, g.lastRules = key, could
		return could
	}
	could := []int{}
	mayHave := func(field string) bool { return mapping.MayHave(rec, field) }
	for i, q := range g.queries {
		if q.CouldMatch(mayHave) {
			could = append(could, i)
		}
	}
	if len(g.known) < maxGateKeys {
		g.known[key] = could
	}
	g.last, g.lastRules = key, could
	return could
}

// mayCorroborate reports whether rec may be a Security 4656 handle request
// on a shadow-copy object (report.NewHandleRequest): its object name is
// the event data's ObjectName, which the mapping copies unchanged.
func mayCorroborate(rec *evtx.Record) bool {
	if rec.EventID != 4656 {
		return false
	}
	name, known := mapping.EventDataString(rec, "ObjectName")
	return !known || report.IsShadowCopyObject(name)
}

// lightEventData lists the event data names read from the records that
// are not mapped: the audit's (Timestamp's UtcTime, EventDataString's
// CommandLine, ObjectType and OriginalFileName, FieldValues' process
// command line and original file name), mayCorroborate's ObjectName, what
// FieldValues reads for the literal fields of the rules that could match a
// process start of each kind (the gate: a 4688's pids and NewProcessName
// only when a rule could match a 4688), and the raw fields of the rules,
// which the audit's field tracking asks MayHave about. The decoder renders
// only these for most records (evtx.Options.EventData); a name missing
// here (the audit learning whether a source shows a rule's field, once
// per source) costs a whole decode of the record's chunk, once, never a
// wrong answer (evtx.Record.Value). With mapAll every record is mapped:
// nil, all.
func lightEventData(rules []*detect.Rule, mapAll bool) []string {
	if mapAll {
		return nil
	}
	names := []string{"UtcTime", "CommandLine", "OriginalFileName", "ObjectType", "ObjectName"}
	for _, kind := range mapping.ProcessStartKinds() {
		mayHave := func(field string) bool { return mapping.MayHave(kind, field) }
		for _, r := range rules {
			if !r.Compiled.CouldMatch(mayHave) {
				continue
			}
			for _, g := range r.Compiled.Analysis().MustContain {
				for _, f := range g.Fields {
					names = append(names, mapping.EventDataNames(kind, f)...)
				}
			}
		}
	}
	for _, r := range rules {
		for _, f := range r.Compiled.Analysis().Fields {
			if name, ok := strings.CutPrefix(f.Name, "winlog.event_data."); ok {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
