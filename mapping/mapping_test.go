package mapping

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx"
)

var testTime = time.Date(2024, 3, 1, 12, 30, 45, 123456700, time.UTC)

func sysmonRecord(data map[string]string) *evtx.Record {
	return &evtx.Record{
		Path:         "Microsoft-Windows-Sysmon%4Operational.evtx",
		RecordID:     7,
		TimeCreated:  testTime,
		Provider:     "Microsoft-Windows-Sysmon",
		ProviderGUID: "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
		EventID:      1,
		Version:      ptr(5),
		Level:        ptr(4),
		Task:         ptr(1),
		Opcode:       ptr(0),
		Keywords:     "0x8000000000000000",
		Channel:      "Microsoft-Windows-Sysmon/Operational",
		Computer:     "ws01.corp.local",
		UserID:       "S-1-5-18",
		EventData:    data,
	}
}

func securityRecord(id int, data map[string]string) *evtx.Record {
	return &evtx.Record{
		Path:         "Security.evtx",
		RecordID:     42,
		TimeCreated:  testTime,
		Provider:     "Microsoft-Windows-Security-Auditing",
		ProviderGUID: "{54849625-5478-4994-A5BA-3E3B0328C30D}",
		EventID:      id,
		Version:      ptr(1),
		Level:        ptr(0),
		Task:         ptr(12800),
		Opcode:       ptr(0),
		Keywords:     "0x8020000000000000",
		Channel:      "Security",
		Computer:     "dc01.corp.local",
		EventData:    data,
	}
}

// check asserts the fields in want (nil meaning "absent") on the mapped doc.
func check(t *testing.T, d Doc, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if v == nil {
			require.NotContains(t, d, k)
			continue
		}
		require.Contains(t, d, k)
		require.Equal(t, v, d[k], k)
	}
}

func TestMapCommonFields(t *testing.T) {
	tests := []struct {
		name   string
		modify func(r *evtx.Record)
		want   map[string]any
	}{
		{"audit success", func(r *evtx.Record) { r.Keywords = "0x8020000000000000" },
			map[string]any{"event.outcome": "success", "winlog.keywords": []string{"Audit Success"}}},
		{"audit failure wins over success", func(r *evtx.Record) { r.Keywords = "0x8030000000000000" },
			map[string]any{"event.outcome": "failure", "winlog.keywords": []string{"Audit Failure", "Audit Success"}}},
		{"no audit keyword", func(r *evtx.Record) { r.Keywords = "0x8000000000000000" },
			map[string]any{"event.outcome": nil, "winlog.keywords": nil}},
		{"classic keyword", func(r *evtx.Record) { r.Keywords = "0x80000000000000" },
			map[string]any{"winlog.keywords": []string{"Classic"}}},
		{"unparsable keywords", func(r *evtx.Record) { r.Keywords = "junk" },
			map[string]any{"event.outcome": nil, "winlog.keywords": nil}},
		{"level 0 renders as information", func(r *evtx.Record) { r.Level = ptr(0) }, map[string]any{"log.level": "information"}},
		{"level 1", func(r *evtx.Record) { r.Level = ptr(1) }, map[string]any{"log.level": "critical"}},
		{"level 2", func(r *evtx.Record) { r.Level = ptr(2) }, map[string]any{"log.level": "error"}},
		{"level 3", func(r *evtx.Record) { r.Level = ptr(3) }, map[string]any{"log.level": "warning"}},
		{"level 4", func(r *evtx.Record) { r.Level = ptr(4) }, map[string]any{"log.level": "information"}},
		{"level 5", func(r *evtx.Record) { r.Level = ptr(5) }, map[string]any{"log.level": "verbose"}},
		{"provider-defined level has no name", func(r *evtx.Record) { r.Level = ptr(16) }, map[string]any{"log.level": nil}},
		{"missing level is 0", func(r *evtx.Record) { r.Level = nil }, map[string]any{"log.level": "information"}},
		{"opcode names", func(r *evtx.Record) { r.Opcode = ptr(2) }, map[string]any{"winlog.opcode": "Stop"}},
		{"provider-defined opcode", func(r *evtx.Record) { r.Opcode = ptr(10) }, map[string]any{"winlog.opcode": nil}},
		{"missing opcode", func(r *evtx.Record) { r.Opcode = nil }, map[string]any{"winlog.opcode": nil}},
		{"version 0 is omitted", func(r *evtx.Record) { r.Version = ptr(0) }, map[string]any{"winlog.version": nil}},
		{"execution ids", func(r *evtx.Record) { r.ProcessID = ptr(uint32(4)); r.ThreadID = ptr(uint32(0)) },
			map[string]any{"winlog.process.pid": int64(4), "winlog.process.thread.id": nil}},
		{"activity id", func(r *evtx.Record) { r.ActivityID = "{B3F2C5A3-0001-0000-0000-000000000000}" },
			map[string]any{"winlog.activity_id": "{B3F2C5A3-0001-0000-0000-000000000000}"}},
		{"task 0 is None", func(r *evtx.Record) { r.Task = ptr(0) }, map[string]any{"winlog.task": "None"}},
		{"security task names", func(r *evtx.Record) { r.Task = ptr(12801) }, map[string]any{"winlog.task": "Registry"}},
		{"unknown task", func(r *evtx.Record) { r.Task = ptr(999) }, map[string]any{"winlog.task": nil}},
		{"user data", func(r *evtx.Record) {
			r.UserData = map[string]string{"SubjectUserName": "admin", "Empty": ""}
		}, map[string]any{"winlog.user_data.SubjectUserName": "admin", "winlog.user_data.Empty": nil}},
		{"record id is a string", func(r *evtx.Record) { r.RecordID = 18446744073709551615 },
			map[string]any{"winlog.record_id": "18446744073709551615"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := securityRecord(4624, nil)
			tt.modify(r)
			check(t, Map(r), tt.want)
		})
	}
}

