package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

var readerFixtureTime = time.Date(2024, 3, 5, 14, 7, 9, 0, time.UTC)

// readerFixture writes a small triage folder with the writer: a Sysmon log,
// a Security log (dirty), a text file, and a zip holding one more log.
func readerFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	common := func(i int, host string) evtxwrite.Common {
		return evtxwrite.Common{Computer: host, TimeCreated: readerFixtureTime.Add(time.Duration(i) * time.Minute)}
	}
	var sysmon, security []evtxwrite.Event
	for i := range 3 {
		sysmon = append(sysmon, evtxwrite.SysmonProcessCreate{Common: common(i, "WS01"),
			ProcessGuid: "{94F748D5-4A45-5A42-0000-0010D265F20F}", LogonGuid: "{94F748D5-5A64-5966-0000-0020E7030000}",
			ParentProcessGuid: "{94F748D5-D211-597D-0000-00109BD2C107}", ProcessId: uint32(100 + i),
			Image: `C:\Windows\System32\cmd.exe`, CommandLine: "cmd /c whoami"}.Event())
	}
	sub := evtxwrite.Subject{UserSid: "S-1-5-18", UserName: "WS01$", DomainName: "CORP", LogonId: 0x3e7}
	for i := range 2 {
		security = append(security, evtxwrite.SecurityProcessCreate{Common: common(10+i, "DC01\x1b[31m"), Version: 2, Subject: sub,
			NewProcessId: 0x1a2c, NewProcessName: `C:\Windows\System32\vssadmin.exe`, ProcessId: 0x2f0,
			CommandLine: "vssadmin list shadows"}.Event())
	}
	require.NoError(t, evtxwrite.WriteFile(filepath.Join(dir, "Sysmon.evtx"), sysmon))
	require.NoError(t, evtxwrite.WriteFile(filepath.Join(dir, "Security.evtx"), security, evtxwrite.Dirty()))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("collected 2024-03-05"), 0o600))

	data, err := os.ReadFile(filepath.Join(dir, "Sysmon.evtx"))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	m, err := zw.Create("C/Windows/System32/winevt/Logs/Sysmon.evtx")
	require.NoError(t, err)
	_, err = m.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "triage.zip"), buf.Bytes(), 0o600))
	return dir
}

func runReaderCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), &env{stdout: &stdout, stderr: &stderr}, args)
	return code, stdout.String(), stderr.String()
}

func TestInventoryJSON(t *testing.T) {
	dir := readerFixture(t)
	code, out, errOut := runReaderCmd(t, "inventory", dir, "--format", "json", "--workers", "3")
	require.Equal(t, exitOK, code, errOut)
	require.Empty(t, errOut)

	var entries []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &entries))
	require.Len(t, entries, 3)
	for _, e := range entries {
		for _, key := range []string{"path", "channels", "computers", "first", "last", "records_decoded",
			"records_failed", "failures", "chunks", "chunks_damaged", "dirty"} {
			require.Contains(t, e, key)
		}
	}
	require.Equal(t, filepath.Join(dir, "Security.evtx"), entries[0]["path"])
	require.Equal(t, filepath.Join(dir, "Sysmon.evtx"), entries[1]["path"])
	require.Equal(t, filepath.Join(dir, "triage.zip")+"!C/Windows/System32/winevt/Logs/Sysmon.evtx", entries[2]["path"])

	sec, sys := entries[0], entries[1]
	require.Equal(t, true, sec["dirty"])
	require.Equal(t, false, sys["dirty"])
	require.EqualValues(t, 2, sec["records_decoded"])
	require.EqualValues(t, 3, sys["records_decoded"])
	require.EqualValues(t, 0, sys["records_failed"])
	require.Equal(t, []any{}, sys["failures"])
	require.Equal(t, []any{"Microsoft-Windows-Sysmon/Operational"}, sys["channels"])
	require.Equal(t, []any{"WS01"}, sys["computers"])
	require.Equal(t, "2024-03-05T14:07:09Z", sys["first"])
	require.Equal(t, "2024-03-05T14:09:09Z", sys["last"])
	require.EqualValues(t, 1, sys["chunks"])
	require.Equal(t, sys["records_decoded"], entries[2]["records_decoded"])
}

