package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
	"github.com/shadowscan/shadowscan/report"
)

// scanRun runs the scan command in-process and returns its exit status,
// stdout and stderr.
func scanRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code := run(context.Background(), e, append([]string{"scan"}, args...))
	return code, out.String(), errb.String()
}

// scanFixture writes one Sysmon log with a true positive of the seed rule
// (cmd mklink /d to a shadow copy) and one benign process.
func scanFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	ev := func(rid uint64, cmdline string) evtxwrite.Event {
		s := evtxwrite.String
		return evtxwrite.Event{
			Provider: "Microsoft-Windows-Sysmon", ProviderGUID: "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
			EventID: 1, Version: 5, Level: 4, Task: 1, Keywords: 0x8000000000000000,
			TimeCreated: at.Add(time.Duration(rid) * time.Second), RecordID: rid, ProcessID: 2000, ThreadID: 3000,
			Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "DC01.corp.example", UserID: "S-1-5-18",
			EventData: []evtxwrite.Data{
				evtxwrite.D("UtcTime", s(at.Format("2006-01-02 15:04:05.000"))),
				evtxwrite.D("ProcessGuid", evtxwrite.GUID("{11111111-2222-3333-4444-555555555555}")),
				evtxwrite.D("ProcessId", evtxwrite.UInt32(4242)),
				evtxwrite.D("Image", s(`C:\Windows\System32\cmd.exe`)),
				evtxwrite.D("OriginalFileName", s("Cmd.Exe")),
				evtxwrite.D("CommandLine", s(cmdline)),
				evtxwrite.D("User", s(`CORP\admin`)),
				evtxwrite.D("ParentProcessId", evtxwrite.UInt32(1000)),
				evtxwrite.D("ParentImage", s(`C:\Windows\explorer.exe`)),
				evtxwrite.D("ParentCommandLine", s(`C:\Windows\explorer.exe`)),
			},
		}
	}
	require.NoError(t, evtxwrite.WriteFile(filepath.Join(dir, "Sysmon.evtx"), []evtxwrite.Event{
		ev(1, `cmd.exe /c dir`),
		ev(2, `cmd.exe /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`),
	}))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a log"), 0o644))
	return dir
}

func TestScanUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no path", nil, "no PATH"},
		{"bad format", []string{"--format", "xml", dir}, "--format"},
		{"bad from", []string{"--from", "yesterday", dir}, "--from"},
		{"bad to", []string{"--to", "2024-13-01", dir}, "--to"},
		{"to before from", []string{"--from", "2024-03-02T00:00:00Z", "--to", "2024-03-01T00:00:00Z", dir}, "before"},
		{"rules-only alone", []string{"--rules-only", dir}, "--rules-only"},
		{"negative workers", []string{"--workers", "-1", dir}, "--workers"},
		{"unknown flag", []string{"--frobnicate", dir}, "frobnicate"},
		{"missing rules file", []string{"--rules", filepath.Join(dir, "none.toml"), dir}, "none.toml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := scanRun(t, tc.args...)
			require.Equal(t, exitUsage, code, errs)
			require.Empty(t, out)
			require.Contains(t, errs, tc.want)
		})
	}
}

func TestScanHelp(t *testing.T) {
	code, _, errs := scanRun(t, "--help")
	require.Equal(t, exitOK, code)
	for _, flag := range []string{"-format", "-o", "-rules", "-rules-only", "-workers", "-from", "-to", "-no-progress", "-exit-code", "-corroborate-window"} {
		require.Contains(t, errs, flag)
	}
}

func TestScanNothingRead(t *testing.T) {
	code, out, errs := scanRun(t, "--no-progress", "--format", "json", t.TempDir())
	require.Equal(t, exitNothing, code, errs)
	require.True(t, json.Valid([]byte(out)), "the (empty) report is still written")
	require.Contains(t, errs, "nothing could be read")
}

