package evtx

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// corpusDir is the shared corpus of real logs, relative to this package.
const corpusDir = "../../shared/corpus"

// manifestEntry is one line of the corpus MANIFEST.tsv: reference figures
// from libevtx and python-evtx.
type manifestEntry struct {
	path           string
	libevtxRecords int
	pythonRendered int
}

func readManifest(t *testing.T) []manifestEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if os.IsNotExist(err) {
		t.Skipf("corpus not present at %s (shared read-only data); skipping corpus test", corpusDir)
	}
	require.NoError(t, err)
	defer f.Close()
	var out []manifestEntry
	sc := bufio.NewScanner(f)
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		require.Len(t, cols, 6, "manifest line %q", sc.Text())
		lib, err := strconv.Atoi(cols[3])
		require.NoError(t, err)
		py, err := strconv.Atoi(cols[5])
		require.NoError(t, err)
		out = append(out, manifestEntry{path: cols[0], libevtxRecords: lib, pythonRendered: py})
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

// TestCorpus scans every real log of the corpus: no panic, every record
// libevtx counts is decoded or named as a failure, and every record is
// decoded where python-evtx renders them all.
func TestCorpus(t *testing.T) {
	manifest := readManifest(t)
	var emitted int
	res, err := Scan(context.Background(), []string{corpusDir}, Options{}, func(r *Record) error {
		emitted++
		require.NotZero(t, r.RecordID, "%s offset %d: no EventRecordID", r.Path, r.Offset)
		require.False(t, r.TimeCreated.IsZero(), "%s offset %d: no TimeCreated", r.Path, r.Offset)
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, res.Errors)

	byPath := map[string]Source{}
	decoded, reference := 0, 0
	for _, s := range res.Sources {
		rel, err := filepath.Rel(corpusDir, s.Path)
		require.NoError(t, err)
		byPath[filepath.ToSlash(rel)] = s
		decoded += s.RecordsDecoded
		require.Equal(t, s.RecordsFailed, len(s.Failures), s.Path)
		require.Equal(t, s.ChunksDamaged, len(s.DamagedChunks), s.Path)
	}
	require.Equal(t, decoded, emitted, "every decoded record is emitted once")
	for _, m := range manifest {
		s, ok := byPath[m.path]
		require.True(t, ok, "%s not scanned", m.path)
		reference += m.libevtxRecords
		require.GreaterOrEqual(t, s.RecordsDecoded+s.RecordsFailed, m.libevtxRecords,
			"%s: decoded %d + failed %d < libevtx %d", m.path, s.RecordsDecoded, s.RecordsFailed, m.libevtxRecords)
		if m.pythonRendered >= m.libevtxRecords {
			require.GreaterOrEqual(t, s.RecordsDecoded, m.libevtxRecords,
				"%s: decoded %d < libevtx %d (python-evtx renders %d); failures: %v",
				m.path, s.RecordsDecoded, m.libevtxRecords, m.pythonRendered, s.Failures)
		}
	}
	t.Logf("corpus: %d files, %d records decoded (libevtx counts %d), %d skipped", len(res.Sources), decoded, reference, res.Skipped)
}
