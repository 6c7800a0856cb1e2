package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"maps"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// The mapping was rewritten for speed (a Mapper reusing its scratch space
// and key strings, fewer allocations). When that landed, a frozen copy of
// the previous package mapped every record of the shared corpus and of
// testdata/ to deep-equal documents. What guards it now:
//   - golden files (testdata/golden/*.jsonl, refreshed with -update): the
//     documents of every committed fixture, of writer-made events with
//     every schema and awkward values, and of hand-made edge records, one
//     flat document per line with its value types (JSON numbers, strings,
//     arrays);
//   - every record below, and every corpus record, is mapped both by Map
//     (a fresh Mapper) and by one long-lived Mapper, so state a Mapper
//     carries from earlier records would show.

// goldenDocs collects the documents of one test for its golden file.
type goldenDocs struct{ lines [][]byte }

// sameAsMap checks one record; m is shared across records on purpose.
func sameAsMap(t *testing.T, m *Mapper, r *evtx.Record, g *goldenDocs) {
	t.Helper()
	want := map[string]any(Map(r))
	require.Equal(t, want, map[string]any(m.Map(r)), "Mapper vs Map: %s record %d", recordPath(r), recordID(r))
	lightSameAsMap(t, r, Map(r))
	if g != nil {
		if p, ok := want["log.file.path"].(string); ok {
			want["log.file.path"] = filepath.Base(p) // temp dirs differ per run
		}
		line, err := json.Marshal(want) // keys sorted: deterministic
		require.NoError(t, err)
		g.lines = append(g.lines, line)
	}
}

// check compares the collected documents with testdata/golden/NAME.jsonl.
func (g *goldenDocs) check(t *testing.T, name string) {
	t.Helper()
	got := append(bytes.Join(g.lines, []byte("\n")), '\n')
	path := filepath.Join("testdata", "golden", name+".jsonl")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./mapping -update to create it")
	wantLines := strings.Split(string(want), "\n")
	gotLines := strings.Split(string(got), "\n")
	require.Equal(t, len(wantLines), len(gotLines), "documents in %s", path)
	for i := range wantLines {
		require.Equal(t, wantLines[i], gotLines[i], "%s line %d", path, i+1)
	}
}

func recordPath(r *evtx.Record) string {
	if r == nil {
		return "<nil>"
	}
	return r.Path
}

func recordID(r *evtx.Record) uint64 {
	if r == nil {
		return 0
	}
	return r.RecordID
}

// scanSameAsMap scans paths and compares every record; it returns how
// many records it compared.
func scanSameAsMap(t *testing.T, m *Mapper, g *goldenDocs, paths ...string) int {
	t.Helper()
	n := 0
	_, err := evtx.Scan(context.Background(), paths, evtx.Options{Workers: 1}, func(r *evtx.Record) error {
		sameAsMap(t, m, r, g)
		n++
		return nil
	})
	require.NoError(t, err)
	return n
}

// TestMapperSameAsMapCorpus covers every record of the shared corpus of
// real logs (not in a golden file: the corpus is not part of the repository).
func TestMapperSameAsMapCorpus(t *testing.T) {
	const corpus = "../../shared/corpus"
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus %s not available: %v", corpus, err)
	}
	if testing.Short() {
		t.Skip("corpus comparison skipped in -short mode")
	}
	n := scanSameAsMap(t, NewMapper(), nil, corpus)
	t.Logf("%d records compared", n)
	require.Greater(t, n, 1000, "records compared")
}

// TestGoldenCommittedFixtures covers the writer-made files committed under
// testdata/ (one per mapped layout, and the triage folder).
func TestGoldenCommittedFixtures(t *testing.T) {
	var g goldenDocs
	n := scanSameAsMap(t, NewMapper(), &g, "../testdata")
	require.Greater(t, n, 20, "records compared")
	g.check(t, "committed-fixtures")
}

