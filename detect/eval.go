package detect

// Evaluation follows how Elasticsearch executes a single-event EQL query:
// the condition's boolean structure (and, or, not) becomes a Lucene bool
// query, and each predicate under it ("leaf": a comparison, a :/in/like/
// regex test, a boolean function, a bare boolean field) becomes one Lucene
// query or one Painless script. A leaf is true when some combination of the
// values of the fields it reads satisfies it: one value of a list field is
// enough (Lucene term/wildcard/range queries on multi-valued fields, and
// InternalEqlScriptUtils.multiValueDocValues for scripts). A field missing
// from the document is null inside the leaf ("missing value means null",
// multiValueDocValues), and a null comparison is not a match.
//
// Negation wraps the whole leaf: "not X", "x != literal" and "x not in (..)"
// are Lucene must_not clauses (querytranslator_tests.txt:
// notFilter, fieldNotEqualsTrue, negatedInFilterWithScripting), so they
// match a document that lacks the field, and a list field matches only
// when no element matches the positive form.

// tri is a three-valued truth for abstract evaluation: triUnknown only
// arises from fields present with unknown values (Feasible, Analysis).
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func notTri(t tri) tri {
	switch t {
	case triFalse:
		return triTrue
	case triTrue:
		return triFalse
	}
	return triUnknown
}

// env supplies field values: concrete documents, or abstract ones where a
// present field's values are unknown.
type env interface {
	values(field string) []any // nil: missing
}

type docEnv map[string]any

func (d docEnv) values(field string) []any { return lookup(d, field) }

type abstractEnv struct {
	has func(string) bool
}

var unknownList = []any{unknown}

func (a abstractEnv) values(field string) []any {
	if a.has(field) {
		return unknownList
	}
	return nil
}

// Match reports whether doc satisfies the query. doc is a flat ECS document
// (dotted keys, mapping.Doc) or a nested one.
func (q *Query) Match(doc map[string]any) bool {
	return q.eval(docEnv(doc)) == triTrue
}

func (q *Query) eval(e env) tri {
	if q.Category != "" {
		cat := triFalse
		for _, v := range e.values("event.category") {
			if isUnknown(v) {
				cat = triUnknown
				continue
			}
			if s, ok := v.(string); ok && s == q.Category {
				cat = triTrue
				break
			}
		}
		if cat == triFalse {
			return triFalse
		}
		c := q.cond(q.Where, e)
		if cat == triUnknown && c == triTrue {
			return triUnknown
		}
		return c
	}
	return q.cond(q.Where, e)
}

// leaf evaluation modes.
const (
	modeAsWritten = iota
	modePositive  // a negated Match evaluated without its negation
	modeEqual     // x != literal evaluated as x == literal
)

func (q *Query) cond(x Expr, e env) tri {
	switch n := x.(type) {
	case *Paren:
		return q.cond(n.X, e)
	case *Not:
		return notTri(q.cond(n.X, e))
	case *Logical:
		l := q.cond(n.X, e)
		if n.Op == "and" {
			if l == triFalse {
				return triFalse
			}
			r := q.cond(n.Y, e)
			switch {
			case r == triFalse:
				return triFalse
			case l == triTrue && r == triTrue:
				return triTrue
			}
			return triUnknown
		}
		if l == triTrue {
			return triTrue
		}
		r := q.cond(n.Y, e)
		switch {
		case r == triTrue:
			return triTrue
		case l == triFalse && r == triFalse:
			return triFalse
		}
		return triUnknown
	case *Literal:
		if n.Value == true {
			return triTrue
		}
		return triFalse
	case *Match:
		if n.Negated {
			return notTri(q.leaf(n, e, modePositive))
		}
	case *Compare:
		if n.Op == "!=" && fieldVersusLiteral(n) {
			return notTri(q.leaf(n, e, modeEqual))
		}
	}
	return q.leaf(x, e, modeAsWritten)
}

// fieldVersusLiteral reports whether c compares a field with a non-null
// constant: the shape Elasticsearch translates to a Lucene query (and
// != to must_not) rather than to a script.
func fieldVersusLiteral(c *Compare) bool {
	x, y := unparen(c.X), unparen(c.Y)
	if _, ok := x.(*Field); ok {
		l, ok := y.(*Literal)
		return ok && l.Value != nil
	}
	if _, ok := y.(*Field); ok {
		l, ok := x.(*Literal)
		return ok && l.Value != nil
	}
	return false
}