func TestScanExitCodeAndFormats(t *testing.T) {
	dir := scanFixture(t)

	code, out, errs := scanRun(t, dir, "--no-progress") // flags after the path
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, out, "1 alert:")
	require.Contains(t, out, "Symbolic Link to Shadow Copy Created")

	code, _, errs = scanRun(t, "--no-progress", "--exit-code", dir)
	require.Equal(t, exitAlerts, code, errs)

	code, out, errs = scanRun(t, "--no-progress", "--format", "json", dir)
	require.Equal(t, exitOK, code, errs)
	var rep struct {
		Alerts  []report.Alert `json:"alerts"`
		Sources []json.RawMessage
		Audit   []json.RawMessage
		Summary report.Summary
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Len(t, rep.Alerts, 1)
	require.Equal(t, uint64(2), rep.Alerts[0].Evidence.RecordID)
	require.Len(t, rep.Sources, 1)
	require.Equal(t, 1, rep.Summary.Skipped)
	require.NotNil(t, rep.Audit)

	code, out, errs = scanRun(t, "--no-progress", "--format", "csv", dir)
	require.Equal(t, exitOK, code, errs)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, report.CSVColumns(), rows[0])

	code, out, errs = scanRun(t, "--no-progress", "--format", "jsonl", dir)
	require.Equal(t, exitOK, code, errs)
	require.Equal(t, 1, strings.Count(out, "\n"))

	// --from after the event: no alert, exit 0 even with --exit-code.
	code, _, errs = scanRun(t, "--no-progress", "--exit-code", "--from", "2024-03-01T10:00:03Z", dir)
	require.Equal(t, exitOK, code, errs)

	// -o writes the file and says so on stderr; stdout stays empty.
	outFile := filepath.Join(t.TempDir(), "r.json")
	code, out, errs = scanRun(t, "--no-progress", "--format", "json", "-o", outFile, dir)
	require.Equal(t, exitOK, code, errs)
	require.Empty(t, out)
	require.Contains(t, errs, "report written to")
	b, err := os.ReadFile(outFile)
	require.NoError(t, err)
	require.True(t, json.Valid(b))
}

func TestScanOutputUnwritable(t *testing.T) {
	dir := scanFixture(t)
	code, _, errs := scanRun(t, "--no-progress", "-o", filepath.Join(t.TempDir(), "no", "such", "dir", "r.txt"), dir)
	require.Equal(t, exitNothing, code)
	require.Contains(t, errs, "r.txt")
}

func TestScanInterruptedIsPartial(t *testing.T) {
	dir := scanFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code := run(ctx, e, []string{"scan", "--no-progress", "--format", "json", dir})
	require.Equal(t, exitNothing, code, "an interrupted run did not complete")
	require.Contains(t, errb.String(), "PARTIAL")
	var rep struct{ Summary report.Summary }
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.True(t, rep.Summary.Partial)
}