func TestMapCommonIdentity(t *testing.T) {
	r := securityRecord(4624, map[string]string{"LogonType": "3"})
	d := Map(r)
	check(t, d, map[string]any{
		"@timestamp":           "2024-03-01T12:30:45.123Z",
		"winlog.time_created":  "2024-03-01T12:30:45.1234567Z",
		"event.code":           "4624",
		"winlog.event_id":      "4624",
		"event.kind":           "event",
		"event.provider":       "Microsoft-Windows-Security-Auditing",
		"host.name":            "dc01.corp.local",
		"winlog.computer_name": "dc01.corp.local",
		"log.file.path":        "Security.evtx",
		"winlog.record_id":     "42",
		"ecs.version":          "8.11.0",
		// Events without specific mapping get only the common fields.
		"event.category":              nil,
		"user.name":                   nil,
		"winlog.event_data.LogonType": "3",
	})
}

func TestMapNilRecord(t *testing.T) {
	require.Equal(t, Doc{}, Map(nil))
}

func TestMapEventDataDrops(t *testing.T) {
	// Both pipelines first drop null, "", "-" and the zero GUID; winlogbeat
	// already turned CRLF into LF and trimmed trailing LFs.
	data := map[string]string{
		"Dash":     "-",
		"Empty":    "",
		"ZeroGUID": "{00000000-0000-0000-0000-000000000000}",
		"OnlyLF":   "\r\n",
		"Lines":    "a\r\nb\r\n\r\n",
		"Tabs":     "%%1537\r\n\t\t\t\t",
		"Percent":  "%%1936",
		"Spaces":   "x  ",
	}
	for _, r := range []*evtx.Record{securityRecord(4624, data), sysmonRecord(data)} {
		r.EventID = 4
		d := Map(r)
		check(t, d, map[string]any{
			"winlog.event_data.Dash":     nil,
			"winlog.event_data.Empty":    nil,
			"winlog.event_data.ZeroGUID": nil,
			"winlog.event_data.OnlyLF":   nil,
			"winlog.event_data.Lines":    "a\nb",
			"winlog.event_data.Tabs":     "%%1537\n\t\t\t\t",
			"winlog.event_data.Percent":  "%%1936", // %%NNNN stays raw outside AccessList
			"winlog.event_data.Spaces":   "x  ",
		})
	}
	// The security data stream also drops blank values (Java trim empty).
	d := Map(securityRecord(4624, map[string]string{"Blank": " \t", "Ctl": "\x01"}))
	check(t, d, map[string]any{"winlog.event_data.Blank": nil, "winlog.event_data.Ctl": nil})
	d = Map(sysmonRecord(map[string]string{"Blank": " \t"}))
	check(t, d, map[string]any{"winlog.event_data.Blank": " \t"})
}

