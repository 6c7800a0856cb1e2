package scan

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

const (
	sysmonChannel  = "Microsoft-Windows-Sysmon/Operational"
	sysmonProvider = "Microsoft-Windows-Sysmon"
	sysmonGUID     = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"
	secProvider    = "Microsoft-Windows-Security-Auditing"
	secGUID        = "{54849625-5478-4994-A5BA-3E3B0328C30D}"
	auditSuccess   = 0x8020000000000000
	auditFailure   = 0x8010000000000000
)

var t0 = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)

// sysmon1 is a Sysmon process creation (event 1, schema of Sysmon 10+,
// with OriginalFileName).
func sysmon1(host string, at time.Time, rid uint64, image, original, cmdline string) evtxwrite.Event {
	s := evtxwrite.String
	return evtxwrite.Event{
		Provider: sysmonProvider, ProviderGUID: sysmonGUID, EventID: 1, Version: 5, Level: 4, Task: 1,
		Keywords: 0x8000000000000000, TimeCreated: at, RecordID: rid, ProcessID: 2000, ThreadID: 3000,
		Channel: sysmonChannel, Computer: host, UserID: "S-1-5-18",
		EventData: []evtxwrite.Data{
			evtxwrite.D("RuleName", s("-")),
			evtxwrite.D("UtcTime", s(at.Format("2006-01-02 15:04:05.000"))),
			evtxwrite.D("ProcessGuid", evtxwrite.GUID("{11111111-2222-3333-4444-555555555555}")),
			evtxwrite.D("ProcessId", evtxwrite.UInt32(4242)),
			evtxwrite.D("Image", s(image)),
			evtxwrite.D("FileVersion", s("10.0.17763.1")),
			evtxwrite.D("Description", s("Windows Command Processor")),
			evtxwrite.D("Product", s("Microsoft Windows Operating System")),
			evtxwrite.D("Company", s("Microsoft Corporation")),
			evtxwrite.D("OriginalFileName", s(original)),
			evtxwrite.D("CommandLine", s(cmdline)),
			evtxwrite.D("CurrentDirectory", s(`C:\Windows\system32\`)),
			evtxwrite.D("User", s(`CORP\admin`)),
			evtxwrite.D("LogonGuid", evtxwrite.GUID("{11111111-2222-3333-4444-666666666666}")),
			evtxwrite.D("LogonId", evtxwrite.HexInt64(0x3e7)),
			evtxwrite.D("TerminalSessionId", evtxwrite.UInt32(1)),
			evtxwrite.D("IntegrityLevel", s("High")),
			evtxwrite.D("Hashes", s("SHA256=0000")),
			evtxwrite.D("ParentProcessGuid", evtxwrite.GUID("{11111111-2222-3333-4444-777777777777}")),
			evtxwrite.D("ParentProcessId", evtxwrite.UInt32(1000)),
			evtxwrite.D("ParentImage", s(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`)),
			evtxwrite.D("ParentCommandLine", s(`powershell.exe -nop`)),
		},
	}
}

// sec4656 is a Security "A handle to an object was requested".
func sec4656(host string, at time.Time, rid uint64, object, process string, success bool) evtxwrite.Event {
	s := evtxwrite.String
	kw := uint64(auditSuccess)
	if !success {
		kw = auditFailure
	}
	return evtxwrite.Event{
		Provider: secProvider, ProviderGUID: secGUID, EventID: 4656, Version: 1, Task: 12800,
		Keywords: kw, TimeCreated: at, RecordID: rid, ProcessID: 4, ThreadID: 100,
		Channel: "Security", Computer: host,
		EventData: []evtxwrite.Data{
			evtxwrite.D("SubjectUserSid", evtxwrite.SID("S-1-5-21-1-2-3-500")),
			evtxwrite.D("SubjectUserName", s("admin")),
			evtxwrite.D("SubjectDomainName", s("CORP")),
			evtxwrite.D("SubjectLogonId", evtxwrite.HexInt64(0x1234)),
			evtxwrite.D("ObjectServer", s("Security")),
			evtxwrite.D("ObjectType", s("File")),
			evtxwrite.D("ObjectName", s(object)),
			evtxwrite.D("HandleId", evtxwrite.Pointer(0)),
			evtxwrite.D("TransactionId", evtxwrite.GUID("{00000000-0000-0000-0000-000000000000}")),
			evtxwrite.D("AccessList", s("%%4416\r\n\t\t\t\t")),
			evtxwrite.D("AccessReason", s("-")),
			evtxwrite.D("AccessMask", evtxwrite.HexInt32(0x1)),
			evtxwrite.D("PrivilegeList", s("-")),
			evtxwrite.D("RestrictedSidCount", evtxwrite.UInt32(0)),
			evtxwrite.D("ProcessId", evtxwrite.Pointer(0x1a2b)),
			evtxwrite.D("ProcessName", s(process)),
			evtxwrite.D("ResourceAttributes", s("-")),
		},
	}
}

