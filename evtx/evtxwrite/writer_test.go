package evtxwrite_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	w "github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

var t0 = time.Date(2024, 3, 1, 10, 0, 0, 123456700, time.UTC)

var (
	alice = w.Subject{UserSid: "S-1-5-21-3461203602-4096304019-2269080069-1001", UserName: "alice", DomainName: "CORP", LogonId: 0x3e7a1}
	sys   = w.Subject{UserSid: "S-1-5-18", UserName: "WS01$", DomainName: "CORP", LogonId: 0x3e7}
)

func common(i int) w.Common {
	return w.Common{Computer: "WS01.corp.local", TimeCreated: t0.Add(time.Duration(i) * 1500 * time.Millisecond),
		ExecutionProcessID: 3292, ExecutionThreadID: uint32(900 + i)}
}

func sysmon(i int, schema w.SysmonSchema, cmdline string) w.Event {
	return w.SysmonProcessCreate{
		Common: common(i), Schema: schema,
		RuleName:          "technique_id=T1059,technique_name=Command & Scripting",
		ProcessGuid:       fmt.Sprintf("{747F3D96-1C6F-5D69-0000-0010323C%04X}", i),
		ProcessId:         uint32(4000 + i),
		Image:             `C:\Windows\System32\cmd.exe`,
		FileVersion:       "10.0.19041.1 (WinBuild.160101.0800)",
		Description:       "Windows Command Processor ®",
		Product:           "Microsoft® Windows® Operating System",
		Company:           "Microsoft Corporation",
		OriginalFileName:  "Cmd.Exe",
		CommandLine:       cmdline,
		CurrentDirectory:  `C:\Users\alice\`,
		User:              `CORP\alice`,
		LogonGuid:         "{747F3D96-1B6A-5D69-0000-0020E5810E00}",
		LogonId:           0xe81e5,
		TerminalSessionId: 1,
		IntegrityLevel:    "High",
		Hashes:            "SHA256=59D3CDC7D51FA34C6B27B8B04EA17992955466EB25022B7BD64880AB35DF0BBC",
		ParentProcessGuid: "{747F3D96-1B6C-5D69-0000-00106F060F00}",
		ParentProcessId:   2128,
		ParentImage:       `C:\Windows\explorer.exe`,
		ParentCommandLine: `C:\Windows\Explorer.EXE`,
		ParentUser:        `CORP\alice`,
	}.Event()
}

// sampleEvents covers every helper, every schema variant and every value
// type, with strings that need escaping or are outside the BMP.
func sampleEvents() []w.Event {
	q := uint16(16384)
	evs := []w.Event{
		sysmon(0, w.SysmonOriginalFileName, `cmd.exe /c mklink /d C:\shadow \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`),
		sysmon(1, w.SysmonParentUser, `cmd /c echo "a & b" <in >out 'q' é 日本 🙂`),
		sysmon(2, w.SysmonNoOriginalFileName, `cmd.exe /c MKLINK /J C:\sc \\?\GLOBALROOT\Device\harddiskvolumeshadowcopy2\`),
		sysmon(3, w.SysmonLegacy, ""),
		w.SecurityProcessCreate{Common: common(4), Version: 2, Subject: alice,
			NewProcessId: 0x1dc, NewProcessName: `C:\Windows\System32\cmd.exe`, TokenElevationType: "%%1937",
			ProcessId: 0xe8c, CommandLine: `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\temp\ntds.dit`,
			TargetUserSid: "S-1-0-0", TargetUserName: "-", TargetDomainName: "-", ParentProcessName: `C:\Windows\explorer.exe`,
			MandatoryLabel: "S-1-16-12288"}.Event(),
		w.SecurityProcessCreate{Common: common(5), Version: 2, Subject: sys, NewProcessId: 0x2a0,
			NewProcessName: `C:\Windows\System32\svchost.exe`, ProcessId: 0x270, ParentProcessName: `C:\Windows\System32\services.exe`}.Event(),
		w.SecurityProcessCreate{Common: common(6), Version: 1, Subject: alice, NewProcessId: 0xf50,
			NewProcessName: `C:\Windows\System32\whoami.exe`, ProcessId: 0x5ec, CommandLine: "whoami /all"}.Event(),
		w.SecurityProcessCreate{Common: common(7), Version: 0, Subject: alice, NewProcessId: 0xf54,
			NewProcessName: `C:\Windows\System32\whoami.exe`, ProcessId: 0x5ec}.Event(),
		w.SecurityHandleRequest{Common: common(8), Subject: alice, ObjectType: "File",
			ObjectName: `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`, HandleId: 0x558,
			AccessList: []string{"%%1537", "%%1538", "%%4416"}, AccessMask: 0x120089, ProcessId: 0x1688,
			ProcessName: `C:\Windows\System32\cmd.exe`}.Event(),
		w.SecurityHandleRequest{Common: common(9), Subject: alice, Failure: true, ObjectType: "Key", Task: 12801,
			ObjectName: `\REGISTRY\MACHINE\SAM`, AccessList: []string{"%%4432"}, AccessMask: 0x1,
			AccessReason: "%%4432:\t%%1801 D:(A;;KA;;;SY)", PrivilegeList: "SeBackupPrivilege",
			ProcessId: 0x1688, ProcessName: `C:\Windows\System32\reg.exe`}.Event(),
		w.SecurityAuditPolicyChange{Common: common(10), Subject: sys, CategoryId: "%%8274", SubcategoryId: "%%12800",
			SubcategoryGuid: "{0CCE921D-69AE-11D9-BED3-505054503030}", AuditPolicyChanges: "%%8448, %%8450"}.Event(),
		w.LogCleared{Common: common(11), Subject: alice}.Event(),
		w.SysmonServiceStateChange{Common: common(12), State: "Started", Version: "13.34", SchemaVersion: "4.83"}.Event(),
		w.SysmonConfigChange{Common: common(13), Configuration: `C:\Windows\sysmon.xml`,
			ConfigurationFileHash: "SHA256=2C5B6E5E2A0C7A3F3D2A1B0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E"}.Event(),
		{Provider: "Application Error", EventID: 1000, Level: 2, TimeCreated: t0.Add(time.Minute), Channel: "Application",
			Computer: "WS01.corp.local"}, // no EventData at all
		{
			Provider: "Shadowscan-Test", ProviderGUID: "{01234567-89AB-CDEF-0123-456789ABCDEF}",
			EventID: 4242, Qualifiers: &q, Version: 7, Level: 2, Task: 9, Opcode: 11, Keywords: 0x8000000000000001,
			TimeCreated: t0.Add(time.Hour), RecordID: 900001,
			ActivityID: "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}", RelatedActivityID: "{11111111-2222-3333-4444-555555555555}",
			ProcessID: 1, ThreadID: 2, Channel: "Shadowscan/Test", Computer: "DC01.corp.local", UserID: "S-1-5-21-1-2-3-500",
			EventData: []w.Data{
				w.D("Str", w.String("plain")),
				w.D("Empty", w.String("")),
				w.D("Multi", w.String("line1\r\n\t\tline2")),
				w.D("I8", w.Int8(-5)),
				w.D("U8", w.UInt8(255)),
				w.D("I16", w.Int16(-300)),
				w.D("U16", w.UInt16(65535)),
				w.D("I32", w.Int32(-70000)),
				w.D("U32", w.UInt32(4000000000)),
				w.D("I64", w.Int64(-1<<40)),
				w.D("U64", w.UInt64(math.MaxUint64)),
				w.D("H32", w.HexInt32(0x001f3fff)),
				w.D("H64", w.HexInt64(0x8020000000000000)),
				w.D("Ptr", w.Pointer(0xfffff80312345678)),
				w.D("True", w.Bool(true)),
				w.D("False", w.Bool(false)),
				w.D("Bin", w.Binary([]byte{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01})),
				w.D("Guid", w.GUID("{5770385F-C22A-43E0-BF4C-06F5698FFBD9}")),
				w.D("FT", w.FileTime(time.Date(2023, 12, 31, 23, 59, 59, 999999900, time.UTC))),
				w.D("ST", w.SystemTime(time.Date(2022, 6, 15, 8, 30, 45, 678000000, time.UTC))),
				w.D("Sid", w.SID("S-1-5-21-3461203602-4096304019-2269080069-1000")),
				w.D("Nothing", w.Null()),
			},
		},
	}
	return evs
}

// field is one value a reader must render: path, declared type, and the
// writer's own rendering.
type field struct {
	path string
	typ  w.Type
	want string
}

func expectedFields(e w.Event, recordID uint64) []field {
	optGUID := func(s string) string {
		if s == "" {
			return ""
		}
		return w.GUID(s).String()
	}
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	id := e.RecordID
	if id == 0 {
		id = recordID
	}
	fs := []field{
		{"System/Provider@Name", w.TypeString, e.Provider},
		{"System/Provider@Guid", w.TypeGUID, optGUID(e.ProviderGUID)},
		{"System/EventID", w.TypeUInt16, u(uint64(e.EventID))},
		{"System/Version", w.TypeUInt8, u(uint64(e.Version))},
		{"System/Level", w.TypeUInt8, u(uint64(e.Level))},
		{"System/Task", w.TypeUInt16, u(uint64(e.Task))},
		{"System/Opcode", w.TypeUInt8, u(uint64(e.Opcode))},
		{"System/Keywords", w.TypeHexInt64, w.HexInt64(e.Keywords).String()},
		{"System/TimeCreated@SystemTime", w.TypeFileTime, w.FileTime(e.TimeCreated).String()},
		{"System/EventRecordID", w.TypeUInt64, u(id)},
		{"System/Correlation@ActivityID", w.TypeGUID, optGUID(e.ActivityID)},
		{"System/Correlation@RelatedActivityID", w.TypeGUID, optGUID(e.RelatedActivityID)},
		{"System/Execution@ProcessID", w.TypeUInt32, u(uint64(e.ProcessID))},
		{"System/Execution@ThreadID", w.TypeUInt32, u(uint64(e.ThreadID))},
		{"System/Channel", w.TypeString, e.Channel},
		{"System/Computer", w.TypeString, e.Computer},
		{"System/Security@UserID", w.TypeSID, e.UserID},
	}
	if e.Qualifiers != nil {
		fs = append(fs, field{"System/EventID@Qualifiers", w.TypeUInt16, u(uint64(*e.Qualifiers))})
	}
	if e.UserData != nil {
		for _, d := range e.UserData.Fields {
			fs = append(fs, field{"UserData/" + e.UserData.Element + "/" + d.Name, d.Value.Type(), d.Value.String()})
		}
	}
	for _, d := range e.EventData {
		if d.Name != "" {
			fs = append(fs, field{"EventData/" + d.Name, d.Value.Type(), d.Value.String()})
		}
	}
	return fs
}

// sameValue compares a reader's rendering with the writer's, by type:
// readers differ in case, zero padding, time format and precision.
func sameValue(typ w.Type, want, got string, timeTolerance time.Duration) error {
	switch typ {
	case w.TypeNull:
		if got != "" {
			return fmt.Errorf("null rendered as %q", got)
		}
		return nil
	case w.TypeString:
		// XML readers normalise line ends.
		want, got = strings.ReplaceAll(want, "\r\n", "\n"), strings.ReplaceAll(got, "\r\n", "\n")
	case w.TypeInt8, w.TypeInt16, w.TypeInt32, w.TypeInt64:
		a, err1 := strconv.ParseInt(want, 10, 64)
		b, err2 := strconv.ParseInt(got, 10, 64)
		if err1 != nil || err2 != nil || a != b {
			return fmt.Errorf("want %s, got %q", want, got)
		}
		return nil
	case w.TypeUInt8, w.TypeUInt16, w.TypeUInt32, w.TypeUInt64:
		a, err1 := strconv.ParseUint(want, 10, 64)
		b, err2 := strconv.ParseUint(got, 10, 64)
		if err1 != nil || err2 != nil || a != b {
			return fmt.Errorf("want %s, got %q", want, got)
		}
		return nil
	case w.TypeHexInt32, w.TypeHexInt64, w.TypeSizeT:
		a, err1 := strconv.ParseUint(strings.TrimPrefix(want, "0x"), 16, 64)
		b, err2 := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(got), "0x"), 16, 64)
		if err1 != nil || err2 != nil || a != b {
			return fmt.Errorf("want %s, got %q", want, got)
		}
		return nil
	case w.TypeBinary:
		if b, err := base64.StdEncoding.DecodeString(got); err == nil && got != "" && !isHex(got) {
			got = fmt.Sprintf("%X", b) // python-evtx prints binary as base64
		}
		want, got = strings.ToUpper(want), strings.ToUpper(got)
	case w.TypeGUID:
		want = strings.ToUpper(strings.Trim(want, "{}"))
		got = strings.ToUpper(strings.Trim(got, "{}"))
	case w.TypeBool:
		got = strings.ToLower(got)
		if got == "1" {
			got = "true"
		} else if got == "0" {
			got = "false"
		}
	case w.TypeFileTime, w.TypeSystemTime:
		a, err1 := parseTime(want)
		b, err2 := parseTime(got)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("want %s, got %q (%v %v)", want, got, err1, err2)
		}
		if d := a.Sub(b); d > timeTolerance || d < -timeTolerance {
			return fmt.Errorf("want %s, got %q (off by %v)", want, got, d)
		}
		return nil
	}
	if want != got {
		return fmt.Errorf("want %q, got %q", want, got)
	}
	return nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unparsable time %q", s)
}

// quirks describe a reader's known, documented misrenderings: want
// rewrites the expected rendering, got normalises the reader's output. The
// comparison still proves the bytes are right (another reader renders them
// correctly) without hiding anything else.
type quirks struct {
	want func(field) field
	got  func(string) string
}

// millisAsMicros: golang-evtx v1.2.9 and python-evtx 0.6.1 read
// SYSTEMTIME's wMilliseconds as microseconds (libevtx renders it right).
var millisAsMicros = quirks{want: func(f field) field {
	if f.typ == w.TypeSystemTime {
		if t, err := parseTime(f.want); err == nil {
			ms := t.Nanosecond() / 1e6
			f.want = t.Truncate(time.Second).Add(time.Duration(ms) * time.Microsecond).Format(time.RFC3339Nano)
		}
	}
	return f
}}

// libevtxQuirks: libevtx 20181227 prints a negative signed integer as "-"
// followed by its bits without the sign bit, and decodes UTF-16 surrogate
// pairs (characters outside the BMP) into wrong characters; both sides
// drop non-BMP characters. golang-evtx and python-evtx render both right.
var libevtxQuirks = quirks{
	want: func(f field) field {
		bits := map[w.Type]int{w.TypeInt8: 8, w.TypeInt16: 16, w.TypeInt32: 32, w.TypeInt64: 64}[f.typ]
		if n, err := strconv.ParseInt(f.want, 10, 64); bits > 0 && err == nil && n < 0 {
			f.want = "-" + strconv.FormatUint(uint64(n)&(1<<(bits-1)-1), 10)
		}
		if f.typ == w.TypeString {
			f.want = dropNonBMP(f.want)
		}
		return f
	},
	got: dropNonBMP,
}

func dropNonBMP(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 0xffff {
			return -1
		}
		return r
	}, s)
}

// checkRecords compares one reader's records with the events written.
func checkRecords(t *testing.T, reader string, events []w.Event, firstID uint64, got []flatRecord, timeTolerance time.Duration, q quirks) {
	t.Helper()
	require.Len(t, got, len(events), "%s: record count", reader)
	for i, e := range events {
		fields := expectedFields(e, firstID+uint64(i))
		known := map[string]bool{}
		for _, f := range fields {
			known[f.path] = true
		}
		for path := range got[i] {
			require.True(t, known[path], "%s: record %d has unexpected %s", reader, i, path)
		}
		for _, f := range fields {
			g := got[i][f.path]
			if q.want != nil {
				f = q.want(f)
			}
			if q.got != nil {
				g = q.got(g)
			}
			if f.want == "" && f.typ != w.TypeString {
				require.Empty(t, g, "%s: record %d %s should be absent", reader, i, f.path)
				continue
			}
			if err := sameValue(f.typ, f.want, g, timeTolerance); err != nil {
				t.Errorf("%s: record %d (event %d) %s: %v", reader, i, e.EventID, f.path, err)
			}
		}
	}
}

// pythonTimeSlack: python-evtx converts FILETIME through a float and
// prints microseconds, so it is off by a few microseconds.
const pythonTimeSlack = 10 * time.Microsecond

// checkAllReaders writes events and reads them back with every reader.
func checkAllReaders(t *testing.T, events []w.Event, opts ...w.Option) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.evtx")
	require.NoError(t, w.WriteFile(path, events, opts...))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	firstID := binary.LittleEndian.Uint64(data[w.FileHeaderSize+8:])
	checkStructure(t, data, len(events))

	t.Run("golang-evtx", func(t *testing.T) {
		checkRecords(t, "golang-evtx", events, firstID, readGolangEvtx(t, data), 0, millisAsMicros)
	})
	t.Run("libevtx", func(t *testing.T) {
		checkRecords(t, "evtxexport", events, firstID, readLibevtx(t, path, len(events)), 0, libevtxQuirks)
	})
	t.Run("python-evtx", func(t *testing.T) {
		checkRecords(t, "evtx_dump.py", events, firstID, readPythonEvtx(t, path), pythonTimeSlack, millisAsMicros)
	})
	return data
}

// checkStructure verifies the file and chunk headers independently of any
// reader: magic, sizes, counts, record numbering and all CRC32s.
func checkStructure(t *testing.T, data []byte, records int) {
	t.Helper()
	le := binary.LittleEndian
	require.Equal(t, "ElfFile\x00", string(data[:8]))
	require.Zero(t, (len(data)-w.FileHeaderSize)%w.ChunkSize, "file is header + whole chunks")
	chunks := (len(data) - w.FileHeaderSize) / w.ChunkSize
	require.Equal(t, uint32(128), le.Uint32(data[32:]), "header size")
	require.Equal(t, uint16(1), le.Uint16(data[36:]), "minor version")
	require.Equal(t, uint16(3), le.Uint16(data[38:]), "major version")
	require.Equal(t, uint16(4096), le.Uint16(data[40:]), "block size")
	require.Equal(t, crc32.ChecksumIEEE(data[:120]), le.Uint32(data[124:]), "file header CRC")
	dirty := le.Uint32(data[120:])&1 != 0
	if !dirty {
		require.Equal(t, uint16(chunks), le.Uint16(data[42:]), "chunk count")
		require.Equal(t, uint64(max(chunks-1, 0)), le.Uint64(data[16:]), "last chunk number")
	}

	total := 0
	var next uint64
	if chunks > 0 {
		next = le.Uint64(data[w.FileHeaderSize+8:])
	}
	for i := 0; i < chunks; i++ {
		c := data[w.FileHeaderSize+i*w.ChunkSize:][:w.ChunkSize]
		require.Equal(t, "ElfChnk\x00", string(c[:8]), "chunk %d magic", i)
		first, last := le.Uint64(c[8:]), le.Uint64(c[16:])
		require.Equal(t, next, first, "chunk %d continues the numbering", i)
		require.Equal(t, first, le.Uint64(c[24:]))
		require.Equal(t, last, le.Uint64(c[32:]))
		require.Equal(t, uint32(128), le.Uint32(c[40:]))
		lastOff, free := le.Uint32(c[44:]), le.Uint32(c[48:])
		require.LessOrEqual(t, free, uint32(w.ChunkSize))
		require.Equal(t, crc32.ChecksumIEEE(c[512:free]), le.Uint32(c[52:]), "chunk %d records CRC", i)
		h := crc32.NewIEEE()
		h.Write(c[:120])
		h.Write(c[128:512])
		require.Equal(t, h.Sum32(), le.Uint32(c[124:]), "chunk %d header CRC", i)

		// Walk the records: sizes chain from 512 to the free offset.
		n := 0
		off := uint32(512)
		for off < free {
			require.Equal(t, "**\x00\x00", string(c[off:off+4]), "chunk %d record at %#x", i, off)
			size := le.Uint32(c[off+4:])
			require.Equal(t, size, le.Uint32(c[off+size-4:]), "size copy")
			require.Equal(t, first+uint64(n), le.Uint64(c[off+8:]), "record number")
			if off+size == free {
				require.Equal(t, lastOff, off, "last record offset")
			}
			off += size
			n++
		}
		require.Equal(t, free, off)
		require.Equal(t, int(last-first+1), n)
		require.True(t, bytes.Count(c[free:], []byte{0}) == len(c)-int(free), "chunk %d slack is zeroed", i)
		total += n
		next = last + 1
	}
	require.Equal(t, records, total)
	if !dirty && chunks > 0 {
		require.Equal(t, next, le.Uint64(data[24:]), "next record id")
	}
}

func TestReadersAgree(t *testing.T) {
	t.Parallel()
	checkAllReaders(t, sampleEvents())
}

func TestReadersAgreeMultiChunk(t *testing.T) {
	t.Parallel()
	long := strings.Repeat(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile `, 12)
	var events []w.Event
	for i := 0; i < 120; i++ {
		switch i % 4 {
		case 0:
			events = append(events, sysmon(i, w.SysmonOriginalFileName, long+strconv.Itoa(i)))
		case 1:
			events = append(events, sysmon(i, w.SysmonNoOriginalFileName, long+strconv.Itoa(i)))
		case 2:
			events = append(events, w.SecurityProcessCreate{Common: common(i), Version: 2, Subject: alice,
				NewProcessId: uint64(i), NewProcessName: `C:\x.exe`, ProcessId: 4, CommandLine: long}.Event())
		default:
			events = append(events, w.SecurityHandleRequest{Common: common(i), Subject: alice, ObjectType: "File",
				ObjectName: fmt.Sprintf(`\Device\HarddiskVolumeShadowCopy%d\Windows\NTDS\ntds.dit`, i),
				AccessList: []string{"%%4416"}, AccessMask: 1, ProcessId: 8, ProcessName: `C:\x.exe`}.Event())
		}
	}
	data := checkAllReaders(t, events, w.FirstRecordID(1000))
	chunks := (len(data) - w.FileHeaderSize) / w.ChunkSize
	require.GreaterOrEqual(t, chunks, 4, "records spill over several dense chunks")
}

