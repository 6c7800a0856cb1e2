package detect

import (
	"fmt"
	"strconv"
	"strings"
)

// Query is a parsed single-event EQL query: "<category> where <condition>"
// or "any where <condition>". It is immutable and safe for concurrent use.
type Query struct {
	Text     string // the query as written
	Category string // event category; "" for any
	CatPos   int
	Where    Expr

	leafFields map[Expr][]string // fields read by each leaf predicate
}

// String returns the query in canonical form.
func (q *Query) String() string {
	cat := "any"
	if q.Category != "" {
		cat = q.Category
		if !isPlainFieldName(cat) {
			cat = quoteEQL(cat)
		}
	}
	return cat + " where " + q.Where.String()
}

// SyntaxError is a query that could not be parsed, or that uses a construct
// outside the supported single-event subset. Pos is a byte offset.
type SyntaxError struct {
	Query string
	Pos   int
	Msg   string
	Err   error // *UnsupportedError for constructs outside the subset
}

func (e *SyntaxError) Unwrap() error { return e.Err }

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %s: %s", position(e.Query, e.Pos), e.Msg)
}

// UnsupportedError marks a valid Elasticsearch EQL construct that shadowscan
// does not evaluate (sequences, samples, joins, pipes, process
// relationships). errors.As finds it inside a SyntaxError chain.
type UnsupportedError struct {
	Construct string
}

func (e *UnsupportedError) Error() string {
	return e.Construct + " is not supported (shadowscan evaluates single-event queries only)"
}

// maxDepth bounds nesting so that no input can exhaust the stack.
const maxDepth = 200

var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "like": true, "regex": true,
	"where": true, "any": true, "sequence": true, "sample": true, "join": true,
	"until": true, "by": true, "with": true, "true": true, "false": true,
	"null": true, "of": true,
}

type parser struct {
	text  string
	items []item
	i     int
	depth int
}

// Parse parses a single-event EQL query with Elasticsearch's syntax.
func Parse(eql string) (q *Query, err error) {
	p := &parser{text: eql, items: lex(eql)}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			q, err = nil, se
		}
	}()
	q = p.query()
	q.Where = rewriteBoolEquals(q.Where)
	q.leafFields = map[Expr][]string{}
	computeLeaves(q.Where, q.leafFields)
	return q, nil
}

func (p *parser) next() item {
	it := p.items[p.i]
	if it.typ == itemError {
		p.fail(it.pos, "%s", it.val)
	}
	if p.i < len(p.items)-1 {
		p.i++
	}
	return it
}

func (p *parser) peek() item {
	it := p.items[p.i]
	if it.typ == itemError {
		p.fail(it.pos, "%s", it.val)
	}
	return it
}

func (p *parser) peekAt(k int) item {
	if p.i+k < len(p.items) {
		return p.items[p.i+k]
	}
	return p.items[len(p.items)-1]
}