const shadowLink = `cmd.exe /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`

// writeTriage writes a small triage folder: host DC01 with one true
// positive and noise in Sysmon, 4656 handle requests in Security; host WS07
// with a 4656 at the same time (another host: must not corroborate).
func writeTriage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := `C:\Windows\System32\cmd.exe`
	write := func(name string, events []evtxwrite.Event) {
		require.NoError(t, evtxwrite.WriteFile(filepath.Join(dir, name), events))
	}
	write("DC01-Sysmon.evtx", []evtxwrite.Event{
		sysmon1("DC01.corp.example", t0.Add(-time.Hour), 10, cmd, "Cmd.Exe", `cmd.exe /c dir`),
		sysmon1("DC01.corp.example", t0, 11, cmd, "Cmd.Exe", shadowLink),
		sysmon1("DC01.corp.example", t0.Add(time.Minute), 12, cmd, "Cmd.Exe", `cmd.exe /c mklink /d C:\x C:\y`),
	})
	ntds := `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`
	write("DC01-Security.evtx", []evtxwrite.Event{
		sec4656("DC01.corp.example", t0.Add(2*time.Minute), 500, ntds, `C:\Windows\System32\esentutl.exe`, true),
		sec4656("DC01.corp.example", t0.Add(3*time.Minute), 501, `C:\Windows\NTDS\ntds.dit`, `C:\Windows\System32\esentutl.exe`, true),
		sec4656("DC01.corp.example", t0.Add(4*time.Minute), 502, `\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SAM`, `C:\Windows\System32\reg.exe`, false),
		sec4656("DC01.corp.example", t0.Add(40*time.Minute), 503, ntds, `C:\Windows\System32\esentutl.exe`, true),
	})
	write("WS07-Security.evtx", []evtxwrite.Event{
		sec4656("WS07.corp.example", t0.Add(2*time.Minute), 77, ntds, `C:\Windows\System32\esentutl.exe`, true),
	})
	return dir
}

func seedRules(t testing.TB) []*detect.Rule {
	t.Helper()
	rules, err := detect.DefaultRules()
	require.NoError(t, err)
	require.NotEmpty(t, rules)
	return rules
}

func TestRunFindsAndCorroborates(t *testing.T) {
	dir := writeTriage(t)
	rules := seedRules(t)
	res, err := Run(context.Background(), []string{dir}, rules, Options{Workers: 2})
	require.NoError(t, err)

	s := res.Summary
	require.Equal(t, 3, s.Files)
	require.Equal(t, 8, s.RecordsDecoded)
	require.Equal(t, 8, s.RecordsInRange)
	require.Zero(t, s.RecordsFailed)
	require.False(t, s.Partial)
	require.Equal(t, len(rules), s.Rules)
	require.Len(t, s.AlertsPerRule, len(rules))
	require.Equal(t, 900.0, s.CorroborationWindowSeconds)
	require.Equal(t, 4, s.CorroborationCandidates, "only 4656 on shadow-copy objects are kept")

	require.Len(t, res.Alerts, 1, "only the mklink to a shadow copy alerts")
	require.Equal(t, 1, s.Alerts)
	a := res.Alerts[0]
	require.Equal(t, "d117cbb4-7d56-41b4-b999-bdf8c25648a0", a.Rule.ID)
	require.Equal(t, t0, a.Timestamp)
	require.Equal(t, uint64(11), a.Evidence.RecordID)
	require.Equal(t, filepath.Join(dir, "DC01-Sysmon.evtx"), a.Evidence.Path)
	require.Equal(t, "DC01.corp.example", a.Host)
	require.Equal(t, shadowLink, a.Process.CommandLine)
	require.Equal(t, int64(4242), a.Process.PID)

	var rids []uint64
	for _, h := range a.Corroboration {
		rids = append(rids, h.Evidence.RecordID)
	}
	require.Equal(t, []uint64{500, 502}, rids, "same host, shadow-copy object, within 15 minutes")
	h := a.Corroboration[0]
	require.Equal(t, "esentutl.exe", h.ProcessName)
	require.Equal(t, int64(0x1a2b), h.ProcessPID)
	require.Equal(t, filepath.Join(dir, "DC01-Security.evtx"), h.Evidence.Path)
	require.Equal(t, "success", h.Outcome)
	require.Equal(t, "failure", a.Corroboration[1].Outcome)

	require.Len(t, res.Sources, 3)
	require.NotNil(t, res.Audit)
	rep := res.Report()
	require.Equal(t, res.Alerts, rep.Alerts)
	require.NotNil(t, rep.Audit)
}