func TestRecordsPerChunk(t *testing.T) {
	t.Parallel()
	events := sampleEvents()
	data := checkAllReaders(t, events, w.RecordsPerChunk(3), w.FirstRecordID(77))
	require.Len(t, data, w.FileHeaderSize+w.ChunkSize*((len(events)+2)/3))
}

func TestEmptyLog(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, w.Write(&buf, nil))
	require.Len(t, buf.Bytes(), w.FileHeaderSize)
	checkStructure(t, buf.Bytes(), 0)
}

func TestDirtyHeaderDescribesEarlierState(t *testing.T) {
	const perChunk = 5
	events := sampleEvents()
	var buf bytes.Buffer
	require.NoError(t, w.Write(&buf, events, w.RecordsPerChunk(perChunk), w.Dirty()))
	data := buf.Bytes()
	le := binary.LittleEndian
	require.Equal(t, uint32(1), le.Uint32(data[120:]), "dirty flag")
	chunks := (len(data) - w.FileHeaderSize) / w.ChunkSize
	require.Equal(t, (len(events)+perChunk-1)/perChunk, chunks)
	require.Equal(t, uint16(chunks-1), le.Uint16(data[42:]), "header counts the chunks before the last")
	require.Equal(t, uint64(1+perChunk*(chunks-1)), le.Uint64(data[24:]), "next record id as of the last chunk's start")
	checkStructure(t, data, len(events))
}

func TestWriteIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	require.NoError(t, w.Write(&a, sampleEvents()))
	require.NoError(t, w.Write(&b, sampleEvents()))
	require.Equal(t, a.Bytes(), b.Bytes())
}

func TestBadInputIsReportedNotWritten(t *testing.T) {
	tests := []struct {
		name string
		ev   w.Event
		msg  string
	}{
		{"malformed GUID", w.Event{Provider: "P", EventData: []w.Data{w.D("G", w.GUID("{not-a-guid}"))}}, "malformed GUID"},
		{"malformed SID", w.Event{Provider: "P", UserID: "S-1-x"}, "malformed SID"},
		{"value over 64 KiB", w.Event{Provider: "P", EventData: []w.Data{w.D("S", w.String(strings.Repeat("x", 40000)))}}, "65535"},
		{"record over a chunk", w.Event{Provider: "P", EventData: []w.Data{
			w.D("A", w.String(strings.Repeat("a", 30000))), w.D("B", w.String(strings.Repeat("b", 30000))),
			w.D("C", w.String(strings.Repeat("c", 30000)))}}, "event data is"},
		{"UserData field without name", w.Event{Provider: "P", UserData: &w.UserData{Element: "X", Fields: []w.Data{w.D("", w.UInt8(1))}}}, "without a name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			ws := &seekBuffer{}
			wr := w.NewWriter(ws)
			good := sampleEvents()[0]
			require.NoError(t, wr.Write(good))
			err := wr.Write(tc.ev)
			require.ErrorContains(t, err, tc.msg)
			// The writer stays usable and the file holds only good records.
			require.NoError(t, wr.Write(good))
			require.NoError(t, wr.Close())
			buf.Write(ws.b)
			checkStructure(t, buf.Bytes(), 2)
			recs := readGolangEvtx(t, buf.Bytes())
			require.Len(t, recs, 2)
		})
	}
}

// seekBuffer is a minimal in-memory io.WriteSeeker for NewWriter.
type seekBuffer struct {
	b   []byte
	off int
}

func (s *seekBuffer) Write(p []byte) (int, error) {
	if end := s.off + len(p); end > len(s.b) {
		s.b = append(s.b, make([]byte, end-len(s.b))...)
	}
	copy(s.b[s.off:], p)
	s.off += len(p)
	return len(p), nil
}

func (s *seekBuffer) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case 0:
		s.off = int(off)
	case 1:
		s.off += int(off)
	case 2:
		s.off = len(s.b) + int(off)
	}
	return int64(s.off), nil
}
