package mapping

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

// End to end: events written as Windows writes them (evtxwrite), read back
// by the reader (evtx.Scan), mapped. This checks the mapping rules against
// the value renderings the reader really produces (hex pointers, braced
// GUIDs, CRLF-joined access lists), not against hand-built records.

var fixtureTime = time.Date(2024, 5, 6, 7, 8, 9, 123456700, time.UTC)

func fixtureCommon(recordID uint64) evtxwrite.Common {
	return evtxwrite.Common{Computer: "ws01.corp.local", TimeCreated: fixtureTime, RecordID: recordID,
		ExecutionProcessID: 3000, ExecutionThreadID: 3004}
}

var fixtureSubject = evtxwrite.Subject{UserSid: "S-1-5-21-1-2-3-1104", UserName: "alice", DomainName: "CORP", LogonId: 0x2c9e7}

// scanDocs writes events to a temporary .evtx file, scans it and maps every
// record.
func scanDocs(t *testing.T, events []evtxwrite.Event) []Doc {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fixture.evtx")
	require.NoError(t, evtxwrite.WriteFile(path, events))
	var docs []Doc
	res, err := evtx.Scan(context.Background(), []string{path}, evtx.Options{Workers: 1}, func(r *evtx.Record) error {
		docs = append(docs, Map(r))
		return nil
	})
	require.NoError(t, err)
	require.Len(t, res.Sources, 1)
	require.Zero(t, res.Sources[0].RecordsFailed)
	require.Len(t, docs, len(events))
	for _, d := range docs {
		require.Equal(t, path, d["log.file.path"])
	}
	return docs
}

