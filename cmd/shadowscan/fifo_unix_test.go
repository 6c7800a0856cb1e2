//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestQuerySkipsNamedPipesInFolders: a named pipe called *.ndjson inside a
// folder is not opened (that would wait for a writer forever); the regular
// NDJSON file next to it is read.
func TestQuerySkipsNamedPipesInFolders(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe.ndjson"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "docs.ndjson"), []byte(`{"event":{"code":"1"}}`+"\n"), 0o600))

	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errs := cmdRun(t, "query", "--no-progress", "any where true", dir)
		done <- result{code, out, errs}
	}()
	select {
	case r := <-done:
		require.Equal(t, exitOK, r.code, r.err)
		require.Len(t, strings.Split(strings.TrimSpace(r.out), "\n"), 1)
	case <-time.After(10 * time.Second):
		t.Fatal("query hung on a named pipe inside a folder")
	}
}

// TestSecondInterruptEndsTheRun: the first SIGINT asks the command to stop
// and report; a run that cannot stop (here: query blocked opening a named
// pipe nobody writes to) ends at the second.
func TestSecondInterruptEndsTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "shadowscan")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "go build")

	pipe := filepath.Join(t.TempDir(), "stuck.ndjson")
	require.NoError(t, syscall.Mkfifo(pipe, 0o600))
	cmd := exec.Command(bin, "query", "--no-progress", "any where true", pipe)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	time.Sleep(300 * time.Millisecond) // let it block in open
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	select {
	case err := <-exited:
		t.Logf("stopped at the first interrupt: %v", err)
		return
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running after a second interrupt; stderr:\n%s", errb.String())
	}
}
