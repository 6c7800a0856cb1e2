package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/audit"
	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

// auditRun runs the audit command in-process and returns its exit status,
// stdout and stderr.
func auditRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code := run(context.Background(), e, append([]string{"audit"}, args...))
	return code, out.String(), errb.String()
}

// auditFixture writes a triage folder: a Security log of DC01 with 4688
// without command lines and a 4656 on a file, and DC01's auditpol backup.
func auditFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	sub := evtxwrite.Subject{UserSid: "S-1-5-18", UserName: "DC01$", DomainName: "CORP", LogonId: 0x3e7}
	events := []evtxwrite.Event{
		evtxwrite.SecurityProcessCreate{Common: evtxwrite.Common{Computer: "DC01.corp.example", TimeCreated: at},
			Version: 2, Subject: sub, NewProcessName: `C:\Windows\System32\cmd.exe`}.Event(),
		evtxwrite.SecurityHandleRequest{Common: evtxwrite.Common{Computer: "DC01", TimeCreated: at.Add(time.Minute)},
			Subject: sub, ObjectType: "File", ObjectName: `C:\Windows\NTDS\ntds.dit`, ProcessName: `C:\x.exe`}.Event(),
	}
	require.NoError(t, evtxwrite.WriteFile(filepath.Join(dir, "Security.evtx"), events))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "auditpol.csv"), []byte(
		"Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting,Setting Value\r\n"+
			"DC01,System,Audit Handle Manipulation,{0cce9223-69ae-11d9-bed3-505054503030},No Auditing,,0\r\n"), 0o644))
	return dir
}

func TestAuditCommand(t *testing.T) {
	dir := auditFixture(t)

	code, out, errs := auditRun(t, dir, "--format", "json", "--no-progress")
	require.Equal(t, exitOK, code, errs)
	var hosts []audit.Host
	require.NoError(t, json.Unmarshal([]byte(out), &hosts))
	require.Len(t, hosts, 1)
	h := hosts[0]
	require.Equal(t, 1, h.Logs.Security.ProcessCreate.Count)
	require.Equal(t, 0, h.Logs.Security.WithCommandLine)
	require.Len(t, h.Policy.Auditpol, 1, "auditpol.csv among the inputs is read")
	require.Len(t, h.Rules, 2, "embedded rules")
	for _, r := range h.Rules {
		require.Equal(t, audit.CannotFire, r.Verdict, r.Reason)
		for _, p := range r.Setup {
			if p.Subcategory == "Handle Manipulation" {
				require.Equal(t, audit.Missing, p.Status, "auditpol says No Auditing")
			}
		}
	}

	code, out, errs = auditRun(t, "--no-progress", "--format", "csv", dir)
	require.Equal(t, exitOK, code, errs)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, audit.CSVHeader, recs[0])
	require.Len(t, recs, 1+2)

	code, out, errs = auditRun(t, "--no-progress", dir)
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, out, "== HOST DC01")
	require.Contains(t, out, `- auditpol /set /subcategory:"Handle Manipulation" /success:enable ^`)
}

func TestAuditCommandUsage(t *testing.T) {
	dir := auditFixture(t)
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no path", nil, exitUsage, "no PATH given"},
		{"bad format", []string{"--format", "xml", dir}, exitUsage, "--format"},
		{"rules-only without rules", []string{"--rules-only", dir}, exitUsage, "--rules-only needs"},
		{"missing rules file", []string{"--rules", filepath.Join(dir, "nope.toml"), dir}, exitUsage, "nope.toml: stat"},
		{"nothing readable", []string{"--no-progress", filepath.Join(dir, "missing")}, exitNothing, "nothing could be read"},
		{"help", []string{"--help"}, exitOK, "can_fire_partially"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := auditRun(t, tt.args...)
			require.Equal(t, tt.code, code, errs)
			require.Contains(t, errs, tt.err)
		})
	}
}
