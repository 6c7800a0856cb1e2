package evtx

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The damaged-input tests mutate copies of small real logs from the corpus
// (in t.TempDir()); they skip when the corpus is absent.
const (
	smallLog = "evtx-rs-samples/Security_short_selected.evtx" // 1 chunk, 7 records
	multiLog = "evtx-rs-samples/security.evtx"                // 32 chunks, 2261 records
)

func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("corpus file %s not present under %s; skipping", name, corpusDir)
	}
	require.NoError(t, err)
	return b
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

type scanOutput struct {
	res      *Result
	records  []*Record
	warnings []string
}

func scan(t *testing.T, opts Options, paths ...string) scanOutput {
	t.Helper()
	var out scanOutput
	var mu sync.Mutex
	opts.Warn = func(err error) {
		mu.Lock()
		defer mu.Unlock()
		require.NotContains(t, err.Error(), "\n", "warnings are one line")
		out.warnings = append(out.warnings, err.Error())
	}
	res, err := Scan(context.Background(), paths, opts, func(r *Record) error {
		out.records = append(out.records, r)
		return nil
	})
	require.NoError(t, err)
	out.res = res
	return out
}

// recordOffsets walks the record headers of the first chunk of a clean log:
// chunk-relative offset and size of each record.
func recordOffsets(t *testing.T, file []byte) [][2]int {
	t.Helper()
	c := file[fileHeaderSize : fileHeaderSize+ChunkSize]
	var out [][2]int
	for off := chunkTablesEnd; off+8 <= len(c) && bytes.Equal(c[off:off+4], recordMagic); {
		size := int(binary.LittleEndian.Uint32(c[off+4:]))
		out = append(out, [2]int{off, size})
		off += size
	}
	require.NotEmpty(t, out)
	return out
}

// TestScanDamagedInput damages a writer-made log and a real one the same
// ways; each record must be decoded or named as a failure.
func TestScanDamagedInput(t *testing.T) {
	for _, fixture := range []struct {
		name string
		load func(t *testing.T) []byte
	}{
		{"writer", func(t *testing.T) []byte { return writerLog(t, 7) }},
		{"real", func(t *testing.T) []byte { return corpusFile(t, smallLog) }},
	} {
		t.Run(fixture.name, func(t *testing.T) { testDamaged(t, fixture.load(t)) })
	}
}