// TestScanEndToEnd builds the binary and scans the bundled sample triage
// package (testdata/triage, made by `make sample`) in every format.
func TestScanEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	triage, err := filepath.Abs(filepath.Join("..", "..", "testdata", "triage"))
	require.NoError(t, err)
	if _, err := os.Stat(triage); err != nil {
		t.Skipf("sample triage package %s is absent (make it with `make sample`): %v", triage, err)
	}
	bin := filepath.Join(t.TempDir(), "shadowscan")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "go build")

	runBin := func(args ...string) (int, []byte, string) {
		cmd := exec.Command(bin, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, out.Bytes(), errb.String()
		case errors.As(err, &exit):
			return exit.ExitCode(), out.Bytes(), errb.String()
		}
		t.Fatalf("running %s: %v", bin, err)
		return 0, nil, ""
	}

	code, out, errs := runBin("scan", "--no-progress", "--format", "json", triage)
	require.Equal(t, 0, code, errs)
	var rep struct {
		Alerts  []report.Alert
		Sources []struct {
			Path           string `json:"path"`
			RecordsDecoded int    `json:"records_decoded"`
		}
		Audit   []json.RawMessage
		Summary report.Summary
	}
	require.NoError(t, json.Unmarshal(out, &rep))
	require.NotEmpty(t, rep.Sources)
	require.NotEmpty(t, rep.Alerts, "the sample package plants true positives")
	require.NotEmpty(t, rep.Audit, "one audit entry per host")
	require.False(t, rep.Summary.Partial)
	read := map[string]bool{}
	total := 0
	for _, s := range rep.Sources {
		read[s.Path] = true
		total += s.RecordsDecoded
	}
	require.Equal(t, total, rep.Summary.RecordsDecoded)
	for _, a := range rep.Alerts {
		require.True(t, read[a.Evidence.Path], "alert evidence %s is a source read", a.Evidence.Path)
		require.NotZero(t, a.Evidence.RecordID)
		require.NotEmpty(t, a.Rule.ID)
		require.NotEmpty(t, a.Host)
		require.Contains(t, strings.ToLower(a.Process.CommandLine), "harddiskvolumeshadowcopy")
	}
	// Exactly the alerts the package's README plants for the embedded rules
	// (seed v102, NTDS 8.6), no more, no fewer.
	require.ElementsMatch(t, expectedAlerts(t, triage, "102", "8.6"), alertKeys(t, triage, rep.Alerts))

	// The seed alert on DC01 lists the two 4656 reads through the shadow
	// copy that follow it, not lsass.exe's read of the live ntds.dit.
	for _, a := range rep.Alerts {
		if a.Evidence.RecordID == 48243 {
			var rids []uint64
			for _, h := range a.Corroboration {
				rids = append(rids, h.Evidence.RecordID)
			}
			require.Equal(t, []uint64{1893437, 1893439}, rids)
		}
	}

	// Today's versions of the rules (--rules-only) find the 4688 and
	// Sysmon 9 positives too.
	current, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "seed", "rules", "current"))
	require.NoError(t, err)
	if _, err := os.Stat(current); err == nil {
		code, out, errs := runBin("scan", "--no-progress", "--format", "jsonl", "--rules-only", "--rules", current, triage)
		require.Equal(t, 0, code, errs)
		var alerts []report.Alert
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var a report.Alert
			require.NoError(t, json.Unmarshal([]byte(l), &a))
			alerts = append(alerts, a)
		}
		require.ElementsMatch(t, expectedAlerts(t, triage, "current"), alertKeys(t, triage, alerts))
	} else {
		t.Logf("skipping the current rules: %v", err)
	}

	code, _, errs = runBin("scan", "--no-progress", "--exit-code", triage)
	require.Equal(t, exitAlerts, code, errs)

	code, csvOut, errs := runBin("scan", "--no-progress", "--format", "csv", triage)
	require.Equal(t, 0, code, errs)
	rows, err := csv.NewReader(bytes.NewReader(csvOut)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+len(rep.Alerts))

	code, jsonl, errs := runBin("scan", "--no-progress", "--format", "jsonl", triage)
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSpace(string(jsonl)), "\n")
	require.Len(t, lines, len(rep.Alerts))
	for _, l := range lines {
		require.True(t, json.Valid([]byte(l)))
	}

	code, table, errs := runBin("scan", "--no-progress", triage)
	require.Equal(t, 0, code, errs)
	for _, l := range strings.Split(string(table), "\n") {
		require.LessOrEqual(t, len([]rune(l)), 80, "table line wider than 80 columns: %q", l)
	}
	require.Contains(t, string(table), "summary")

	outFile := filepath.Join(t.TempDir(), "report.json")
	code, _, errs = runBin("scan", "--no-progress", "--format", "json", "-o", outFile, triage)
	require.Equal(t, 0, code, errs)
	b, err := os.ReadFile(outFile)
	require.NoError(t, err)
	require.Equal(t, withoutElapsed(t, out), withoutElapsed(t, b), "the file holds the same report as stdout")
}

// withoutElapsed decodes a JSON report and drops the one field that differs
// between two runs.
func withoutElapsed(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	delete(m["summary"].(map[string]any), "elapsed_seconds")
	return m
}

// expectedAlerts reads the sample package's expected-alerts.tsv (path,
// record_id, rule_id, rule_version, rule_name) and returns "path#record
// rule_id" for the rows of the given rule versions.
func expectedAlerts(t *testing.T, triage string, versions ...string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(triage, "expected-alerts.tsv"))
	require.NoError(t, err)
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = '\t'
	rows, err := r.ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"path", "record_id", "rule_id", "rule_version"}, rows[0][:4])
	var out []string
	for _, row := range rows[1:] {
		for _, v := range versions {
			if row[3] == v {
				out = append(out, row[0]+"#"+row[1]+" "+row[2])
			}
		}
	}
	require.NotEmpty(t, out)
	return out
}

func alertKeys(t *testing.T, triage string, alerts []report.Alert) []string {
	t.Helper()
	var out []string
	for _, a := range alerts {
		rel, err := filepath.Rel(triage, a.Evidence.Path)
		require.NoError(t, err)
		out = append(out, fmt.Sprintf("%s#%d %s", filepath.ToSlash(rel), a.Evidence.RecordID, a.Rule.ID))
	}
	return out
}

func TestScanRefusesToOverwriteEvidence(t *testing.T) {
	dir := scanFixture(t)
	evidence := filepath.Join(dir, "Sysmon.evtx")
	before, err := os.ReadFile(evidence)
	require.NoError(t, err)
	for _, args := range [][]string{
		{"--no-progress", "-o", evidence, evidence}, // named as an input
		{"--no-progress", "-o", evidence, dir},      // an event log inside an input folder
	} {
		code, _, errs := scanRun(t, args...)
		require.Equal(t, exitUsage, code, errs)
		require.Contains(t, errs, "refusing to replace evidence")
	}
	after, err := os.ReadFile(evidence)
	require.NoError(t, err)
	require.Equal(t, before, after, "the evidence file is untouched")
}