func unparen(x Expr) Expr {
	for {
		p, ok := x.(*Paren)
		if !ok {
			return x
		}
		x = p.X
	}
}

// maxCombinations bounds the values tried for a leaf reading several list
// fields; beyond it the leaf does not match (documented limit).
const maxCombinations = 1 << 12

// binding holds one value per field for one evaluation of a leaf.
type binding struct {
	names []string
	vals  []any
}

func (b *binding) get(name string) any {
	for i, n := range b.names {
		if n == name {
			return b.vals[i]
		}
	}
	return nil
}

var nullList = []any{nil}

func (q *Query) leaf(x Expr, e env, mode int) tri {
	names := q.leafFields[x]
	// Leaves read few fields: keep the working set on the stack.
	var (
		valsBuf  [4]any
		listsBuf [4][]any
		idxBuf   [4]int
	)
	vals, lists, idx := valsBuf[:0], listsBuf[:0], idxBuf[:0]
	if len(names) > len(valsBuf) {
		vals, lists, idx = make([]any, 0, len(names)), make([][]any, 0, len(names)), make([]int, 0, len(names))
	}
	for _, n := range names {
		l := e.values(n)
		if len(l) == 0 {
			l = nullList
		}
		vals = append(vals, nil)
		lists = append(lists, l)
		idx = append(idx, 0)
	}
	b := binding{names: names, vals: vals}
	sawUnknown := false
	for tries := 0; tries < maxCombinations; tries++ {
		for i := range names {
			b.vals[i] = lists[i][idx[i]]
		}
		v := q.leafValue(x, &b, mode)
		switch {
		case v == true:
			return triTrue
		case isUnknown(v):
			sawUnknown = true
		}
		// next combination
		i := len(idx) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(lists[i]) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			break
		}
	}
	if sawUnknown {
		return triUnknown
	}
	return triFalse
}

func (q *Query) leafValue(x Expr, b *binding, mode int) any {
	switch mode {
	case modePositive:
		return matchPositive(x.(*Match), b)
	case modeEqual:
		c := x.(*Compare)
		return compareOp("==", c, b)
	}
	return scalar(x, b)
}

// scalar evaluates an expression on one binding, with SQL-style nulls.
func scalar(x Expr, b *binding) any {
	switch n := x.(type) {
	case *Field:
		return b.get(n.Name)
	case *Literal:
		return n.Value
	case *Paren:
		return scalar(n.X, b)
	case *Neg:
		v := scalar(n.X, b)
		switch t := v.(type) {
		case int64:
			if t == -t && t != 0 { // MinInt64
				return nil
			}
			return -t
		case float64:
			return -t
		case unknownValue:
			return unknown
		}
		return nil
	case *Arith:
		l, r := scalar(n.X, b), scalar(n.Y, b)
		if l == nil || r == nil {
			return nil
		}
		if isUnknown(l) || isUnknown(r) {
			return unknown
		}
		return arith(n.Op, l, r)
	case *Call:
		args := make([]any, len(n.Args))
		anyUnknown, anyNull := false, false
		for i, a := range n.Args {
			args[i] = scalar(a, b)
			anyUnknown = anyUnknown || isUnknown(args[i])
			anyNull = anyNull || args[i] == nil
		}
		if anyNull && !n.fn.nullSafe {
			return nil
		}
		if anyUnknown {
			return unknown
		}
		return n.fn.call(args, n.CaseInsensitive)
	case *Not:
		switch v := scalar(n.X, b).(type) {
		case bool:
			return !v
		case unknownValue:
			return unknown
		}
		return nil
	case *Logical:
		return logical(n.Op, scalar(n.X, b), scalar(n.Y, b))
	case *Compare:
		return compareOp(n.Op, n, b)
	case *Match:
		v := matchPositive(n, b)
		if n.Negated {
			switch t := v.(type) {
			case bool:
				return !t
			}
		}
		return v
	}
	return nil
}

