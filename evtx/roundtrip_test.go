package evtx

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	w "github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

var t0 = time.Date(2024, 3, 5, 14, 7, 9, 123456700, time.UTC)

// typedEvent carries one EventData value of every type the writer knows,
// plus unnamed Data, so rendering can be compared with the writer's own
// Event Viewer rendering (Value.String).
func typedEvent() w.Event {
	q := uint16(16384)
	return w.Event{
		Provider: "Test-Provider", ProviderGUID: "{54849625-5478-4994-A5BA-3E3B0328C30D}",
		EventID: 4242, Qualifiers: &q, Version: 2, Level: 4, Task: 12544, Opcode: 1,
		Keywords: 0x8020000000000000, TimeCreated: t0, RecordID: 99,
		ActivityID: "{0D4A0B1C-2E3F-4A5B-8C6D-7E8F90A1B2C3}",
		ProcessID:  612, ThreadID: 1180, Channel: "Security", Computer: "WS01.corp.example",
		UserID: "S-1-5-18",
		EventData: []w.Data{
			w.D("Str", w.String("C:\\Windows\\System32\\vssadmin.exe create shadow /for=C:")),
			w.D("Empty", w.String("")),
			w.D("I8", w.Int8(-5)), w.D("U8", w.UInt8(250)),
			w.D("I16", w.Int16(-300)), w.D("U16", w.UInt16(65000)),
			w.D("I32", w.Int32(-70000)), w.D("U32", w.UInt32(4000000000)),
			w.D("I64", w.Int64(-5000000000)), w.D("U64", w.UInt64(18000000000000000000)),
			w.D("H32", w.HexInt32(0x3e7)), w.D("H64", w.HexInt64(0x8020000000000000)),
			w.D("Ptr", w.Pointer(0x1a2c)),
			w.D("Yes", w.Bool(true)), w.D("No", w.Bool(false)),
			w.D("Bin", w.Binary([]byte{0xde, 0xad, 0xbe, 0xef})),
			w.D("Guid", w.GUID("{94F748D5-4A45-5A42-0000-0010D265F20F}")),
			w.D("Sid", w.SID("S-1-5-21-3623811015-3361044348-30300820-1013")),
			w.D("FT", w.FileTime(t0)), w.D("ST", w.SystemTime(t0)),
			w.D("Null", w.Null()),
			w.D("", w.String("first unnamed")), w.D("", w.UInt32(7)),
		},
	}
}

// viewerString is the writer's rendering of v, except for hex integers:
// the writer zero-pads them as python-evtx does, Event Viewer (and
// winlogbeat, through EvtRender) shows "0x3e7".
func viewerString(v w.Value) string {
	switch v.Type() {
	case w.TypeHexInt32, w.TypeHexInt64:
		return normaliseHex(v.String())
	}
	return v.String()
}

func writeLog(t testing.TB, name string, events []w.Event, opts ...w.Option) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, w.WriteFile(p, events, opts...))
	return p
}

