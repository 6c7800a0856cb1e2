package testsets

import (
	"time"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

// Fixtures returns the small files committed under testdata/evtx: one
// per layout the mapping stage must understand, each with a true positive
// of the seed rule and a benign record, so tests of later stages can use
// real-format input without the sample package.
func Fixtures() []File {
	at := time.Date(2024, 5, 14, 9, 0, 0, 0, time.UTC)
	h := newHost("HOST01.corp.local", 0x2B7E1516, 2212)
	admin := h.user("adm-jsmith", 1107, 0x1d2f5c3, true)
	link := `cmd.exe /c mklink /d C:\shadowcopy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`
	ps := `powershell.exe -NoProfile -Command New-Item -ItemType SymbolicLink -Path C:\sc -Target \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy2\`
	copyNTDS := `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\Windows\Temp\ntds.dit`

	cmd := h.start(process{At: at, User: admin, Image: `C:\Windows\System32\cmd.exe`, CommandLine: link})
	pwsh := h.start(process{At: at.Add(time.Minute), User: admin, Image: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, CommandLine: ps})
	benign := h.start(process{At: at.Add(2 * time.Minute), User: admin, Image: `C:\Windows\System32\ipconfig.exe`, CommandLine: `ipconfig /all`})
	cp := h.start(process{At: at.Add(3 * time.Minute), User: admin, Image: `C:\Windows\System32\cmd.exe`, CommandLine: copyNTDS})

	sysmon := func(schema evtxwrite.SysmonSchema) []evtxwrite.Event {
		return []evtxwrite.Event{h.sysmon(cmd, schema), h.sysmon(pwsh, schema), h.sysmon(benign, schema), h.sysmon(cp, schema)}
	}
	v0 := func(p *process) evtxwrite.Event {
		e := h.security(p, false)
		s := evtxwrite.SecurityProcessCreate{Common: evtxwrite.Common{Computer: h.Name, TimeCreated: e.TimeCreated},
			Version: 0, Subject: p.User.subject(), NewProcessId: uint64(p.PID), NewProcessName: p.Image,
			TokenElevationType: p.User.Elevation, ProcessId: uint64(p.Parent.PID)}
		return s.Event()
	}
	return []File{
		{Path: "sysmon1-originalfilename.evtx", FirstRecordID: 5001,
			About:  "Sysmon 1 (Sysmon 10-13.2x layout, with OriginalFileName): mklink /d, PowerShell SymbolicLink, ipconfig, copy ntds.dit",
			Events: sysmon(evtxwrite.SysmonOriginalFileName)},
		{Path: "sysmon1-no-originalfilename.evtx", FirstRecordID: 6001,
			About:  "Sysmon 1 (Sysmon 8/9 layout, no OriginalFileName): the same four processes",
			Events: sysmon(evtxwrite.SysmonNoOriginalFileName)},
		{Path: "security4688-commandline.evtx", FirstRecordID: 7001,
			About:  "Security 4688 version 2 with CommandLine: the same four processes",
			Events: []evtxwrite.Event{h.security(cmd, true), h.security(pwsh, true), h.security(benign, true), h.security(cp, true)}},
		{Path: "security4688-no-commandline.evtx", FirstRecordID: 8001,
			About:  "Security 4688 without command lines: version 2 with CommandLine empty (auditing off), then version 0 (no CommandLine field)",
			Events: []evtxwrite.Event{h.security(cmd, false), h.security(pwsh, false), v0(cmd), v0(pwsh)}},
		{Path: "security4656.evtx", FirstRecordID: 9001,
			About: "Security 4656 file handle requests: ntds.dit, SAM and SYSTEM through HarddiskVolumeShadowCopy1, the live ntds.dit, and an access failure",
			Events: []evtxwrite.Event{
				h.handle(cp, cp.At.Add(300*time.Millisecond), `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`, readAccess(), 0x120089, 0x2a8),
				h.handle(cp, cp.At.Add(900*time.Millisecond), `\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SAM`, readAccess(), 0x120089, 0x2ac),
				h.handle(cp, cp.At.Add(1200*time.Millisecond), `\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SYSTEM`, readAccess(), 0x120089, 0x2b0),
				h.handle(benign, cp.At.Add(2*time.Second), `\Device\HarddiskVolume2\Windows\NTDS\ntds.dit`, readAccess(), 0x120089, 0x2b4),
				evtxwrite.SecurityHandleRequest{Common: evtxwrite.Common{Computer: h.Name, TimeCreated: cp.At.Add(3 * time.Second)},
					Subject: admin.subject(), Failure: true, ObjectType: "File",
					ObjectName: `\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SECURITY`,
					AccessList: readAccess(), AccessMask: 0x120089, ProcessId: uint64(cp.PID), ProcessName: cp.Image}.Event(),
			}},
	}
}