// logical is Kleene and/or over true, false, null and unknown.
func logical(op string, l, r any) any {
	lb, lok := l.(bool)
	rb, rok := r.(bool)
	if op == "and" {
		if (lok && !lb) || (rok && !rb) {
			return false
		}
		if lok && rok {
			return true
		}
	} else {
		if (lok && lb) || (rok && rb) {
			return true
		}
		if lok && rok {
			return false
		}
	}
	if isUnknown(l) || isUnknown(r) {
		return unknown
	}
	return nil
}

func isNullLiteral(x Expr) bool {
	l, ok := unparen(x).(*Literal)
	return ok && l.Value == nil
}

// compareOp evaluates op over the comparison's operands. Comparing with
// the null literal tests for null (Elasticsearch translates "x == null" to
// must_not exists and "x != null" to exists, querytranslator_tests.txt
// isNull); any other comparison involving null is null.
func compareOp(op string, c *Compare, b *binding) any {
	if isNullLiteral(c.X) || isNullLiteral(c.Y) {
		other := c.X
		if isNullLiteral(c.X) {
			other = c.Y
		}
		v := scalar(other, b)
		if isUnknown(v) {
			return unknown
		}
		switch op {
		case "==":
			return v == nil
		case "!=":
			return v != nil
		}
		return nil
	}
	l, r := scalar(c.X, b), scalar(c.Y, b)
	if l == nil || r == nil {
		return nil
	}
	if isUnknown(l) || isUnknown(r) {
		return unknown
	}
	cmp, ok := compareValues(l, r)
	if !ok {
		return nil
	}
	switch op {
	case "==":
		return cmp == 0
	case "!=":
		return cmp != 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return nil
}

// matchPositive evaluates a :, in, like or regex test without its negation.
func matchPositive(m *Match, b *binding) any {
	x := scalar(m.X, b)
	if isUnknown(x) {
		return unknown
	}
	sawUnknown := false
	for i, item := range m.List {
		p := scalar(item, b)
		if isUnknown(p) {
			sawUnknown = true
			continue
		}
		switch m.Op {
		case ":":
			if p == nil {
				if x == nil {
					return true
				}
				continue
			}
			if x == nil {
				continue
			}
			// ":" compares strings only (Elasticsearch refuses it on
			// non-string fields); a non-string value does not match.
			ps, pok := p.(string)
			xs, xok := x.(string)
			if pok && xok && matchWildcard(m, i, ps, xs, true) {
				return true
			}
		case "in":
			if x == nil || p == nil {
				continue
			}
			if eq, _ := equalValues(x, p, m.CaseInsensitive); eq {
				return true
			}
		case "like":
			xs, ok := x.(string)
			if !ok {
				continue
			}
			if ps, ok := p.(string); ok && matchWildcard(m, i, ps, xs, m.CaseInsensitive) {
				return true
			}
		case "regex":
			xs, ok := x.(string)
			if !ok {
				continue
			}
			if i < len(m.regexps) && m.regexps[i].match(xs) {
				return true
			}
		}
	}
	if sawUnknown {
		return unknown
	}
	if x == nil {
		return nil
	}
	return false
}

// computeLeaves records, for every leaf of the condition, the distinct
// fields it reads (in order of appearance).
func computeLeaves(x Expr, out map[Expr][]string) {
	switch n := x.(type) {
	case *Paren:
		computeLeaves(n.X, out)
		return
	case *Not:
		computeLeaves(n.X, out)
		return
	case *Logical:
		computeLeaves(n.X, out)
		computeLeaves(n.Y, out)
		return
	}
	out[x] = fieldsOf(x)
}

func fieldsOf(x Expr) []string {
	var names []string
	seen := map[string]bool{}
	Inspect(x, func(n Node) bool {
		if f, ok := n.(*Field); ok && !seen[f.Name] {
			seen[f.Name] = true
			names = append(names, f.Name)
		}
		return true
	})
	return names
}

// matchWildcard uses the pattern prepared at parse time when there is one.
func matchWildcard(m *Match, i int, pattern, s string, ci bool) bool {
	if i < len(m.wildcards) && m.wildcards[i] != nil {
		return m.wildcards[i].match(s, ci)
	}
	return wildcardMatch(pattern, s, ci)
}
