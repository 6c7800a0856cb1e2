package detect

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// FieldUse is one field a query reads.
type FieldUse struct {
	Name string
	// Optional: written ?field somewhere in the query.
	Optional bool
	// Required: the query cannot be true on a document lacking the field.
	// Computed by evaluating the query abstractly with only this field
	// missing, so "a or b" requires neither and "not a : x" does not
	// require a (must_not matches documents without it).
	Required bool
}

// LiteralGroup is satisfied by an event that contains at least one of
// AnyOf, compared case-insensitively. Fields names where the strings come
// from, so a raw-byte pre-filter can skip groups whose fields are
// synthesised by the mapping (event.type "start" is not in the record).
type LiteralGroup struct {
	Fields []string
	AnyOf  []string
}

// LiteralSet is a conjunction of groups: every event the query matches
// contains, for each group, one of its strings (case-insensitively) in the
// value of one of the group's fields.
type LiteralSet []LiteralGroup

// Admits reports whether an event could satisfy every group of s, given
// what values returns for a field: its values, or known false when they
// cannot be told without the mapped document. A group whose fields are
// all known and none of whose values contains one of its strings rules
// the event out. Containment is tested with Unicode simple folding (the
// matcher's ":" and "~") and also after strings.ToLower (the "~" string
// functions), so that Admits is never stricter than the query.
func (s LiteralSet) Admits(values func(field string) (vals []string, known bool)) bool {
groups:
	for _, g := range s {
		var buf [4][]string
		have := buf[:0]
		for _, f := range g.Fields {
			vals, known := values(f)
			if !known {
				continue groups
			}
			have = append(have, vals)
		}
		for _, vals := range have {
			for _, v := range vals {
				ascii := isASCII(v) // once per value, not per literal
				for _, lit := range g.AnyOf {
					if containsFoldIn(v, ascii, lit) {
						continue groups
					}
				}
			}
		}
		return false
	}
	return true
}

// containsFold reports whether s contains sub ignoring case, under either
// folding the matcher uses.
func containsFold(s, sub string) bool { return containsFoldIn(s, isASCII(s), sub) }

