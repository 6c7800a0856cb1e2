package mapping

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitCommandLineWindows(t *testing.T) {
	tests := []struct {
		name string
		cmd  string
		want []string
	}{
		// elastic/beats x-pack/winlogbeat/module/sysmon/test/testdata/ingest/sysmon-12-processcreate.golden.json
		{"golden: quoted image with trailing space", `"C:\Windows\system32\notepad.exe" `, []string{`C:\Windows\system32\notepad.exe`}},
		{"golden: bare parent", `C:\Windows\Explorer.EXE`, []string{`C:\Windows\Explorer.EXE`}},
		{"empty", "", []string{}},
		{"only separators", " \t  ", []string{}},
		{"runs of spaces and tabs", "a  b\t\tc", []string{"a", "b", "c"}},
		{"other whitespace is not a separator", "a\nb\u3000c", []string{"a\nb\u3000c"}},
		{"quotes group and vanish", `a "b c" d`, []string{"a", "b c", "d"}},
		{"quote in the middle of a word", `ab"c d"e f`, []string{"abc de", "f"}},
		{"empty quoted argument", `a "" b`, []string{"a", "", "b"}},
		{"unterminated quote runs to the end", `a "b c`, []string{"a", "b c"}},
		{"backslashes without quote are literal", `C:\dir\\x y`, []string{`C:\dir\\x`, "y"}},
		{"trailing backslash unquoted", `C:\dir\ x`, []string{`C:\dir\`, "x"}},
		{"trailing backslash at end of line", `x C:\dir\`, []string{"x", `C:\dir\`}},
		{"odd backslashes escape the quote", `a\"b`, []string{`a"b`}},
		{"three backslashes and a quote", `a\\\"b`, []string{`a\"b`}},
		{"even backslashes then a quote toggles", `a\\"b c"`, []string{`a\b c`}},
		{"quoted path ending in backslash swallows the quote", `"C:\dir\" x`, []string{`C:\dir" x`}},
		{"doubled backslash before closing quote", `"C:\dir\\" x`, []string{`C:\dir\`, "x"}},
		{"double quote inside quotes is literal and ends quoting", `"a""b c"`, []string{`a"b`, "c"}},
		{"double quote outside quotes is an empty group", `a""b`, []string{"ab"}},
		{"non-ASCII", `"C:\Programme\Übung\a.exe" -x 日本 Grüße`, []string{`C:\Programme\Übung\a.exe`, "-x", "日本", "Grüße"}},
		{"mklink to a shadow copy", `cmd.exe /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
			[]string{"cmd.exe", "/c", "mklink", "/d", `C:\sc`, `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, SplitCommandLineWindows(tt.cmd))
		})
	}
}

func TestSplitCommandLineSecurity(t *testing.T) {
	tests := []struct {
		name string
		cmd  string
		want []string
	}{
		// elastic/integrations packages/system/data_stream/security/_dev/test/pipeline/
		// test-security-windows2019-4688-process-created.json-expected.json
		{"golden: quotes are kept", `"C:\Windows\system32\wevtutil.exe" cl Security`,
			[]string{`"C:\Windows\system32\wevtutil.exe"`, "cl", "Security"}},
		{"empty", "", nil},
		{"only whitespace", " \t\r\n", nil},
		{"empty pieces are dropped", "  a   b  ", []string{"a", "b"}},
		{"Java whitespace separates", "a\tb\nc\u000bd\u001fe\u3000f\u2028g", []string{"a", "b", "c", "d", "e", "f", "g"}},
		{"non-breaking spaces do not separate", "a\u00a0b\u2007c\u202fd", []string{"a\u00a0b\u2007c\u202fd"}},
		{"quoted whitespace stays", `"a b" c`, []string{`"a b"`, "c"}},
		{"quote in the middle of a word", `x"a b"y z`, []string{`x"a b"y`, "z"}},
		{"unterminated quote runs to the end", `a "b c`, []string{"a", `"b c`}},
		{"backslash is not an escape", `"C:\dir\" x`, []string{`"C:\dir\"`, "x"}},
		{"trailing backslash", `C:\dir\ x\`, []string{`C:\dir\`, `x\`}},
		{"blank control-character piece is dropped", "a \x01 b", []string{"a", "b"}},
		{"non-ASCII", "cmd /c echo Grüße 日本", []string{"cmd", "/c", "echo", "Grüße", "日本"}},
		{"empty quotes are a piece", `a "" b`, []string{"a", `""`, "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, SplitCommandLineSecurity(tt.cmd))
		})
	}
}

// quoteWindowsArg quotes one argument so that SplitCommandLineWindows reads
// it back unchanged: always wrapped in quotes, a quote preceded by n
// backslashes written as 2n+1 backslashes and the quote, n trailing
// backslashes written as 2n before the closing quote.
func quoteWindowsArg(arg string) string {
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(arg); i++ {
		switch c := arg[i]; c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, 2*slashes+1))
			b.WriteByte('"')
			slashes = 0
		default:
			b.WriteString(strings.Repeat(`\`, slashes))
			b.WriteByte(c)
			slashes = 0
		}
	}
	b.WriteString(strings.Repeat(`\`, 2*slashes))
	b.WriteByte('"')
	return b.String()
}

func FuzzSplitCommandLineWindows(f *testing.F) {
	for _, seed := range []string{"", " ", `"C:\Windows\system32\notepad.exe" `, `a\\\"b "c d" ""`, `"a""b c"`, `x\`, "日本\t\"", `\\\\"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		args := SplitCommandLineWindows(cmd)
		require.NotNil(t, args)

		onlySeparators := strings.Trim(cmd, " \t") == ""
		require.Equal(t, onlySeparators, len(args) == 0, "no arguments exactly when the line is only spaces and tabs")

		if !strings.ContainsAny(cmd, `"\`) {
			// Without quotes and backslashes the rules reduce to splitting on
			// space and tab.
			want := strings.FieldsFunc(cmd, func(r rune) bool { return r == ' ' || r == '\t' })
			if want == nil {
				want = []string{}
			}
			require.Equal(t, want, args)
		}
		if !strings.Contains(cmd, `"`) {
			for _, a := range args {
				require.NotContains(t, a, `"`, "a quote in an argument must come from a quote in the line")
			}
		}

		// Round trip: quoting each argument and joining with spaces gives a
		// line that splits back into the same arguments.
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = quoteWindowsArg(a)
		}
		require.Equal(t, args, SplitCommandLineWindows(strings.Join(quoted, " ")))
	})
}

func FuzzSplitCommandLineSecurity(f *testing.F) {
	for _, seed := range []string{"", " ", `"C:\Windows\system32\wevtutil.exe" cl Security`, `a "b c`, "a \x01 b", "\u3000x\u00a0y", `""`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		args := SplitCommandLineSecurity(cmd)

		quotes, pos := 0, 0
		for _, a := range args {
			require.False(t, javaBlank(a), "blank pieces are dropped")
			i := strings.Index(cmd[pos:], a)
			require.GreaterOrEqual(t, i, 0, "pieces are substrings of the line, in order")
			pos += i + len(a)
			quotes += strings.Count(a, `"`)
		}
		require.Equal(t, strings.Count(cmd, `"`), quotes, "quotes are kept, never separators")

		if !strings.Contains(cmd, `"`) {
			var want []string
			for _, f := range strings.FieldsFunc(cmd, javaIsWhitespace) {
				if !javaBlank(f) {
					want = append(want, f)
				}
			}
			require.Equal(t, want, args, "without quotes it is a split on Java whitespace")
		}

		// Every piece starts outside quotes, so re-joining with spaces and
		// splitting again is a fixed point.
		require.Equal(t, args, SplitCommandLineSecurity(strings.Join(args, " ")))
	})
}
