package detect

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParse: no input may panic or hang the parser; whatever parses must
// print to a query that parses again to the same text, and must evaluate
// on a document without panicking.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`process where event.type in ("start","process_created") and process.args : ("*mklink*", "*SymbolicLink*")`,
		`any where not (a > 1 or b != "x") and ?c.d == null`,
		`file where startsWith~(file.path, """C:\Win""") and length(x) * 2 % 3 >= -1.5e2`,
		`process where x regex~ ("[a-z]+\\d", "\"q\"") and y like~ "a?b*"`,
		"any where `a``b` not in~ (\"\u00e4\", z) // c\n/* d */",
		`sequence [a where true] | head 1`,
		`any where """raw"""" == "\u{1F600}\n"`,
		strings.Repeat("(", 300),
		`any where concat(a, between(b, "x", "y", true), substring(c, -1)) : "*"`,
	} {
		f.Add(seed)
	}
	doc := map[string]any{
		"event.category": []any{"process"}, "a": int64(2), "b": "xay", "c": []any{"v", int64(3), 2.5, true},
		"file.path": `C:\Windows`, "x": "abc1", "y": "AXB", "z": "ä",
	}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			return
		}
		text := q.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", text, src, err)
		}
		if again.String() != text {
			t.Fatalf("canonical form unstable: %q then %q", text, again.String())
		}
		q.Match(doc)
		q.Analysis()
		q.Feasible(func(string) bool { return false })
		// The scan skips documents CouldMatch and MustContain rule out:
		// they must never rule out one that matches.
		couldMatchCovers(t, q, doc)
	})
}

// FuzzMatch: any JSON document (evidence is untrusted) evaluates without
// panicking against queries exercising every operator and function.
func FuzzMatch(f *testing.F) {
	queries := []string{
		`process where event.type in ("start", "process_created") and process.args : ("*mklink*", "*SymbolicLink*") and not process.name like~ "x?*"`,
		`any where a != "x" and b < 3.5 and c regex~ "[a-z]+\\d*" and length(d) > 1 and d in~ ("Q", e)`,
		`any where startsWith~(a, "x") or endsWith(b, "y") or stringContains~(c, "z") or wildcard(d, "*q?")`,
		`any where between~(a, "x", "y", true) : "*" or indexOf~(b, "q", c) == 2 or substring(d, -3, e) == "abc"`,
		`any where concat(a, b, c) : "*" or number(a, 16) > 1 or string(b) == "1" or cidrMatch(c, "10.0.0.0/8", "::/0")`,
		`any where a + b * c - d / e % 2 > -1 and add(a, b) == subtract(c, d) and multiply(a, 2) >= divide(b, modulo(c, 3))`,
		`any where null == (a > b) and ?x == null`,
	}
	var compiled []*Query
	for _, src := range queries {
		q, err := Parse(src)
		if err != nil {
			f.Fatal(err)
		}
		compiled = append(compiled, q)
	}
	for _, seed := range []string{
		`{"event":{"category":["process"],"type":["start"]},"process":{"args":["cmd","/c","mklink"],"name":"cmd.exe"}}`,
		`{"a":"x","b":2,"c":["abc1",null,[1,[2,["deep"]]]],"d":"Qq","e":"q"}`,
		`{"a":9223372036854775807,"b":-9223372036854775808,"c":1e308,"d":0,"e":0}`,
		`{"a":"\u0000\ud800","b":true,"c":{"nested":"obj"},"d":[],"e":null}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, js string) {
		var doc map[string]any
		dec := json.NewDecoder(strings.NewReader(js))
		dec.UseNumber()
		if dec.Decode(&doc) != nil {
			return
		}
		for _, q := range compiled {
			q.Match(doc)
			couldMatchCovers(t, q, doc)
		}
	})
}
