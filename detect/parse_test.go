package detect

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLexItems(t *testing.T) {
	src := "process where a.b : \"x*\" and ?c in~ (1, 2.5) // comment\n /* block */ startsWith~(`we``ird`, \"\"\"\\d\"\"\")"
	var got []string
	for _, it := range lex(src) {
		got = append(got, fmt.Sprintf("%d:%s:%q", it.pos, it.typ, it.val))
	}
	require.Equal(t, []string{
		`0:identifier:"process"`, `8:identifier:"where"`, `14:identifier:"a"`, `15:operator:"."`,
		`16:identifier:"b"`, `18:operator:":"`, `20:string:"x*"`, `25:identifier:"and"`,
		`29:operator:"?"`, `30:identifier:"c"`, `32:identifier:"in"`, `36:operator:"("`,
		`37:number:"1"`, `38:operator:","`, `40:number:"2.5"`, `43:operator:")"`,
		`69:identifier:"startsWith"`, `80:operator:"("`, "81:escaped identifier:\"we`ird\"",
		`90:operator:","`, `92:string:"\\d"`, `100:operator:")"`, `101:end of query:""`,
	}, got)
	// in~ and startsWith~ are tilde identifiers
	items := lex("x in~ (1)")
	require.Equal(t, itemTilde, items[1].typ)
}

func TestStringLiterals(t *testing.T) {
	for _, tc := range []struct {
		src, want string
	}{
		{`"a\nb"`, "a\nb"},
		{`"a\tb\rc"`, "a\tb\rc"},
		{`"q\"q"`, `q"q`},
		{`"b\\s"`, `b\s`},
		{`"it\'s"`, `it's`},
		{`"\u{41}\u{1F600}"`, "A\U0001F600"},
		{`"""raw \n "quoted" \ """`, `raw \n "quoted" \ `},
		{`"""C:\Windows\System32"""`, `C:\Windows\System32`},
		{`"""""a""b!""""`, `""a""b!"`}, // ExpressionTests.testTripleDoubleQuotedUnescapedString
		{`""""""`, ""},
		{`"\b\f"`, "\b\f"},
		{`"\u{00000041}\u{1F0}"`, "A\u01f0"},
		{`""`, ""},
	} {
		t.Run(tc.src, func(t *testing.T) {
			q, err := Parse("any where x == " + tc.src)
			require.NoError(t, err)
			lit := q.Where.(*Compare).Y.(*Literal)
			require.Equal(t, tc.want, lit.Value)
		})
	}
}

// sexpr prints a tree fully parenthesised, to check precedence.
func sexpr(e Expr) string {
	switch n := e.(type) {
	case *Logical:
		return "(" + n.Op + " " + sexpr(n.X) + " " + sexpr(n.Y) + ")"
	case *Not:
		return "(not " + sexpr(n.X) + ")"
	case *Compare:
		return "(" + n.Op + " " + sexpr(n.X) + " " + sexpr(n.Y) + ")"
	case *Arith:
		return "(" + n.Op + " " + sexpr(n.X) + " " + sexpr(n.Y) + ")"
	case *Neg:
		return "(- " + sexpr(n.X) + ")"
	case *Paren:
		return sexpr(n.X)
	case *Match:
		return "(" + strings.TrimSpace(strings.TrimSuffix(n.String(), joinExprs(n.List))[len(n.X.String()):]) + " " + sexpr(n.X) + ")"
	}
	return e.String()
}

func TestPrecedence(t *testing.T) {
	for _, tc := range []struct{ cond, want string }{
		{"a or b and c", "(or a (and b c))"},
		{"a and b or c", "(or (and a b) c)"},
		{"not a and b", "(and (not a) b)"},
		{"not a or b", "(or (not a) b)"},
		{"not not a", "(not (not a))"},
		{"(a or b) and c", "(and (or a b) c)"},
		{"a == 1 and b != 2 or c < 3", "(or (and (== a 1) (!= b 2)) (< c 3))"},
		{"not x == 1", "(not (== x 1))"},
		{"a + b * c == d - e % f", "(== (+ a (* b c)) (- d (% e f)))"},
		{"a - b - c > 0", "(> (- (- a b) c) 0)"},
		{"-a == -1", "(== (- a) -1)"},
		{"x : \"a\" and y in (1) or z not in~ (\"b\")", "(or (and (: x) (in y)) (not in~ z))"},
		{"x like~ \"a*\" and y regex \"b\"", "(and (like~ x) (regex y))"},
	} {
		t.Run(tc.cond, func(t *testing.T) {
			q, err := Parse("any where " + tc.cond)
			require.NoError(t, err)
			require.Equal(t, tc.want, sexpr(q.Where))
		})
	}
}

func TestParseRoundTrip(t *testing.T) {
	for _, src := range []string{
		`process where event.type in ("start", "process_created") and not process.name : ("a*", "b?c")`,
		"file where `my field`.`x``y` == 1 and ?opt.f != null",
		`any where startsWith~(process.name, "cmd") or length(x) > -2.5`,
		`"process" where x like~ ("a", "b") and y regex "c.*"`,
	} {
		q, err := Parse(src)
		require.NoError(t, err, src)
		again, err := Parse(q.String())
		require.NoError(t, err, q.String())
		require.Equal(t, q.String(), again.String())
	}
}