func TestRunTimeRange(t *testing.T) {
	dir := writeTriage(t)
	rules := seedRules(t)
	res, err := Run(context.Background(), []string{dir}, rules, Options{From: t0.Add(time.Second)})
	require.NoError(t, err)
	require.Empty(t, res.Alerts, "the alerting event is before --from")
	require.Equal(t, 8, res.Summary.RecordsDecoded, "all records are still read and accounted")
	require.Equal(t, 6, res.Summary.RecordsInRange)
	require.NotNil(t, res.Summary.From)
	require.Nil(t, res.Summary.To)

	res, err = Run(context.Background(), []string{dir}, rules, Options{From: t0, To: t0})
	require.NoError(t, err)
	require.Len(t, res.Alerts, 1, "bounds are inclusive")
	require.Equal(t, 1, res.Summary.RecordsInRange)
	require.Len(t, res.Alerts[0].Corroboration, 2, "corroboration looks past --to")
}

func TestRunCorroborationOff(t *testing.T) {
	dir := writeTriage(t)
	res, err := Run(context.Background(), []string{dir}, seedRules(t), Options{CorroborationWindow: -1})
	require.NoError(t, err)
	require.Len(t, res.Alerts, 1)
	require.Empty(t, res.Alerts[0].Corroboration)
	require.Zero(t, res.Summary.CorroborationWindowSeconds)
	require.Zero(t, res.Summary.CorroborationCandidates)
}

// AuditOnly (the audit command) gives the same audit as a full scan and
// no alerts.
func TestRunAuditOnly(t *testing.T) {
	dir := writeTriage(t)
	full, err := Run(context.Background(), []string{dir}, seedRules(t), Options{})
	require.NoError(t, err)
	require.NotEmpty(t, full.Alerts)
	only, err := Run(context.Background(), []string{dir}, seedRules(t), Options{AuditOnly: true})
	require.NoError(t, err)
	require.Empty(t, only.Alerts)
	require.Zero(t, only.Summary.CorroborationCandidates)
	require.Equal(t, full.Audit, only.Audit)
	require.Equal(t, full.Sources, only.Sources)
}

func TestRunDeterministic(t *testing.T) {
	dir := writeTriage(t)
	rules := seedRules(t)
	var prev *Result
	for _, w := range []int{1, 3, 8} {
		res, err := Run(context.Background(), []string{dir}, rules, Options{Workers: w})
		require.NoError(t, err)
		res.Summary.ElapsedSeconds = 0
		if prev != nil {
			require.Equal(t, prev.Alerts, res.Alerts, "workers=%d", w)
			require.Equal(t, prev.Sources, res.Sources, "workers=%d", w)
			require.Equal(t, prev.Summary, res.Summary, "workers=%d", w)
		}
		prev = res
	}
}

func TestRunCancelledIsPartial(t *testing.T) {
	dir := writeTriage(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, []string{dir}, seedRules(t), Options{})
	require.NoError(t, err, "an interrupted scan still returns its report")
	require.NotNil(t, res)
	require.True(t, res.Summary.Partial)
	require.Equal(t, "interrupted", res.Summary.PartialReason)
	require.NotNil(t, res.Alerts)
}