func testDamaged(t *testing.T, clean []byte) {
	recs := recordOffsets(t, clean)
	n := len(recs)
	chunk := func(b []byte) []byte { return b[fileHeaderSize:] }

	tests := []struct {
		name    string
		mutate  func(b []byte) []byte
		decoded int
		failed  int
		damage  string // substring of the chunk damage, "" for none
		header  string // substring of the header damage
	}{
		{
			name:    "clean",
			mutate:  func(b []byte) []byte { return b },
			decoded: n,
		},
		{
			name: "truncated inside the fourth record",
			mutate: func(b []byte) []byte {
				return b[:fileHeaderSize+recs[3][0]+recs[3][1]/2]
			},
			decoded: 3, failed: 1, damage: "truncated chunk",
		},
		{
			name: "bad chunk magic",
			mutate: func(b []byte) []byte {
				copy(chunk(b), "XXXXXXXX")
				return b
			},
			decoded: n, damage: "bad chunk magic",
		},
		{
			name: "bad chunk CRC",
			mutate: func(b []byte) []byte {
				chunk(b)[124] ^= 0xff
				return b
			},
			decoded: n, damage: "bad chunk checksum",
		},
		{
			name: "zero-size record",
			mutate: func(b []byte) []byte {
				binary.LittleEndian.PutUint32(chunk(b)[recs[2][0]+4:], 0)
				return b
			},
			decoded: n - 1, failed: 1, damage: "bad chunk checksum",
		},
		{
			name: "garbage in the middle of the chunk",
			mutate: func(b []byte) []byte {
				r := recs[3]
				garbage := bytes.Repeat([]byte{0xa5}, r[1]/2)
				copy(chunk(b)[r[0]:], garbage)
				return b
			},
			decoded: n - 1, failed: 1, damage: "bad chunk checksum",
		},
		{
			name: "garbage inside a record's BinXML",
			mutate: func(b []byte) []byte {
				r := recs[4]
				copy(chunk(b)[r[0]+recordHeaderSize:], bytes.Repeat([]byte{0xff}, 16))
				return b
			},
			decoded: n - 1, failed: 1, damage: "bad chunk checksum",
		},
		{
			name: "damaged file header",
			mutate: func(b []byte) []byte {
				copy(b, "NotAnEvt")
				return b
			},
			decoded: n, header: "bad file magic",
		},
		{
			name: "file header checksum",
			mutate: func(b []byte) []byte {
				b[30] ^= 0x01
				return b
			},
			decoded: n, header: "bad file header checksum",
		},
		{
			name: "dirty header flag",
			mutate: func(b []byte) []byte {
				binary.LittleEndian.PutUint32(b[120:], 1)
				return b
			},
			decoded: n,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.mutate(bytes.Clone(clean))
			p := writeTemp(t, "log.evtx", data)
			out := scan(t, Options{Workers: 2}, p)
			require.Len(t, out.res.Sources, 1)
			src := out.res.Sources[0]
			require.Empty(t, src.Error)
			require.Equal(t, tt.decoded, src.RecordsDecoded, "failures: %v", src.Failures)
			require.Equal(t, tt.failed, src.RecordsFailed, "failures: %v", src.Failures)
			require.Len(t, src.Failures, src.RecordsFailed)
			require.Len(t, out.records, src.RecordsDecoded)
			for _, f := range src.Failures {
				require.NotEmpty(t, f.Reason)
				require.GreaterOrEqual(t, f.Offset, int64(fileHeaderSize))
			}
			if tt.damage == "" {
				require.Zero(t, src.ChunksDamaged, "%v", src.DamagedChunks)
			} else {
				require.Equal(t, 1, src.ChunksDamaged)
				require.Contains(t, src.DamagedChunks[0].Reason, tt.damage)
			}
			if tt.header == "" {
				require.Empty(t, src.HeaderDamage)
			} else {
				require.Contains(t, src.HeaderDamage, tt.header)
			}
			require.Equal(t, 1, src.Chunks)
		})
	}
}

func TestScanDirtyFlag(t *testing.T) {
	clean := writerLog(t, 3)
	data := bytes.Clone(clean)
	binary.LittleEndian.PutUint32(data[120:], 1)
	out := scan(t, Options{}, writeTemp(t, "dirty.evtx", data))
	require.True(t, out.res.Sources[0].Dirty)

	out = scan(t, Options{}, writeTemp(t, "clean.evtx", clean))
	require.False(t, out.res.Sources[0].Dirty)
}

// TestScanReadsPastHeaderChunkCount: a dirty file's header may claim fewer
// chunks than it holds; every chunk to the end of the file is read.
func TestScanReadsPastHeaderChunkCount(t *testing.T) {
	data := bytes.Clone(corpusFile(t, multiLog))
	want := scan(t, Options{}, filepath.Join(corpusDir, multiLog)).res.Sources[0]
	binary.LittleEndian.PutUint16(data[42:], 1) // header: one chunk
	got := scan(t, Options{}, writeTemp(t, "under.evtx", data)).res.Sources[0]
	require.Equal(t, 1, got.HeaderChunks)
	require.Equal(t, want.RecordsDecoded, got.RecordsDecoded)
	require.Equal(t, want.Chunks, got.Chunks)
	require.Greater(t, got.Chunks, 1)
}

func TestScanSkipsNonEVTX(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.evtx"), nil, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.evtx"), []byte("not an event log"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "zeros.bin"), make([]byte, 8192), 0o600))
	out := scan(t, Options{}, dir)
	require.Empty(t, out.res.Sources)
	require.Equal(t, 3, out.res.Skipped)
	require.Empty(t, out.res.Errors)

	out = scan(t, Options{}, filepath.Join(dir, "missing.evtx"))
	require.Len(t, out.res.Errors, 1)
	require.Contains(t, out.res.Errors[0], "missing.evtx")
	require.Equal(t, out.res.Errors, out.warnings)
}

