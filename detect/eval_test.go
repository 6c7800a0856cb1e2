package detect

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// evalDoc is the document the operator and function tables run against.
func evalDoc() map[string]any {
	return map[string]any{
		"event.category": []string{"process"},
		"process.name":   "cmd.exe",
		"process.args":   []string{"cmd.exe", "/c", "mklink"},
		"pid":            int64(4),
		"f":              1.5,
		"b":              true,
		"no":             false,
		"s":              "Hello World",
		"empty":          "",
		"ip":             "10.1.2.3",
		"code":           "4688",
		"nums":           []any{int64(1), int64(5)},
		"weird field":    "x",
		"a.b.c":          "abc",
		"path":           `C:\Windows\System32`,
		"tab":            "a\tb",
		"uni":            "ÄBC",
		"jnum":           json.Number("42"),
	}
}

type evalCase struct {
	cond string
	want bool
}

func runEvalCases(t *testing.T, doc map[string]any, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.cond, func(t *testing.T) {
			q, err := Parse("any where " + tc.cond)
			require.NoError(t, err)
			require.Equal(t, tc.want, q.Match(doc))
			couldMatchCovers(t, q, doc)
		})
	}
}

// couldMatchCovers checks CouldMatch's promise on doc: with doc's fields
// as the ones that may be present, it must allow every document that
// drops some of the fields the query reads and still matches.
func couldMatchCovers(t *testing.T, q *Query, doc map[string]any) {
	t.Helper()
	mayHave := func(f string) bool { return lookup(doc, f) != nil }
	var fields []string
	for _, f := range q.fieldUses() {
		if mayHave(f.Name) {
			fields = append(fields, f.Name)
		}
	}
	if len(fields) > 8 {
		fields = fields[:8]
	}
	for mask := 0; mask < 1<<len(fields); mask++ {
		sub := make(map[string]any, len(doc))
		for k, v := range doc {
			sub[k] = v
		}
		for i, f := range fields {
			if mask&(1<<i) != 0 {
				delete(sub, f)
			}
		}
		if q.Match(sub) {
			require.True(t, q.CouldMatch(mayHave), "CouldMatch refused a document without %v that matches", fields)
		}
	}
	if q.Match(doc) {
		// The literal pre-filter must let every matching document through.
		admits := q.Analysis().MustContain.Admits(func(f string) ([]string, bool) {
			var vals []string
			for _, v := range lookup(doc, f) {
				s, ok := v.(string)
				if !ok {
					return nil, false
				}
				vals = append(vals, s)
			}
			return vals, true
		})
		require.True(t, admits, "MustContain %v refuses a matching document", q.Analysis().MustContain)
	}
	if q.Match(map[string]any{}) {
		require.True(t, q.CouldMatch(func(string) bool { return false }), "CouldMatch refused the empty document, which matches")
	}
}

func TestCompareOperators(t *testing.T) {
	runEvalCases(t, evalDoc(), []evalCase{
		// == and != are case-sensitive on strings (ES 8: term query without
		// case_insensitive; querytranslator_tests.txt fieldEqualsTrue, notFilter).
		{`process.name == "cmd.exe"`, true},
		{`process.name == "CMD.EXE"`, false},
		{`process.name != "CMD.EXE"`, true},
		{`process.name != "cmd.exe"`, false},
		{`"cmd.exe" == process.name`, true},
		{`pid == 4`, true},
		{`4 == pid`, true},
		{`pid == 4.0`, true},
		{`pid != 5`, true},
		{`pid < 5`, true},
		{`pid <= 4`, true},
		{`pid > 4`, false},
		{`pid >= 4`, true},
		{`pid < 4`, false},
		{`f > 1`, true},
		{`f == 1.5`, true},
		{`f < 1.5`, false},
		{`jnum == 42`, true},
		// strings order by bytes (Lucene BytesRef order): "H" < "Z" < "h"
		{`s < "Z"`, true},
		{`s > "hello"`, false},
		{`s >= "Hello World"`, true},
		{`s <= "Hello"`, false},
		// a string field against a number: the string is read as a number
		{`code == 4688`, true},
		{`code > 100`, true},
		{`code != 4688`, false},
		{`s == 1`, false},
		// booleans
		{`b`, true},
		{`no`, false},
		{`b == true`, true},
		{`b != true`, false},
		{`no == false`, true},
		{`not b`, false},
		{`not no`, true},
		// field against field
		{`process.name == process.name`, true},
		{`pid < f`, false},
		{`f < pid`, true},
	})
}

