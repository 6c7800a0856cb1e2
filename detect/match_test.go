package detect

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		ci, want   bool
	}{
		{"*", "", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"a*", "abc", false, true},
		{"*c", "abc", false, true},
		{"a*c", "ac", false, true},
		{"a*c", "ab", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"*a*a*", "banana", false, true},
		{"*a*a*a*a*", "banana", false, false},
		{"A*", "abc", false, false},
		{"A*", "abc", true, true},
		{"?", "ä", false, true},
		{"*ß*", "STRASSE", true, false}, // simple folding only, as Lucene's per-character case folding
		{`*\red_ttp\*`, `C:\red_ttp\x.exe`, true, true},
		{"**x**", "x", false, true},
	} {
		require.Equal(t, tc.want, wildcardMatch(tc.pattern, tc.s, tc.ci), "%q ~ %q ci=%v", tc.pattern, tc.s, tc.ci)
		require.Equal(t, tc.want, newWildcardPattern(tc.pattern).match(tc.s, tc.ci), "prepared %q ~ %q", tc.pattern, tc.s)
	}
}

// TestWildcardPreparedAgreesWithGeneral checks the fast path against the
// general matcher on random patterns and values.
func TestWildcardPreparedAgreesWithGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "B", "b", "*", "?", "\\", "ä", "Ä"}
	gen := func(n int) string {
		var b strings.Builder
		for range r.IntN(n) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 20000 {
		p, s := gen(8), strings.ReplaceAll(strings.ReplaceAll(gen(12), "*", "x"), "?", "y")
		for _, ci := range []bool{false, true} {
			require.Equal(t, wildcardMatch(p, s, ci), newWildcardPattern(p).match(s, ci), "%q ~ %q ci=%v", p, s, ci)
		}
	}
}

func TestCompileRegex(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		ci, want   bool
	}{
		{"a.c", "abc", false, true},
		{"a.c", "a\nc", false, true},
		{"abc", "xabcx", false, false},
		{"a+b*", "aaa", false, true},
		{"(ab|cd){2}", "abcd", false, true},
		{"[^a-c]x", "dx", false, true},
		{"[a\\]]x", "]x", false, true},
		{`a\.b`, "a.b", false, true},
		{`a\.b`, "axb", false, false},
		{`"a.b"`, "a.b", false, true},
		{`"a.b"`, "axb", false, false},
		{`\d+`, "123", false, true},
		{"ABC", "abc", true, true},
		{"^abc$", "abc", false, true},
		{"a^b", "a^b", false, true},
		{"a$b", "a$b", false, true},
	} {
		re, err := compileRegex(tc.pattern, tc.ci)
		require.NoError(t, err, tc.pattern)
		require.Equal(t, tc.want, re.match(tc.s), "%q ~ %q", tc.pattern, tc.s)
	}
	for _, bad := range []string{"a~b", "a&b", "<1-5>", "a@", "#", "[ab", `"ab`, `ab\`, "a{2000}"} {
		_, err := compileRegex(bad, false)
		require.Error(t, err, bad)
	}
}
