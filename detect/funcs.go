package detect

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf16"
)

type argKind int

const (
	kindAny argKind = iota
	kindString
	kindNumber
	kindInt
	kindBool
)

// function is one EQL function. impl receives evaluated arguments (nil for
// null, never unknown) and returns a value; ci is set for the ~ form.
type function struct {
	name             string
	minArgs, maxArgs int // maxArgs -1: variadic
	tilde            bool
	boolean          bool // returns a boolean (may stand as a condition)
	argKinds         []argKind
	nullSafe         bool // impl handles null arguments itself
	impl             func(args []any, ci bool) any
}

func (f *function) arity() string {
	switch {
	case f.maxArgs < 0:
		return "at least " + strconv.Itoa(f.minArgs) + " arguments"
	case f.minArgs == f.maxArgs:
		return strconv.Itoa(f.minArgs) + " arguments"
	}
	return strconv.Itoa(f.minArgs) + " to " + strconv.Itoa(f.maxArgs) + " arguments"
}

// functions is Elasticsearch EQL's function set (the string, math and IP
// functions of the EQL function reference), keyed by lower-case name:
// Elasticsearch resolves function names case-insensitively
// (querytranslator_tests.txt uses both startsWith and startswith~).
var functions = buildFunctions()

func buildFunctions() map[string]*function {
	table := map[string]*function{}
	for _, f := range []*function{
		{name: "add", minArgs: 2, maxArgs: 2, argKinds: []argKind{kindNumber, kindNumber}, impl: func(a []any, _ bool) any { return arith("+", a[0], a[1]) }},
		{name: "subtract", minArgs: 2, maxArgs: 2, argKinds: []argKind{kindNumber, kindNumber}, impl: func(a []any, _ bool) any { return arith("-", a[0], a[1]) }},
		{name: "multiply", minArgs: 2, maxArgs: 2, argKinds: []argKind{kindNumber, kindNumber}, impl: func(a []any, _ bool) any { return arith("*", a[0], a[1]) }},
		{name: "divide", minArgs: 2, maxArgs: 2, argKinds: []argKind{kindNumber, kindNumber}, impl: func(a []any, _ bool) any { return arith("/", a[0], a[1]) }},
		{name: "modulo", minArgs: 2, maxArgs: 2, argKinds: []argKind{kindNumber, kindNumber}, impl: func(a []any, _ bool) any { return arith("%", a[0], a[1]) }},
		{name: "between", minArgs: 3, maxArgs: 4, tilde: true, argKinds: []argKind{kindString, kindString, kindString, kindBool}, impl: fnBetween},
		{name: "cidrMatch", minArgs: 2, maxArgs: -1, boolean: true, argKinds: []argKind{kindString, kindString}, impl: fnCidrMatch},
		{name: "concat", minArgs: 1, maxArgs: -1, nullSafe: true, impl: fnConcat},
		{name: "endsWith", minArgs: 2, maxArgs: 2, tilde: true, boolean: true, argKinds: []argKind{kindString, kindString}, impl: func(a []any, ci bool) any {
			return strPred(a, ci, strings.HasSuffix)
		}},
		{name: "startsWith", minArgs: 2, maxArgs: 2, tilde: true, boolean: true, argKinds: []argKind{kindString, kindString}, impl: func(a []any, ci bool) any {
			return strPred(a, ci, strings.HasPrefix)
		}},
		{name: "stringContains", minArgs: 2, maxArgs: 2, tilde: true, boolean: true, argKinds: []argKind{kindString, kindString}, impl: func(a []any, ci bool) any {
			// The function reference: stringContains(x, "") is false.
			return strPred(a, ci, func(s, sub string) bool { return sub != "" && strings.Contains(s, sub) })
		}},
		{name: "indexOf", minArgs: 2, maxArgs: 3, tilde: true, nullSafe: true, argKinds: []argKind{kindString, kindString, kindNumber}, impl: fnIndexOf},
		{name: "length", minArgs: 1, maxArgs: 1, argKinds: []argKind{kindString}, impl: fnLength},
		{name: "number", minArgs: 1, maxArgs: 2, nullSafe: true, argKinds: []argKind{kindString, kindInt}, impl: fnNumber},
		{name: "string", minArgs: 1, maxArgs: 1, impl: func(a []any, _ bool) any {
			if s, ok := toString(a[0]); ok {
				return s
			}
			return nil
		}},
		{name: "substring", minArgs: 2, maxArgs: 3, nullSafe: true, argKinds: []argKind{kindString, kindNumber, kindNumber}, impl: fnSubstring},
		{name: "wildcard", minArgs: 2, maxArgs: -1, tilde: true, boolean: true, argKinds: []argKind{kindString, kindString}, impl: fnWildcard},
	} {
		table[strings.ToLower(f.name)] = f
	}
	return table
}