// TestScanFolderOrder: folders are walked recursively in lexical order,
// whatever the extension.
func TestScanFolderOrder(t *testing.T) {
	small := writerLog(t, 7)
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "b", "c"), 0o700))
	for _, name := range []string{"b/c/z.evtx", "a.log", "b/a.evtx", "readme.txt"} {
		data := small
		if name == "readme.txt" {
			data = []byte("hello")
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), data, 0o600))
	}
	out := scan(t, Options{}, dir)
	var paths []string
	for _, s := range out.res.Sources {
		rel, err := filepath.Rel(dir, s.Path)
		require.NoError(t, err)
		paths = append(paths, filepath.ToSlash(rel))
	}
	require.Equal(t, []string{"a.log", "b/a.evtx", "b/c/z.evtx"}, paths)
	require.Equal(t, 1, out.res.Skipped)
	require.Equal(t, int64(3*len(small)), out.res.TotalBytes)
}

// TestScanDeterministic: the record order is file order then record order,
// whatever the number of workers.
func TestScanDeterministic(t *testing.T) {
	corpusFile(t, multiLog)
	paths := []string{filepath.Join(corpusDir, multiLog), filepath.Join(corpusDir, smallLog), filepath.Join(corpusDir, "evtx-rs-samples/sysmon.evtx")}
	key := func(out scanOutput) []string {
		var k []string
		for _, r := range out.records {
			k = append(k, fmt.Sprintf("%s@%d:%d#%d", r.Path, r.Chunk, r.Offset, r.RecordID))
		}
		return k
	}
	one := scan(t, Options{Workers: 1}, paths...)
	many := scan(t, Options{Workers: 7}, paths...)
	require.Equal(t, key(one), key(many))
	require.Equal(t, one.res.Sources, many.res.Sources)
	// Within a file, offsets increase.
	for i := 1; i < len(one.records); i++ {
		a, b := one.records[i-1], one.records[i]
		if a.Path == b.Path {
			require.Less(t, a.Offset, b.Offset)
		}
	}
}