func TestParseErrors(t *testing.T) {
	deep := "any where " + strings.Repeat("(", 5000) + "true" + strings.Repeat(")", 5000)
	deepNot := "any where " + strings.Repeat("not ", 5000) + "true"
	for _, tc := range []struct {
		query, want string
		unsupported bool
	}{
		{"process where x = 1", "line 1:17: use == instead of =", false},
		{"process where 'a' == x", "line 1:15: use double quotes", false},
		{"process where x == ?'a'", `line 1:20: use triple double quotes ["""] to define unescaped string literals, not [?']`, false},
		{`process where name == ?"hello world"`, `line 1:23: use triple double quotes ["""] to define unescaped string literals, not [?"]`, false},
		{"process where x == \"\"\"a\nb\"\"\"", "raw strings cannot contain line breaks", false},
		{"process where ä == 1", "escape field names with backticks", false},
		{"process where a@b == 1", `unexpected "@b"`, false},
		{"process where x == 1 /* a /* nested */ still comment", "unterminated comment", false},
		{"sequence [process where true] [file where true]", "line 1:1: sequence is not supported", true},
		{"sequence by host.id [process where true]", "sequence is not supported", true},
		{"sample by host.id [process where true] [file where true]", "sample is not supported", true},
		{"join [process where true] [file where true]", "join is not supported", true},
		{"process where true | head 5", "line 1:20: pipe '|' is not supported", true},
		{"process where true\n| unique process.name", "line 2:1: pipe", true},
		{"process where x by y", "'by' (sequence/join clause) is not supported", true},
		{"process where x[0] == 1", "array index is not supported", true},
		{"process where descendant of [process where true]", "process relationship 'descendant of'", true},
		{"process where x and child of [process where true]", "process relationship 'child of'", true},
		{"process where x in (1, \"a\")", "mixes strings and numbers", false},
		{"process where x : y", "must be a constant", false},
		{"process where pid : 123", "2nd argument of [:] must be [string], found value [123]; consider using [==] instead", false},
		{`process where x !: "a"`, "there is no !: operator", false},
		{"process where x like 1", "like patterns must be strings", false},
		{"process where x regex \"a~b\"", "Lucene operator", false},
		{"process where x regex \"[a\"", "unterminated character class", false},
		{"process where foo(x)", "unknown function [foo]", false},
		{"process where length~(x) == 1", "has no case-insensitive (~) form", false},
		{"process where startsWith(x)", "takes 2 arguments, found 1", false},
		{"process where startsWith(1, \"a\")", "1st argument of [startsWith] must be [string]", false},
		{"process where number(1) == 1", "must be [string]", false},
		{"process where 1", "needs to be boolean", false},
		{"process where x + 1", "needs to be boolean", false},
		{"process where length(x)", "needs to be boolean", false},
		{"process where \"s\"", "needs to be boolean", false},
		{`process where x == "a\q"`, `illegal escape sequence \q`, false},
		{`process where x == "\u{D800}"`, "invalid unicode code point", false},
		{`process where x == "\u{1}"`, "2 to 8 hex digits", false},
		{`process where x == "\u0041"`, `must look like \u{XXXX}`, false},
		{`process where x == "abc`, "unterminated string", false},
		{"process where x == \"a\nb\"", "line break", false},
		{`process where x == """abc`, `unterminated """ string`, false},
		{"process where x == 1 /* open", "unterminated comment", false},
		{"process where x == 1 == 2", "cannot be chained", false},
		{"where x", "expected an event category", false},
		{"process x", "expected 'where'", false},
		{"process where", "unexpected end of query", false},
		{"process where (x", `expected ")"`, false},
		{"process where x == 1 y", "unexpected \"y\" after the condition", false},
		{"process where ? == 1", "expected a field name after '?'", false},
		{"process where x.", "expected a field name after '.'", false},
		{"process where `` == 1", "empty escaped identifier", false},
		{"process where 12abc == 1", "malformed number", false},
		{"process where x == 1 #", "unexpected character '#'", false},
		{"process where and", "unexpected keyword \"and\"", false},
		{deep, "nested too deeply", false},
		{deepNot, "nested too deeply", false},
		{"process where\n  x == 1 and\n  y = 2", "line 3:5: use ==", false},
	} {
		t.Run(tc.query[:min(len(tc.query), 40)], func(t *testing.T) {
			_, err := Parse(tc.query)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			var ue *UnsupportedError
			require.Equal(t, tc.unsupported, errors.As(err, &ue), "unsupported construct flag")
		})
	}
}

func TestParseAccepts(t *testing.T) {
	// Shapes Elasticsearch's VerifierTests.testQueryOk accepts.
	for _, q := range []string{
		`process where serial_event_id == "abcdef"`,
		`process where (serial_event_id<=8 and not serial_event_id > 7) and (opcode==3 and opcode>2)`,
		`file where serial_event_id == 82 and (true == (process_name in ("svchost.EXE", "bad.exe", "bad2.exe")))`,
		`file where serial_event_id % 40 == 2`,
		`file where ?foo == 123`,
		"file where ?`?foo` == null",
		`file where serial_event_id == 82 and (true == (?bar in ("abc", "xyz")))`,
		`file where concat(?foo, "test", ?bar) == "onetest!"`,
		`any where bool`,
		`foo where true`,
		`process where startswith~(user_name, "A")`,
		`process where STARTSWITH(user_name, "A")`,
		`process where x == 1e3 and y == .5 and z == 2.`,
		`process where x : null`,
	} {
		_, err := Parse(q)
		require.NoError(t, err, q)
	}
}

func TestWalkAndInspect(t *testing.T) {
	q, err := Parse(`any where a == 1 and (startsWith(b, "x") or not c : ("y", "z"))`)
	require.NoError(t, err)
	var fields []string
	count := 0
	Inspect(q.Where, func(n Node) bool {
		if n == nil {
			return false
		}
		count++
		if f, ok := n.(*Field); ok {
			fields = append(fields, f.Name)
		}
		_, isCall := n.(*Call)
		return !isCall // skip function arguments
	})
	require.Equal(t, []string{"a", "c"}, fields)
	require.Equal(t, 12, count)
}
