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