func TestMissingAndListFields(t *testing.T) {
	// Elasticsearch pushes these down to Lucene: positive predicates need a
	// value; != / not in / not are must_not clauses and so match a
	// document that lacks the field (querytranslator_tests.txt: notFilter
	// "process where not (exit_code > -1)" -> bool.must_not[range],
	// fieldNotEqualsTrue "bool != true" -> bool.must_not[term],
	// negatedInFilterWithScripting -> not(multiValueDocValues(...)), isNull
	// "pid != null" -> exists). Scripts see a missing field as null
	// (InternalEqlScriptUtils.multiValueDocValues: "missing value means
	// null") and nullSafeFilter turns a null result into no match.
	runEvalCases(t, evalDoc(), []evalCase{
		{`missing == "x"`, false},
		{`missing != "x"`, true},
		{`not missing == "x"`, true},
		{`missing < 1`, false},
		{`missing >= 0`, false},
		{`not (missing > -1)`, true},
		{`missing : "*"`, false},
		{`not missing : "x"`, true},
		{`missing in ("x")`, false},
		{`missing not in ("x")`, true},
		{`missing like "*"`, false},
		{`missing regex ".*"`, false},
		{`missing == null`, true},
		{`missing != null`, false},
		{`pid != null`, true},
		{`pid == null`, false},
		{`null == missing`, true},
		{`?missing == null`, true},
		{`?missing == "x"`, false},
		{`?process.name == "cmd.exe"`, true},
		{`missing`, false},
		{`not missing`, true},
		{`length(missing) > 0`, false},
		{`not (length(missing) > 0)`, true},
		// a function compared with != is a script: null stays no match
		{`length(missing) != 1`, false},
		{`missing + 1 == 1`, false},
		{`startsWith(missing, "a")`, false},
		{`not startsWith(missing, "a")`, true},
		// null inside a comparison used as a value (test_queries.toml
		// nullEqualityWithGtAndHead: "process where null == (exit_code > -1)")
		{`null == (missing > -1)`, true},
		{`null == (pid > -1)`, false},
		// list fields: any element satisfies a positive predicate; the
		// negated forms need no element to match
		{`process.args == "/c"`, true},
		{`process.args != "/c"`, false},
		{`process.args != "x"`, true},
		{`process.args : "MKLINK"`, true},
		{`not process.args : "MK*"`, false},
		{`process.args in ("mklink", "x")`, true},
		{`process.args not in ("mklink")`, false},
		{`nums > 4`, true},
		{`nums < 1`, false},
		{`nums == 5`, true},
		{`nums > 1 and nums < 5`, true}, // two queries on different elements, as Elasticsearch's twoRangesOnASingleField
		{`length(process.args) == 6`, true},
	})
}

func TestWildcardOperator(t *testing.T) {
	runEvalCases(t, evalDoc(), []evalCase{
		// ":" is case-insensitive, * and ? wildcards, whole value
		// (querytranslator_tests.txt caseInsensitiveEquals*, equalsAndInFilter)
		{`process.name : "CMD.EXE"`, true},
		{`process.name : "c?d.*"`, true},
		{`process.name : "*.EX"`, false},
		{`process.name : "cmd.ex"`, false},
		{`process.name : "cmd.ex?"`, true},
		{`process.name : "cmd.ex??"`, false},
		{`process.name : ("x", "*MD*")`, true},
		{`process.name : ("x", "y")`, false},
		{`not process.name : "cmd*"`, false},
		{`not process.name : "x*"`, true},
		{`s : "hello world"`, true},
		{`s : "*"`, true},
		{`s : "*o*o*"`, true},
		{`s : "*o*z*"`, false},
		{`empty : ""`, true},
		{`empty : "*"`, true},
		{`empty : "?"`, false},
		{`uni : "äbc"`, true},
		{`uni : "?bc"`, true},
		// backslash is literal in a : pattern
		{`path : "C:\\Windows\\*"`, true},
		{`path : "c:\\windows\\system32"`, true},
		{`path : """C:\Windows\S*"""`, true},
		{`path : "C:\\Windows*32\\"`, false},
		// ":" compares strings only: a number value does not match
		{`pid : "4"`, false},
		{`code : "4688"`, true},
	})
}

