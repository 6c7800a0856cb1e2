package evtxwrite_test

import (
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	w "github.com/shadowscan/shadowscan/evtx/evtxwrite"
	"github.com/shadowscan/shadowscan/evtx/evtxwrite/internal/testsets"
)

// TestCommittedSetsReadBack reads every committed fixture and every file
// of the sample triage package with all three readers, field by field.
// (testsets' own tests prove the committed bytes are these definitions.)
func TestCommittedSetsReadBack(t *testing.T) {
	t.Parallel()
	sample, _ := testsets.Sample()
	for _, f := range append(testsets.Fixtures(), sample...) {
		t.Run(f.Path, func(t *testing.T) {
			t.Parallel()
			checkAllReaders(t, f.Events, f.Options()...)
		})
	}
}

// TestBenchEventsReadBack cross-checks the benchmark mix (Sysmon 1, 3,
// 11; Security 4688, 4656) with all three readers over several chunks.
func TestBenchEventsReadBack(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{testsets.BenchSecurity, testsets.BenchSysmon} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			checkAllReaders(t, testsets.BenchEvents(kind, 150))
		})
	}
}

// discard is an io.WriteSeeker that keeps nothing.
type discard struct{ off, size int64 }

func (d *discard) Write(p []byte) (int, error) {
	d.off += int64(len(p))
	d.size = max(d.size, d.off)
	return len(p), nil
}

func (d *discard) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		d.off = off
	case io.SeekCurrent:
		d.off += off
	case io.SeekEnd:
		d.off = d.size + off
	}
	return d.off, nil
}

// BenchmarkWriteSysmon measures the writer on dense Sysmon 1 chunks
// (bytes/s of .evtx produced), the cost of building benchmark inputs.
func BenchmarkWriteSysmon(b *testing.B) {
	events := make([]w.Event, 64)
	for i := range events {
		events[i] = sysmon(i, w.SysmonOriginalFileName, `C:\Windows\System32\cmd.exe /c echo benchmark`)
	}
	d := &discard{}
	wr := w.NewWriter(d)
	for i := 0; i < b.N; i++ {
		if err := wr.Write(events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := wr.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(d.size / int64(b.N))
}

// TestBenchLogs writes small benchmark logs and checks, with golang-evtx,
// that they fill dense chunks and that each planted positive is the
// record its EventRecordID names.
func TestBenchLogs(t *testing.T) {
	for _, kind := range []string{testsets.BenchSecurity, testsets.BenchSysmon} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			const size = 4 * w.ChunkSize
			planted, err := testsets.WriteBench(dir, kind, size, 3)
			require.NoError(t, err)
			require.Len(t, planted, 3)
			data, err := os.ReadFile(filepath.Join(dir, testsets.BenchFile(kind)))
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(data), size)
			checkStructure(t, data, countRecords(data))
			recs := readGolangEvtx(t, data)
			byID := map[string]flatRecord{}
			for _, r := range recs {
				byID[r["System/EventRecordID"]] = r
			}
			for _, p := range planted {
				r := byID[strconv.FormatUint(p.RecordID, 10)]
				require.NotNil(t, r, "record %d", p.RecordID)
				require.Equal(t, p.Detail, r["EventData/CommandLine"])
			}
			// Dense: every chunk but the last is at least 90% full.
			le := binary.LittleEndian
			for off := w.FileHeaderSize; off+2*w.ChunkSize <= len(data); off += w.ChunkSize {
				require.Greater(t, le.Uint32(data[off+48:]), uint32(w.ChunkSize*9/10))
			}
		})
	}
}

// countRecords counts records by their chunk headers' numbers.
func countRecords(data []byte) int {
	n := 0
	le := binary.LittleEndian
	for off := w.FileHeaderSize; off+w.ChunkSize <= len(data); off += w.ChunkSize {
		n += int(le.Uint64(data[off+16:]) - le.Uint64(data[off+8:]) + 1)
	}
	return n
}
