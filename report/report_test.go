package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakeAudit stands in for the audit package's findings: report must encode
// it as it is in JSON and call its WriteTable in the table.
type fakeAudit []struct {
	Host    string `json:"host"`
	Verdict string `json:"verdict"`
}

func (f fakeAudit) WriteTable(w io.Writer) error {
	for _, h := range f {
		if _, err := fmt.Fprintf(w, "%s: %s\n", TerminalSafe(h.Host), TerminalSafe(h.Verdict)); err != nil {
			return err
		}
	}
	return nil
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

var seedRule = RuleRef{
	ID: "d117cbb4-7d56-41b4-b999-bdf8c25648a0", Name: "Symbolic Link to Shadow Copy Created",
	Version: 102, Severity: "medium", RiskScore: 47,
	Techniques: []string{"T1003"}, Tactics: []string{"TA0006"},
}

// sampleReport is a hand-made report: stable input for the golden files.
func sampleReport() *Report {
	from := ts("2024-03-01T00:00:00Z")
	return &Report{
		Alerts: []Alert{
			{
				Rule:      seedRule,
				Timestamp: ts("2024-03-01T10:00:00.123456789Z"),
				Host:      "DC01.corp.example",
				User:      `CORP\admin`,
				Process: Process{
					Name: "cmd.exe", PID: 4242, Executable: `C:\Windows\System32\cmd.exe`,
					CommandLine:      `cmd.exe /c mklink /d C:\Users\Public\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
					Args:             []string{"cmd.exe", "/c", "mklink", "/d", `C:\Users\Public\sc`, `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`},
					OriginalFileName: "Cmd.Exe",
				},
				Parent: Parent{Name: "powershell.exe", PID: 1000, Executable: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, CommandLine: `"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -nop`},
				Evidence: Evidence{Path: `triage/DC01/Microsoft-Windows-Sysmon%4Operational.evtx`, RecordID: 1234,
					Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1},
				Corroboration: []HandleRequest{{
					Timestamp: ts("2024-03-01T10:02:00Z"), Host: "DC01.corp.example", User: `CORP\admin`,
					ObjectName: `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`, ObjectType: "File",
					ProcessName: "esentutl.exe", ProcessPID: 5150, ProcessExecutable: `C:\Windows\System32\esentutl.exe`,
					Access: "ReadData (or ListDirectory)", Outcome: "success",
					Evidence: Evidence{Path: "triage/DC01/Security.evtx", RecordID: 991, Channel: "Security", EventID: 4656},
				}, {
					Timestamp: ts("2024-03-01T10:03:30Z"), Host: "DC01.corp.example", User: `CORP\admin`,
					ObjectName: `\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SYSTEM`, ObjectType: "File",
					ProcessName: "reg.exe", ProcessPID: 5151, ProcessExecutable: `C:\Windows\System32\reg.exe`,
					Access: "READ_CONTROL, ReadData (or ListDirectory)", Outcome: "failure",
					Evidence: Evidence{Path: "triage/DC01/Security.evtx", RecordID: 1002, Channel: "Security", EventID: 4656},
				}},
				CorroborationOmitted: 3,
				CorroborationStatus:  CorroborationListed,
			},
			{
				Rule:      seedRule,
				Timestamp: ts("2024-03-01T11:30:00Z"),
				Host:      "WS07",
				User:      `CORP\jdoe`,
				Process: Process{
					Name: "powershell.exe", PID: 77, Executable: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
					CommandLine:      `powershell New-Item -ItemType SymbolicLink -Path C:\sc -Target \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy2\`,
					Args:             []string{"powershell", "New-Item", "-ItemType", "SymbolicLink", "-Path", `C:\sc`, "-Target", `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy2\`},
					OriginalFileName: "PowerShell.EXE",
				},
				Evidence: Evidence{Path: `triage/WS07/Microsoft-Windows-Sysmon%4Operational.evtx`, RecordID: 88,
					Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1},
				Corroboration:       []HandleRequest{},
				CorroborationStatus: CorroborationNoSecurityLog,
			},
		},
		Sources: []evtx.Source{
			{Path: "triage/DC01/Microsoft-Windows-Sysmon%4Operational.evtx", Size: 69632, Channels: []string{"Microsoft-Windows-Sysmon/Operational"},
				Computers: []string{"DC01.corp.example"}, First: ts("2024-03-01T09:00:00Z"), Last: ts("2024-03-01T12:00:00Z"),
				RecordsDecoded: 40, Chunks: 1},
			{Path: "triage/DC01/Security.evtx", Size: 135168, Channels: []string{"Security"},
				Computers: []string{"DC01.corp.example"}, First: ts("2024-03-01T09:00:00Z"), Last: ts("2024-03-01T12:00:00Z"),
				RecordsDecoded: 60, RecordsFailed: 1, Chunks: 2, ChunksDamaged: 1,
				Failures: []evtx.Failure{{Chunk: 1, Offset: 69632, Reason: "bad chunk checksum"}}},
		},
		Audit: fakeAudit{{Host: "DC01.corp.example", Verdict: "can fire"}},
		Summary: Summary{
			Files: 2, FilesDamaged: 1, Skipped: 1, RecordsDecoded: 100, RecordsFailed: 1, RecordsInRange: 100, ChunksDamaged: 1,
			Errors: []string{"triage/broken.zip: zip: not a valid zip file"},
			Rules:  2, Alerts: 2,
			AlertsPerRule: []RuleCount{
				{ID: seedRule.ID, Name: seedRule.Name, Version: 102, Alerts: 2},
				{ID: "3bc6deaa-fbd4-433a-ae21-3e892f95624f", Name: "NTDS or SAM Database File Copied", Version: 103},
			},
			From:                       &from,
			CorroborationWindowSeconds: 900, CorroborationCandidates: 2,
			ElapsedSeconds: 1.2345,
		},
	}
}

func TestWriteGolden(t *testing.T) {
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, f, sampleReport()))
			golden := filepath.Join("testdata", "report."+string(f)+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./report -update to create the golden files")
			require.Equal(t, string(want), buf.String())
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats() {
		got, err := ParseFormat(string(f))
		require.NoError(t, err)
		require.Equal(t, f, got)
	}
	_, err := ParseFormat("xml")
	require.Error(t, err)
	require.Error(t, Write(io.Discard, Format("xml"), sampleReport()))
}

func TestJSONShape(t *testing.T) {
	for name, r := range map[string]*Report{"sample": sampleReport(), "empty": {}} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteJSON(&buf, r))
			var got map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
			require.ElementsMatch(t, []string{"alerts", "sources", "audit", "summary"}, keys(got))
			for _, k := range []string{"alerts", "sources", "audit"} {
				var list []json.RawMessage
				require.NoError(t, json.Unmarshal(got[k], &list), k)
				require.NotNil(t, list, "%s must be a list, never null", k)
			}
			var sum map[string]any
			require.NoError(t, json.Unmarshal(got["summary"], &sum))
			require.Contains(t, sum, "records_decoded")
			require.Contains(t, sum, "records_failed")
			require.Contains(t, sum, "partial")
			require.NotNil(t, sum["errors"])
			require.NotNil(t, sum["alerts_per_rule"])
		})
	}
}

func TestJSONAlertFields(t *testing.T) {
	var buf bytes.Buffer
	a := sampleReport().Alerts[0]
	require.NoError(t, WriteJSONL(&buf, []Alert{a}))
	var got map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	require.Equal(t, "2024-03-01T10:00:00.123456789Z", got["@timestamp"])
	rule := got["rule"].(map[string]any)
	require.Equal(t, float64(102), rule["version"])
	require.Equal(t, float64(47), rule["risk_score"])
	require.Equal(t, []any{"TA0006"}, rule["tactics"])
	ev := got["evidence"].(map[string]any)
	require.Equal(t, float64(1234), ev["record_id"])
	require.Equal(t, float64(1), ev["event_id"])
	proc := got["process"].(map[string]any)
	require.Equal(t, "Cmd.Exe", proc["original_file_name"])
	require.Len(t, got["corroboration"], 2)
}

func TestJSONLOneAlertPerLine(t *testing.T) {
	r := sampleReport()
	r.Alerts[0].Process.CommandLine = "line1\nline2\r\n\u2028"
	var buf bytes.Buffer
	require.NoError(t, WriteJSONL(&buf, r.Alerts))
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, len(r.Alerts))
	for _, l := range lines {
		var a Alert
		require.NoError(t, json.Unmarshal([]byte(l), &a))
	}
	var empty bytes.Buffer
	require.NoError(t, WriteJSONL(&empty, nil))
	require.Empty(t, empty.String())
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCSVColumnsAndRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	r := sampleReport()
	require.NoError(t, WriteCSV(&buf, r.Alerts))
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+len(r.Alerts))
	require.Equal(t, CSVColumns(), rows[0])
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	first := rows[1]
	require.Equal(t, r.Alerts[0].Process.CommandLine, first[col["process_command_line"]])
	require.Equal(t, "1234", first[col["record_id"]])
	require.Equal(t, "2", first[col["corroboration_count"]])
	require.Equal(t, strings.Count(first[col["corroboration"]], "; "), 1, "entries are \"; \"-separated")
	var args []string
	require.NoError(t, json.Unmarshal([]byte(first[col["process_args"]]), &args))
	require.Equal(t, r.Alerts[0].Process.Args, args)
	require.Equal(t, "", rows[2][col["parent_pid"]], "unknown pid is an empty cell")
}

// TestCSVInjection: every cell a spreadsheet would evaluate is neutralised,
// and nothing else is changed.
func TestCSVInjection(t *testing.T) {
	payloads := []string{
		`=cmd|' /C calc'!A0`, `+1+1`, `-2+3`, `@SUM(1,1)`, "\t=1", "\r=1",
		` =1+1`, "\n=1", "\uFF1D1+1", `=HYPERLINK("http://x","y")`,
	}
	for _, p := range payloads {
		t.Run(fmt.Sprintf("%q", p), func(t *testing.T) {
			a := sampleReport().Alerts[0]
			a.Host, a.User, a.Process.CommandLine, a.Process.Name = p, p, p, p
			a.Process.Args = []string{p}
			a.Parent.CommandLine = p
			a.Evidence.Path = p
			a.Corroboration = nil
			var buf bytes.Buffer
			require.NoError(t, WriteCSV(&buf, []Alert{a}))
			rows, err := csv.NewReader(&buf).ReadAll()
			require.NoError(t, err)
			require.Len(t, rows, 2)
			for i, cell := range rows[1] {
				require.False(t, formulaLike(strings.TrimLeft(cell, " \n")), "column %s: %q", rows[0][i], cell)
			}
			col := map[string]int{}
			for i, c := range rows[0] {
				col[c] = i
			}
			for _, c := range []string{"host", "user", "process_command_line", "process_name", "parent_command_line", "path"} {
				require.Equal(t, "'"+p, rows[1][col[c]], c)
			}
		})
	}
}

func TestSpreadsheetSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"cmd.exe", "cmd.exe"},
		{`C:\Windows`, `C:\Windows`},
		{"=1", "'=1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@x", "'@x"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"  =1", "'  =1"},
		{"\n\n+1", "'\n\n+1"},
		{"\uFF20x", "'\uFF20x"},
		{"   ", "   "},
		{"a=1", "a=1"},
		{"'=1", "'=1"},
	} {
		require.Equal(t, tc.want, SpreadsheetSafe(tc.in), "%q", tc.in)
	}
}

func TestTerminalSafe(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "cmd.exe /c dir", "cmd.exe /c dir"},
		{"csi colour", "\x1b[31mred\x1b[0m", "red"},
		{"csi cursor", "a\x1b[2J\x1b[1;1Hb", "ab"},
		{"osc title bel", "a\x1b]0;pwned\x07b", "ab"},
		{"osc hyperlink st", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"dcs", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
		{"two byte", "a\x1bcb", "ab"},
		{"lone esc at end", "a\x1b", "a"},
		{"unterminated csi", "a\x1b[31", "a"},
		// An unterminated OSC would hide the rest of a command line: it is
		// marked and the text after it shown.
		{"unterminated osc", "a\x1b]0;title", "a\uFFFD0;title"},
		{"unterminated osc then csi", "a\x1b]0;x\x1b[31mb", "a\uFFFD0;xb"},
		{"whitespace controls", "a\tb\nc\rd", "a b c d"},
		{"bell backspace", "a\x07b\x08c", "a\uFFFDb\uFFFDc"},
		{"c1 csi", "a\u009b31mb", "a\uFFFD31mb"},
		{"raw 8-bit csi byte", "a\x9b31mb", "a\uFFFD31mb"},
		{"bidi override", "evil\u202Eexe.txt", "evil\uFFFDexe.txt"},
		{"bidi isolate", "a\u2066b\u2069", "a\uFFFDb\uFFFD"},
		{"rtl mark", "a\u200Fb", "a\uFFFDb"},
		{"zero width space", "mk\u200Blink", "mk\uFFFDlink"},
		{"bom", "\uFEFFx", "\uFFFDx"},
		{"del", "a\x7fb", "a\uFFFDb"},
		{"line separator", "a\u2028b", "a\uFFFDb"},
		{"non-ascii kept", "Пользователь 管理者", "Пользователь 管理者"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := TerminalSafe(tc.in)
			require.Equal(t, tc.want, got)
			requireTerminalSafe(t, got)
		})
	}
}

// requireTerminalSafe fails when s holds anything a terminal would
// interpret: ESC, C0/C1 controls other than newline, or format characters.
func requireTerminalSafe(t *testing.T, s string) {
	t.Helper()
	for i, r := range s {
		require.False(t, r == 0x1b || (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) ||
			(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'),
			"unsafe rune %U at %d in %q", r, i, s)
	}
	require.True(t, utf8.ValidString(s), "invalid UTF-8 in %q", s)
}

func TestTableStripsEscapes(t *testing.T) {
	nasty := "\x1b[2J\x1b]0;owned\x07evil\u202Etxt.exe\x1b[31m\r\x08\x00\x9b"
	r := sampleReport()
	a := &r.Alerts[0]
	a.Rule.Name, a.Host, a.User, a.Process.CommandLine, a.Process.Name = nasty, nasty, nasty, nasty, nasty
	a.Process.Args = []string{nasty}
	a.Parent.CommandLine, a.Evidence.Path, a.Evidence.Channel = nasty, nasty, nasty
	a.Corroboration[0].ObjectName, a.Corroboration[0].Access, a.Corroboration[0].ProcessName = nasty, nasty, nasty
	r.Summary.Errors = []string{nasty}
	r.Summary.AlertsPerRule[0].Name = nasty
	r.Summary.PartialReason, r.Summary.Partial = nasty, true
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, r))
	out := buf.String()
	requireTerminalSafe(t, out)
	require.Contains(t, out, "evil")
	require.NotContains(t, out, "owned", "OSC payload must be dropped, not shown")
}

func TestTableFitsEightyColumns(t *testing.T) {
	r := sampleReport()
	long := strings.Repeat(`\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`, 20)
	r.Alerts[0].Process.CommandLine = "cmd /c mklink /d x " + long
	r.Alerts[0].Process.Args = []string{"cmd", long}
	r.Alerts[0].Rule.Name = strings.Repeat("Very Long Rule Name ", 8)
	r.Alerts[0].Corroboration[0].ObjectName = long
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, r))
	for i, line := range strings.Split(buf.String(), "\n") {
		require.LessOrEqual(t, utf8.RuneCountInString(line), 80, "line %d: %q", i+1, line)
	}
	// the long value is wrapped, not cut
	require.Contains(t, strings.ReplaceAll(buf.String(), "↩", ""), "HarddiskVolumeShadow")
}

func TestTableEmptyAndPartial(t *testing.T) {
	r := &Report{Summary: Summary{Partial: true, PartialReason: "interrupted"}}
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, r))
	out := buf.String()
	require.Contains(t, out, "No alerts.")
	require.Contains(t, out, "PARTIAL: interrupted")
	require.NotContains(t, out, "Audit-policy", "no audit section when there are no findings")
}

func TestSortAlerts(t *testing.T) {
	mk := func(ts0, path string, rid uint64, rule string) Alert {
		return Alert{Timestamp: ts(ts0), Evidence: Evidence{Path: path, RecordID: rid}, Rule: RuleRef{ID: rule}}
	}
	want := []Alert{
		mk("2024-01-01T00:00:00Z", "b", 9, "r1"),
		mk("2024-01-01T00:00:00.5Z", "a", 1, "r1"), // fractional seconds compare as time, not text
		mk("2024-01-01T00:00:01Z", "a", 2, "r1"),
		mk("2024-01-01T00:00:01Z", "a", 10, "r1"), // record ids compare as numbers
		mk("2024-01-01T00:00:01Z", "a", 10, "r2"),
		mk("2024-01-01T00:00:01Z", "b", 1, "r1"),
	}
	// every rotation and the reverse sort to the same order
	for k := range want {
		got := append(append([]Alert{}, want[k:]...), want[:k]...)
		SortAlerts(got)
		require.Equal(t, want, got)
	}
	rev := make([]Alert, len(want))
	for i := range want {
		rev[len(want)-1-i] = want[i]
	}
	SortAlerts(rev)
	require.Equal(t, want, rev)
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")

	require.NoError(t, WriteFileAtomic(path, func(w io.Writer) error {
		return WriteJSON(w, sampleReport())
	}))
	first, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, json.Valid(first))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), fi.Mode().Perm())

	// A failing writer leaves the previous report untouched and no
	// temporary file behind.
	boom := fmt.Errorf("disk on fire")
	err = WriteFileAtomic(path, func(w io.Writer) error {
		if _, err := io.WriteString(w, `{"alerts": [`); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, first, again)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "temporary file left behind: %v", entries)

	// A failure on a new path leaves no file at all.
	fresh := filepath.Join(dir, "new.csv")
	err = WriteFileAtomic(fresh, func(w io.Writer) error { return boom })
	require.ErrorIs(t, err, boom)
	_, err = os.Stat(fresh)
	require.True(t, os.IsNotExist(err))
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)

	// An unwritable directory is an error, not a panic.
	require.Error(t, WriteFileAtomic(filepath.Join(dir, "missing", "r.json"), func(io.Writer) error { return nil }))
}

// TestTerminalSafeMalformedCSIShowsWhatFollows: a stray "ESC [" must not
// swallow the evidence after it up to the next ASCII letter. A CSI is
// parameter bytes, intermediates and one final byte; any other byte ends
// the (malformed) sequence and is shown.
func TestTerminalSafeMalformedCSIShowsWhatFollows(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"non-ascii after csi", "cmd \x1b[管理者 /c x", "cmd 管理者 /c x"},
		{"newline after csi", "a\x1b[\nmklink", "a mklink"},
		{"params then non-ascii", "a\x1b[31;1Пароль", "aПароль"},
		{"csi then esc", "a\x1b[\x1b[31mb", "ab"},
		{"csi then bidi", "a\x1b[\u202Eb", "a\uFFFDb"},
		{"intermediate and final", "a\x1b[1 qb", "ab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := TerminalSafe(tc.in)
			require.Equal(t, tc.want, got)
			requireTerminalSafe(t, got)
		})
	}
}
