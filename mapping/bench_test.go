package mapping

import (
	"testing"

	"github.com/shadowscan/shadowscan/evtx"
)

// BenchmarkMap maps one record of each specifically mapped kind plus one
// event that only gets the common fields, with the convenience Map.
func BenchmarkMap(b *testing.B) {
	for name, r := range benchRecords() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Map(r)
			}
		})
	}
}

// BenchmarkMapper is BenchmarkMap with one Mapper reused, as scan does on
// each worker.
func BenchmarkMapper(b *testing.B) {
	for name, r := range benchRecords() {
		b.Run(name, func(b *testing.B) {
			m := NewMapper()
			b.ReportAllocs()
			for b.Loop() {
				_ = m.Map(r)
			}
		})
	}
}

func benchRecords() map[string]*evtx.Record {
	return map[string]*evtx.Record{
		"sysmon1": sysmonRecord(map[string]string{
			"RuleName": "-", "UtcTime": "2024-03-01 12:30:44.999", "ProcessGuid": "{11111111-2222-3333-4444-555555555555}",
			"ProcessId": "4242", "Image": `C:\Windows\System32\cmd.exe`, "FileVersion": "10.0.17763.1 (WinBuild.160101.0800)",
			"Description": "Windows Command Processor", "Product": "Microsoft® Windows® Operating System",
			"Company": "Microsoft Corporation", "OriginalFileName": "Cmd.Exe",
			"CommandLine":      `cmd.exe /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
			"CurrentDirectory": `C:\Users\alice\`, "User": `CORP\alice`, "LogonGuid": "{11111111-2222-3333-4444-000000000001}",
			"LogonId": "0x2c9e7", "TerminalSessionId": "1", "IntegrityLevel": "High",
			"Hashes":            "SHA1=B6D237154F2E528F0B503B58B025862D66B02B73,MD5=199E1CF5B2250BD515ECCCF4CA686301,SHA256=0000000000000000000000000000000000000000000000000000000000000001,IMPHASH=D90D8C7812AEC8DA0FA173AFA1293AB2",
			"ParentProcessGuid": "{11111111-2222-3333-4444-555555555550}", "ParentProcessId": "1000",
			"ParentImage": `C:\Windows\explorer.exe`, "ParentCommandLine": `C:\Windows\Explorer.EXE`, "ParentUser": `CORP\alice`,
		}),
		"4688": securityRecord(4688, map[string]string{
			"SubjectUserSid": "S-1-5-18", "SubjectUserName": "DC01$", "SubjectDomainName": "CORP", "SubjectLogonId": "0x3e7",
			"NewProcessId": "0x1a4", "NewProcessName": `C:\Windows\System32\cmd.exe`, "TokenElevationType": "%%1936",
			"ProcessId": "0x2b0", "CommandLine": `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\temp`,
			"TargetUserSid": "S-1-0-0", "TargetUserName": "-", "TargetDomainName": "-", "TargetLogonId": "0x0",
			"ParentProcessName": `C:\Windows\System32\services.exe`, "MandatoryLabel": "S-1-16-16384",
		}),
		"4656": securityRecord(4656, map[string]string{
			"SubjectUserSid": "S-1-5-21-1-2-3-500", "SubjectUserName": "administrator", "SubjectDomainName": "CORP",
			"SubjectLogonId": "0x56b3a", "ObjectServer": "Security", "ObjectType": "File",
			"ObjectName": `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`, "HandleId": "0x0",
			"TransactionId": "{00000000-0000-0000-0000-000000000000}", "AccessList": "%%1537\r\n\t\t\t\t%%1538\r\n\t\t\t\t%%4416\r\n\t\t\t\t",
			"AccessReason": "-", "AccessMask": "0x30081", "PrivilegeList": "-", "RestrictedSidCount": "0",
			"ProcessId": "0x1884", "ProcessName": `C:\Windows\System32\esentutl.exe`,
		}),
		"other": securityRecord(4624, map[string]string{
			"SubjectUserSid": "S-1-5-18", "SubjectUserName": "DC01$", "TargetUserName": "alice", "LogonType": "3",
			"IpAddress": "10.0.0.5", "IpPort": "50123", "LogonProcessName": "NtLmSsp ",
		}),
	}
}