func TestInventoryTable(t *testing.T) {
	dir := readerFixture(t)
	code, out, errOut := runReaderCmd(t, "inventory", "--no-progress", dir)
	require.Equal(t, exitOK, code, errOut)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Equal(t, "under "+dir+string(filepath.Separator), lines[0])
	for _, l := range lines {
		require.LessOrEqual(t, len([]rune(l)), 80, "line %q", l)
	}
	require.Contains(t, out, "FILE")
	require.Contains(t, out, "Security.evtx")
	require.Contains(t, out, "dirty")
	require.Contains(t, out, "2024-03-05T14:07:09Z")
	// The computer name carries an escape sequence: it must not reach the
	// terminal.
	require.NotContains(t, out, "\x1b")
	require.Contains(t, out, "DC01")
}

func TestInventoryDamaged(t *testing.T) {
	dir := readerFixture(t)
	p := filepath.Join(dir, "Sysmon.evtx")
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	// Break the first record's trailing size copy: that record fails, the
	// walk resynchronises on the next one.
	size := int(binary.LittleEndian.Uint32(data[4096+512+4:]))
	copy(data[4096+512+size-4:], []byte{0xee, 0xee, 0xee, 0xee})
	require.NoError(t, os.WriteFile(p, data, 0o600))
	code, out, errOut := runReaderCmd(t, "inventory", "--format=json", p)
	require.Equal(t, exitOK, code, "damaged input is reported, not fatal: %s", errOut)
	var entries []struct {
		RecordsDecoded int `json:"records_decoded"`
		RecordsFailed  int `json:"records_failed"`
		ChunksDamaged  int `json:"chunks_damaged"`
		Failures       []struct {
			Chunk    int    `json:"chunk"`
			Offset   int64  `json:"offset"`
			RecordID uint64 `json:"record_id"`
			Reason   string `json:"reason"`
		} `json:"failures"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &entries))
	require.Len(t, entries, 1)
	e := entries[0]
	require.Equal(t, 3, e.RecordsDecoded+e.RecordsFailed)
	require.Equal(t, 1, e.RecordsFailed)
	require.Equal(t, 1, e.ChunksDamaged)
	require.Equal(t, int64(4096+512), e.Failures[0].Offset)
	require.Equal(t, uint64(1), e.Failures[0].RecordID)
	require.NotEmpty(t, e.Failures[0].Reason)
}

func TestInventoryExitStatus(t *testing.T) {
	dir := readerFixture(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no path", []string{"inventory"}, exitUsage, "no PATH"},
		{"bad format", []string{"inventory", "--format", "xml", dir}, exitUsage, "unknown --format"},
		{"unknown flag", []string{"inventory", "--frobnicate", dir}, exitUsage, "frobnicate"},
		{"help", []string{"inventory", "--help"}, exitOK, "records_decoded"},
		{"no evtx", []string{"inventory", filepath.Join(dir, "notes.txt")}, exitNothing, "no EVTX file found"},
		{"missing", []string{"inventory", filepath.Join(dir, "missing.evtx")}, exitNothing, "missing.evtx: no such file"},
		{"one missing, one fine", []string{"inventory", filepath.Join(dir, "missing.evtx"), filepath.Join(dir, "Sysmon.evtx")}, exitOK, "missing.evtx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runReaderCmd(t, tt.args...)
			require.Equal(t, tt.code, code, errOut)
			require.Contains(t, errOut, tt.stderr)
		})
	}
}

func TestProgressOnlyOnTerminal(t *testing.T) {
	dir := readerFixture(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), &env{stdout: &stdout, stderr: &stderr, stderrIsTerminal: true}, []string{"inventory", "--format", "json", dir})
	require.Equal(t, exitOK, code)
	require.Contains(t, stderr.String(), "reading")

	stderr.Reset()
	code = run(context.Background(), &env{stdout: &stdout, stderr: &stderr, stderrIsTerminal: true}, []string{"inventory", "--no-progress", "--format", "json", dir})
	require.Equal(t, exitOK, code)
	require.Empty(t, stderr.String())

	stderr.Reset()
	code = run(context.Background(), &env{stdout: &stdout, stderr: &stderr}, []string{"inventory", "--format", "json", dir})
	require.Equal(t, exitOK, code)
	require.Empty(t, stderr.String())
}