func TestInOperator(t *testing.T) {
	runEvalCases(t, evalDoc(), []evalCase{
		// in is case-sensitive (terms query, querytranslator inFilter); in~
		// is a case-insensitive term per value, wildcards verbatim
		// (inFilterInsensitiveVerbatimMatch)
		{`process.name in ("CMD.EXE", "x")`, false},
		{`process.name in ("cmd.exe", "x")`, true},
		{`process.name in~ ("CMD.EXE")`, true},
		{`process.name in~ ("cmd*")`, false},
		{`process.name not in ("x")`, true},
		{`process.name not in ("cmd.exe")`, false},
		{`process.name not in~ ("CMD.exe")`, false},
		{`pid in (1, 4)`, true},
		{`pid in (1, 2)`, false},
		{`pid not in (1, 2)`, true},
		{`process.name in (s, "cmd.exe")`, true},
		{`process.name in (s)`, false},
		{`code in (4688)`, true},
	})
}

func TestLikeAndRegex(t *testing.T) {
	runEvalCases(t, evalDoc(), []evalCase{
		// like: case-sensitive wildcard; like~ insensitive (querytranslator likeSingleArg*)
		{`process.name like "cmd.*"`, true},
		{`process.name like "CMD.*"`, false},
		{`process.name like~ "CMD.*"`, true},
		{`process.name like ("x", "c?d.exe")`, true},
		{`process.name like "cmd.exe"`, true},
		// regex: Lucene syntax, whole value (regexp query)
		{`process.name regex "cmd\\.exe"`, true},
		{`process.name regex "cmd"`, false},
		{`process.name regex "CMD.*"`, false},
		{`process.name regex~ "CMD.*"`, true},
		{`process.name regex ("x", ".*exe")`, true},
		{`process.name regex "c[a-z]d\\.(exe|com)"`, true},
		{`process.name regex "c[^m]d.*"`, false},
		{`s regex "[A-Z][a-z]+ \\w+"`, true},
		{`s regex "^Hello.*$"`, true},
		{`s regex "Hel{2}o W.*"`, true},
		{`s regex "\"Hello\" World"`, true},
		{`tab regex "a\\sb"`, true},
		{`tab regex "a.b"`, true},
		{`pid regex "4"`, false},
	})
}

func TestArithmetic(t *testing.T) {
	runEvalCases(t, evalDoc(), []evalCase{
		{`pid + 1 == 5`, true},
		{`pid - 1 == 3`, true},
		{`10 - pid == 6`, true},
		{`pid * 2 == 8`, true},
		{`pid / 3 == 1`, true}, // integer division, as Java
		{`f / 3 == 0.5`, true},
		{`pid % 3 == 1`, true},
		{`-pid == -4`, true},
		{`f * 2 == 3`, true},
		{`pid / 0 == 0`, false},
		{`pid / 0 == null`, true},
		{`9223372036854775807 + pid > 0`, false}, // overflow is null
		{`s + 1 == 1`, false},
		{`2 + 3 * 4 == 14`, true},
		{`(2 + 3) * 4 == 20`, true},
	})
}

func TestFunctions(t *testing.T) {
	runEvalCases(t, evalDoc(), []evalCase{
		{`startsWith(process.name, "cmd")`, true},
		{`startsWith(process.name, "CMD")`, false},
		{`startsWith~(process.name, "CMD")`, true},
		{`endsWith(process.name, ".exe")`, true},
		{`endsWith(process.name, ".EXE")`, false},
		{`endsWith~(process.name, ".EXE")`, true},
		{`stringContains(s, "lo Wo")`, true},
		{`stringContains(s, "LO")`, false},
		{`stringContains~(s, "LO WO")`, true},
		{`startsWith(process.args, "mk")`, true}, // any list element
		{`length(s) == 11`, true},
		{`length(empty) == 0`, true},
		{`length(uni) == 3`, true},
		{`between(s, "Hello", "d") == " Worl"`, true},
		{`between(s, "hello", "d") == ""`, true},
		{`between~(s, "hello", "D") == " Worl"`, true},
		{`between(s, "l", "o", true) == "lo W"`, true},
		{`indexOf(s, "o") == 4`, true},
		{`indexOf(s, "o", 5) == 7`, true},
		{`indexOf(s, "WORLD") == null`, true},
		{`indexOf~(s, "WORLD") == 6`, true},
		{`substring(s, 0, 5) == "Hello"`, true},
		{`substring(s, -5) == "World"`, true},
		{`concat(process.name, "|", pid) == "cmd.exe|4"`, true},
		{`concat(process.name, missing) == null`, true},
		{`add(pid, 1) == 5`, true},
		{`subtract(pid, 1) == 3`, true},
		{`multiply(pid, 2) == 8`, true},
		{`divide(pid, 2) == 2`, true},
		{`modulo(pid, 3) == 1`, true},
		{`cidrMatch(ip, "10.0.0.0/8")`, true},
		{`cidrMatch(ip, "192.168.0.0/16", "10.1.0.0/16")`, true},
		{`cidrMatch(ip, "192.168.0.0/16")`, false},
		{`cidrMatch(missing, "10.0.0.0/8")`, false},
		{`cidrMatch(s, "10.0.0.0/8")`, false},
		{`number(code) == 4688`, true},
		{`number("0x10") == 16`, true},
		{`number("ff", 16) == 255`, true},
		{`number("x") == null`, true},
		{`string(pid) == "4"`, true},
		{`string(f) == "1.5"`, true},
		{`string(b) == "true"`, true},
		{`string(pid) : "4"`, true},
		{`wildcard(process.name, "CMD*")`, false},
		{`wildcard~(process.name, "CMD*")`, true},
		{`wildcard(process.name, "x*", "c*")`, true},
		{`STARTSWITH(process.name, "c")`, true},
	})
}