func TestMapSysmonProcessCreate(t *testing.T) {
	base := func() map[string]string {
		return map[string]string{
			"UtcTime":           "2024-03-01 12:30:44.999",
			"ProcessGuid":       "{11111111-2222-3333-4444-555555555555}",
			"ProcessId":         "4242",
			"Image":             `C:\Windows\System32\cmd.exe`,
			"OriginalFileName":  "Cmd.Exe",
			"CommandLine":       `cmd.exe /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
			"ParentImage":       `C:\Windows\explorer.exe`,
			"ParentCommandLine": `C:\Windows\Explorer.EXE`,
			"ParentProcessId":   "1000",
		}
	}
	tests := []struct {
		name   string
		modify func(data map[string]string)
		want   map[string]any
	}{
		{"timestamp from UtcTime, TimeCreated to event.created", nil, map[string]any{
			"@timestamp":          "2024-03-01T12:30:44.999Z",
			"event.created":       "2024-03-01T12:30:45.123Z",
			"winlog.time_created": nil,
			"ecs.version":         "8.0.0",
		}},
		{"unparsable UtcTime keeps TimeCreated", func(d map[string]string) { d["UtcTime"] = "2024-03-01 12:30:44" },
			map[string]any{"@timestamp": "2024-03-01T12:30:45.123Z", "winlog.event_data.UtcTime": nil}},
		{"categorisation", nil, map[string]any{
			"event.category": []string{"process"}, "event.type": []string{"start"}, "event.action": "Process creation",
		}},
		{"process fields", nil, map[string]any{
			"process.pid":                   int64(4242),
			"process.entity_id":             "{11111111-2222-3333-4444-555555555555}",
			"process.executable":            `C:\Windows\System32\cmd.exe`,
			"process.name":                  "cmd.exe",
			"process.pe.original_file_name": "Cmd.Exe",
			"process.args":                  []string{"cmd.exe", "/c", "mklink", "/d", `C:\sc`, `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`},
			"process.args_count":            int64(6),
			"process.parent.pid":            int64(1000),
			"process.parent.name":           "explorer.exe",
			"winlog.event_data.Image":       nil,
			"winlog.event_data.ProcessId":   nil,
			"winlog.event_data.CommandLine": nil,
		}},
		{"Sysmon before 10 has no OriginalFileName", func(d map[string]string) { delete(d, "OriginalFileName") },
			map[string]any{"process.pe.original_file_name": nil, "process.name": "cmd.exe"}},
		{"empty OriginalFileName", func(d map[string]string) { d["OriginalFileName"] = "" },
			map[string]any{"process.pe.original_file_name": nil}},
		{"OriginalFileName dash", func(d map[string]string) { d["OriginalFileName"] = "-" },
			map[string]any{"process.pe.original_file_name": nil}},
		{"image without backslash has no name", func(d map[string]string) { d["Image"] = "System" },
			map[string]any{"process.executable": "System", "process.name": nil}},
		{"image ending in backslash has no name", func(d map[string]string) { d["Image"] = `C:\dir\` },
			map[string]any{"process.name": nil}},
		{"empty command line", func(d map[string]string) { d["CommandLine"] = "" },
			map[string]any{"process.command_line": nil, "process.args": nil, "process.args_count": nil}},
		{"blank command line gives empty args", func(d map[string]string) { d["CommandLine"] = "  " },
			map[string]any{"process.command_line": "  ", "process.args": []string{}, "process.args_count": int64(0)}},
		{"quotes and trailing backslash", func(d map[string]string) { d["CommandLine"] = `"C:\Program Files\x.exe" "C:\out dir\\" /q` },
			map[string]any{"process.args": []string{`C:\Program Files\x.exe`, `C:\out dir\`, "/q"}, "process.args_count": int64(3)}},
		{"non-ASCII", func(d map[string]string) {
			d["Image"] = `C:\Users\jürgen\日本.exe`
			d["CommandLine"] = `"C:\Users\jürgen\日本.exe" -o Grüße`
		}, map[string]any{"process.name": "日本.exe", "process.args": []string{`C:\Users\jürgen\日本.exe`, "-o", "Grüße"}}},
		{"unparsable pid", func(d map[string]string) { d["ProcessId"] = "abc" },
			map[string]any{"process.pid": nil, "winlog.event_data.ProcessId": nil}},
		{"rule name", func(d map[string]string) { d["RuleName"] = "technique_id=T1003" },
			map[string]any{"rule.name": "technique_id=T1003", "winlog.event_data.RuleName": nil}},
		{"pe fields are copied", func(d map[string]string) { d["Company"] = "Microsoft Corporation" },
			map[string]any{"process.pe.company": "Microsoft Corporation", "winlog.event_data.Company": "Microsoft Corporation"}},
		{"user with domain", func(d map[string]string) { d["User"] = `CORP\alice` },
			map[string]any{"user.domain": "CORP", "user.name": "alice", "related.user": []string{"alice"}, "user.id": "S-1-5-18"}},
		{"user without domain", func(d map[string]string) { d["User"] = "alice" },
			map[string]any{"user.domain": nil, "user.name": nil, "related.user": nil}},
		{"user with empty domain", func(d map[string]string) { d["User"] = `\alice` },
			map[string]any{"user.domain": nil, "user.name": "alice"}},
		{"user with trailing backslash", func(d map[string]string) { d["User"] = `CORP\` },
			map[string]any{"user.domain": nil, "user.name": nil}},
		{"user with three parts", func(d map[string]string) { d["User"] = `a\b\c` },
			map[string]any{"user.domain": nil, "user.name": nil, "winlog.event_data.User": nil}},
		{"hashes", func(d map[string]string) {
			d["Hashes"] = "SHA1=AA,MD5=BB,SHA256=CC,IMPHASH=00000000000000000000000000000000"
		}, map[string]any{
			"process.hash.sha1": "aa", "process.hash.md5": "bb", "process.hash.sha256": "cc",
			"process.pe.imphash": nil, "related.hash": []string{"cc", "aa", "bb"},
		}},
		{"hash field of older Sysmon", func(d map[string]string) { d["Hash"] = "SHA1=AA" },
			map[string]any{"process.hash.sha1": "aa", "winlog.event_data.Hash": nil}},
		{"malformed hashes give nothing", func(d map[string]string) { d["Hashes"] = "SHA1=AA,garbage" },
			map[string]any{"process.hash.sha1": nil, "related.hash": nil, "winlog.event_data.Hashes": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := base()
			if tt.modify != nil {
				tt.modify(data)
			}
			check(t, Map(sysmonRecord(data)), tt.want)
		})
	}
}

func TestMapSecurity4688(t *testing.T) {
	base := func() map[string]string {
		return map[string]string{
			"SubjectUserSid":    "S-1-5-18",
			"SubjectUserName":   "DC01$",
			"SubjectDomainName": "CORP",
			"SubjectLogonId":    "0x3e7",
			"NewProcessId":      "0x1a4",
			"NewProcessName":    `C:\Windows\System32\cmd.exe`,
			"ProcessId":         "0x2b0",
			"ParentProcessName": `C:\Windows\System32\services.exe`,
			"CommandLine":       `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\temp`,
			"TargetUserSid":     "S-1-0-0",
			"TargetUserName":    "-",
			"TargetDomainName":  "-",
			"TargetLogonId":     "0x0",
		}
	}
	tests := []struct {
		name   string
		modify func(data map[string]string)
		want   map[string]any
	}{
		{"pids are decoded from hex", nil, map[string]any{
			"process.pid": int64(0x1a4), "process.parent.pid": int64(0x2b0),
			"winlog.event_data.NewProcessId": nil, "winlog.event_data.ProcessId": "0x2b0",
		}},
		{"names and executables", nil, map[string]any{
			"process.executable": `C:\Windows\System32\cmd.exe`, "process.name": "cmd.exe",
			"process.parent.executable": `C:\Windows\System32\services.exe`, "process.parent.name": "services.exe",
			"winlog.event_data.NewProcessName": nil, "winlog.event_data.ParentProcessName": nil,
		}},
		{"args keep quotes and drop empty pieces", func(d map[string]string) { d["CommandLine"] = ` "C:\a b\x.exe"  /y  ` },
			map[string]any{"process.args": []string{`"C:\a b\x.exe"`, "/y"}, "process.command_line": ` "C:\a b\x.exe"  /y  `, "process.args_count": nil}},
		{"trailing backslash in args", func(d map[string]string) { d["CommandLine"] = `esentutl.exe /y C:\x\ /d C:\out\` },
			map[string]any{"process.args": []string{"esentutl.exe", "/y", `C:\x\`, "/d", `C:\out\`}}},
		{"non-ASCII command line", func(d map[string]string) {
			d["CommandLine"] = "powershell.exe Copy-Item C:\\Zürich\\ntds.dit\u3000D:\\"
		},
			map[string]any{"process.args": []string{"powershell.exe", "Copy-Item", `C:\Zürich\ntds.dit`, `D:\`}}},
		{"4688 without CommandLine", func(d map[string]string) { delete(d, "CommandLine") },
			map[string]any{"process.command_line": nil, "process.args": nil, "process.pid": int64(0x1a4)}},
		{"empty CommandLine", func(d map[string]string) { d["CommandLine"] = "" },
			map[string]any{"process.command_line": nil, "process.args": nil, "winlog.event_data.CommandLine": nil}},
		{"blank CommandLine", func(d map[string]string) { d["CommandLine"] = "   " },
			map[string]any{"process.command_line": nil, "process.args": nil, "winlog.event_data.CommandLine": nil}},
		{"no ParentProcessName before Windows 10", func(d map[string]string) { delete(d, "ParentProcessName") },
			map[string]any{"process.parent.executable": nil, "process.parent.name": nil, "process.parent.pid": int64(0x2b0)}},
		{"executable without backslash is its own name", func(d map[string]string) { d["NewProcessName"] = "Registry" },
			map[string]any{"process.name": "Registry"}},
		{"subject user", nil, map[string]any{
			"user.id": "S-1-5-18", "user.name": "DC01$", "user.domain": "CORP",
			"related.user": []string{"DC01$"}, "winlog.logon.id": "0x3e7",
		}},
		{"dash target is dropped", nil, map[string]any{
			"user.effective.id": "S-1-0-0", "user.effective.name": nil, "user.effective.domain": nil,
			"winlog.event_data.TargetUserName": nil,
		}},
		{"effective user from target", func(d map[string]string) {
			d["TargetUserSid"] = "S-1-5-21-1-2-3-1104"
			d["TargetUserName"] = "alice@corp.local"
			d["TargetDomainName"] = "CORP"
		}, map[string]any{
			"user.effective.id": "S-1-5-21-1-2-3-1104", "user.effective.name": "alice", "user.effective.domain": "CORP",
			"related.user": []string{"DC01$", "alice", "alice@corp.local"},
		}},
		{"%%NNNN values stay raw", func(d map[string]string) { d["TokenElevationType"] = "%%1936" },
			map[string]any{"winlog.event_data.TokenElevationType": "%%1936"}},
		{"decimal pid through Long.decode", func(d map[string]string) { d["NewProcessId"] = "420" },
			map[string]any{"process.pid": int64(420)}},
		{"bad pid is a pipeline error", func(d map[string]string) { d["NewProcessId"] = "0xZZ" },
			map[string]any{
				"event.kind": "pipeline_error", "tags": []string{"preserve_original_event"},
				"process.pid": nil, "process.executable": nil, "winlog.event_data.NewProcessId": "0xZZ",
				"user.name": "DC01$", "event.category": []string{"process"},
			}},
		{"bad parent pid stops after the names", func(d map[string]string) { d["ProcessId"] = "zz" },
			map[string]any{"event.kind": "pipeline_error", "process.pid": int64(0x1a4), "process.name": "cmd.exe", "process.args": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := base()
			if tt.modify != nil {
				tt.modify(data)
			}
			r := securityRecord(4688, data)
			r.Task = ptr(13312)
			d := Map(r)
			check(t, d, map[string]any{
				"event.category": []string{"process"}, "event.type": []string{"start"},
				"event.action": "created-process", "winlog.task": "Process Creation",
			})
			check(t, d, tt.want)
			if d["event.kind"] != "pipeline_error" {
				require.NotContains(t, d, "error.message")
			} else {
				require.Contains(t, d["error.message"], "Process Event 4688")
			}
		})
	}
}

func TestMapSecurity4656(t *testing.T) {
	base := func() map[string]string {
		return map[string]string{
			"SubjectUserSid":     "S-1-5-21-1-2-3-500",
			"SubjectUserName":    "administrator",
			"SubjectDomainName":  "CORP",
			"SubjectLogonId":     "0x56b3a",
			"ObjectServer":       "Security",
			"ObjectType":         "File",
			"ObjectName":         `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`,
			"HandleId":           "0x0",
			"TransactionId":      "{00000000-0000-0000-0000-000000000000}",
			"AccessList":         "%%1537\r\n\t\t\t\t%%1538\r\n\t\t\t\t%%4416\r\n\t\t\t\t",
			"AccessReason":       "-",
			"AccessMask":         "0x30081",
			"PrivilegeList":      "-",
			"RestrictedSidCount": "0",
			"ProcessId":          "0x1884",
			"ProcessName":        `C:\Windows\System32\esentutl.exe`,
		}
	}
	tests := []struct {
		name   string
		modify func(data map[string]string)
		want   map[string]any
	}{
		{"no category, raw fields kept", nil, map[string]any{
			"event.category": nil, "event.type": nil, "event.action": nil,
			"winlog.event_data.ProcessId":          "0x1884",
			"winlog.event_data.ProcessName":        `C:\Windows\System32\esentutl.exe`,
			"winlog.event_data.ObjectName":         `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`,
			"winlog.event_data.ObjectType":         "File",
			"winlog.event_data.RestrictedSidCount": "0",
			"winlog.event_data.TransactionId":      nil,
			"winlog.event_data.PrivilegeList":      nil,
			"winlog.logon.id":                      "0x56b3a",
			"user.name":                            nil,
		}},
		{"access list described", nil, map[string]any{
			"winlog.event_data.AccessList":            []string{"1537", "1538", "4416"},
			"winlog.event_data.AccessListDescription": []string{"DELETE", "READ_CONTROL", "ReadData (or ListDirectory)"},
			"winlog.event_data.AccessMask":            []string{"0x30081"},
			// Elasticsearch's HashMap order puts 0x80 first.
			"winlog.event_data.AccessMaskDescription": []string{"List Object", "DELETE", "Create Child", "READ_CONTROL"},
		}},
		{"unknown access codes are listed but not described", func(d map[string]string) { d["AccessList"] = "%%9999 %%4417 %%04417 bogus" },
			map[string]any{
				"winlog.event_data.AccessList":            []string{"9999", "4417", "04417", "bogus"},
				"winlog.event_data.AccessListDescription": []string{"WriteData (or AddFile)"},
			}},
		{"undefined access bits", func(d map[string]string) { d["AccessList"] = "%%4425 %%4583 %%4584" },
			map[string]any{"winlog.event_data.AccessListDescription": []string{"Undefined Access (no effect) Bit 9", "Undefined Access (no effect) Bit 8"}}},
		{"full mask names every flag once", func(d map[string]string) { d["AccessMask"] = "0x1F01FF" },
			map[string]any{"winlog.event_data.AccessMaskDescription": []string{
				"List Object", "WRITE_OWNER", "Delete Treee", "Write Property", "Read Property", "DELETE", "Create Child",
				"Control Access", "Delete Child", "List Contents", "SELF", "SYNCHRONIZE", "WRITE_DAC", "READ_CONTROL",
				"STANDARD_RIGHTS_ALL",
			}}},
		{"file path extension", nil, map[string]any{
			"file.path": `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`, "registry.path": nil,
		}},
		{"registry path extension", func(d map[string]string) {
			d["ObjectType"] = "Key"
			d["ObjectName"] = `\REGISTRY\MACHINE\SAM`
		}, map[string]any{"registry.path": `\REGISTRY\MACHINE\SAM`, "file.path": nil}},
		{"other object types", func(d map[string]string) { d["ObjectType"] = "Process" },
			map[string]any{"registry.path": nil, "file.path": nil}},
		{"process extension", nil, map[string]any{
			"process.pid": int64(0x1884), "process.executable": `C:\Windows\System32\esentutl.exe`, "process.name": "esentutl.exe",
		}},
		{"bad process id is skipped", func(d map[string]string) { d["ProcessId"] = "x" },
			map[string]any{"process.pid": nil, "event.kind": "event", "process.name": "esentutl.exe"}},
		{"no process id", func(d map[string]string) { delete(d, "ProcessId"); delete(d, "ProcessName") },
			map[string]any{"process.pid": nil, "process.executable": nil, "process.name": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := base()
			if tt.modify != nil {
				tt.modify(data)
			}
			check(t, Map(securityRecord(4656, data)), tt.want)
		})
	}
}

func TestMapDoesNotModifyRecord(t *testing.T) {
	data := map[string]string{"NewProcessId": "0x10", "CommandLine": "a b", "TargetUserName": "-"}
	r := securityRecord(4688, data)
	Map(r)
	require.Equal(t, map[string]string{"NewProcessId": "0x10", "CommandLine": "a b", "TargetUserName": "-"}, r.EventData)
}

func TestMapValueTypes(t *testing.T) {
	// Every value is one of the Doc types, for every mapped kind of event.
	records := []*evtx.Record{
		sysmonRecord(map[string]string{"CommandLine": "a b", "Image": `C:\a.exe`, "Hashes": "MD5=AA", "User": `D\u`, "ProcessId": "1"}),
		securityRecord(4688, map[string]string{"NewProcessId": "0x1", "CommandLine": "a b", "SubjectUserName": "u"}),
		securityRecord(4656, map[string]string{"AccessList": "%%1537", "AccessMask": "0x1", "ProcessId": "0x1"}),
	}
	for _, r := range records {
		for k, v := range Map(r) {
			switch v.(type) {
			case string, int64, float64, bool, []string, []any:
			default:
				t.Fatalf("%s has type %T", k, v)
			}
		}
	}
}

func TestMapSysmonOtherEvents(t *testing.T) {
	// Every Sysmon event gets the pipeline's time handling; only event 1
	// gets the process mapping.
	r := sysmonRecord(map[string]string{"UtcTime": "2024-03-01 12:30:40.001", "Image": `C:\a.exe`, "ProcessId": "5", "RuleName": "x"})
	r.EventID = 3
	r.Task = ptr(3)
	d := Map(r)
	check(t, d, map[string]any{
		"@timestamp":                  "2024-03-01T12:30:40.001Z",
		"event.created":               "2024-03-01T12:30:45.123Z",
		"ecs.version":                 "8.0.0",
		"winlog.time_created":         nil,
		"winlog.event_data.UtcTime":   nil,
		"winlog.event_data.Image":     `C:\a.exe`,
		"winlog.event_data.ProcessId": "5",
		"winlog.event_data.RuleName":  "x",
		"winlog.task":                 nil,
		"event.category":              nil,
		"process.executable":          nil,
	})
}

// TestCategoriesListsWhatMapSets: every event.category Map sets is listed
// by Categories, which query uses to warn about queries that cannot match.
func TestCategoriesListsWhatMapSets(t *testing.T) {
	seen := map[string]bool{}
	records := []*evtx.Record{
		sysmonRecord(map[string]string{"Image": `C:\Windows\System32\cmd.exe`, "CommandLine": "cmd /c dir"}),
		securityRecord(4688, map[string]string{"NewProcessName": `C:\Windows\System32\cmd.exe`, "NewProcessId": "0x10"}),
		securityRecord(4656, map[string]string{"ObjectType": "File", "ObjectName": `C:\x`}),
		securityRecord(4624, map[string]string{"TargetUserName": "alice"}),
	}
	for id := 2; id <= 29; id++ {
		r := sysmonRecord(map[string]string{"Image": `C:\x.exe`})
		r.EventID = id
		records = append(records, r)
	}
	for _, r := range records {
		cats, _ := Map(r)["event.category"].([]string)
		for _, c := range cats {
			seen[c] = true
		}
	}
	require.True(t, seen["process"], "Sysmon 1 and 4688 are process events")
	for c := range seen {
		require.Contains(t, Categories(), c)
	}
}