// TestGoldenWriterEvents covers events written by the fixture writer
// with every Sysmon 1 schema, each 4688 version and the other event kinds
// it makes, including the awkward values real logs carry.
func TestGoldenWriterEvents(t *testing.T) {
	at := time.Date(2024, 3, 1, 12, 30, 45, 123456789, time.UTC)
	common := func(id uint64) evtxwrite.Common {
		return evtxwrite.Common{Computer: "ws01.corp.local", TimeCreated: at.Add(time.Duration(id) * time.Second), RecordID: id}
	}
	subject := evtxwrite.Subject{UserSid: "S-1-5-21-1-2-3-1104", UserName: "alice", DomainName: "CORP", LogonId: 0x2c9e7}
	commandLines := []string{
		`cmd.exe /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
		`"C:\Program Files\x y\a.exe" -q "a b" c\\"d e" ""  "x""y z"`,
		"  \t ", "", `C:\a\ trailing\\`, "line1\r\nline2\r\n", `"unterminated \"quote`,
	}
	var events []evtxwrite.Event
	id := uint64(1)
	for _, schema := range []evtxwrite.SysmonSchema{evtxwrite.SysmonParentUser, evtxwrite.SysmonOriginalFileName, evtxwrite.SysmonNoOriginalFileName, evtxwrite.SysmonLegacy} {
		for _, cmd := range commandLines {
			events = append(events, evtxwrite.SysmonProcessCreate{
				Common: common(id), Schema: schema, ProcessId: 4242, ProcessGuid: "{11111111-2222-3333-4444-555555555555}",
				LogonGuid: "{00000000-0000-0000-0000-000000000000}", ParentProcessGuid: "{11111111-2222-3333-4444-555555555550}", Image: `C:\Windows\System32\cmd.exe`,
				CommandLine: cmd, User: `CORP\alice`, ParentProcessId: 1000, ParentImage: `C:\Windows\explorer.exe`,
				ParentCommandLine: cmd, OriginalFileName: "Cmd.Exe", RuleName: "technique_id=T1059", ParentUser: `CORP\bob`,
				FileVersion: "10.0", Description: " ", Company: "-",
				Hashes: "SHA1=B6D237154F2E528F0B503B58B025862D66B02B73,MD5=199E1CF5B2250BD515ECCCF4CA686301,SHA256=0000,IMPHASH=D90D8C7812AEC8DA0FA173AFA1293AB2,MD5=11",
			}.Event())
			id++
		}
	}
	for _, version := range []uint8{0, 1, 2} {
		for _, cmd := range commandLines {
			events = append(events, evtxwrite.SecurityProcessCreate{
				Common: common(id), Version: version, Subject: subject, NewProcessId: 0x1a4,
				NewProcessName: `C:\Windows\System32\cmd.exe`, TokenElevationType: "%%1936", ProcessId: 0x2b0,
				CommandLine: cmd, TargetUserName: "bob@corp.local", ParentProcessName: `C:\Windows\System32\services.exe`,
			}.Event())
			id++
		}
	}
	for _, failure := range []bool{true, false} {
		for _, objectType := range []string{"File", "Key", "Mutant"} {
			events = append(events, evtxwrite.SecurityHandleRequest{
				Common: common(id), Failure: failure, Subject: subject, ObjectType: objectType,
				AccessList: []string{"%%1537", "%%1538", "%%4416", "%%9999"}, AccessMask: 0x30081,
				ObjectName: `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`, ProcessId: 0x1884,
				ProcessName: `C:\Windows\System32\esentutl.exe`,
			}.Event())
			id++
		}
	}
	events = append(events, evtxwrite.LogCleared{Common: common(id), Subject: subject}.Event())
	path := filepath.Join(t.TempDir(), "writer.evtx")
	require.NoError(t, evtxwrite.WriteFile(path, events))
	var g goldenDocs
	require.Equal(t, len(events), scanSameAsMap(t, NewMapper(), &g, path))
	g.check(t, "writer-events")
}