func TestNamesEscapesAndLogic(t *testing.T) {
	runEvalCases(t, evalDoc(), []evalCase{
		{`s == "Hello\u{20}World"`, true},
		{"`weird field` == \"x\"", true},
		{`a.b.c == "abc"`, true},
		{`s == """Hello World"""`, true},
		{`pid == 4 /* outer /* nested */ still comment */ and true`, true},
		{`path == """C:\Windows\System32"""`, true},
		{`path == "C:\\Windows\\System32"`, true},
		{`tab == "a\tb"`, true},
		{`true or false and false`, true},
		{`(true or false) and false`, false},
		{`not true or true`, true},
		{`not (true or true)`, false},
		{`missing == 1 or pid == 4`, true},
		{`pid == 4 and /* comment */ s : "hello*" // trailing`, true},
		{`null`, false},
		{`false`, false},
	})
}

func TestCategory(t *testing.T) {
	doc := evalDoc()
	for _, tc := range []struct {
		query string
		doc   map[string]any
		want  bool
	}{
		{`process where true`, doc, true},
		{`"process" where true`, doc, true},
		{`file where true`, doc, false},
		{`Process where true`, doc, false}, // term query: case-sensitive
		{`any where true`, doc, true},
		{`process where true`, map[string]any{"event.category": "process"}, true},
		{`process where true`, map[string]any{"event.category": []any{"network", "process"}}, true},
		{`process where true`, map[string]any{}, false},
		{`any where true`, map[string]any{}, true},
	} {
		q, err := Parse(tc.query)
		require.NoError(t, err)
		require.Equal(t, tc.want, q.Match(tc.doc), "%s on %v", tc.query, tc.doc)
	}
}

func TestNestedDocuments(t *testing.T) {
	q, err := Parse(`process where process.name : "cmd.exe" and process.pe.original_file_name == "Cmd.Exe"`)
	require.NoError(t, err)
	require.True(t, q.Match(map[string]any{
		"event":   map[string]any{"category": []any{"process"}},
		"process": map[string]any{"name": "cmd.exe", "pe": map[string]any{"original_file_name": "Cmd.Exe"}},
	}))
	require.True(t, q.Match(map[string]any{
		"event.category": "process",
		"process":        map[string]any{"name": "CMD.exe", "pe.original_file_name": "Cmd.Exe"},
	}))
	require.False(t, q.Match(map[string]any{
		"event.category": "process",
		"process":        "cmd.exe",
	}))
}

func TestLeafCombinationLimit(t *testing.T) {
	// Two list fields in one leaf: every pair is tried, up to the bound.
	a := make([]any, 300)
	b := make([]any, 300)
	for i := range a {
		a[i] = int64(i)
		b[i] = int64(1000 + i)
	}
	doc := map[string]any{"a": a, "b": b}
	q, err := Parse(`any where a + 1000 == b and a == 299`)
	require.NoError(t, err)
	require.True(t, q.Match(doc))
	q, err = Parse(`any where a + 1000 == b + 299`)
	require.NoError(t, err)
	require.False(t, q.Match(doc), "combinations beyond the bound are not tried (documented limit)")
}

func TestConcurrentMatch(t *testing.T) {
	// A Query is immutable: scan workers share one (run with -race).
	q, err := Parse(`process where process.args : ("*mklink*", "*SymbolicLink*") and process.name regex~ "cmd\\.exe"`)
	require.NoError(t, err)
	doc := evalDoc()
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 200 {
				ok = ok && q.Match(doc)
			}
			done <- ok
		}()
	}
	for range 8 {
		require.True(t, <-done)
	}
}
