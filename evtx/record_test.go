package evtx

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSourceAnythingRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  Source
		want bool
	}{
		{"clean file", Source{Chunks: 1, RecordsDecoded: 3}, true},
		{"empty log, no error", Source{}, true},
		{"could not be opened", Source{Error: "permission denied"}, false},
		{"failed part way, records out", Source{Error: "zip: checksum error", Chunks: 2, RecordsDecoded: 49}, true},
		{"failed part way, chunks walked", Source{Error: "unexpected EOF", Chunks: 1, RecordsFailed: 4}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.src.AnythingRead())
		})
	}
}

// TestIsZero: a non-zero byte anywhere, in the words or the tail, is seen.
func TestIsZero(t *testing.T) {
	for _, n := range []int{0, 1, 7, 31, 32, 33, 63, 64, 65, 100, ChunkSize} {
		b := make([]byte, n)
		require.True(t, isZero(b), "%d zero bytes", n)
		for i := range min(n, 130) {
			b[i] = 0x80
			require.False(t, isZero(b), "byte %d of %d set", i, n)
			b[i] = 0
		}
		if n > 0 {
			b[n-1] = 1
			require.False(t, isZero(b), "last byte of %d set", n)
		}
	}
}