// TestGoldenRecords covers hand-made records with the edge cases the fuzz
// target starts from, the benchmark records, and nil.
func TestGoldenRecords(t *testing.T) {
	m := NewMapper()
	var g goldenDocs
	sameAsMap(t, m, nil, &g)
	sameAsMap(t, m, &evtx.Record{}, &g)
	bench := benchRecords()
	for _, name := range slices.Sorted(maps.Keys(bench)) {
		sameAsMap(t, m, bench[name], &g)
	}
	for _, data := range []map[string]string{
		{"ProcessId": "0x1a4", "CommandLine": `"C:\a b\x.exe" /y`, "Image": `C:\x\y.exe`, "AccessList": "%%4416 %%1537",
			"AccessMask": "0x10081", "Hashes": "SHA1=AA,MD5=00", "User": `CORP\u`, "UtcTime": "2024-01-01 00:00:00.000"},
		{"ProcessId": "zz", "CommandLine": "\x00\"\\", "Image": `\`, "AccessList": "%%", "AccessMask": "0xZZ",
			"Hashes": "=,=", "User": `\\`, "UtcTime": ""},
		{"ProcessId": "-0x8000000000000000", "CommandLine": "  ", "AccessList": "%%4583\r\n\t", "AccessMask": " 0x1 0x2",
			"Hashes": ",", "User": "a@b", "UtcTime": "junk", "Blank": " \t", "Dash": "-", "Zero": zeroGUID},
		{"Hash": "MD5=AB,md5=CD,Sha256=EF,A=1,B=2,C=3,D=4,E=5,F=6,G=7,A=8", "NewProcessId": "0x10",
			"TargetUserName": " ", "SubjectUserName": "x", "ObjectType": "Key", "ObjectName": "\\REGISTRY\\x", "ProcessName": "p"},
	} {
		for _, r := range []*evtx.Record{sysmonRecord(data), securityRecord(4688, data), securityRecord(4656, data), securityRecord(4624, data)} {
			sameAsMap(t, m, r, &g)
			sysmon1 := *r
			sysmon1.EventID = 1
			sameAsMap(t, m, &sysmon1, &g)
			zero := *r
			zero.TimeCreated = time.Time{}
			zero.Keywords = "0xffffffffffffffff"
			zero.UserData = map[string]string{"SubjectUserName": "mallory\r\n", "Channel": "Security", "Blank": "\n"}
			sameAsMap(t, m, &zero, &g)
		}
	}
	g.check(t, "records")
}

// FuzzMapperSameAsMap extends FuzzMap's inputs to the comparison: a
// long-lived Mapper must map like a fresh one whatever it saw before.
func FuzzMapperSameAsMap(f *testing.F) {
	f.Add(uint8(0), "0x1a4", `"C:\a b\x.exe" /y`, `C:\x\y.exe`, "%%4416 %%1537", "0x10081", "SHA1=AA,MD5=00", `CORP\u`, "2024-01-01 00:00:00.000")
	f.Add(uint8(1), "zz", "\x00\"\\", `\`, "%%", "0xZZ", "=,=", `\\`, "")
	f.Add(uint8(2), "-0x8000000000000000", "  ", "", "%%4583\r\n\t", " 0x1 0x2", ",", "a@b", "junk")
	m := NewMapper()
	f.Fuzz(func(t *testing.T, kind uint8, pid, cmd, exe, accessList, accessMask, hashes, user, utc string) {
		data := map[string]string{"ProcessId": pid, "ParentProcessId": pid, "NewProcessId": pid, "CommandLine": cmd,
			"ParentCommandLine": cmd, "Image": exe, "ParentImage": exe, "NewProcessName": exe, "ProcessName": exe,
			"Hashes": hashes, "User": user, "TargetUserName": user, "UtcTime": utc, "OriginalFileName": exe,
			"ObjectType": "File", "ObjectName": cmd, "AccessList": accessList, "AccessMask": accessMask, cmd: exe}
		var r *evtx.Record
		switch kind % 4 {
		case 0:
			r = sysmonRecord(data)
		case 1:
			r = securityRecord(4688, data)
		case 2:
			r = securityRecord(4656, data)
		default:
			r = securityRecord(4624, data)
			r.UserData = map[string]string{user: cmd}
		}
		if kind&4 != 0 { // System fields the light answers read
			r.Computer, r.Keywords, r.Channel, r.Path = user, pid, "Security", cmd
			r.TimeCreated = time.Unix(0, int64(len(utc))*1e17+int64(len(cmd))*123456789).UTC()
		}
		sameAsMap(t, m, r, nil)
	})
}

// TestAllDefaultKeywords keeps the shortcut mask in step with the table.
func TestAllDefaultKeywords(t *testing.T) {
	var all uint64
	for _, k := range defaultKeywords {
		require.Equal(t, 1, bits.OnesCount64(k.mask))
		all |= k.mask
	}
	require.Equal(t, uint64(allDefaultKeywords), all)
}

// TestMapperKeyCacheBounded: hostile records with a new field name each
// cannot grow a Mapper without limit, and the keys stay right beyond the
// bound.
func TestMapperKeyCacheBounded(t *testing.T) {
	m := NewMapper()
	for i := range maxCachedKeys + 10 {
		name := "F" + time.Duration(i).String()
		d := m.Map(securityRecord(4624, map[string]string{name: "v"}))
		require.Equal(t, "v", d["winlog.event_data."+name])
	}
	require.Len(t, m.dataKeys, maxCachedKeys)
}

// allStrings calls f with every string of length up to n over alphabet.
func allStrings(alphabet string, n int, f func(string)) {
	var walk func(prefix string)
	walk = func(prefix string) {
		f(prefix)
		if len(prefix) == n {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			walk(prefix + alphabet[i:i+1])
		}
	}
	walk("")
}

// TestRewrittenHelpersExhaustive compares the helpers rewritten for speed
// with the expressions they replace on every short string over the
// characters they treat specially.
func TestRewrittenHelpersExhaustive(t *testing.T) {
	allStrings("%1 ", 7, func(s string) {
		require.Equal(t, strings.ReplaceAll(s, "%%", ""), removePercents(s), "%q", s)
	})
	allStrings("\r\na", 7, func(s string) {
		want := strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
		require.Equal(t, want, removeWindowsLineEndings(s), "%q", s)
	})
}