// TestRoundTrip: every field the writer puts in a record comes back as
// Event Viewer renders it.
func TestRoundTrip(t *testing.T) {
	ev := typedEvent()
	p := writeLog(t, "typed.evtx", []w.Event{ev})
	out := scan(t, Options{}, p)
	require.Len(t, out.records, 1)
	r := out.records[0]

	require.Equal(t, p, r.Path)
	require.Equal(t, 0, r.Chunk)
	require.Equal(t, int64(fileHeaderSize+chunkTablesEnd), r.Offset)
	require.Equal(t, uint64(99), r.RecordID)
	require.Equal(t, uint64(1), r.HeaderRecordID)
	require.Equal(t, t0, r.TimeCreated)
	require.Equal(t, "Test-Provider", r.Provider)
	require.Equal(t, ev.ProviderGUID, r.ProviderGUID)
	require.Equal(t, 4242, r.EventID)
	require.Equal(t, 16384, *r.Qualifiers)
	require.Equal(t, 2, *r.Version)
	require.Equal(t, 4, *r.Level)
	require.Equal(t, 12544, *r.Task)
	require.Equal(t, 1, *r.Opcode)
	require.Equal(t, "0x8020000000000000", r.Keywords)
	require.Equal(t, ev.ActivityID, r.ActivityID)
	require.Equal(t, uint32(612), *r.ProcessID)
	require.Equal(t, uint32(1180), *r.ThreadID)
	require.Equal(t, "Security", r.Channel)
	require.Equal(t, "WS01.corp.example", r.Computer)
	require.Equal(t, "S-1-5-18", r.UserID)

	want := map[string]string{}
	unnamed := 0
	for _, d := range ev.EventData {
		name := d.Name
		if name == "" {
			unnamed++
			name = "param" + string(rune('0'+unnamed))
		}
		want[name] = viewerString(d.Value)
	}
	require.Equal(t, want, r.EventData)
	// Spot checks of the rendering rules, independent of the writer's.
	require.Equal(t, "0x3e7", r.EventData["H32"])
	require.Equal(t, "0x1a2c", r.EventData["Ptr"])
	require.Equal(t, "{94F748D5-4A45-5A42-0000-0010D265F20F}", r.EventData["Guid"])
	require.Equal(t, "2024-03-05T14:07:09.1234567Z", r.EventData["FT"])
	require.Equal(t, "2024-03-05T14:07:09.123Z", r.EventData["ST"])
	require.Equal(t, "DEADBEEF", r.EventData["Bin"])
	require.Equal(t, "true", r.EventData["Yes"])
	require.Equal(t, "-5000000000", r.EventData["I64"])
}

