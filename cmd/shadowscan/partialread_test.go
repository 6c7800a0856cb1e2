package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/report"
)

// badChecksumZip stores the scan fixture's Sysmon log in a zip whose
// recorded CRC-32 is wrong: every chunk and record reads, and the reader
// reports the member's error only at its end. That is a file read in full
// with an error, not a file that could not be read.
func badChecksumZip(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(scanFixture(t), "Sysmon.evtx"))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               "C/Windows/System32/winevt/Logs/Sysmon.evtx",
		Method:             zip.Store,
		CRC32:              crc32.ChecksumIEEE(data) ^ 1,
		CompressedSize64:   uint64(len(data)),
		UncompressedSize64: uint64(len(data)),
	})
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	p := filepath.Join(t.TempDir(), "triage.zip")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o600))
	return p
}

func TestFileReadWithErrorStillCountsAsRead(t *testing.T) {
	zipPath := badChecksumZip(t)

	t.Run("scan", func(t *testing.T) {
		code, out, errs := scanRun(t, "--no-progress", "--format", "json", zipPath)
		var rep struct {
			Alerts  []report.Alert
			Summary report.Summary
		}
		require.NoError(t, json.Unmarshal([]byte(out), &rep))
		require.Len(t, rep.Alerts, 1, "the member's records were read and matched")
		require.Contains(t, errs, "checksum", "the member's error is reported")
		require.NotContains(t, errs, "nothing could be read")
		require.Equal(t, exitOK, code, errs)
	})
	t.Run("audit", func(t *testing.T) {
		code, out, errs := auditRun(t, "--no-progress", zipPath)
		require.NotContains(t, errs, "nothing could be read")
		require.Contains(t, out, "0 unreadable")
		require.Equal(t, exitOK, code, errs)
	})
	t.Run("query", func(t *testing.T) {
		code, out, errs := cmdRun(t, "query", "--no-progress", "any where true", zipPath)
		require.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 2)
		require.NotContains(t, errs, "nothing could be read")
		require.Equal(t, 1, strings.Count(errs, "checksum"), "each read error is printed once:\n%s", errs)
		require.Equal(t, exitOK, code, errs)
	})
	t.Run("inventory", func(t *testing.T) {
		code, _, errs := runReaderCmd(t, "inventory", "--no-progress", zipPath)
		require.Equal(t, exitOK, code, errs)
	})
}

func TestAuditInterruptedExitStatus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code := run(ctx, e, []string{"audit", "--no-progress", auditFixture(t)})
	require.Equal(t, exitNothing, code, "an interrupted run did not complete:\n%s", errb.String())
}

// TestWorkersMessage: 0 is allowed (one worker per CPU), so the message for
// a negative count must not say "positive".
func TestWorkersMessage(t *testing.T) {
	for _, cmd := range []string{"inventory", "events", "query", "scan", "audit"} {
		withWorkers := func(n string) []string {
			args := []string{cmd, "--no-progress", "--workers", n}
			if cmd == "query" {
				args = append(args, "any where true")
			}
			return append(args, t.TempDir())
		}
		code, _, errs := cmdRun(t, withWorkers("-1")...)
		require.Equal(t, exitUsage, code, "%s: %s", cmd, errs)
		require.Contains(t, errs, "0 or more", cmd)
		code, _, errs = cmdRun(t, withWorkers("0")...)
		require.NotEqual(t, exitUsage, code, "%s --workers 0 is valid: %s", cmd, errs)
	}
}

// TestQueryWarnsOnCategoryMappingNeverSets: only process events get an
// event.category from .evtx input, so "authentication where" would answer
// nothing; the command says why instead of letting the empty answer pass
// for "no such event". NDJSON input (already ECS) gets no warning.
func TestQueryWarnsOnCategoryMappingNeverSets(t *testing.T) {
	dir := scanFixture(t)
	code, _, errs := cmdRun(t, "query", "--no-progress", `authentication where event.code == "4624"`, dir)
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, errs, `event.category "authentication"`)
	require.Contains(t, errs, "any where")

	for _, q := range []string{`process where true`, `any where true`} {
		code, _, errs = cmdRun(t, "query", "--no-progress", q, dir)
		require.Equal(t, exitOK, code, errs)
		require.NotContains(t, errs, "warning", q)
	}

	code, _, errs = cmdRun(t, "query", "--no-progress", `authentication where true`, writeNDJSON(t))
	require.Equal(t, exitOK, code, errs)
	require.NotContains(t, errs, "warning")
}
