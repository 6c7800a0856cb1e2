package report

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/mapping"
)

func testRule() *detect.Rule {
	return &detect.Rule{
		ID: "d117cbb4-7d56-41b4-b999-bdf8c25648a0", Name: "Symbolic Link to Shadow Copy Created",
		Version: 102, Severity: "medium", RiskScore: 47,
		Threat: []detect.Threat{
			{Framework: "MITRE ATT&CK", Tactic: detect.Tactic{ID: "TA0006"},
				Techniques: []detect.Technique{{ID: "T1003", Subtechniques: []detect.Subtechnique{{ID: "T1003.002"}}}}},
			{Framework: "MITRE ATT&CK", Tactic: detect.Tactic{ID: "TA0006"}, // duplicates collapse
				Techniques: []detect.Technique{{ID: "T1003"}, {ID: "T1006"}}},
		},
	}
}

func TestRuleOf(t *testing.T) {
	ref := RuleOf(testRule())
	require.Equal(t, []string{"T1003", "T1003.002", "T1006"}, ref.Techniques)
	require.Equal(t, []string{"TA0006"}, ref.Tactics)
	require.Equal(t, 102, ref.Version)
	require.Equal(t, 47, ref.RiskScore)
	empty := RuleOf(&detect.Rule{ID: "x"})
	require.NotNil(t, empty.Techniques)
	require.NotNil(t, empty.Tactics)
}

func TestNewAlertReadsECS(t *testing.T) {
	doc := mapping.Doc{
		"@timestamp":                    "2024-03-01T10:00:00.5Z",
		"host.name":                     "DC01",
		"user.domain":                   "CORP",
		"user.name":                     "admin",
		"process.name":                  "cmd.exe",
		"process.pid":                   int64(4242),
		"process.executable":            `C:\Windows\System32\cmd.exe`,
		"process.command_line":          "cmd /c mklink",
		"process.args":                  []string{"cmd", "/c", "mklink"},
		"process.pe.original_file_name": "Cmd.Exe",
		"process.parent.name":           "explorer.exe",
		"process.parent.pid":            int64(100),
		"process.parent.executable":     `C:\Windows\explorer.exe`,
		"process.parent.command_line":   "explorer.exe",
		"log.file.path":                 "a/Sysmon.evtx",
		"winlog.record_id":              "12345", // winlogbeat keeps it as a keyword
		"winlog.channel":                "Microsoft-Windows-Sysmon/Operational",
		"winlog.event_id":               "1",
	}
	a := NewAlert(testRule(), doc)
	require.Equal(t, time.Date(2024, 3, 1, 10, 0, 0, 5e8, time.UTC), a.Timestamp)
	require.Equal(t, "DC01", a.Host)
	require.Equal(t, `CORP\admin`, a.User)
	require.Equal(t, Process{Name: "cmd.exe", PID: 4242, Executable: `C:\Windows\System32\cmd.exe`,
		CommandLine: "cmd /c mklink", Args: []string{"cmd", "/c", "mklink"}, OriginalFileName: "Cmd.Exe"}, a.Process)
	require.Equal(t, Parent{Name: "explorer.exe", PID: 100, Executable: `C:\Windows\explorer.exe`, CommandLine: "explorer.exe"}, a.Parent)
	require.Equal(t, Evidence{Path: "a/Sysmon.evtx", RecordID: 12345, Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1}, a.Evidence)
	require.NotNil(t, a.Corroboration)

	// Numbers as JSON decodes them, args as []any, user without domain.
	doc2 := mapping.Doc{
		"winlog.record_id": float64(7), "winlog.event_id": int64(4688), "process.pid": float64(9),
		"process.args": []any{"a", "b"}, "user.name": "SYSTEM", "winlog.computer_name": "WS1",
	}
	a2 := NewAlert(testRule(), doc2)
	require.Equal(t, uint64(7), a2.Evidence.RecordID)
	require.Equal(t, 4688, a2.Evidence.EventID)
	require.Equal(t, int64(9), a2.Process.PID)
	require.Equal(t, []string{"a", "b"}, a2.Process.Args)
	require.Equal(t, "SYSTEM", a2.User)
	require.Equal(t, "WS1", a2.Host, "falls back to the computer name")

	// An empty document never panics and gives a zero alert with lists.
	a3 := NewAlert(testRule(), mapping.Doc{})
	require.True(t, a3.Timestamp.IsZero())
	require.NotNil(t, a3.Process.Args)
}