func TestFixtureSysmonProcessCreate(t *testing.T) {
	events := []evtxwrite.Event{
		evtxwrite.SysmonProcessCreate{
			Common: fixtureCommon(101), Schema: evtxwrite.SysmonParentUser,
			RuleName: "-", ProcessGuid: "{9F32B55F-7C4E-5F98-5803-000000000500}", ProcessId: 4242,
			Image: `C:\Windows\System32\cmd.exe`, FileVersion: "10.0.17763.1 (WinBuild.160101.0800)",
			Description: "Windows Command Processor", Product: "Microsoft® Windows® Operating System",
			Company: "Microsoft Corporation", OriginalFileName: "Cmd.Exe",
			CommandLine:      `cmd.exe /c "mklink /d C:\sc\ \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\\"`,
			CurrentDirectory: `C:\Users\jürgen\`, User: `CORP\jürgen`,
			LogonGuid: "{9F32B55F-6FDD-5F98-E7C9-020000000000}", LogonId: 0x2c9e7, TerminalSessionId: 1,
			IntegrityLevel: "High", Hashes: "SHA1=B6D237154F2E528F0B503B58B025862D66B02B73,IMPHASH=00000000000000000000000000000000",
			ParentProcessGuid: "{9F32B55F-6FDF-5F98-7000-000000000500}", ParentProcessId: 4212,
			ParentImage: `C:\Windows\explorer.exe`, ParentCommandLine: `C:\Windows\Explorer.EXE`, ParentUser: `CORP\jürgen`,
		}.Event(),
		evtxwrite.SysmonProcessCreate{
			Common: fixtureCommon(102), Schema: evtxwrite.SysmonNoOriginalFileName,
			ProcessGuid: "{9F32B55F-7C4E-5F98-5803-000000000501}", ProcessId: 77,
			Image: "System", CommandLine: "", User: "alice",
			Hashes: "SHA1=AA", ParentImage: `C:\Windows\explorer.exe`,
			LogonGuid: "{00000000-0000-0000-0000-000000000000}", ParentProcessGuid: "{00000000-0000-0000-0000-000000000000}",
		}.Event(),
	}
	docs := scanDocs(t, events)

	check(t, docs[0], map[string]any{
		"@timestamp":                    "2024-05-06T07:08:09.123Z",
		"event.created":                 "2024-05-06T07:08:09.123Z",
		"event.category":                []string{"process"},
		"event.type":                    []string{"start"},
		"event.action":                  "Process creation",
		"event.code":                    "1",
		"winlog.record_id":              "101",
		"winlog.event_id":               "1",
		"winlog.version":                int64(5),
		"winlog.task":                   "Process Create (rule: ProcessCreate)",
		"winlog.process.pid":            int64(3000),
		"winlog.user.identifier":        "S-1-5-18",
		"user.id":                       "S-1-5-18",
		"host.name":                     "ws01.corp.local",
		"log.level":                     "information",
		"process.entity_id":             "{9F32B55F-7C4E-5F98-5803-000000000500}",
		"process.pid":                   int64(4242),
		"process.executable":            `C:\Windows\System32\cmd.exe`,
		"process.name":                  "cmd.exe",
		"process.pe.original_file_name": "Cmd.Exe",
		"process.command_line":          `cmd.exe /c "mklink /d C:\sc\ \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\\"`,
		"process.args":                  []string{"cmd.exe", "/c", `mklink /d C:\sc\ \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`},
		"process.args_count":            int64(3),
		"process.working_directory":     `C:\Users\jürgen\`,
		"process.parent.pid":            int64(4212),
		"process.parent.name":           "explorer.exe",
		"process.parent.args":           []string{`C:\Windows\Explorer.EXE`},
		"process.hash.sha1":             "b6d237154f2e528f0b503b58b025862d66b02b73",
		"process.pe.imphash":            nil,
		"related.hash":                  []string{"b6d237154f2e528f0b503b58b025862d66b02b73"},
		"user.domain":                   "CORP",
		"user.name":                     "jürgen",
		"related.user":                  []string{"jürgen"},
		"rule.name":                     nil,
		"winlog.event_data.LogonId":     "0x2c9e7",
		"winlog.event_data.LogonGuid":   "{9F32B55F-6FDD-5F98-E7C9-020000000000}",
		"winlog.event_data.ParentUser":  `CORP\jürgen`,
		"winlog.event_data.RuleName":    nil,
		"winlog.event_data.ProcessId":   nil,
		"winlog.time_created":           nil,
	})

	check(t, docs[1], map[string]any{
		"winlog.record_id":              "102",
		"process.pid":                   int64(77),
		"process.executable":            "System",
		"process.name":                  nil, // no backslash: the Sysmon pipeline sets no name
		"process.pe.original_file_name": nil,
		"process.command_line":          nil,
		"process.args":                  nil,
		"user.name":                     nil, // "alice" has no domain part
		"process.parent.name":           "explorer.exe",
		"process.parent.entity_id":      nil, // the zero GUID is dropped first
		"winlog.event_data.LogonGuid":   nil,
	})
}

func TestFixtureSecurity4688(t *testing.T) {
	events := []evtxwrite.Event{
		evtxwrite.SecurityProcessCreate{
			Common: fixtureCommon(201), Version: 2, Subject: fixtureSubject,
			NewProcessId: 0x1a4, NewProcessName: `C:\Windows\System32\esentutl.exe`, TokenElevationType: "%%1937",
			ProcessId:     0x2b0,
			CommandLine:   `esentutl.exe /y /vss "C:\Windows\NTDS\ntds.dit" /d C:\Übung\ntds.dit  `,
			TargetUserSid: "S-1-0-0", TargetUserName: "-", TargetDomainName: "-",
			ParentProcessName: `C:\Windows\System32\cmd.exe`, MandatoryLabel: "S-1-16-12288",
		}.Event(),
		evtxwrite.SecurityProcessCreate{ // Windows 7: no CommandLine at all
			Common: fixtureCommon(202), Version: 0, Subject: fixtureSubject,
			NewProcessId: 0x10, NewProcessName: `C:\Windows\System32\vssadmin.exe`, ProcessId: 0x20,
		}.Event(),
		evtxwrite.SecurityProcessCreate{ // command-line auditing off: present but empty
			Common: fixtureCommon(203), Version: 1, Subject: fixtureSubject,
			NewProcessId: 0x11, NewProcessName: `C:\Windows\System32\vssadmin.exe`, ProcessId: 0x20,
		}.Event(),
	}
	docs := scanDocs(t, events)

	check(t, docs[0], map[string]any{
		"@timestamp":                           "2024-05-06T07:08:09.123Z",
		"winlog.time_created":                  "2024-05-06T07:08:09.1234567Z",
		"event.category":                       []string{"process"},
		"event.type":                           []string{"start"},
		"event.action":                         "created-process",
		"event.outcome":                        "success",
		"winlog.keywords":                      []string{"Audit Success"},
		"winlog.task":                          "Process Creation",
		"winlog.version":                       int64(2),
		"winlog.record_id":                     "201",
		"process.pid":                          int64(0x1a4),
		"process.parent.pid":                   int64(0x2b0),
		"process.executable":                   `C:\Windows\System32\esentutl.exe`,
		"process.name":                         "esentutl.exe",
		"process.parent.executable":            `C:\Windows\System32\cmd.exe`,
		"process.parent.name":                  "cmd.exe",
		"process.command_line":                 `esentutl.exe /y /vss "C:\Windows\NTDS\ntds.dit" /d C:\Übung\ntds.dit  `,
		"process.args":                         []string{"esentutl.exe", "/y", "/vss", `"C:\Windows\NTDS\ntds.dit"`, "/d", `C:\Übung\ntds.dit`},
		"process.args_count":                   nil,
		"user.id":                              "S-1-5-21-1-2-3-1104",
		"user.name":                            "alice",
		"user.domain":                          "CORP",
		"user.effective.id":                    "S-1-0-0",
		"user.effective.name":                  nil,
		"related.user":                         []string{"alice"},
		"winlog.logon.id":                      "0x2c9e7",
		"winlog.event_data.ProcessId":          "0x2b0",
		"winlog.event_data.NewProcessId":       nil,
		"winlog.event_data.TokenElevationType": "%%1937",
		"winlog.event_data.TargetUserName":     nil,
		"winlog.event_data.MandatoryLabel":     "S-1-16-12288",
	})
	check(t, docs[1], map[string]any{
		"process.pid":          int64(0x10),
		"process.name":         "vssadmin.exe",
		"process.parent.pid":   int64(0x20),
		"process.command_line": nil,
		"process.args":         nil,
		"user.effective.id":    nil,
		"winlog.version":       nil, // version 0 is omitted
	})
	check(t, docs[2], map[string]any{
		"process.pid":                   int64(0x11),
		"process.command_line":          nil,
		"process.args":                  nil,
		"winlog.event_data.CommandLine": nil,
	})
}

func TestFixtureSecurity4656(t *testing.T) {
	events := []evtxwrite.Event{
		evtxwrite.SecurityHandleRequest{
			Common: fixtureCommon(301), Subject: fixtureSubject,
			ObjectType: "File", ObjectName: `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`,
			HandleId: 0x1bc, AccessList: []string{"%%1537", "%%1538", "%%4416"}, AccessMask: 0x30081,
			ProcessId: 0x1884, ProcessName: `C:\Windows\System32\esentutl.exe`,
		}.Event(),
		evtxwrite.SecurityHandleRequest{
			Common: fixtureCommon(302), Subject: fixtureSubject, Failure: true, Task: 12801,
			ObjectType: "Key", ObjectName: `\REGISTRY\MACHINE\SAM\SAM`,
			AccessList: []string{"%%4432"}, AccessMask: 0x1,
			ProcessId: 0x99, ProcessName: `C:\Windows\regedit.exe`,
		}.Event(),
	}
	docs := scanDocs(t, events)

	check(t, docs[0], map[string]any{
		"event.category":                          nil,
		"event.outcome":                           "success",
		"winlog.task":                             "File System",
		"winlog.logon.id":                         "0x2c9e7",
		"winlog.event_data.AccessList":            []string{"1537", "1538", "4416"},
		"winlog.event_data.AccessListDescription": []string{"DELETE", "READ_CONTROL", "ReadData (or ListDirectory)"},
		"winlog.event_data.AccessMask":            []string{"0x30081"},
		"winlog.event_data.AccessMaskDescription": []string{"List Object", "DELETE", "Create Child", "READ_CONTROL"},
		"winlog.event_data.ObjectName":            `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`,
		"winlog.event_data.ProcessId":             "0x1884",
		"winlog.event_data.ProcessName":           `C:\Windows\System32\esentutl.exe`,
		"winlog.event_data.HandleId":              "0x1bc",
		"winlog.event_data.TransactionId":         nil,
		"winlog.event_data.AccessReason":          nil,
		"winlog.event_data.RestrictedSidCount":    "0",
		"file.path":                               `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`,
		"registry.path":                           nil,
		"process.pid":                             int64(0x1884),
		"process.executable":                      `C:\Windows\System32\esentutl.exe`,
		"process.name":                            "esentutl.exe",
		"user.name":                               nil,
	})
	check(t, docs[1], map[string]any{
		"event.outcome":   "failure",
		"winlog.keywords": []string{"Audit Failure"},
		"winlog.task":     "Registry",
		"registry.path":   `\REGISTRY\MACHINE\SAM\SAM`,
		"file.path":       nil,
		"winlog.event_data.AccessListDescription": []string{"Query key value"},
		"winlog.event_data.AccessMaskDescription": []string{"Create Child"},
		"process.pid":  int64(0x99),
		"process.name": "regedit.exe",
	})
}

func TestFixtureOtherEvents(t *testing.T) {
	events := []evtxwrite.Event{
		evtxwrite.LogCleared{Common: fixtureCommon(401), Subject: fixtureSubject}.Event(),
	}
	docs := scanDocs(t, events)
	check(t, docs[0], map[string]any{
		"event.code":                         "1102",
		"event.provider":                     "Microsoft-Windows-Eventlog",
		"winlog.channel":                     "Security",
		"winlog.record_id":                   "401",
		"winlog.user_data.SubjectUserName":   "alice",
		"winlog.user_data.SubjectDomainName": "CORP",
		"event.category":                     nil,
		"user.name":                          nil,
	})
}
