//go:build unix

package evtx

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// A named pipe given as an explicit path must be refused, not opened: an
// open of a FIFO with no writer blocks forever.
func TestDiscoverRefusesNamedPipePath(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "Security.evtx")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	// A regression hangs here; go test's -timeout then reports it.
	inputs, err := Discover([]string{fifo})
	require.Empty(t, inputs)
	require.ErrorContains(t, err, fifo)
	require.ErrorContains(t, err, "not a regular file")
}