func TestRoundTripWindowsEvents(t *testing.T) {
	common := w.Common{Computer: "DC01.corp.example", TimeCreated: t0}
	sub := w.Subject{UserSid: "S-1-5-21-1-2-3-500", UserName: "admin", DomainName: "CORP", LogonId: 0x3e7}
	events := []w.Event{
		w.SysmonProcessCreate{Common: common, ProcessGuid: "{94F748D5-4A45-5A42-0000-0010D265F20F}", ProcessId: 4188,
			LogonGuid: "{94F748D5-5A64-5966-0000-0020E7030000}", Image: `C:\Windows\System32\cmd.exe`, OriginalFileName: "Cmd.Exe", CommandLine: `cmd /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
			User: `CORP\admin`, LogonId: 0x3e7, ParentProcessGuid: "{94F748D5-D211-597D-0000-00109BD2C107}", ParentImage: `C:\Windows\explorer.exe`}.Event(),
		w.SecurityProcessCreate{Common: common, Version: 2, Subject: sub, NewProcessId: 0x1a2c, NewProcessName: `C:\Windows\System32\vssadmin.exe`,
			ProcessId: 0x2f0, CommandLine: "vssadmin create shadow /for=C:"}.Event(),
		w.SecurityProcessCreate{Common: common, Version: 0, Subject: sub, NewProcessId: 0x1a2c, NewProcessName: `C:\Windows\System32\vssadmin.exe`}.Event(),
		w.SecurityHandleRequest{Common: common, Subject: sub, ObjectType: "File",
			ObjectName: `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`, AccessList: []string{"%%4416", "%%1537"}, AccessMask: 0x10080}.Event(),
		w.LogCleared{Common: common, Subject: sub}.Event(),
	}
	out := scan(t, Options{}, writeLog(t, "windows.evtx", events))
	require.Len(t, out.records, len(events))
	for i, ev := range events {
		r := out.records[i]
		require.Equal(t, int(ev.EventID), r.EventID)
		require.Equal(t, ev.Channel, r.Channel)
		require.Equal(t, "DC01.corp.example", r.Computer)
		require.Equal(t, t0, r.TimeCreated)
		require.Equal(t, uint64(i+1), r.RecordID)
		if ev.UserData != nil {
			require.Nil(t, r.EventData)
			for _, f := range ev.UserData.Fields {
				require.Equal(t, viewerString(f.Value), r.UserData[f.Name], f.Name)
			}
			continue
		}
		require.Len(t, r.EventData, len(ev.EventData))
		for _, d := range ev.EventData {
			require.Equal(t, viewerString(d.Value), r.EventData[d.Name], "event %d field %s", ev.EventID, d.Name)
		}
	}
	require.Equal(t, "Cmd.Exe", out.records[0].EventData["OriginalFileName"])
	require.Equal(t, "0x1a2c", out.records[1].EventData["NewProcessId"])
	_, hasCmd := out.records[2].EventData["CommandLine"]
	require.False(t, hasCmd, "4688 version 0 has no CommandLine")
	require.Equal(t, []string{"DC01.corp.example"}, out.res.Sources[0].Computers)
	require.Equal(t, []string{"Microsoft-Windows-Sysmon/Operational", "Security"}, out.res.Sources[0].Channels)
}

// TestRoundTripManyChunks: a writer-made log over many chunks, dirty, read
// by many workers, comes back complete and in order.
func TestRoundTripManyChunks(t *testing.T) {
	var events []w.Event
	for i := range 3000 {
		ev := typedEvent()
		ev.RecordID = uint64(1000 + i)
		ev.TimeCreated = t0.Add(time.Duration(i) * time.Second)
		events = append(events, ev)
	}
	p := writeLog(t, "many.evtx", events, w.Dirty())
	out := scan(t, Options{Workers: 8}, p)
	src := out.res.Sources[0]
	require.True(t, src.Dirty)
	require.Greater(t, src.Chunks, src.HeaderChunks, "a dirty header under-reports; all chunks are read")
	require.Equal(t, len(events), src.RecordsDecoded)
	require.Zero(t, src.RecordsFailed)
	require.Equal(t, t0, src.First)
	require.Equal(t, t0.Add(2999*time.Second), src.Last)
	for i, r := range out.records {
		require.Equal(t, uint64(1000+i), r.RecordID)
	}
}

// typedLog writes n typed records to a log named name and returns its path.
func typedLog(tb testing.TB, name string, n int) string {
	tb.Helper()
	events := make([]w.Event, 0, n)
	for range n {
		events = append(events, typedEvent())
	}
	return writeLog(tb, name, events)
}

// writerLog is a small writer-made log: one chunk of n typed records.
func writerLog(t *testing.T, n int) []byte {
	t.Helper()
	b, err := os.ReadFile(typedLog(t, "small.evtx", n))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, fileMagic))
	return b
}

func TestScanDamagedWriterLog(t *testing.T) {
	clean := writerLog(t, 6)
	recs := recordOffsets(t, clean)
	require.Len(t, recs, 6)
	// Garbage over the third record: that record fails, the others decode
	// (templates are parsed from the chunk's template table).
	data := bytes.Clone(clean)
	copy(data[fileHeaderSize+recs[2][0]:], bytes.Repeat([]byte{0x5a}, recs[2][1]))
	out := scan(t, Options{}, writeTemp(t, "garbage.evtx", data))
	src := out.res.Sources[0]
	require.Equal(t, 5, src.RecordsDecoded, "%v", src.Failures)
	require.Equal(t, 1, src.RecordsFailed)
	require.Equal(t, int64(fileHeaderSize+recs[2][0]), src.Failures[0].Offset)
	require.Equal(t, 1, src.ChunksDamaged)
}

func BenchmarkScanWriterLog(b *testing.B) {
	p := typedLog(b, "bench.evtx", 20000)
	info, err := os.Stat(p)
	require.NoError(b, err)
	b.SetBytes(info.Size())
	for b.Loop() {
		if _, err := Scan(context.Background(), []string{p}, Options{}, func(*Record) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSourceListsEveryChannelAndComputer: a file's channels and computers
// are all listed, sorted, however the records interleave them.
func TestSourceListsEveryChannelAndComputer(t *testing.T) {
	hosts := []string{"DC01.corp.example", "WS02.corp.example", "DC01.corp.example", "WS03.corp.example", "WS03.corp.example"}
	channels := []string{"Security", "Security", "System", "Security", "Application"}
	var events []w.Event
	for i := range 40 {
		ev := typedEvent()
		ev.RecordID = uint64(i + 1)
		ev.Computer, ev.Channel = hosts[i%len(hosts)], channels[i*3%len(channels)]
		events = append(events, ev)
	}
	out := scan(t, Options{}, writeLog(t, "mixed.evtx", events))
	require.Len(t, out.res.Sources, 1)
	require.Equal(t, []string{"DC01.corp.example", "WS02.corp.example", "WS03.corp.example"}, out.res.Sources[0].Computers)
	require.Equal(t, []string{"Application", "Security", "System"}, out.res.Sources[0].Channels)
}