func TestRunSkipsUncompiledRules(t *testing.T) {
	dir := writeTriage(t)
	var warnings []error
	rules := append(seedRules(t), &detect.Rule{ID: "x", Name: "not compiled"}, nil)
	res, err := Run(context.Background(), []string{dir}, rules, Options{Warn: func(err error) { warnings = append(warnings, err) }})
	require.NoError(t, err)
	require.Equal(t, len(rules)-2, res.Summary.Rules)
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0].Error(), "not compiled")
}

func TestRunNothingThere(t *testing.T) {
	res, err := Run(context.Background(), []string{filepath.Join(t.TempDir(), "missing")}, seedRules(t), Options{})
	require.NoError(t, err)
	require.Zero(t, res.Summary.Files)
	require.NotEmpty(t, res.Summary.Errors, "unreadable input is reported")
	require.NotNil(t, res.Alerts)
}

func TestRunCorroborationBoundIsReported(t *testing.T) {
	dir := writeTriage(t)
	var warnings []string
	res, err := Run(context.Background(), []string{dir}, seedRules(t), Options{
		MaxCorroborationCandidates: 1,
		Warn:                       func(err error) { warnings = append(warnings, err.Error()) },
	})
	require.NoError(t, err)
	require.Equal(t, 1, res.Summary.CorroborationCandidates)
	require.Equal(t, 3, res.Summary.CorroborationDropped)
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0], "3 shadow-copy 4656 events")
}

// TestRunMaxAlerts: alerts over the bound are counted, per rule and in
// the summary, reported as not listed with a warning, never lost silently.
func TestRunMaxAlerts(t *testing.T) {
	dir := "../testdata/triage" // seven alerts
	rules := seedRules(t)
	all, err := Run(context.Background(), []string{dir}, rules, Options{Workers: 2})
	require.NoError(t, err)
	require.Greater(t, len(all.Alerts), 2)
	var warnings []string
	capped, err := Run(context.Background(), []string{dir}, rules, Options{Workers: 2, MaxAlerts: 2,
		Warn: func(err error) { warnings = append(warnings, err.Error()) }})
	require.NoError(t, err)
	require.Len(t, capped.Alerts, 2)
	require.Equal(t, all.Summary.Alerts, capped.Summary.Alerts, "every alert is counted")
	require.Equal(t, all.Summary.AlertsPerRule, capped.Summary.AlertsPerRule)
	require.Equal(t, len(all.Alerts)-2, capped.Summary.AlertsNotListed)
	require.Zero(t, all.Summary.AlertsNotListed)
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0], "not listed")
}

// TestLightEventDataByKind: the scan's decoder keeps a 4688's pids and
// NewProcessName only when a rule could match a 4688 (its gate then reads
// them for every one); the embedded rules need a Sysmon original file name,
// which no 4688 has.
func TestLightEventDataByKind(t *testing.T) {
	rule := func(query string) *detect.Rule {
		q, err := detect.Parse(query)
		require.NoError(t, err)
		return &detect.Rule{ID: "test", Name: "test", Compiled: q}
	}
	audits := []string{"CommandLine", "ObjectName", "ObjectType", "OriginalFileName", "UtcTime"}
	for _, tc := range []struct {
		name        string
		rules       []*detect.Rule
		want, never []string
	}{
		{"embedded", seedRules(t), audits, []string{"NewProcessId", "ProcessId", "NewProcessName", "Image"}},
		{"by process.name", []*detect.Rule{rule(`process where process.name : "cmd.exe" and process.command_line : "*HarddiskVolumeShadowCopy*"`)},
			append([]string{"NewProcessId", "ProcessId", "NewProcessName", "Image"}, audits...), nil},
		{"raw event data", []*detect.Rule{rule(`any where winlog.event_data.TargetFilename : "*ntds.dit"`)},
			append([]string{"TargetFilename"}, audits...), []string{"NewProcessId", "Image"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names := lightEventData(tc.rules, false)
			require.Subset(t, names, tc.want)
			for _, n := range tc.never {
				require.NotContains(t, names, n)
			}
			require.Nil(t, lightEventData(tc.rules, true), "every record mapped: every name")
		})
	}
}