// call evaluates a function on evaluated arguments. Unless the function
// handles nulls itself, a null argument makes the result null, as
// Elasticsearch's processors do.
func (f *function) call(args []any, ci bool) any {
	if !f.nullSafe {
		for _, a := range args {
			if a == nil {
				return nil
			}
		}
	}
	return f.impl(args, ci)
}

func strArgs(a []any) ([]string, bool) {
	out := make([]string, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

func strPred(a []any, ci bool, pred func(s, sub string) bool) any {
	s, ok := strArgs(a)
	if !ok {
		return nil
	}
	if ci {
		return pred(strings.ToLower(s[0]), strings.ToLower(s[1]))
	}
	return pred(s[0], s[1])
}

// fnBetween follows Elasticsearch's StringUtils.between: the text after
// left up to right (the last right when greedy); "" when either is absent.
func fnBetween(a []any, ci bool) any {
	greedy := false
	if len(a) == 4 {
		g, ok := a[3].(bool)
		if !ok {
			return nil
		}
		greedy = g
	}
	s, ok := strArgs(a[:3])
	if !ok {
		return nil
	}
	src, left, right := s[0], s[1], s[2]
	hay, l, r := src, left, right
	if ci {
		hay, l, r = strings.ToLower(src), strings.ToLower(left), strings.ToLower(right)
		if len(hay) != len(src) { // lower-casing changed byte offsets: stay exact
			hay, l, r = src, left, right
		}
	}
	start := strings.Index(hay, l)
	if start < 0 {
		return ""
	}
	start += len(l)
	var end int
	if greedy {
		end = strings.LastIndex(hay, r)
		if end < start {
			return ""
		}
	} else {
		end = strings.Index(hay[start:], r)
		if end < 0 {
			return ""
		}
		end += start
	}
	return src[start:end]
}

func fnCidrMatch(a []any, _ bool) any {
	ipStr, ok := a[0].(string)
	if !ok {
		return nil
	}
	ip, err := netip.ParseAddr(ipStr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, c := range a[1:] {
		cs, ok := c.(string)
		if !ok {
			continue
		}
		pfx, err := netip.ParsePrefix(cs)
		if err != nil {
			if single, err2 := netip.ParseAddr(cs); err2 == nil {
				pfx = netip.PrefixFrom(single, single.BitLen())
			} else {
				continue
			}
		}
		if pfx.Contains(ip) {
			return true
		}
	}
	return false
}

// fnConcat joins the string forms of its arguments; any null makes it null
// (test_string_functions.toml: concat("a", "||", null, "||", "b") is null).
func fnConcat(a []any, _ bool) any {
	var b strings.Builder
	for _, v := range a {
		s, ok := toString(v)
		if !ok {
			return nil
		}
		b.WriteString(s)
	}
	return b.String()
}

// fnIndexOf returns the first index of sub in s at or after start, or null.
// Indexes count UTF-16 code units, as Java strings do.
func fnIndexOf(a []any, ci bool) any {
	if a[0] == nil || a[1] == nil {
		return nil
	}
	s, ok1 := a[0].(string)
	sub, ok2 := a[1].(string)
	if !ok1 || !ok2 {
		return nil
	}
	start := int64(0)
	if len(a) == 3 && a[2] != nil {
		f, ok := toFloat(a[2])
		if !ok {
			return nil
		}
		start = int64(f)
	}
	if start < 0 {
		start = 0
	}
	u := utf16.Encode([]rune(s))
	if start > int64(len(u)) {
		return nil // start beyond the string (function reference)
	}
	w := utf16.Encode([]rune(sub))
	if ci {
		u = utf16.Encode([]rune(strings.ToLower(s)))
		w = utf16.Encode([]rune(strings.ToLower(sub)))
	}
	for i := int(min(start, int64(len(u)))); i+len(w) <= len(u); i++ {
		if equalUnits(u[i:i+len(w)], w) {
			return int64(i)
		}
	}
	return nil
}

func equalUnits(a, b []uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fnLength is the length in UTF-16 code units (Java's String.length()).
func fnLength(a []any, _ bool) any {
	s, ok := a[0].(string)
	if !ok {
		return nil
	}
	n := int64(0)
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// fnNumber parses a string in base 10 (default; "0x" prefix means 16) or
// the given base; decimals only in base 10. Unparsable input is null.
func fnNumber(a []any, _ bool) any {
	s, ok := a[0].(string)
	if !ok {
		return nil
	}
	base := int64(10)
	explicit := false
	if len(a) == 2 && a[1] != nil {
		b, ok := a[1].(int64)
		if !ok || b < 2 || b > 36 {
			return nil
		}
		base, explicit = b, true
	}
	t := strings.TrimSpace(s)
	neg := false
	body := t
	if strings.HasPrefix(body, "-") || strings.HasPrefix(body, "+") {
		neg = body[0] == '-'
		body = body[1:]
	}
	if (base == 16 || !explicit) && (strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X")) {
		body, base = body[2:], 16
	}
	if body == "" {
		return nil
	}
	if n, err := strconv.ParseInt(body, int(base), 64); err == nil {
		if neg {
			n = -n
		}
		return n
	}
	if base == 10 {
		if f, err := strconv.ParseFloat(body, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			if neg {
				f = -f
			}
			return f
		}
	}
	return nil
}

// fnSubstring slices like Python (negative offsets count from the end),
// as Elasticsearch's SubstringFunctionUtils does; offsets count characters.
func fnSubstring(a []any, _ bool) any {
	if a[0] == nil {
		return nil
	}
	s, ok := a[0].(string)
	if !ok {
		return nil
	}
	r := []rune(s)
	n := int64(len(r))
	start, end := int64(0), n
	if a[1] != nil {
		f, ok := toFloat(a[1])
		if !ok {
			return nil
		}
		start = int64(f)
	}
	if len(a) == 3 && a[2] != nil {
		f, ok := toFloat(a[2])
		if !ok {
			return nil
		}
		end = int64(f)
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(0, min(start, n))
	end = max(0, min(end, n))
	if start >= end {
		return ""
	}
	return string(r[start:end])
}

func fnWildcard(a []any, ci bool) any {
	s, ok := a[0].(string)
	if !ok {
		return nil
	}
	for _, p := range a[1:] {
		if ps, ok := p.(string); ok && wildcardMatch(ps, s, ci) {
			return true
		}
	}
	return false
}

// arith applies + - * / % with Java semantics: integer arithmetic on
// integers (truncating division), float otherwise. Overflow and division
// by zero, errors in Elasticsearch, are null here.
func arith(op string, x, y any) any {
	if x == nil || y == nil {
		return nil
	}
	if !isNumber(x) || !isNumber(y) {
		return nil
	}
	a, aInt := x.(int64)
	b, bInt := y.(int64)
	if aInt && bInt {
		switch op {
		case "+":
			s := a + b
			if (s > a) != (b > 0) {
				return nil
			}
			return s
		case "-":
			d := a - b
			if (d < a) != (b > 0) {
				return nil
			}
			return d
		case "*":
			if a == 0 || b == 0 {
				return int64(0)
			}
			p := a * b
			if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
				return nil
			}
			return p
		case "/":
			if b == 0 || (a == math.MinInt64 && b == -1) {
				return nil
			}
			return a / b
		case "%":
			if b == 0 {
				return nil
			}
			if b == -1 {
				return int64(0)
			}
			return a % b
		}
		return nil
	}
	fa, _ := toFloat(x)
	fb, _ := toFloat(y)
	var r float64
	switch op {
	case "+":
		r = fa + fb
	case "-":
		r = fa - fb
	case "*":
		r = fa * fb
	case "/":
		if fb == 0 {
			return nil
		}
		r = fa / fb
	case "%":
		if fb == 0 {
			return nil
		}
		r = math.Mod(fa, fb)
	}
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return nil
	}
	return r
}
