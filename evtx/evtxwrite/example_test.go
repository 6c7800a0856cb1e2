package evtxwrite_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

func Example() {
	at := time.Date(2024, 5, 14, 9, 13, 10, 0, time.UTC)
	events := []evtxwrite.Event{
		evtxwrite.SysmonProcessCreate{
			Common:            evtxwrite.Common{Computer: "DC01.corp.local", TimeCreated: at},
			ProcessGuid:       "{8A3C21F0-6643-5A10-0000-0010000000A1}",
			ProcessId:         4568,
			Image:             `C:\Windows\System32\cmd.exe`,
			OriginalFileName:  "Cmd.Exe",
			CommandLine:       `cmd.exe /c mklink /d C:\shadowcopy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
			User:              `CORP\adm-jsmith`,
			LogonGuid:         "{8A3C21F0-6643-5A10-0000-001001D2F5C3}",
			LogonId:           0x1d2f5c3,
			ParentProcessGuid: "{8A3C21F0-6643-5A10-0000-0010000000A0}",
		}.Event(),
		{ // any other event: System fields plus typed EventData
			Provider: "Microsoft-Windows-Security-Auditing", ProviderGUID: "{54849625-5478-4994-A5BA-3E3B0328C30D}",
			EventID: 4907, Version: 0, Task: 13568, Keywords: evtxwrite.KeywordAuditSuccess,
			TimeCreated: at.Add(time.Second), Channel: "Security", Computer: "DC01.corp.local",
			EventData: []evtxwrite.Data{
				evtxwrite.D("SubjectUserSid", evtxwrite.SID("S-1-5-18")),
				evtxwrite.D("SubjectLogonId", evtxwrite.HexInt64(0x3e7)),
				evtxwrite.D("HandleId", evtxwrite.Pointer(0x1a4)),
			},
		},
	}
	var buf bytes.Buffer
	if err := evtxwrite.Write(&buf, events, evtxwrite.FirstRecordID(48243)); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(buf.Len(), "bytes:", (buf.Len()-evtxwrite.FileHeaderSize)/evtxwrite.ChunkSize, "chunk")
	// Output: 69632 bytes: 1 chunk
}