func TestScanStopsOnEmitError(t *testing.T) {
	corpusFile(t, multiLog)
	stop := errors.New("enough")
	seen := 0
	res, err := Scan(context.Background(), []string{filepath.Join(corpusDir, multiLog)}, Options{Workers: 4}, func(*Record) error {
		seen++
		if seen == 10 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 10, seen)
	require.NotNil(t, res)
}

func TestScanCancelled(t *testing.T) {
	corpusFile(t, multiLog)
	ctx, cancel := context.WithCancel(context.Background())
	seen := 0
	_, err := Scan(ctx, []string{filepath.Join(corpusDir, multiLog)}, Options{Workers: 4}, func(*Record) error {
		seen++
		if seen == 5 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, seen, 2261)
}

func TestScanProgress(t *testing.T) {
	data := corpusFile(t, multiLog)
	var mu sync.Mutex
	var total int64
	scan(t, Options{Progress: func(n int64) { mu.Lock(); total += n; mu.Unlock() }}, filepath.Join(corpusDir, multiLog))
	require.Equal(t, int64(len(data)), total)
}

// zipOf writes a zip archive with the given members (in order).
func zipOf(t *testing.T, members ...zipMember) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		if m.raw != nil {
			w, err := zw.CreateRaw(m.raw)
			require.NoError(t, err)
			_, err = w.Write(m.data)
			require.NoError(t, err)
			continue
		}
		w, err := zw.Create(m.name)
		require.NoError(t, err)
		_, err = w.Write(m.data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return writeTemp(t, "triage.zip", buf.Bytes())
}

type zipMember struct {
	name string
	data []byte
	raw  *zip.FileHeader // CreateRaw: data is written as is, sizes as declared
}

func deflate(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("x")
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	rc, err := zr.File[0].OpenRaw()
	require.NoError(t, err)
	var out bytes.Buffer
	_, err = out.ReadFrom(rc)
	require.NoError(t, err)
	return out.Bytes()
}

func TestScanZip(t *testing.T) {
	small := writerLog(t, 7)
	direct := scan(t, Options{}, writeTemp(t, "direct.evtx", small))
	archive := zipOf(t,
		zipMember{name: "C/Windows/System32/winevt/Logs/Security.evtx", data: small},
		zipMember{name: "readme.txt", data: []byte("collected by KAPE")},
		zipMember{name: "nested.zip", data: []byte("PK\x05\x06" + strings.Repeat("\x00", 18))},
		zipMember{name: "b.dat", data: small},
	)
	out := scan(t, Options{}, archive)
	require.Empty(t, out.res.Errors)
	require.Len(t, out.res.Sources, 2)
	require.Equal(t, archive+"!C/Windows/System32/winevt/Logs/Security.evtx", out.res.Sources[0].Path)
	require.Equal(t, archive+"!b.dat", out.res.Sources[1].Path)
	require.Equal(t, 2, out.res.Skipped)
	require.Len(t, out.records, 2*len(direct.records))
	for i, r := range out.records[:len(direct.records)] {
		want := *direct.records[i]
		want.Path = out.res.Sources[0].Path
		require.Equal(t, &want, r)
	}
	want := direct.res.Sources[0]
	got := out.res.Sources[0]
	want.Path = got.Path
	for i := range want.Failures {
		want.Failures[i].Offset = got.Failures[i].Offset
	}
	require.Equal(t, want, got)
}

func TestScanZipBombs(t *testing.T) {
	small := writerLog(t, 7)
	zeros := make([]byte, 8<<20)
	lying := append(bytes.Clone(small), make([]byte, 1<<20)...)
	lyingDeflated := deflate(t, lying)
	archive := zipOf(t,
		zipMember{name: "ratio.evtx", data: append(bytes.Clone(small[:fileHeaderSize+ChunkSize]), zeros...)},
		zipMember{raw: &zip.FileHeader{Name: "huge.evtx", Method: zip.Store, UncompressedSize64: 5 << 30, CompressedSize64: uint64(len(small))}, data: small},
		zipMember{raw: &zip.FileHeader{Name: "liar.evtx", Method: zip.Deflate, UncompressedSize64: uint64(len(small)), CompressedSize64: uint64(len(lyingDeflated))}, data: lyingDeflated},
		zipMember{name: "fine.evtx", data: small},
	)
	out := scan(t, Options{}, archive)

	require.Len(t, out.res.Errors, 3, "%v", out.res.Errors)
	require.Contains(t, out.res.Errors[0], archive+"!ratio.evtx")
	require.Contains(t, out.res.Errors[0], "compression ratio")
	require.Contains(t, out.res.Errors[1], archive+"!huge.evtx")
	require.Contains(t, out.res.Errors[1], "declared size")
	require.Contains(t, out.res.Errors[2], "liar.evtx inflates beyond its declared size")
	require.Equal(t, out.res.Errors, out.warnings)

	require.Len(t, out.res.Sources, 2)
	liar, fine := out.res.Sources[0], out.res.Sources[1]
	require.Equal(t, archive+"!liar.evtx", liar.Path)
	require.Contains(t, liar.Error, "inflates beyond")
	require.Equal(t, 7, liar.RecordsDecoded, "what came before the lie is read")
	require.Equal(t, archive+"!fine.evtx", fine.Path)
	require.Empty(t, fine.Error)
	require.Equal(t, 7, fine.RecordsDecoded)
}

func TestDiscover(t *testing.T) {
	small := writerLog(t, 7)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.evtx"), small, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.txt"), []byte("x"), 0o600))
	inputs, err := Discover([]string{dir, filepath.Join(dir, "nope")})
	require.Error(t, err)
	require.Contains(t, err.Error(), "nope")
	require.Len(t, inputs, 1)
	require.Equal(t, filepath.Join(dir, "a.evtx"), inputs[0].Path)
	require.Equal(t, int64(len(small)), inputs[0].Size)
}