func TestNewHandleRequest(t *testing.T) {
	base := func() mapping.Doc {
		return mapping.Doc{
			"@timestamp":                          "2024-03-01T10:02:00Z",
			"host.name":                           "DC01",
			"winlog.channel":                      "Security",
			"winlog.event_id":                     "4656",
			"winlog.record_id":                    "991",
			"log.file.path":                       "Security.evtx",
			"winlog.event_data.ObjectName":        `\Device\HarddiskVolumeShadowCopy3\Windows\System32\config\SYSTEM`,
			"winlog.event_data.ObjectType":        "File",
			"winlog.event_data.ProcessName":       `C:\Windows\System32\reg.exe`,
			"winlog.event_data.ProcessId":         "0x1a2b",
			"winlog.event_data.AccessList":        "%%1538\n\t\t\t\t%%4416\n",
			"winlog.event_data.SubjectUserName":   "admin",
			"winlog.event_data.SubjectDomainName": "CORP",
			"event.outcome":                       "failure",
		}
	}
	h, ok := NewHandleRequest(base())
	require.True(t, ok)
	require.Equal(t, "reg.exe", h.ProcessName, "derived from the executable when process.name is absent")
	require.Equal(t, int64(0x1a2b), h.ProcessPID)
	require.Equal(t, "%%1538 %%4416", h.Access, "whitespace of the logged list is collapsed")
	require.Equal(t, `CORP\admin`, h.User)
	require.Equal(t, "failure", h.Outcome)
	require.Equal(t, Evidence{Path: "Security.evtx", RecordID: 991, Channel: "Security", EventID: 4656}, h.Evidence)

	d := base()
	d["process.name"], d["process.pid"] = "esentutl.exe", int64(5)
	d["winlog.event_data.AccessList"] = []string{"1538", "4416"}
	d["winlog.event_data.AccessListDescription"] = []string{"READ_CONTROL", "ReadData (or ListDirectory)"}
	h, ok = NewHandleRequest(d)
	require.True(t, ok)
	require.Equal(t, "esentutl.exe", h.ProcessName)
	require.Equal(t, int64(5), h.ProcessPID)
	require.Equal(t, "READ_CONTROL, ReadData (or ListDirectory)", h.Access, "the pipeline's descriptions win")

	d = base()
	delete(d, "winlog.event_data.AccessList")
	d["winlog.event_data.AccessMask"] = []string{"0x1"}
	h, _ = NewHandleRequest(d)
	require.Equal(t, "0x1", h.Access, "the mask when there is no list")

	for name, mod := range map[string]func(mapping.Doc){
		"not a shadow copy": func(d mapping.Doc) { d["winlog.event_data.ObjectName"] = `C:\Windows\NTDS\ntds.dit` },
		"not 4656":          func(d mapping.Doc) { d["winlog.event_id"] = "4663" },
		"not Security":      func(d mapping.Doc) { d["winlog.channel"] = "ForwardedEvents" },
		"no object":         func(d mapping.Doc) { delete(d, "winlog.event_data.ObjectName") },
	} {
		d := base()
		mod(d)
		_, ok := NewHandleRequest(d)
		require.False(t, ok, name)
	}
	d = base()
	delete(d, "winlog.event_data.ObjectName")
	d["file.path"] = `\Device\HARDDISKVOLUMESHADOWCOPY1\x`
	_, ok = NewHandleRequest(d)
	require.True(t, ok, "file.path is used when ObjectName is absent; case-insensitive")
}

func TestIsCredentialStore(t *testing.T) {
	for name, want := range map[string]bool{
		`\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`:            true,
		`\Device\HarddiskVolumeShadowCopy1\WINDOWS\ntds\NTDS.DIT`:            true,
		`\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SAM`:      true,
		`\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SYSTEM`:   true,
		`\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SECURITY`: true,
		`\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SOFTWARE`: false,
		`\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SAM.LOG1`: false,
		`\Device\HarddiskVolumeShadowCopy1\Users\bob\ntds.dit.txt`:           false,
		``: false,
	} {
		require.Equal(t, want, IsCredentialStore(name), name)
	}
}

// TestIsShadowCopyObject holds the allocation-free ASCII path to
// strings.ToLower's answer, which non-ASCII names still get (the Kelvin
// sign lowers to an ASCII k).
func TestIsShadowCopyObject(t *testing.T) {
	for name, want := range map[string]bool{
		`\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`: true,
		`\DEVICE\HARDDISKVOLUMESHADOWCOPY12\x`:                    true,
		`harddiskvolumeshadowcopy`:                                true,
		`harddiskvolumeshadowcop`:                                 false,
		`\Device\HarddiskVolume1\Windows\NTDS\ntds.dit`:           false,
		"\\Device\\Harddis\u212AVolumeShadowCopy1\\x":             true, // Kelvin sign
		`\Device\HarddiskVolumeShadowCopy1\données`:               true,
		`\Device\HarddiskVolumeShadowCöpy1`:                       false,
		``:                                                        false,
	} {
		require.Equal(t, want, IsShadowCopyObject(name), name)
		require.Equal(t, strings.Contains(strings.ToLower(name), shadowCopyMarker), IsShadowCopyObject(name), name)
	}
}
