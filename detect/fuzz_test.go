package detect

import (
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
	})
}