// containsFoldIn is containsFold with sASCII, isASCII(s), worked out by
// the caller (once for the many literals of a group).
func containsFoldIn(s string, sASCII bool, sub string) bool {
	if sub == "" {
		return true
	}
	if sASCII && isASCII(sub) {
		// Both foldings agree on ASCII, and ASCII letters fold only to
		// each other there: a byte loop, not a rune decoding per place
		// (the scan's gate runs this on every process start).
		return indexASCII(s, sub, true) >= 0
	}
	for i := 0; i < len(s); {
		if hasPrefixFold(s[i:], sub) {
			return true
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func hasPrefixFold(s, prefix string) bool {
	for _, pr := range prefix {
		if s == "" {
			return false
		}
		r, w := utf8.DecodeRuneInString(s)
		if !foldEq(r, pr) {
			return false
		}
		s = s[w:]
	}
	return true
}

// Analysis is what later stages need to know about a query.
type Analysis struct {
	// Categories the query can match: its event category; nil for "any".
	Categories []string
	// Fields read, event.category first when the query names a category,
	// then in order of first appearance.
	Fields []FieldUse
	// Literals every matching event must contain (case-insensitively): the
	// single-string groups of MustContain.
	Literals []string
	// MustContain is the full conjunction of literal groups.
	MustContain LiteralSet
}

// Analysis computes the fields, categories and literals of the query.
func (q *Query) Analysis() Analysis {
	var a Analysis
	if q.Category != "" {
		a.Categories = []string{q.Category}
	}
	for _, f := range q.fieldUses() {
		name := f.Name
		f.Required = q.eval(abstractEnv{has: func(s string) bool { return s != name }}) == triFalse
		a.Fields = append(a.Fields, f)
	}
	a.MustContain = mustContain(q.Where)
	for _, g := range a.MustContain {
		if len(g.AnyOf) == 1 {
			a.Literals = append(a.Literals, g.AnyOf[0])
		}
	}
	return a
}

func (q *Query) fieldUses() []FieldUse {
	var out []FieldUse
	index := map[string]int{}
	add := func(name string, optional bool) {
		if i, ok := index[name]; ok {
			out[i].Optional = out[i].Optional || optional
			return
		}
		index[name] = len(out)
		out = append(out, FieldUse{Name: name, Optional: optional})
	}
	if q.Category != "" {
		add("event.category", false)
	}
	Inspect(q.Where, func(n Node) bool {
		if f, ok := n.(*Field); ok {
			add(f.Name, f.Optional)
		}
		return true
	})
	return out
}

// CouldMatch reports whether the query could match a document in which
// the fields for which mayHave is false are absent and the others are
// present with any value, or absent: false is a proof that no such
// document matches, so a caller may skip building documents the query
// cannot match (the scan, for records whose kind lacks a field a rule
// needs). It is the abstract evaluation Feasible uses, where every
// operation on an unknown value is unknown unless its other operand
// decides (false and x, true or x), which covers a missing field too.
func (q *Query) CouldMatch(mayHave func(field string) bool) bool {
	return q.eval(abstractEnv{has: mayHave}) != triFalse
}

// Feasible reports whether the query could match some document whose
// present fields are exactly those for which has returns true, whatever
// their values. When it cannot, missing names the absent fields that would
// each, once present, make it feasible; when no single field suffices, all
// absent fields the query reads.
func (q *Query) Feasible(has func(field string) bool) (ok bool, missing []string) {
	if q.eval(abstractEnv{has: has}) != triFalse {
		return true, nil
	}
	var absent []string
	for _, f := range q.fieldUses() {
		if !has(f.Name) {
			absent = append(absent, f.Name)
		}
	}
	for _, name := range absent {
		with := func(s string) bool { return s == name || has(s) }
		if q.eval(abstractEnv{has: with}) != triFalse {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		missing = absent
	}
	sort.Strings(missing)
	return false, missing
}

// mustContain derives literal groups from the condition's positive
// predicates. Negations contribute nothing; an "or" contributes one group
// merging one group of each side (valid only when both sides have one).
func mustContain(x Expr) LiteralSet {
	switch n := x.(type) {
	case *Paren:
		return mustContain(n.X)
	case *Logical:
		l, r := mustContain(n.X), mustContain(n.Y)
		if n.Op == "and" {
			return append(l, r...)
		}
		if len(l) == 0 || len(r) == 0 {
			return nil
		}
		a, b := bestGroup(l), bestGroup(r)
		return LiteralSet{mergeGroups(a, b)}
	case *Match:
		if n.Negated || n.Op == "regex" {
			return nil
		}
		f, ok := unparen(n.X).(*Field)
		if !ok {
			return nil
		}
		var alts []string
		for _, item := range n.List {
			l, ok := unparen(item).(*Literal)
			if !ok {
				return nil
			}
			s, ok := l.Value.(string)
			if !ok {
				return nil
			}
			if n.Op == ":" || n.Op == "like" {
				s = longestLiteralRun(s)
			}
			if s == "" {
				return nil
			}
			alts = append(alts, s)
		}
		return groupOf(f.Name, alts)
	case *Compare:
		if n.Op != "==" {
			return nil
		}
		x, y := unparen(n.X), unparen(n.Y)
		if _, ok := x.(*Literal); ok {
			x, y = y, x
		}
		f, ok1 := x.(*Field)
		l, ok2 := y.(*Literal)
		if !ok1 || !ok2 {
			return nil
		}
		if s, ok := l.Value.(string); ok && s != "" {
			return groupOf(f.Name, []string{s})
		}
	case *Call:
		if len(n.Args) < 2 {
			return nil
		}
		f, ok := unparen(n.Args[0]).(*Field)
		if !ok {
			return nil
		}
		switch n.Name {
		case "startsWith", "endsWith", "stringContains", "wildcard":
		default:
			return nil
		}
		var alts []string
		for _, a := range n.Args[1:] {
			l, ok := unparen(a).(*Literal)
			if !ok {
				return nil
			}
			s, ok := l.Value.(string)
			if !ok {
				return nil
			}
			if n.Name == "wildcard" {
				s = longestLiteralRun(s)
			}
			if s == "" {
				return nil
			}
			alts = append(alts, s)
		}
		return groupOf(f.Name, alts)
	}
	return nil
}

func groupOf(field string, alts []string) LiteralSet {
	return LiteralSet{{Fields: []string{field}, AnyOf: dedupFold(alts)}}
}

// bestGroup picks the most selective group: longest shortest alternative,
// then fewest alternatives.
func bestGroup(set LiteralSet) LiteralGroup {
	best := set[0]
	for _, g := range set[1:] {
		if shortest(g) > shortest(best) || (shortest(g) == shortest(best) && len(g.AnyOf) < len(best.AnyOf)) {
			best = g
		}
	}
	return best
}

func shortest(g LiteralGroup) int {
	n := -1
	for _, s := range g.AnyOf {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

func mergeGroups(a, b LiteralGroup) LiteralGroup {
	fields := append(slices.Clone(a.Fields), b.Fields...)
	slices.Sort(fields)
	fields = slices.Compact(fields)
	return LiteralGroup{Fields: fields, AnyOf: dedupFold(append(slices.Clone(a.AnyOf), b.AnyOf...))}
}

func dedupFold(in []string) []string {
	var out []string
	for _, s := range in {
		dup := false
		for _, o := range out {
			if strings.EqualFold(o, s) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// longestLiteralRun returns the longest stretch of a wildcard pattern with
// no * or ?: every value the pattern matches contains it.
func longestLiteralRun(p string) string {
	best := ""
	for _, run := range strings.FieldsFunc(p, func(r rune) bool { return r == '*' || r == '?' }) {
		if len(run) > len(best) {
			best = run
		}
	}
	return best
}
