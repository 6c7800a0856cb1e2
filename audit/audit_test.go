package audit

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
	"github.com/shadowscan/shadowscan/mapping"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The current query of the seed rule (../shared/seed/rules/current): it
// falls back to process.name when ?process.pe.original_file_name is
// missing, so it can also fire on Security 4688.
const currentSymlinkQuery = `process where host.os.type == "windows" and event.type == "start" and
 (
    (?process.pe.original_file_name in ("Cmd.Exe","PowerShell.EXE")) or
    (process.name : ("cmd.exe", "powershell.exe"))
 ) and
 process.args : ("*mklink*", "*SymbolicLink*") and process.command_line : ("*HarddiskVolumeShadowCopy*")`

var t0 = time.Date(2023, 5, 6, 7, 0, 0, 0, time.UTC)

var subject = evtxwrite.Subject{UserSid: "S-1-5-21-1-2-3-1001", UserName: "admin", DomainName: "CORP", LogonId: 0x3e7}

const guid = "{11111111-2222-3333-4444-555555555555}"

func sysmon1(host string, i int, schema evtxwrite.SysmonSchema) evtxwrite.Event {
	return evtxwrite.SysmonProcessCreate{
		Common:      evtxwrite.Common{Computer: host, TimeCreated: t0.Add(time.Duration(i) * time.Minute)},
		Schema:      schema,
		ProcessGuid: guid, LogonGuid: guid, ParentProcessGuid: guid, ProcessId: 100 + uint32(i),
		Image: `C:\Windows\System32\cmd.exe`, OriginalFileName: "Cmd.Exe",
		CommandLine: `cmd.exe /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
		User:        `CORP\admin`, ParentImage: `C:\Windows\explorer.exe`, ParentCommandLine: `C:\Windows\Explorer.EXE`,
		Hashes: "SHA256=0000000000000000000000000000000000000000000000000000000000000001",
	}.Event()
}

func sec4688(host string, i int, cmdline string) evtxwrite.Event {
	return evtxwrite.SecurityProcessCreate{
		Common:  evtxwrite.Common{Computer: host, TimeCreated: t0.Add(time.Duration(i) * time.Minute)},
		Version: 2, Subject: subject, NewProcessId: 0x1000 + uint64(i),
		NewProcessName: `C:\Windows\System32\cmd.exe`, ProcessId: 0xfa0, CommandLine: cmdline,
		ParentProcessName: `C:\Windows\explorer.exe`,
	}.Event()
}

func sec4656(host string, i int, failure bool) evtxwrite.Event {
	return evtxwrite.SecurityHandleRequest{
		Common:  evtxwrite.Common{Computer: host, TimeCreated: t0.Add(time.Duration(i) * time.Minute)},
		Subject: subject, Failure: failure, ObjectType: "File",
		ObjectName: `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`,
		AccessList: []string{"%%4416"}, AccessMask: 1, ProcessName: `C:\Windows\System32\cmd.exe`,
	}.Event()
}

func sec4719(host string, i int, subID, guid, changes string) evtxwrite.Event {
	return evtxwrite.SecurityAuditPolicyChange{
		Common:     evtxwrite.Common{Computer: host, TimeCreated: t0.Add(time.Duration(i) * time.Minute)},
		Subject:    subject,
		CategoryId: "%%8274", SubcategoryId: subID, SubcategoryGuid: guid, AuditPolicyChanges: changes,
	}.Event()
}

// writeLog writes events as one .evtx file under dir.
func writeLog(t *testing.T, dir, name string, events []evtxwrite.Event, opts ...evtxwrite.Option) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, evtxwrite.WriteFile(p, events, opts...))
	return p
}

// audit runs the reader, the mapping and the collector over paths, as the
// command does.
func auditPaths(t *testing.T, paths []string, rules []*detect.Rule, policies ...Policy) []Host {
	t.Helper()
	c := NewCollector()
	for _, p := range policies {
		c.AddPolicy(p)
	}
	res, err := evtx.Scan(context.Background(), paths, evtx.Options{}, func(r *evtx.Record) error {
		c.AddRecord(r, mapping.Map(r))
		return nil
	})
	require.NoError(t, err)
	return c.Report(res.Sources, rules)
}

func testRules(t *testing.T) (v102 *detect.Rule, current *detect.Rule) {
	t.Helper()
	rules, err := detect.DefaultRules()
	require.NoError(t, err)
	for _, r := range rules {
		if r.ID == "d117cbb4-7d56-41b4-b999-bdf8c25648a0" {
			v102 = r
		}
	}
	require.NotNil(t, v102, "embedded seed rule")
	require.Equal(t, 102, v102.Version)
	q, err := detect.Parse(currentSymlinkQuery)
	require.NoError(t, err)
	current = &detect.Rule{ID: "current-symlink", Name: "Symbolic Link to Shadow Copy Created (current)", Version: 999, Compiled: q, Query: currentSymlinkQuery}
	return v102, current
}

func hostNamed(t *testing.T, hosts []Host, name string) Host {
	t.Helper()
	for _, h := range hosts {
		if strings.EqualFold(h.Host, name) || hostKey(h.Host) == hostKey(name) {
			return h
		}
	}
	require.Failf(t, "host not found", "%s in %d hosts", name, len(hosts))
	return Host{}
}

func verdictOf(t *testing.T, h Host, ruleID string) RuleVerdict {
	t.Helper()
	for _, r := range h.Rules {
		if r.RuleID == ruleID {
			return r
		}
	}
	require.Failf(t, "rule not judged", "%s on %s", ruleID, h.Host)
	return RuleVerdict{}
}

func TestVerdicts(t *testing.T) {
	v102, current := testRules(t)
	dir := t.TempDir()
	var sys10, sys9, secCmd, secNoCmd, mixedSys, mixedSec, sysOnly []evtxwrite.Event
	for i := range 3 {
		sys10 = append(sys10, sysmon1("SYS10", i, evtxwrite.SysmonOriginalFileName))
		sys9 = append(sys9, sysmon1("SYS9", i, evtxwrite.SysmonNoOriginalFileName))
		secCmd = append(secCmd, sec4688("SECCMD", i, `cmd.exe /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`))
		secNoCmd = append(secNoCmd, sec4688("SECNOCMD", i, ""))
		mixedSys = append(mixedSys, sysmon1("MIXED", i, evtxwrite.SysmonOriginalFileName))
		mixedSec = append(mixedSec, sec4688("MIXED", i, ""))
		sysOnly = append(sysOnly, sec4656("HANDLES", i, false))
	}
	paths := []string{
		writeLog(t, dir, "sys10.evtx", sys10),
		writeLog(t, dir, "sys9.evtx", sys9),
		writeLog(t, dir, "seccmd.evtx", secCmd),
		writeLog(t, dir, "secnocmd.evtx", secNoCmd),
		writeLog(t, dir, "mixed-sysmon.evtx", mixedSys),
		writeLog(t, dir, "mixed-security.evtx", mixedSec),
		writeLog(t, dir, "handles.evtx", sysOnly),
	}
	hosts := auditPaths(t, paths, []*detect.Rule{v102, current})

	tests := []struct {
		host, rule     string
		verdict        string
		reasonContains []string
	}{
		{"SYS10", v102.ID, CanFire, []string{"version 102 can fire", "Sysmon EID 1 (3 events)"}},
		{"SYS9", v102.ID, CannotFire, []string{"version 102 cannot fire on this host: it requires process.pe.original_file_name, which Security 4688 does not carry, and Sysmon older than 10.0 writes no OriginalFileName (Sysmon EID 1, 3 events)"}},
		{"SECCMD", v102.ID, CannotFire, []string{"version 102 cannot fire on this host: it requires process.pe.original_file_name, which Security 4688 does not carry, and no Sysmon EID 1 events are present (no Sysmon log was collected for this host)"}},
		{"SECCMD", current.ID, CanFire, []string{"can fire", "Security 4688 (3 events)"}},
		{"SECNOCMD", current.ID, CannotFire, []string{"no command lines were recorded in 4688", "process.args and process.command_line are missing"}},
		{"MIXED", current.ID, CanFirePartially, []string{"but only on Sysmon EID 1", "no command lines were recorded in 4688", "process.args and process.command_line are missing"}},
		{"MIXED", v102.ID, CanFire, []string{"Security 4688 does not carry process.pe.original_file_name"}},
		{"HANDLES", v102.ID, NoData, []string{"nothing to run on", "no Sysmon EID 1 events are present (no Sysmon log was collected for this host)"}},
		{"HANDLES", current.ID, NoData, []string{"nothing to run on", "the Security log is collected, 3 records"}},
	}
	for _, tt := range tests {
		t.Run(tt.host+"/"+tt.rule, func(t *testing.T) {
			v := verdictOf(t, hostNamed(t, hosts, tt.host), tt.rule)
			require.Equal(t, tt.verdict, v.Verdict, v.Reason)
			for _, s := range tt.reasonContains {
				require.Contains(t, v.Reason, s)
			}
		})
	}

	// The fields the verdicts rest on come from the rule's AST.
	v := verdictOf(t, hostNamed(t, hosts, "SECCMD"), v102.ID)
	require.Contains(t, v.Required, "process.pe.original_file_name")
	require.Contains(t, v.Categories, "process")

	// Remedies follow the gap.
	noCmd := hostNamed(t, hosts, "SECNOCMD")
	require.Contains(t, verdictOf(t, noCmd, current.ID).Remedies, "process_command_line")
	var steps []string
	for _, r := range noCmd.Remedies {
		steps = append(steps, r.Steps...)
	}
	require.Contains(t, strings.Join(steps, "\n"), `HKLM\Software\Microsoft\Windows\CurrentVersion\Policies\System\Audit\ProcessCreationIncludeCmdLine_Enabled = 1`)
	sys9Host := hostNamed(t, hosts, "SYS9")
	require.Contains(t, verdictOf(t, sys9Host, v102.ID).Remedies, "sysmon_10")
	require.Equal(t, "no", sys9Host.Logs.Sysmon.Version10)
	require.Equal(t, "yes", hostNamed(t, hosts, "SYS10").Logs.Sysmon.Version10)
}

func TestCountsAndAbsence(t *testing.T) {
	v102, _ := testRules(t)
	dir := t.TempDir()
	var sec, sys []evtxwrite.Event
	for i := range 5 {
		cmd := ""
		if i%2 == 0 {
			cmd = "whoami /all"
		}
		sec = append(sec, sec4688("DC01.corp.local", i, cmd))
	}
	sec = append(sec, sec4656("DC01", 10, false), sec4656("DC01", 11, true),
		evtxwrite.SecurityHandleRequest{Common: evtxwrite.Common{Computer: "dc01", TimeCreated: t0}, Subject: subject,
			ObjectType: "Key", ObjectName: `\REGISTRY\MACHINE\SAM`, Task: 12801, ProcessName: `C:\x.exe`}.Event())
	for i := range 4 {
		schema := evtxwrite.SysmonOriginalFileName
		if i == 0 {
			schema = evtxwrite.SysmonNoOriginalFileName
		}
		sys = append(sys, sysmon1("DC01.corp.local", i, schema))
	}
	hosts := auditPaths(t, []string{
		writeLog(t, dir, "Security.evtx", sec),
		writeLog(t, dir, "Sysmon.evtx", sys),
		writeLog(t, dir, "WS01-Sysmon.evtx", []evtxwrite.Event{sysmon1("WS01", 0, evtxwrite.SysmonOriginalFileName)}),
	}, []*detect.Rule{v102})
	require.Len(t, hosts, 2, "DC01 variants are one host")

	dc := hostNamed(t, hosts, "DC01")
	require.Equal(t, "DC01.corp.local", dc.Host, "most frequent variant")
	var names []string
	for _, n := range dc.Names {
		names = append(names, n.Name)
	}
	require.ElementsMatch(t, []string{"DC01.corp.local", "DC01", "dc01"}, names)
	require.Equal(t, 5, dc.Logs.Security.ProcessCreate.Count)
	require.Equal(t, 3, dc.Logs.Security.WithCommandLine)
	require.Equal(t, 3, dc.Logs.Security.HandleRequests.Count)
	require.Equal(t, 2, dc.Logs.Security.HandleRequestsOnFiles)
	require.Equal(t, 1, dc.Logs.Security.HandleRequestsSuccess)
	require.Equal(t, 1, dc.Logs.Security.HandleRequestsFailure)
	require.Equal(t, 4, dc.Logs.Sysmon.ProcessCreate.Count)
	require.Equal(t, 3, dc.Logs.Sysmon.WithOriginalFileName)
	require.Len(t, dc.Logs.Security.ProcessCreate.Files, 1)
	require.Equal(t, uint64(1), dc.Logs.Security.ProcessCreate.Files[0].FirstRecordID)
	require.Equal(t, uint64(5), dc.Logs.Security.ProcessCreate.Files[0].LastRecordID)

	// Coverage: only some 4688 carry a command line, only some Sysmon EID 1
	// carry OriginalFileName; the verdict says so.
	_, current := testRules(t)
	hosts2 := c2Report(t, dir, []*detect.Rule{v102, current})
	require.Contains(t, verdictOf(t, hostNamed(t, hosts2, "DC01"), current.ID).Reason, "only 3 of 5 Security 4688 events carry a command line")
	require.Contains(t, verdictOf(t, hostNamed(t, hosts2, "DC01"), v102.ID).Reason, "only 3 of 4 Sysmon EID 1 events carry OriginalFileName")

	// Seed rule setup: File System success seen, failure seen, Handle
	// Manipulation not shown by any event: unknown, not missing.
	v := verdictOf(t, dc, v102.ID)
	setup := map[string]Prerequisite{}
	for _, p := range v.Setup {
		setup[p.Subcategory+"|"+p.Kind] = p
	}
	fs := setup["File System|audit_subcategory"]
	require.Equal(t, Present, fs.Status, fs.Evidence)
	require.Equal(t, "{0CCE921D-69AE-11D9-BED3-505054503030}", fs.GUID)
	hm := setup["Handle Manipulation|audit_subcategory"]
	require.Equal(t, Unknown, hm.Status)
	require.Contains(t, hm.Remedy, "{0CCE9223-69AE-11D9-BED3-505054503030}")
	require.Equal(t, Present, setup["|event"].Status, "Event ID 4656 present")

	// WS01: no Security log at all: not collected, never "off".
	ws := hostNamed(t, hosts, "WS01")
	require.False(t, ws.Logs.Security.Collected)
	for _, p := range verdictOf(t, ws, v102.ID).Setup {
		require.Equal(t, NotCollected, p.Status, p.Text)
	}
	for _, r := range ws.Remedies {
		require.NotContains(t, r.ID, "auditpol:", "no audit-policy remedy for a log that was not collected")
	}
}

func c2Report(t *testing.T, dir string, rules []*detect.Rule) []Host {
	t.Helper()
	return auditPaths(t, []string{filepath.Join(dir, "Security.evtx"), filepath.Join(dir, "Sysmon.evtx")}, rules)
}

func TestPolicyEvidence(t *testing.T) {
	v102, _ := testRules(t)
	dir := t.TempDir()
	const fsGUID = "{0CCE921D-69AE-11D9-BED3-505054503030}"
	events := []evtxwrite.Event{
		sec4656("HOST1", 0, false),
		sec4719("HOST1", 5, "%%12800", fsGUID, "%%8448, %%8450"),
		evtxwrite.LogCleared{Common: evtxwrite.Common{Computer: "HOST1", TimeCreated: t0.Add(6 * time.Minute)}, Subject: subject}.Event(),
	}
	hosts := auditPaths(t, []string{writeLog(t, dir, "Security.evtx", events)}, []*detect.Rule{v102})
	h := hostNamed(t, hosts, "HOST1")
	require.Len(t, h.Policy.Changes, 1)
	ch := h.Policy.Changes[0]
	require.Equal(t, "File System", ch.Subcategory)
	require.Equal(t, "Object Access", ch.Category)
	require.Equal(t, []string{"success removed", "failure removed"}, ch.Changes)
	require.Equal(t, uint64(2), ch.RecordID)
	require.Len(t, h.Policy.Cleared, 1)
	require.Equal(t, int64(1102), h.Policy.Cleared[0].EventID)
	require.Contains(t, h.Policy.Cleared[0].Detail, `CORP\admin`)

	// The 4719 that removed File System auditing came after the last 4656:
	// the prerequisite is missing, with the 4719 as evidence.
	for _, p := range verdictOf(t, h, v102.ID).Setup {
		if p.Subcategory == "File System" {
			require.Equal(t, Missing, p.Status)
			require.Contains(t, strings.Join(p.Evidence, " "), "4719 at")
		}
	}

	// auditpol output is direct evidence and wins.
	pol, err := ParseAuditpol(strings.NewReader(auditpolBackup))
	require.NoError(t, err)
	hosts = auditPaths(t, []string{filepath.Join(dir, "Security.evtx")}, []*detect.Rule{v102}, pol)
	h = hostNamed(t, hosts, "HOST1")
	for _, p := range verdictOf(t, h, v102.ID).Setup {
		switch p.Subcategory {
		case "File System":
			require.Equal(t, Present, p.Status)
		case "Handle Manipulation":
			require.Equal(t, Missing, p.Status, "auditpol says Success only")
			require.Equal(t, Present, p.Success)
			require.Equal(t, Missing, p.Failure)
		}
	}
}

const auditpolBackup = "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting,Setting Value\r\n" +
	"HOST1,System,Audit File System,{0cce921d-69ae-11d9-bed3-505054503030},Success and Failure,,3\r\n" +
	"HOST1,System,Audit Handle Manipulation,{0cce9223-69ae-11d9-bed3-505054503030},Success,,1\r\n" +
	"HOST1,System,Audit Process Creation,{0cce922b-69ae-11d9-bed3-505054503030},No Auditing,,0\r\n" +
	"HOST1,,Option:CrashOnAuditFail,,Disabled,,0\r\n"

func TestParseAuditpol(t *testing.T) {
	report := "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting\r\n" +
		"WS1,System,File System,{0CCE921D-69AE-11D9-BED3-505054503030},Failure,\r\n" +
		"WS1,System,Process Creation,{0CCE922B-69AE-11D9-BED3-505054503030},Success,\r\n" +
		"WS1,System,Dateisystem,{0CCE9223-69AE-11D9-BED3-505054503030},Erfolg,\r\n"
	utf16 := func(s string) string {
		b := []byte{0xff, 0xfe}
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return string(b)
	}
	tests := []struct {
		name    string
		in      string
		machine string
		want    map[string]string // GUID -> setting
		err     bool
	}{
		{"backup", auditpolBackup, "HOST1", map[string]string{
			"{0CCE921D-69AE-11D9-BED3-505054503030}": "success_and_failure",
			"{0CCE9223-69AE-11D9-BED3-505054503030}": "success",
			"{0CCE922B-69AE-11D9-BED3-505054503030}": "none"}, false},
		{"get /r", report, "WS1", map[string]string{
			"{0CCE921D-69AE-11D9-BED3-505054503030}": "failure",
			"{0CCE922B-69AE-11D9-BED3-505054503030}": "success",
			"{0CCE9223-69AE-11D9-BED3-505054503030}": "unknown"}, false},
		{"utf16 with BOM", utf16(report), "WS1", map[string]string{
			"{0CCE921D-69AE-11D9-BED3-505054503030}": "failure",
			"{0CCE922B-69AE-11D9-BED3-505054503030}": "success",
			"{0CCE9223-69AE-11D9-BED3-505054503030}": "unknown"}, false},
		{"not auditpol", "a,b,c\n1,2,3\n", "", nil, true},
		{"empty", "", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseAuditpol(strings.NewReader(tt.in))
			if tt.err {
				require.ErrorIs(t, err, ErrNotAuditpol)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.machine, p.Machine)
			got := map[string]string{}
			for _, s := range p.Settings {
				got[s.GUID] = s.Setting
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestFindPolicies(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "auditpol.csv"), []byte(auditpolBackup), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.csv"), []byte("a,b\n1,2\n"), 0o644))
	writeLog(t, dir, "Security.evtx", []evtxwrite.Event{sec4656("HOST1", 0, false)})
	pols, errs := FindPolicies([]string{dir})
	require.Empty(t, errs)
	require.Len(t, pols, 1)
	require.Equal(t, filepath.Join(dir, "auditpol.csv"), pols[0].Path)
	require.Equal(t, "HOST1", pols[0].Machine)
}

func TestRecordIDGaps(t *testing.T) {
	dir := t.TempDir()
	var events []evtxwrite.Event
	for i := range 10 {
		e := sec4656("HOST1", i, false)
		e.RecordID = uint64(100 + i)
		if i >= 5 {
			e.RecordID += 20 // ids 125-129: 105..124 missing
		}
		events = append(events, e)
	}
	hosts := auditPaths(t, []string{writeLog(t, dir, "Security.evtx", events)}, nil)
	h := hostNamed(t, hosts, "HOST1")
	require.Len(t, h.Gaps, 1)
	g := h.Gaps[0]
	require.Equal(t, uint64(20), g.MissingIDs)
	require.Equal(t, []Hole{{From: 105, To: 124, Missing: 20,
		After: "2023-05-06T07:04:00Z", Before: "2023-05-06T07:05:00Z"}}, g.Holes)
	require.True(t, g.Export, "the writer numbers headers 1..10: renumbered, so an export")

	// A live log (header numbers equal EventRecordIDs) with the same hole
	// is not called an export: that hole is what record deletion leaves.
	c := NewCollector()
	for _, id := range []uint64{100, 101, 102, 110, 111} {
		r := &evtx.Record{Path: "live/Security.evtx", RecordID: id, HeaderRecordID: id, EventID: 4624,
			Channel: "Security", Provider: "Microsoft-Windows-Security-Auditing", Computer: "HOST3",
			TimeCreated: t0.Add(time.Duration(id) * time.Second), Keywords: "0x8020000000000000"}
		c.AddRecord(r, mapping.Map(r))
	}
	live := hostNamed(t, c.Report([]evtx.Source{{Path: "live/Security.evtx", Channels: []string{"Security"}}}, nil), "HOST3")
	require.Len(t, live.Gaps, 1)
	require.False(t, live.Gaps[0].Export)
	require.Equal(t, uint64(7), live.Gaps[0].MissingIDs)
	require.Equal(t, []Hole{{From: 103, To: 109, Missing: 7, After: "2023-05-06T07:01:42Z", Before: "2023-05-06T07:01:50Z"}}, live.Gaps[0].Holes)

	// A file none of whose records decoded is listed, not dropped.
	hosts = c.Report([]evtx.Source{
		{Path: "live/Security.evtx", Channels: []string{"Security"}},
		{Path: "broken/CAPI2.evtx", RecordsFailed: 459},
		{Path: "fine/Empty.evtx"},
	}, nil)
	orphans := hostNamed(t, hosts, Unattributed)
	require.Equal(t, Unattributed, hosts[len(hosts)-1].Host, "listed last")
	require.Len(t, orphans.Gaps, 1)
	require.Equal(t, "broken/CAPI2.evtx", orphans.Gaps[0].Path)
	require.Equal(t, 459, orphans.Gaps[0].RecordsFailed)

	// A wrapped log (newest chunk first in the file) has no hole.
	var wrapped []evtxwrite.Event
	for i := range 6 {
		e := sec4656("HOST2", i, false)
		e.RecordID = uint64(map[int]int{0: 4, 1: 5, 2: 6, 3: 1, 4: 2, 5: 3}[i])
		wrapped = append(wrapped, e)
	}
	hosts = auditPaths(t, []string{writeLog(t, dir, "Wrapped.evtx", wrapped)}, nil)
	require.Empty(t, hostNamed(t, hosts, "HOST2").Gaps)
}

// TestWriters checks the three formats on one audit: JSON round-trips with
// stable keys, CSV has the documented header and one row per host and
// rule, and the table fits 80 columns (golden file, -update to refresh).
func TestWriters(t *testing.T) {
	pkgDir, err := os.Getwd()
	require.NoError(t, err)
	v102, current := testRules(t)
	dir := t.TempDir()
	t.Chdir(dir) // evidence paths relative, so the golden file is stable
	events := []evtxwrite.Event{
		sec4688("DC01.corp.local", 0, ""), sec4688("DC01", 1, "=cmd|' /C calc'!A0"), sec4656("DC01", 2, false),
		sec4719("DC01", 3, "%%12800", "{0CCE921D-69AE-11D9-BED3-505054503030}", "%%8449, %%8451"),
		evtxwrite.LogCleared{Common: evtxwrite.Common{Computer: "DC01", TimeCreated: t0.Add(4 * time.Minute)}, Subject: subject}.Event(),
	}
	writeLog(t, dir, "Security.evtx", events)
	writeLog(t, dir, "Sysmon.evtx", []evtxwrite.Event{sysmon1("WS\x1b[31mEVIL", 0, evtxwrite.SysmonOriginalFileName)})
	hosts := auditPaths(t, []string{"Security.evtx", "Sysmon.evtx"}, []*detect.Rule{v102, current})

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, hosts))
	var back []map[string]any
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Len(t, back, len(hosts))
	for _, key := range []string{"host", "names", "records", "first", "last", "files", "logs", "policy", "gaps", "rules", "remedies"} {
		require.Contains(t, back[0], key)
	}

	var csvOut bytes.Buffer
	require.NoError(t, WriteCSV(&csvOut, hosts))
	lines := strings.Split(strings.TrimSpace(csvOut.String()), "\n")
	require.Equal(t, strings.Join(CSVHeader, ","), strings.TrimSpace(lines[0]))
	require.Len(t, lines, 1+2*2)

	var tab bytes.Buffer
	require.NoError(t, WriteTable(&tab, hosts))
	out := tab.String()
	for _, l := range strings.Split(out, "\n") {
		require.LessOrEqual(t, utf8.RuneCountInString(l), tableWidth, l)
		require.NotContains(t, l, "\x1b")
	}
	golden := filepath.Join(pkgDir, "testdata", "table.golden")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
		require.NoError(t, os.WriteFile(golden, []byte(out), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./audit -run TestWriters -update")
	require.Equal(t, string(want), out)
}

func TestParseSetup(t *testing.T) {
	v102, _ := testRules(t)
	needs := parseSetup(setupSection(v102.Setup, v102.Note))
	var got []string
	for _, n := range needs {
		switch n.kind {
		case "audit_subcategory":
			got = append(got, n.sub.Name+" S="+boolStr(n.success)+" F="+boolStr(n.failure))
		case "event":
			got = append(got, "event "+itoa(n.eventID))
		default:
			got = append(got, n.kind)
		}
	}
	require.Equal(t, []string{"event 4656", "File System S=true F=true", "Handle Manipulation S=true F=true"}, got)

	current := "## Setup\n\n- [Sysmon Event ID 1 - Process Creation](https://ela.st/sysmon-event-1-setup)\n- [Windows Process Creation Logs](https://ela.st/audit-process-creation)\n"
	got = nil
	for _, n := range parseSetup(setupSection(current, "")) {
		got = append(got, n.kind+":"+n.text)
	}
	require.Equal(t, []string{"event:Sysmon Event ID 1 - Process Creation", "process_creation:Windows Process Creation Logs"}, got)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestCollectorBounded feeds hostile documents: a new computer name and a
// new field per record. Memory stays bounded by the documented caps.
func TestCollectorBounded(t *testing.T) {
	c := NewCollector()
	for i := range maxHosts + 100 {
		d := mapping.Doc{
			"winlog.computer_name": "H" + itoa(int64(i)), "winlog.channel": "X", "winlog.event_id": itoa(int64(i % 1000)),
			"winlog.event_data.F" + itoa(int64(i)): "v", "winlog.record_id": itoa(int64(i)), "log.file.path": "f.evtx",
		}
		c.Add(d)
	}
	require.Len(t, c.hosts, maxHosts)
	hosts := c.Report(nil, nil)
	over := hostNamed(t, hosts, overflowHost)
	require.Equal(t, 100+1, over.Records)
	require.NotEmpty(t, over.Truncated)
}

func TestSilenceAndPolicyOnlyHost(t *testing.T) {
	c := NewCollector()
	add := func(id uint64, at time.Time) {
		r := &evtx.Record{Path: "live/System.evtx", RecordID: id, HeaderRecordID: id, EventID: 7036,
			Channel: "System", Provider: "Service Control Manager", Computer: "HOST4", TimeCreated: at}
		c.AddRecord(r, mapping.Map(r))
	}
	for i := range 100 {
		add(uint64(i+1), t0.Add(time.Duration(i)*time.Minute))
	}
	add(101, t0.Add(99*time.Minute+5*time.Hour))
	pol, err := ParseAuditpol(strings.NewReader(strings.ReplaceAll(auditpolBackup, "HOST1", "POLONLY")))
	require.NoError(t, err)
	c.AddPolicy(pol)
	hosts := c.Report(nil, nil)

	h := hostNamed(t, hosts, "HOST4")
	require.Len(t, h.Gaps, 1)
	require.NotNil(t, h.Gaps[0].Silence)
	require.Equal(t, 5.0, h.Gaps[0].Silence.Hours)
	require.Equal(t, uint64(100), h.Gaps[0].Silence.AfterRecordID)
	require.Zero(t, h.Gaps[0].MissingIDs)

	p := hostNamed(t, hosts, "POLONLY")
	require.Equal(t, "POLONLY", p.Host)
	require.Zero(t, p.Records)
	require.Len(t, p.Policy.Auditpol, 1)
	require.False(t, p.Logs.Security.Collected)
}

func TestFindPoliciesInZip(t *testing.T) {
	dir := t.TempDir()
	zpath := filepath.Join(dir, "triage.zip")
	f, err := os.Create(zpath)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	w, err := zw.Create("C/Windows/audit/auditpol.csv")
	require.NoError(t, err)
	_, err = w.Write([]byte(auditpolBackup))
	require.NoError(t, err)
	w, err = zw.Create("C/notes.txt")
	require.NoError(t, err)
	_, err = w.Write([]byte("nothing to see"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	pols, errs := FindPolicies([]string{zpath})
	require.Empty(t, errs)
	require.Len(t, pols, 1)
	require.Equal(t, zpath+"!C/Windows/audit/auditpol.csv", pols[0].Path)
}

// BenchmarkCollectorAdd measures the audit's cost per mapped document (it
// runs on every record of every scan).
func BenchmarkCollectorAdd(b *testing.B) {
	docs := benchDocs(b)
	c := NewCollector()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Add(docs[i%len(docs)])
	}
}

// benchDocs maps one record of each kind the audit looks at: a Sysmon
// and a Security process start, a handle request, a policy change.
func benchDocs(b *testing.B) []mapping.Doc {
	var docs []mapping.Doc
	for i, e := range []evtxwrite.Event{
		sysmon1("HOST", 1, evtxwrite.SysmonOriginalFileName), sec4688("HOST", 2, "cmd /c whoami"),
		sec4656("HOST", 3, false), sec4719("HOST", 4, "%%12800", "{0CCE921D-69AE-11D9-BED3-505054503030}", "%%8449"),
	} {
		var buf bytes.Buffer
		require.NoError(b, evtxwrite.Write(&buf, []evtxwrite.Event{e}, evtxwrite.FirstRecordID(uint64(i+1))))
		p := filepath.Join(b.TempDir(), "x.evtx")
		require.NoError(b, os.WriteFile(p, buf.Bytes(), 0o644))
		_, err := evtx.Scan(context.Background(), []string{p}, evtx.Options{Workers: 1}, func(r *evtx.Record) error {
			docs = append(docs, mapping.Map(r))
			return nil
		})
		require.NoError(b, err)
	}
	return docs
}

func TestSysmonStateAndSystemClear(t *testing.T) {
	c := NewCollector()
	recs := []*evtx.Record{
		{Path: "Sysmon.evtx", RecordID: 1, HeaderRecordID: 1, EventID: 4, Channel: "Microsoft-Windows-Sysmon/Operational",
			Provider: "Microsoft-Windows-Sysmon", Computer: "WS2", TimeCreated: t0,
			EventData: map[string]string{"UtcTime": "2023-05-06 07:00:00.000", "State": "Started", "Version": "10.42", "SchemaVersion": "4.22"}},
		{Path: "Sysmon.evtx", RecordID: 2, HeaderRecordID: 2, EventID: 16, Channel: "Microsoft-Windows-Sysmon/Operational",
			Provider: "Microsoft-Windows-Sysmon", Computer: "WS2", TimeCreated: t0.Add(time.Second),
			EventData: map[string]string{"UtcTime": "2023-05-06 07:00:01.000", "Configuration": `C:\cfg.xml`, "ConfigurationFileHash": "SHA256=00"}},
		{Path: "System.evtx", RecordID: 9, HeaderRecordID: 9, EventID: 104, Channel: "System",
			Provider: "Microsoft-Windows-Eventlog", Computer: "WS2", TimeCreated: t0.Add(time.Minute),
			UserData: map[string]string{"SubjectUserName": "mallory", "SubjectDomainName": "WS2", "Channel": "Microsoft-Windows-Sysmon/Operational"}},
	}
	for _, r := range recs {
		c.AddRecord(r, mapping.Map(r))
	}
	h := hostNamed(t, c.Report(nil, nil), "WS2")
	require.Equal(t, "yes", h.Logs.Sysmon.Version10, h.Logs.Sysmon.VersionEvidence)
	require.Len(t, h.Logs.Sysmon.ServiceChanges, 1)
	require.Contains(t, h.Logs.Sysmon.ServiceChanges[0].Detail, "version 10.42")
	require.Len(t, h.Logs.Sysmon.ConfigChanges, 1)
	require.Contains(t, h.Logs.Sysmon.ConfigChanges[0].Detail, `C:\cfg.xml`)
	require.Len(t, h.Policy.Cleared, 1)
	require.Equal(t, "Microsoft-Windows-Sysmon/Operational log cleared by WS2\\mallory", h.Policy.Cleared[0].Detail)
	require.Equal(t, uint64(9), h.Policy.Cleared[0].RecordID)
}

// TestCoverageNoneCarry: a rule that reads OriginalFileName only as an
// optional field (today's seed rule) can fire on Sysmon 9; the reason says
// that none of the events carry the field, not "only 0 of N".
func TestCoverageNoneCarry(t *testing.T) {
	dir := t.TempDir()
	_, current := testRules(t)
	p := writeLog(t, dir, "Sysmon.evtx", []evtxwrite.Event{
		sysmon1("WS02", 0, evtxwrite.SysmonNoOriginalFileName), sysmon1("WS02", 1, evtxwrite.SysmonNoOriginalFileName),
	})
	v := verdictOf(t, hostNamed(t, auditPaths(t, []string{p}, []*detect.Rule{current}), "WS02"), current.ID)
	require.Equal(t, CanFire, v.Verdict)
	require.Contains(t, v.Reason, "none of the 2 Sysmon EID 1 events carries OriginalFileName")
	require.NotContains(t, v.Reason, "only 0 of")
}

// TestPotentialFieldsComeFromMapping: what a source can carry is read from
// the mapping stage's document for its prototype (no list kept by hand):
// Sysmon EID 1 carries OriginalFileName and command lines, Security 4688
// command lines but never OriginalFileName.
func TestPotentialFieldsComeFromMapping(t *testing.T) {
	byKey := map[sourceKey]map[string]bool{}
	for _, k := range knownSources() {
		byKey[k.key] = k.potentialFields()
	}
	sysmon := byKey[sourceKey{channelSysmon, 1}]
	sec := byKey[sourceKey{channelSecurity, 4688}]
	for _, f := range []string{"event.category", "event.type", "process.pe.original_file_name", "process.args",
		"process.command_line", "process.name", "process.parent.name", "host.os.type"} {
		require.True(t, sysmon[f], "Sysmon EID 1 carries %s", f)
	}
	for _, f := range []string{"event.category", "event.type", "process.args", "process.command_line",
		"process.name", "process.parent.name", "host.os.type"} {
		require.True(t, sec[f], "Security 4688 carries %s", f)
	}
	require.False(t, sec["process.pe.original_file_name"])
}

// TestNameKey holds nameKey's byte loop (allocation-free for ASCII) to
// its definition by the strings package, for every subcategory name in
// the spellings auditpol, Group Policy and the mapping use, for names of
// other providers' tasks and for non-ASCII ones.
func TestNameKey(t *testing.T) {
	byDefinition := func(name string) string {
		n := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), "audit ")
		var b strings.Builder
		for _, r := range n {
			if r != ' ' && r != '/' && r != '-' && r != '\t' {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	names := []string{"", " ", "Audit", "audit ", "AUDIT  File System", "Process Create (rule: ProcessCreate)",
		"\tUser / Device Claims\n", "user-device claims", "Audit Audit Policy Change", "Logon\v", "x-/ \ty",
		"Syst\u00e8me", "AUDIT Fil\u00c9 System", "Audit \u212Aerberos Authentication Service", "\u00a0Logon\u00a0"}
	for _, s := range subcategories {
		names = append(names, s.Name, "Audit "+s.Name, strings.ToUpper(s.Name), " "+strings.ToLower(s.Name)+"\r\n",
			strings.ReplaceAll(s.Name, " ", "-"))
	}
	for _, n := range names {
		require.Equal(t, byDefinition(n), nameKey(n), "%q", n)
		require.Equal(t, byDefinition(n), string(appendNameKey([]byte("x"), n)[1:]), "%q appended", n)
	}
	kerberos, ok := SubcategoryByName("Audit \u212Aerberos Authentication Service") // Kelvin sign
	require.True(t, ok)
	require.Equal(t, "Kerberos Authentication Service", kerberos.Name)
	got, ok := SubcategoryByName("audit FILE-system")
	require.True(t, ok)
	require.Equal(t, "File System", got.Name)
}