func (p *parser) fail(pos int, format string, args ...any) {
	panic(&SyntaxError{Query: p.text, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) refuse(pos int, construct string) {
	u := &UnsupportedError{Construct: construct}
	panic(&SyntaxError{Query: p.text, Pos: pos, Msg: u.Error(), Err: u})
}

func (p *parser) isKeyword(it item, kw string) bool {
	return it.typ == itemIdent && it.val == kw
}

func (p *parser) isOp(it item, op string) bool {
	return it.typ == itemOp && it.val == op
}

func (p *parser) expectOp(op string) item {
	it := p.next()
	if !p.isOp(it, op) {
		p.fail(it.pos, "expected %q, found %s", op, describe(it))
	}
	return it
}

func describe(it item) string {
	switch it.typ {
	case itemEOF:
		return "end of query"
	case itemString:
		return "string " + quoteEQL(it.val)
	}
	return fmt.Sprintf("%q", it.raw)
}

func (p *parser) query() *Query {
	first := p.next()
	q := &Query{Text: p.text, CatPos: first.pos}
	switch {
	case p.isKeyword(first, "sequence"):
		p.refuse(first.pos, "sequence")
	case p.isKeyword(first, "sample"):
		p.refuse(first.pos, "sample")
	case p.isKeyword(first, "join"):
		p.refuse(first.pos, "join")
	case p.isKeyword(first, "any"):
	case first.typ == itemIdent && !keywords[first.val]:
		q.Category = first.val
	case first.typ == itemString:
		q.Category = first.val
	default:
		p.fail(first.pos, "expected an event category or 'any', found %s", describe(first))
	}
	if w := p.next(); !p.isKeyword(w, "where") {
		p.fail(w.pos, "expected 'where', found %s", describe(w))
	}
	q.Where = p.expr()
	end := p.next()
	switch {
	case end.typ == itemEOF:
	case p.isOp(end, "|"):
		p.refuse(end.pos, "pipe '|'")
	case p.isKeyword(end, "by") || p.isKeyword(end, "until") || p.isKeyword(end, "with"):
		p.refuse(end.pos, "'"+end.val+"' (sequence/join clause)")
	default:
		p.fail(end.pos, "unexpected %s after the condition", describe(end))
	}
	if err := checkBoolean(q.Where); err != "" {
		p.fail(q.Where.Pos(), "%s", err)
	}
	return q
}

func (p *parser) enter(pos int) {
	p.depth++
	if p.depth > maxDepth {
		p.fail(pos, "expression nested too deeply (more than %d levels)", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) expr() Expr { return p.or() }

func (p *parser) or() Expr {
	p.enter(p.peek().pos)
	defer p.leave()
	x := p.and()
	for p.isKeyword(p.peek(), "or") {
		op := p.next()
		y := p.and()
		x = &Logical{At: op.pos, Op: "or", X: x, Y: y}
	}
	return x
}

func (p *parser) and() Expr {
	x := p.not()
	for p.isKeyword(p.peek(), "and") {
		op := p.next()
		y := p.not()
		x = &Logical{At: op.pos, Op: "and", X: x, Y: y}
	}
	return x
}

func (p *parser) not() Expr {
	if it := p.peek(); p.isKeyword(it, "not") {
		p.next()
		p.enter(it.pos)
		defer p.leave()
		return &Not{At: it.pos, X: p.not()}
	}
	return p.predicate()
}

var compareOps = map[string]bool{"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

func (p *parser) predicate() Expr {
	x := p.additive()
	it := p.peek()
	switch {
	case it.typ == itemOp && compareOps[it.val]:
		p.next()
		y := p.additive()
		if nx := p.peek(); nx.typ == itemOp && compareOps[nx.val] {
			p.fail(nx.pos, "comparisons cannot be chained; use 'and'")
		}
		return &Compare{At: it.pos, Op: it.val, X: x, Y: y}
	case p.isOp(it, "="):
		p.fail(it.pos, "use == instead of = for equality")
	case p.isOp(it, "!:"):
		// ES 7.10 had !:; the grammar of later versions dropped it.
		p.fail(it.pos, "there is no !: operator; write not (x : ...)")
	case p.isOp(it, ":"):
		p.next()
		m := &Match{At: it.pos, Op: ":", CaseInsensitive: true, X: x}
		m.List = p.constants(":")
		for _, e := range m.List {
			switch e.(*Literal).Value.(type) {
			case string, nil:
			default:
				// VerifierTests.testIncorrectUsageOfStringEquals: ":" compares strings only.
				p.fail(e.Pos(), "%s argument of [:] must be [string], found value [%s]; consider using [==] instead", "2nd", e)
			}
		}
		m.prepareWildcards()
		return m
	case p.isKeyword(it, "in") || (it.typ == itemTilde && it.val == "in"):
		p.next()
		return p.in(it, x, false)
	case p.isKeyword(it, "not"):
		nx := p.peekAt(1)
		if p.isKeyword(nx, "in") || (nx.typ == itemTilde && nx.val == "in") {
			p.next()
			p.next()
			return p.in(nx, x, true)
		}
	case p.isKeyword(it, "like") || p.isKeyword(it, "regex") ||
		(it.typ == itemTilde && (it.val == "like" || it.val == "regex")):
		p.next()
		m := &Match{At: it.pos, Op: it.val, CaseInsensitive: it.typ == itemTilde, X: x}
		m.List = p.constants(it.val)
		for _, e := range m.List {
			if _, ok := e.(*Literal).Value.(string); !ok {
				p.fail(e.Pos(), "%s patterns must be strings, found %s", it.raw, e)
			}
		}
		m.prepareWildcards()
		if m.Op == "regex" {
			for _, e := range m.List {
				re, err := compileRegex(e.(*Literal).Value.(string), m.CaseInsensitive)
				if err != nil {
					p.fail(e.Pos(), "%v", err)
				}
				m.regexps = append(m.regexps, re)
			}
		}
		return m
	case p.isKeyword(it, "of"):
		p.refuse(it.pos, "process relationship ('descendant of', 'child of', 'event of')")
	}
	return x
}

func (p *parser) in(op item, x Expr, negated bool) Expr {
	m := &Match{At: op.pos, Op: "in", Negated: negated, CaseInsensitive: op.typ == itemTilde, X: x}
	lp := p.expectOp("(")
	for {
		m.List = append(m.List, p.expr())
		if p.isOp(p.peek(), ",") {
			p.next()
			continue
		}
		break
	}
	p.expectOp(")")
	// Elasticsearch's verifier refuses a list mixing strings and numbers
	// (VerifierTests.testMixedSet: "2nd argument of [long_field in (1,
	// "string")] must be [long]").
	var kinds = map[string]bool{}
	for _, e := range m.List {
		if l, ok := e.(*Literal); ok {
			switch l.Value.(type) {
			case string:
				kinds["string"] = true
			case int64, float64:
				kinds["number"] = true
			}
		}
	}
	if kinds["string"] && kinds["number"] {
		p.fail(lp.pos, "the list of %s mixes strings and numbers", m.String())
	}
	return m
}

// constants reads one literal or a parenthesised list of literals.
func (p *parser) constants(op string) []Expr {
	if p.isOp(p.peek(), "(") {
		p.next()
		var out []Expr
		for {
			out = append(out, p.constant(op))
			if p.isOp(p.peek(), ",") {
				p.next()
				continue
			}
			break
		}
		p.expectOp(")")
		return out
	}
	return []Expr{p.constant(op)}
}

func (p *parser) constant(op string) Expr {
	it := p.peek()
	neg := false
	if p.isOp(it, "-") {
		p.next()
		neg = true
	}
	e := p.primary()
	l, ok := e.(*Literal)
	if !ok {
		p.fail(e.Pos(), "the right side of %q must be a constant, found %s", op, e)
	}
	if neg {
		switch v := l.Value.(type) {
		case int64:
			l.Value = -v
		case float64:
			l.Value = -v
		default:
			p.fail(it.pos, "cannot negate %s", l)
		}
		l.At = it.pos
	}
	return l
}

func (p *parser) additive() Expr {
	x := p.multiplicative()
	for {
		it := p.peek()
		if !(p.isOp(it, "+") || p.isOp(it, "-")) {
			return x
		}
		p.next()
		y := p.multiplicative()
		x = &Arith{At: it.pos, Op: it.val, X: x, Y: y}
	}
}

func (p *parser) multiplicative() Expr {
	x := p.unary()
	for {
		it := p.peek()
		if !(p.isOp(it, "*") || p.isOp(it, "/") || p.isOp(it, "%")) {
			return x
		}
		p.next()
		y := p.unary()
		x = &Arith{At: it.pos, Op: it.val, X: x, Y: y}
	}
}

func (p *parser) unary() Expr {
	it := p.peek()
	if p.isOp(it, "-") || p.isOp(it, "+") {
		p.next()
		p.enter(it.pos)
		defer p.leave()
		x := p.unary()
		if it.val == "+" {
			return x
		}
		if l, ok := x.(*Literal); ok {
			switch v := l.Value.(type) {
			case int64:
				return &Literal{At: it.pos, Value: -v}
			case float64:
				return &Literal{At: it.pos, Value: -v}
			}
		}
		return &Neg{At: it.pos, X: x}
	}
	return p.primary()
}

func (p *parser) primary() Expr {
	it := p.next()
	switch it.typ {
	case itemString:
		return &Literal{At: it.pos, Value: it.val}
	case itemInt:
		v, err := strconv.ParseInt(it.val, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(it.val, 64)
			if ferr != nil {
				p.fail(it.pos, "invalid number %s", it.val)
			}
			return &Literal{At: it.pos, Value: f}
		}
		return &Literal{At: it.pos, Value: v}
	case itemFloat:
		f, err := strconv.ParseFloat(it.val, 64)
		if err != nil {
			p.fail(it.pos, "invalid number %s", it.val)
		}
		return &Literal{At: it.pos, Value: f}
	case itemTilde:
		if !p.isOp(p.peek(), "(") {
			p.fail(it.pos, "unexpected %q", it.raw)
		}
		return p.call(it, true)
	case itemQuoted:
		return p.field(it, false)
	case itemIdent:
		switch it.val {
		case "true":
			return &Literal{At: it.pos, Value: true}
		case "false":
			return &Literal{At: it.pos, Value: false}
		case "null":
			return &Literal{At: it.pos, Value: nil}
		case "descendant", "child", "event":
			if p.isKeyword(p.peek(), "of") {
				p.refuse(it.pos, "process relationship '"+it.val+" of'")
			}
		}
		if keywords[it.val] {
			p.fail(it.pos, "unexpected keyword %q", it.val)
		}
		if p.isOp(p.peek(), "(") {
			return p.call(it, false)
		}
		return p.field(it, false)
	case itemOp:
		switch it.val {
		case "(":
			p.enter(it.pos)
			defer p.leave()
			x := p.expr()
			p.expectOp(")")
			return &Paren{At: it.pos, X: x}
		case "?":
			nx := p.next()
			if nx.typ != itemIdent && nx.typ != itemQuoted {
				p.fail(nx.pos, "expected a field name after '?', found %s", describe(nx))
			}
			if nx.typ == itemIdent && keywords[nx.val] {
				p.fail(nx.pos, "unexpected keyword %q after '?'", nx.val)
			}
			f := p.field(nx, true)
			f.(*Field).At = it.pos
			return f
		}
	}
	p.fail(it.pos, "unexpected %s", describe(it))
	return nil
}

// field reads a dotted field name starting with it.
func (p *parser) field(it item, optional bool) Expr {
	parts := []string{it.val}
	for p.isOp(p.peek(), ".") {
		dot := p.next()
		nx := p.next()
		if nx.typ != itemIdent && nx.typ != itemQuoted {
			p.fail(dot.pos, "expected a field name after '.', found %s", describe(nx))
		}
		parts = append(parts, nx.val)
	}
	if br := p.peek(); p.isOp(br, "[") {
		p.refuse(br.pos, "array index")
	}
	return &Field{At: it.pos, Name: strings.Join(parts, "."), Optional: optional}
}

func (p *parser) call(name item, tilde bool) Expr {
	fn, ok := functions[strings.ToLower(name.val)]
	if !ok {
		p.fail(name.pos, "unknown function [%s]", name.val)
	}
	if tilde && !fn.tilde {
		p.fail(name.pos, "function [%s] has no case-insensitive (~) form", fn.name)
	}
	c := &Call{At: name.pos, Name: fn.name, CaseInsensitive: tilde, fn: fn}
	p.expectOp("(")
	if !p.isOp(p.peek(), ")") {
		for {
			c.Args = append(c.Args, p.expr())
			if p.isOp(p.peek(), ",") {
				p.next()
				continue
			}
			break
		}
	}
	p.expectOp(")")
	if len(c.Args) < fn.minArgs || (fn.maxArgs >= 0 && len(c.Args) > fn.maxArgs) {
		p.fail(name.pos, "function [%s] takes %s, found %d", fn.name, fn.arity(), len(c.Args))
	}
	for i, a := range c.Args {
		if i >= len(fn.argKinds) && len(fn.argKinds) > 0 {
			// variadic tail repeats the last kind
			if err := checkArgKind(fn, i, a, fn.argKinds[len(fn.argKinds)-1]); err != "" {
				p.fail(a.Pos(), "%s", err)
			}
			continue
		}
		if i < len(fn.argKinds) {
			if err := checkArgKind(fn, i, a, fn.argKinds[i]); err != "" {
				p.fail(a.Pos(), "%s", err)
			}
		}
	}
	return c
}

// checkArgKind refuses literal arguments of the wrong type, as
// Elasticsearch's verifier does (test_string_functions.toml:
// startsWith(1, "FOO") and number(1) are verifier failures).
func checkArgKind(fn *function, i int, a Expr, kind argKind) string {
	l, ok := a.(*Literal)
	if !ok || l.Value == nil || kind == kindAny {
		return ""
	}
	ord := ordinal(i + 1)
	switch kind {
	case kindString:
		if _, ok := l.Value.(string); !ok {
			return fmt.Sprintf("%s argument of [%s] must be [string], found value [%s]", ord, fn.name, l)
		}
	case kindNumber:
		switch l.Value.(type) {
		case int64, float64:
		default:
			return fmt.Sprintf("%s argument of [%s] must be [numeric], found value [%s]", ord, fn.name, l)
		}
	case kindInt:
		if _, ok := l.Value.(int64); !ok {
			return fmt.Sprintf("%s argument of [%s] must be [integer], found value [%s]", ord, fn.name, l)
		}
	case kindBool:
		if _, ok := l.Value.(bool); !ok {
			return fmt.Sprintf("%s argument of [%s] must be [boolean], found value [%s]", ord, fn.name, l)
		}
	}
	return ""
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return strconv.Itoa(n) + "th"
}

// checkBoolean refuses conditions that cannot be boolean, as
// Elasticsearch's verifier does ("Condition expression needs to be
// boolean", VerifierTests.testQueryCondition). A bare field is accepted: it
// is read as a boolean field.
func checkBoolean(e Expr) string {
	switch n := e.(type) {
	case *Paren:
		return checkBoolean(n.X)
	case *Not:
		return checkBoolean(n.X)
	case *Logical:
		if s := checkBoolean(n.X); s != "" {
			return s
		}
		return checkBoolean(n.Y)
	case *Literal:
		if _, ok := n.Value.(bool); ok || n.Value == nil {
			return ""
		}
		return fmt.Sprintf("condition expression needs to be boolean, found %s", n)
	case *Arith, *Neg:
		return fmt.Sprintf("condition expression needs to be boolean, found %s", n)
	case *Call:
		if !n.fn.boolean {
			return fmt.Sprintf("condition expression needs to be boolean, found %s", n)
		}
	}
	return ""
}

// rewriteBoolEquals applies Elasticsearch's optimizer rule for a boolean
// expression compared with a boolean constant: "f(x) == true" is f(x),
// "f(x) == false" and "f(x) != true" are "not f(x)" (querytranslator_tests.txt
// functionEqualsFalse / functionNotEqualsTrue become must_not queries).
// A bare field keeps its comparison (fieldEqualsFalse is a term query).
func rewriteBoolEquals(e Expr) Expr {
	switch n := e.(type) {
	case *Paren:
		n.X = rewriteBoolEquals(n.X)
	case *Not:
		n.X = rewriteBoolEquals(n.X)
	case *Logical:
		n.X = rewriteBoolEquals(n.X)
		n.Y = rewriteBoolEquals(n.Y)
	case *Compare:
		if n.Op != "==" && n.Op != "!=" {
			return n
		}
		x, y := n.X, n.Y
		lit, ok := unparen(y).(*Literal)
		if !ok {
			x, y = y, x
			lit, ok = unparen(y).(*Literal)
		}
		if !ok {
			return n
		}
		b, isBool := lit.Value.(bool)
		if !isBool || !isBooleanExpr(x) {
			return n
		}
		x = rewriteBoolEquals(x)
		if b == (n.Op == "==") {
			return x
		}
		return &Not{At: n.At, X: x}
	}
	return e
}

func isBooleanExpr(e Expr) bool {
	switch n := unparen(e).(type) {
	case *Call:
		return n.fn.boolean
	case *Match, *Not, *Logical:
		return true
	case *Compare:
		return true
	}
	return false
}

// prepareWildcards compiles the string patterns of a : or like test.
func (m *Match) prepareWildcards() {
	if m.Op != ":" && m.Op != "like" {
		return
	}
	m.wildcards = make([]*wildcardPattern, len(m.List))
	for i, e := range m.List {
		if l, ok := e.(*Literal); ok {
			if s, ok := l.Value.(string); ok {
				m.wildcards[i] = newWildcardPattern(s)
			}
		}
	}
}
