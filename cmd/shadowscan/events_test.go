package main

import (
	"bufio"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func eventLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "line %q", sc.Text())
		lines = append(lines, m)
	}
	require.NoError(t, sc.Err())
	return lines
}

func TestEventsJSONL(t *testing.T) {
	dir := readerFixture(t)
	code, out, errOut := runReaderCmd(t, "events", dir, "--workers", "2")
	require.Equal(t, exitOK, code, errOut)
	lines := eventLines(t, out)
	require.Len(t, lines, 2+3+3)

	// File order (sorted paths, then zip members), then record order.
	var order []string
	for _, l := range lines {
		order = append(order, filepath.Base(strings.SplitN(l["path"].(string), "!", 2)[0])+"#"+eventNumber(l["record_id"]))
	}
	require.Equal(t, []string{"Security.evtx#1", "Security.evtx#2", "Sysmon.evtx#1", "Sysmon.evtx#2", "Sysmon.evtx#3",
		"triage.zip#1", "triage.zip#2", "triage.zip#3"}, order)

	sec := lines[0]
	for _, key := range []string{"path", "record_id", "channel", "event_id", "computer", "timestamp", "event_data"} {
		require.Contains(t, sec, key)
	}
	require.Equal(t, "Security", sec["channel"])
	require.EqualValues(t, 4688, sec["event_id"])
	require.Equal(t, "2024-03-05T14:17:09Z", sec["timestamp"])
	ed := sec["event_data"].(map[string]any)
	require.Equal(t, "vssadmin list shadows", ed["CommandLine"])
	require.Equal(t, "0x1a2c", ed["NewProcessId"])
	require.Equal(t, "0x3e7", ed["SubjectLogonId"])

	sys := lines[2]
	require.Equal(t, "Microsoft-Windows-Sysmon/Operational", sys["channel"])
	require.Equal(t, "WS01", sys["computer"])
	require.Equal(t, "{94F748D5-4A45-5A42-0000-0010D265F20F}", sys["event_data"].(map[string]any)["ProcessGuid"])
}

func eventNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestEventsECSAndBulk(t *testing.T) {
	dir := readerFixture(t)
	p := filepath.Join(dir, "Sysmon.evtx")

	code, out, errOut := runReaderCmd(t, "events", "--ecs", p)
	require.Equal(t, exitOK, code, errOut)
	docs := eventLines(t, out)
	require.Len(t, docs, 3)

	code, out, errOut = runReaderCmd(t, "events", "--bulk", "logs-windows.sysmon_operational-default", p)
	require.Equal(t, exitOK, code, errOut)
	lines := eventLines(t, out)
	require.Len(t, lines, 6)
	for i := 0; i < len(lines); i += 2 {
		require.Equal(t, map[string]any{"create": map[string]any{"_index": "logs-windows.sysmon_operational-default"}}, lines[i])
		require.Equal(t, docs[i/2], lines[i+1], "the bulk documents are the --ecs documents")
	}
}

func TestEventsExitStatus(t *testing.T) {
	dir := readerFixture(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no path", []string{"events"}, exitUsage, "no PATH"},
		{"bad format", []string{"events", "--format", "csv", dir}, exitUsage, "unknown --format"},
		{"unknown flag", []string{"events", dir, "--nope"}, exitUsage, "nope"},
		{"help", []string{"events", "-h"}, exitOK, "create"},
		{"nothing found", []string{"events", filepath.Join(dir, "notes.txt")}, exitNothing, "no EVTX file found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runReaderCmd(t, tt.args...)
			require.Equal(t, tt.code, code, errOut)
			require.Contains(t, errOut, tt.stderr)
		})
	}
}
