package evtx

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	w "github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

// diffStats counts how a file's non-empty chunks were decoded by
// FastDecoder.
type diffStats struct {
	chunks, fast, records int
}

// diffChunks decodes every chunk of file with FastDecoder and with
// GoEvtxDecoder and requires identical results.
func diffChunks(t *testing.T, name string, file []byte) diffStats {
	t.Helper()
	var st diffStats
	for i, off := 0, fileHeaderSize; off < len(file); i, off = i+1, off+ChunkSize {
		data := file[off:min(off+ChunkSize, len(file))]
		loc := ChunkLocation{Path: name, Index: i, Offset: int64(off)}
		want := GoEvtxDecoder{}.Decode(bytes.Clone(data), loc)
		got := FastDecoder{}.Decode(bytes.Clone(data), loc)
		require.Equal(t, want, got, "%s chunk %d", name, i)
		// The same without the template plans: the rendering path stays
		// exact for the records the plans leave to it.
		rendered := FastDecoder{renderOnly: true}.Decode(bytes.Clone(data), loc)
		require.Equal(t, want, rendered, "%s chunk %d, rendering only", name, i)
		if want.Empty {
			continue
		}
		_, fast := FastDecoder{}.fast(bytes.Clone(data), loc)
		st.chunks++
		if fast {
			st.fast++
		}
		st.records += len(want.Records)
	}
	return st
}

// diffScan scans paths with both decoders and requires the same records
// and the same accounting.
func diffScan(t *testing.T, paths ...string) {
	t.Helper()
	run := func(d Decoder, workers int) scanOutput {
		return scan(t, Options{Decoder: d, Workers: workers}, paths...)
	}
	want := run(GoEvtxDecoder{}, 2)
	for _, workers := range []int{1, 2} {
		got := run(FastDecoder{}, workers)
		require.Equal(t, want.res, got.res)
		require.Equal(t, len(want.records), len(got.records))
		for i := range want.records {
			require.Equal(t, want.records[i], got.records[i], "record %d", i)
		}
		require.Equal(t, want.warnings, got.warnings)
	}
}

// TestFastDecoderCorpus: over every real log of the corpus, the fast
// decoder yields exactly what the reference decoder yields, chunk by chunk
// and through Scan; and it decodes most chunks itself (the rest are handed
// to the reference, which is what makes them identical).
func TestFastDecoderCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not present at %s (shared read-only data); skipping the differential corpus test", corpusDir)
	}
	var files []string
	require.NoError(t, filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".evtx" {
			files = append(files, p)
		}
		return err
	}))
	sort.Strings(files)
	require.NotEmpty(t, files)
	var total diffStats
	var slow []string
	for _, p := range files {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		st := diffChunks(t, p, b)
		total.chunks += st.chunks
		total.fast += st.fast
		total.records += st.records
		if st.fast < st.chunks {
			slow = append(slow, filepath.Base(p))
		}
	}
	t.Logf("corpus: %d files, %d chunks, %d records; %d chunks (%.1f%%) on the fast path; files with reference chunks: %d",
		len(files), total.chunks, total.records, total.fast, 100*float64(total.fast)/float64(max(total.chunks, 1)), len(slow))
	require.Greater(t, total.fast*10, total.chunks*8, "the fast path should take most chunks of real logs")
	diffScan(t, corpusDir)
}

// TestFastDecoderWriterLogs: writer-made logs (every value type, Windows
// events, many chunks) and their damaged variants decode identically.
func TestFastDecoderWriterLogs(t *testing.T) {
	typed := writerLog(t, 6)
	st := diffChunks(t, "typed", typed)
	require.Equal(t, st.chunks, st.fast, "writer logs are for the fast path")

	var many []w.Event
	for i := range 3000 {
		ev := typedEvent()
		ev.RecordID = uint64(i + 1)
		many = append(many, ev)
	}
	p := writeLog(t, "many.evtx", many)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	st = diffChunks(t, "many", b)
	require.Greater(t, st.chunks, 2)
	require.Equal(t, st.chunks, st.fast)
	diffScan(t, p)

	// Damaged variants: garbage over a record, flipped bytes at every
	// 97th offset of a chunk, truncations.
	recs := recordOffsets(t, typed)
	garbage := bytes.Clone(typed)
	copy(garbage[fileHeaderSize+recs[2][0]:], bytes.Repeat([]byte{0x5a}, recs[2][1]))
	diffChunks(t, "garbage", garbage)
	for i := fileHeaderSize + chunkTablesEnd; i < len(typed) && i < fileHeaderSize+ChunkSize; i += 97 {
		flipped := bytes.Clone(typed)
		flipped[i] ^= 0xff
		diffChunks(t, "flipped", flipped)
	}
	for _, cut := range []int{recs[3][0] + recs[3][1]/2, recs[5][0] + 10} {
		diffChunks(t, "truncated", typed[:fileHeaderSize+cut])
	}
}

// TestFastDecoderFlippedCRCFixed: bytes flipped inside record values with
// the chunk checksums recomputed, so the fast path does not hand the chunk
// over for its bad checksum but must judge the BinXML itself.
func TestFastDecoderFlippedCRCFixed(t *testing.T) {
	typed := writerLog(t, 6)
	recs := recordOffsets(t, typed)
	end := recs[len(recs)-1][0] + recs[len(recs)-1][1]
	for i := chunkTablesEnd; i < end; i += 7 {
		b := bytes.Clone(typed)
		c := b[fileHeaderSize : fileHeaderSize+ChunkSize]
		c[i] ^= 0x41
		fixChunkCRC(c)
		diffChunks(t, "flipped-fixed", b)
	}
}

// fixChunkCRC recomputes a chunk's data and header checksums.
func fixChunkCRC(c []byte) {
	h, _, _ := parseChunkHeader(c)
	putLE32(c[52:], crc32IEEE(c[chunkTablesEnd:h.freeSpaceOffset]))
	putLE32(c[124:], crc32IEEE(append(bytes.Clone(c[:120]), c[128:chunkTablesEnd]...)))
}

func BenchmarkDecodeChunk(b *testing.B) {
	file, err := os.ReadFile(typedLog(b, "many.evtx", 2000))
	require.NoError(b, err)
	chunk := file[fileHeaderSize : fileHeaderSize+ChunkSize]
	for _, d := range []struct {
		name string
		dec  Decoder
	}{{"fast", FastDecoder{}}, {"goevtx", GoEvtxDecoder{}}} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(ChunkSize)
			b.ReportAllocs()
			for b.Loop() {
				d.dec.Decode(chunk, ChunkLocation{})
			}
		})
	}
}

func BenchmarkScanFast(b *testing.B) {
	p := typedLog(b, "bench.evtx", 20000)
	info, err := os.Stat(p)
	require.NoError(b, err)
	for _, workers := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[workers], func(b *testing.B) {
			b.SetBytes(info.Size())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Scan(context.Background(), []string{p}, Options{Decoder: FastDecoder{}, Workers: workers}, func(*Record) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// FuzzFastDecoder: whatever the bytes of a record area (with the chunk
// checksums made valid again, so the fast path has to judge the BinXML
// itself), the fast decoder yields exactly what the reference yields.
func FuzzFastDecoder(f *testing.F) {
	// Writer records carry every value type; a real chunk carries
	// Windows' own templates and nested EventData.
	seeds := [][]byte{seedChunk(f)}
	if c := realChunk(); c != nil {
		seeds = append(seeds, c)
	}
	f.Add(uint8(0), uint16(600), []byte{0x41})
	f.Add(uint8(1), uint16(700), []byte{0xff, 0xff})
	f.Add(uint8(0), uint16(2000), []byte{0x21, 0x00, 0x00, 0x00})
	// The event data names the partial decodes keep: some the seeds
	// carry, one they do not.
	fuzzNames := newNameSet([]string{"CommandLine", "SubjectUserName", "TargetUserName", "NoSuchName"})
	f.Fuzz(func(t *testing.T, which uint8, at uint16, patch []byte) {
		c := bytes.Clone(seeds[int(which)%len(seeds)])
		off := chunkTablesEnd + int(at)%(ChunkSize-chunkTablesEnd)
		copy(c[off:], patch)
		if h, sane, _ := parseChunkHeader(c); sane && h.freeSpaceOffset >= chunkTablesEnd {
			fixChunkCRC(c)
		}
		loc := ChunkLocation{Path: "fuzz.evtx", Index: 0, Offset: fileHeaderSize}
		want := GoEvtxDecoder{}.Decode(bytes.Clone(c), loc)
		got := FastDecoder{}.Decode(bytes.Clone(c), loc)
		require.Equal(t, want, got)
		// Partial decoding: the same records, whole again through Full.
		some, _ := FastDecoder{}.decodeSome(c, loc, fuzzNames)
		require.Equal(t, want.Failures, some.Failures)
		require.Equal(t, len(want.Records), len(some.Records))
		for i, r := range some.Records {
			require.Equal(t, want.Records[i], r.Full())
		}
	})
}

func TestDecoderByName(t *testing.T) {
	tests := []struct {
		name string
		want Decoder
		err  bool
	}{
		{"", FastDecoder{}, false},
		{"fast", FastDecoder{}, false},
		{"goevtx", GoEvtxDecoder{}, false},
		{"slow", nil, true},
	}
	for _, tt := range tests {
		d, err := DecoderByName(tt.name)
		if tt.err {
			require.Error(t, err, tt.name)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, d)
	}
}

// TestScanDecoderFromEnvironment: without Options.Decoder, Scan takes the
// decoder SHADOWSCAN_DECODER names, and refuses an unknown name.
func TestScanDecoderFromEnvironment(t *testing.T) {
	p := writeLog(t, "env.evtx", []w.Event{typedEvent()})
	for _, name := range []string{"goevtx", "fast", ""} {
		t.Setenv(DecoderEnv, name)
		out := scan(t, Options{}, p)
		require.Len(t, out.records, 1, name)
	}
	t.Setenv(DecoderEnv, "nonsense")
	_, err := Scan(context.Background(), []string{p}, Options{}, func(*Record) error { return nil })
	require.ErrorContains(t, err, DecoderEnv)
}

// BenchmarkDecodeRealChunks decodes the chunks of real logs from the shared
// corpus (a Security and a Sysmon log) and of the writer's benchmark log
// (make bench-inputs), when present: the decoder's speed on the record
// shapes Windows writes, not only on the writer's.
func BenchmarkDecodeRealChunks(b *testing.B) {
	for _, f := range []struct{ name, path string }{
		{"corpus-security", "../../shared/corpus/evtx-rs-samples/security.evtx"},
		{"corpus-sysmon", "../../shared/corpus/evtx-rs-samples/sysmon.evtx"},
		{"bench-security", "../bin/bench/BENCH01.corp.local/Security.evtx"},
	} {
		b.Run(f.name, func(b *testing.B) {
			fh, err := os.Open(f.path)
			if err != nil {
				b.Skipf("%s not present: %v", f.path, err)
			}
			defer fh.Close()
			buf := make([]byte, fileHeaderSize+64*ChunkSize)
			n, _ := io.ReadFull(fh, buf)
			var chunks [][]byte
			for off := fileHeaderSize; off+ChunkSize <= n; off += ChunkSize {
				chunks = append(chunks, buf[off:off+ChunkSize])
			}
			require.NotEmpty(b, chunks)
			records := 0
			for _, c := range chunks {
				records += len(FastDecoder{}.Decode(c, ChunkLocation{}).Records)
			}
			// whole: every value rendered; partial: only the event data
			// the scan reads from the records it does not map
			// (Options.EventData; the chunks are never written, so the
			// records may keep them); none: no event data (inventory);
			// walk: no Record at all, the floor of any decode that vouches
			// for its records (walkChunk).
			scanNames := newNameSet([]string{"UtcTime", "CommandLine", "Image", "OriginalFileName", "ObjectType", "ObjectName"})
			noNames := newNameSet(nil)
			st := newFastState()
			for _, c := range chunks {
				_, fast := FastDecoder{}.fast(c, ChunkLocation{})
				require.Equal(b, fast, walkChunk(st, c), "walkChunk takes the chunks the fast path takes")
			}
			for _, mode := range []string{"whole", "partial", "none", "walk"} {
				b.Run(mode, func(b *testing.B) {
					b.SetBytes(int64(len(chunks) * ChunkSize))
					b.ReportAllocs()
					for b.Loop() {
						for _, c := range chunks {
							switch mode {
							case "whole":
								FastDecoder{}.Decode(c, ChunkLocation{})
							case "partial":
								FastDecoder{}.decodeSome(c, ChunkLocation{}, scanNames)
							case "walk":
								walkChunk(st, c)
							default: // the inventory's: no event data
								FastDecoder{}.decodeSome(c, ChunkLocation{}, noNames)
							}
						}
					}
					b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
				})
			}
		})
	}
}

// walkChunk does what any decode of chunk c that vouches for its records
// does before it makes one: check the header and the checksums, find the
// record spans, read each record's template instance and check its
// values. It reports whether the chunk is one the fast path takes so far.
func walkChunk(st *fastState, c []byte) bool {
	hdr, sane, err := parseChunkHeader(c)
	if err != nil || !sane || !hdr.checksumOK(c) {
		return false
	}
	return eachInstance(st, c, hdr, func(int) {})
}

// eachInstance reads each record of chunk (its header hdr) on st up to its
// template instance, values checked, and calls f with the instance's
// index; it reports whether every record could be read so (the others are
// skipped).
func eachInstance(st *fastState, chunk []byte, hdr chunkHeader, f func(top int)) bool {
	st.reset(chunk)
	st.spans = appendRecords(st.spans[:0], chunk, hdr.usedEnd(), false)
	all := true
	for _, sp := range st.spans {
		st.cr.limit = sp.offset + sp.size
		st.vals, st.insts, st.text = st.vals[:0], st.insts[:0], st.text[:0]
		if sp.bad != "" || chunk[sp.offset+recordHeaderSize] != tokFragment {
			all = false
			continue
		}
		top, _, err := st.instance(sp.offset+recordHeaderSize+4, 0)
		if err != nil {
			all = false
			continue
		}
		f(top)
	}
	return all
}

// TestPlansDecodeMostRecords: the template plans (plan.go) take the
// records Windows writes, not only the writer's, so the differential tests
// above exercise them on real logs.
func TestPlansDecodeMostRecords(t *testing.T) {
	for _, path := range []string{
		filepath.Join(corpusDir, "evtx-rs-samples/security.evtx"),
		filepath.Join(corpusDir, "evtx-rs-samples/sysmon.evtx"),
	} {
		file, err := os.ReadFile(path)
		if err != nil {
			t.Skipf("corpus not present (%v); skipping", err)
		}
		planned, rendered := 0, 0
		for off := fileHeaderSize; off+ChunkSize <= len(file); off += ChunkSize {
			chunk := file[off : off+ChunkSize]
			hdr, sane, err := parseChunkHeader(chunk)
			if err != nil || !sane {
				continue
			}
			st := newFastState()
			eachInstance(st, chunk, hdr, func(top int) {
				if _, ok := st.planned(top); ok {
					planned++
				} else {
					rendered++
				}
			})
		}
		t.Logf("%s: %d records by plan, %d rendered", filepath.Base(path), planned, rendered)
		require.Greater(t, planned, 9*rendered, "%s: plans should take most records", path)
	}
}

// TestPlansTakeUserData: the records whose UserData is a nested template
// (Windows' shape: <UserData>%1</UserData>, a provider's own element
// inside) are read by their plans too; over the corpus's sound chunks the
// plans take them and nearly every other record (the differential tests
// hold those to the rendering path and to golang-evtx).
func TestPlansTakeUserData(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not present at %s (shared read-only data); skipping", corpusDir)
	}
	planned, rendered, userData := 0, 0, 0
	require.NoError(t, filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".evtx" {
			return err
		}
		file, err := os.ReadFile(p)
		require.NoError(t, err)
		for off := fileHeaderSize; off+ChunkSize <= len(file); off += ChunkSize {
			chunk := file[off : off+ChunkSize]
			if _, ok := (FastDecoder{}).fast(chunk, ChunkLocation{}); !ok {
				continue // the reference's
			}
			hdr, _, _ := parseChunkHeader(chunk)
			st := newFastState()
			all := eachInstance(st, chunk, hdr, func(top int) {
				r, ok := st.planned(top)
				switch {
				case !ok:
					rendered++
				case r.UserData != nil:
					planned++
					userData++
				default:
					planned++
				}
			})
			require.True(t, all, "%s: a chunk the fast path takes", p)
		}
		return nil
	}))
	t.Logf("corpus: %d records by plan (%d with UserData), %d rendered", planned, userData, rendered)
	require.Positive(t, userData)
	require.Greater(t, planned, 99*rendered, "plans should take nearly every record of sound chunks")
}

// TestPartialSameAsWhole: a chunk decoded keeping a few event data names
// (Options.EventData) holds the same records as the whole decode, with
// the kept names' values; Value answers for every name and Full is the
// whole record, on every chunk of the corpus and the writer's fixtures.
func TestPartialSameAsWhole(t *testing.T) {
	var files []string
	for _, root := range []string{"../testdata", corpusDir} {
		if _, err := os.Stat(root); err != nil {
			t.Logf("%s not present: skipped", root)
			continue
		}
		require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Ext(p) == ".evtx" {
				files = append(files, p)
			}
			return err
		}))
	}
	keep := newNameSet([]string{"CommandLine", "ObjectName", "SubjectUserName", "Image"})
	partial, records := 0, 0
	for _, name := range files {
		file, err := os.ReadFile(name)
		require.NoError(t, err)
		for i, off := 0, fileHeaderSize; off < len(file); i, off = i+1, off+ChunkSize {
			data := file[off:min(off+ChunkSize, len(file))]
			loc := ChunkLocation{Path: name, Index: i, Offset: int64(off)}
			whole := FastDecoder{}.Decode(bytes.Clone(data), loc)
			some, _ := FastDecoder{}.decodeSome(bytes.Clone(data), loc, keep)
			require.Equal(t, len(whole.Records), len(some.Records), "%s chunk %d", name, i)
			require.Equal(t, whole.Failures, some.Failures)
			require.Equal(t, whole.Damage, some.Damage)
			for j, w := range whole.Records {
				r := some.Records[j]
				records++
				if r.Partial() {
					partial++
					require.Nil(t, r.EventData)
					require.Len(t, r.partial.vals, len(r.partial.keys))
					for i, k := range r.partial.keys {
						require.True(t, keep.has(k), "kept %s", k)
						require.Equal(t, w.EventData[k], r.partial.vals[i])
					}
				}
				for k, v := range w.EventData {
					got, ok := r.Value(k)
					require.True(t, ok, "%s chunk %d record %d: Value(%q)", name, i, j, k)
					require.Equal(t, v, got)
				}
				_, ok := r.Value("NoSuchName")
				require.False(t, ok)
				require.Equal(t, w, r.Full(), "%s chunk %d record %d", name, i, j)
			}
		}
	}
	t.Logf("%d records, %d decoded partially", records, partial)
	require.Greater(t, partial, records/2, "most records should be decoded partially")
}

// TestFullWhenTheChunkDisagrees: should the whole decode of a partial
// record's chunk not hold it (it always does; TestPartialSameAsWhole),
// Full returns the partial record's own fields and Value does not loop.
func TestFullWhenTheChunkDisagrees(t *testing.T) {
	r := &Record{RecordID: 7, Offset: 4096 + 512}
	r.partial = &partialData{names: newNameSet([]string{"CommandLine"}), keys: []string{"CommandLine"}, vals: []string{"x"},
		chunk: &keptChunk{data: make([]byte, ChunkSize)}, index: 3}
	full := r.Full()
	require.False(t, full.Partial())
	require.Equal(t, uint64(7), full.RecordID)
	require.Equal(t, map[string]string{"CommandLine": "x"}, full.EventData)
	v, ok := r.Value("CommandLine")
	require.True(t, ok)
	require.Equal(t, "x", v)
	_, ok = r.Value("Other")
	require.False(t, ok)
}

// TestSharedTemplatesCheckTheirNames: a template definition is compiled
// once for all the chunks it recurs in, wherever it sits, but it refers to
// element and attribute names stored in its chunk (elsewhere or inline),
// so a chunk whose names differ must not get the compiled tree of
// another. The test renames each name a real chunk's templates read, in
// turn (checksums fixed), and decodes it after the original on the same
// scratch: the warm decode must equal a cold one, and some must differ
// from the original's.
func TestSharedTemplatesCheckTheirNames(t *testing.T) {
	file, err := os.ReadFile(filepath.Join(corpusDir, "evtx-rs-samples/security.evtx"))
	if err != nil {
		t.Skipf("corpus not present (%v); skipping", err)
	}
	chunk := file[fileHeaderSize : fileHeaderSize+ChunkSize]
	hdr, sane, err := parseChunkHeader(chunk)
	require.NoError(t, err)
	require.True(t, sane)

	// Some renamings leave a chunk the plans do not take (Event renamed),
	// which the reference decoder gets: those are skipped.
	scout := newFastState()
	_, ok := FastDecoder{}.fastWith(scout, chunk, ChunkLocation{}, hdr, nil)
	require.True(t, ok)
	offsets := slices.Sorted(maps.Keys(scout.cr.names))
	require.NotEmpty(t, offsets)
	tested, changed := 0, 0
	for _, off := range offsets {
		warm := newFastState()
		first, ok := FastDecoder{}.fastWith(warm, chunk, ChunkLocation{}, hdr, nil)
		require.True(t, ok)
		renamed := bytes.Clone(chunk)
		first16 := int(off) + 8 // the name's first UTF-16 unit
		renamed[first16] = map[bool]byte{true: 'Q', false: 'Z'}[renamed[first16] != 'Q']
		fixChunkCRC(renamed)
		want, ok := FastDecoder{}.fastWith(newFastState(), renamed, ChunkLocation{}, hdr, nil)
		if !ok {
			continue
		}
		tested++
		if !reflect.DeepEqual(first.Records, want.Records) {
			changed++ // (xmlns, say, shows in no record)
		}
		got, ok := FastDecoder{}.fastWith(warm, renamed, ChunkLocation{}, hdr, nil)
		require.True(t, ok, "renamed %q", scout.cr.names[off])
		require.Equal(t, want.Records, got.Records, "renamed %q", scout.cr.names[off])
	}
	t.Logf("%d of %d names renamed and decoded, %d changing the records", tested, len(offsets), changed)
	require.Positive(t, changed, "no renaming changed the records: the test would not see a stale template")
}

// TestSharedTemplatesAcrossOffsets: the templates of a real log's chunks
// sit at other offsets in each chunk, with their names elsewhere; a
// decoder that has compiled one chunk's templates uses them for the next
// chunk's, and decodes it as a cold decoder does.
func TestSharedTemplatesAcrossOffsets(t *testing.T) {
	file, err := os.ReadFile(filepath.Join(corpusDir, "evtx-rs-samples/security.evtx"))
	if err != nil {
		t.Skipf("corpus not present (%v); skipping", err)
	}
	warm := newFastState()
	compiledAt := map[*ctemplate]uint32{} // where each was first read
	moved := 0                            // uses at another offset than that
	for i := range 8 {
		decodeWarm(t, warm, file[fileHeaderSize+i*ChunkSize:fileHeaderSize+(i+1)*ChunkSize], "chunk %d", i)
		for off, tmpl := range warm.cr.tmpls {
			if at, seen := compiledAt[tmpl]; !seen {
				compiledAt[tmpl] = off
			} else if at != off {
				moved++
			}
		}
	}
	t.Logf("8 chunks: %d templates compiled, %d uses of one at another offset than the chunk it was compiled in", len(compiledAt), moved)
	require.Positive(t, moved, "the chunks' templates recur at other offsets")
	var all []*ctemplate
	for tmpl := range compiledAt {
		for _, other := range all {
			require.False(t, other.length == tmpl.length && reflect.DeepEqual(other.roots, tmpl.roots), "one template compiled twice")
		}
		all = append(all, tmpl)
	}
}

// TestTransientRecycles: with Options.Transient the chunks partial records
// keep go back to the reader after emit, so a later chunk is read into the
// same buffer. A record's Full during emit must still be its own, equal to
// a scan keeping every name; past emit, a record whose chunk was decoded
// whole still answers, and one whose chunk was not must refuse (panic)
// rather than answer from another chunk's bytes.
func TestTransientRecycles(t *testing.T) {
	var events []w.Event
	for i := range 3000 { // a few dozen chunks
		ev := typedEvent()
		ev.RecordID = uint64(i + 1)
		ev.EventData[0] = w.D("Str", w.String(fmt.Sprintf("cmd.exe /c echo %d", i)))
		events = append(events, ev)
	}
	p := writeLog(t, "many.evtx", events)

	var whole []*Record
	_, err := Scan(context.Background(), []string{p}, Options{Workers: 2}, func(r *Record) error {
		whole = append(whole, r)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, whole, len(events))

	i := 0
	var untouched, decoded *Record
	_, err = Scan(context.Background(), []string{p}, Options{Workers: 2, EventData: []string{"Empty"}, Transient: true}, func(r *Record) error {
		require.True(t, r.Partial())
		if r.Chunk == 0 { // left alone: never decoded whole
			untouched = r
			i++
			return nil
		}
		v, ok := r.Value("Str")
		require.True(t, ok)
		require.Equal(t, whole[i].EventData["Str"], v)
		full := *r.Full()
		require.Equal(t, *whole[i], full)
		decoded = r
		i++
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, len(events), i)
	require.Greater(t, decoded.Chunk, 10)
	require.Equal(t, *whole[len(whole)-1], *decoded.Full())
	require.Panics(t, func() { untouched.Full() })
	require.Panics(t, func() { untouched.Value("Str") }, "every time, not only the first")
}

// TestSystemMemoTellsRecordsApart: records of one template that differ in
// one stable System field each (plannedSystem's memo) decode as the
// reference decodes them, cycling through more variants than the decoder
// keeps memos of, so that memos are made, hit, missed and replaced.
func TestSystemMemoTellsRecordsApart(t *testing.T) {
	variants := []func(*w.Event){
		func(*w.Event) {},
		func(e *w.Event) { e.Computer = "WS02.corp.example" },
		func(e *w.Event) { e.Computer = "WS01.corp.exampl" },
		func(e *w.Event) { e.EventID = 4243 },
		func(e *w.Event) { q := uint16(16385); e.Qualifiers = &q },
		func(e *w.Event) { e.Version = 3 },
		func(e *w.Event) { e.Level = 0 },
		func(e *w.Event) { e.Task = 12545 },
		func(e *w.Event) { e.Opcode = 0 },
		func(e *w.Event) { e.Keywords = 0x8010000000000000 },
		func(e *w.Event) { e.Channel = "security" },
		func(e *w.Event) { e.ProviderGUID = "{54849625-5478-4994-A5BA-3E3B0328C30E}" },
		func(e *w.Event) { e.UserID = "S-1-5-19" },
		func(e *w.Event) { e.Computer, e.Level = "WS02.corp.example", 2 },
		func(e *w.Event) { e.Computer = strings.Repeat("H", maxMemoBytes) }, // read every time
	}
	require.Greater(t, len(variants), maxPlanMemos)
	var events []w.Event
	for i := range 400 {
		ev := typedEvent()
		ev.RecordID = uint64(i + 1)
		variants[i%len(variants)](&ev) // in turn: interleaved, not in runs
		events = append(events, ev)
	}
	b, err := os.ReadFile(writeLog(t, "variants.evtx", events))
	require.NoError(t, err)
	st := diffChunks(t, "variants", b)
	require.Equal(t, st.chunks, st.fast)

	// The records did go through the memos: one decoder's state, chunk
	// after chunk, has memos of several variants of the one plan.
	fs := newFastState()
	data := b[fileHeaderSize : fileHeaderSize+ChunkSize]
	hdr, _, err := parseChunkHeader(data)
	require.NoError(t, err)
	out, ok := FastDecoder{}.fastWith(fs, data, ChunkLocation{}, hdr, nil)
	require.True(t, ok)
	require.NotEmpty(t, out.Records)
	most := 0
	for _, tmpl := range fs.cr.tmpls {
		if tmpl.plan != nil {
			most = max(most, len(tmpl.plan.memos))
			for _, m := range tmpl.plan.memos {
				require.LessOrEqual(t, len(m.raw), maxMemoBytes)
			}
		}
	}
	require.Equal(t, maxPlanMemos, most, "one plan, its memos full")
}

// decodeWarm decodes a sound chunk on the scratch warm, which decoded
// others before, and requires what a cold decoder makes of it.
func decodeWarm(t *testing.T, warm *fastState, chunk []byte, msgAndArgs ...any) {
	t.Helper()
	hdr, _, err := parseChunkHeader(chunk)
	require.NoError(t, err, msgAndArgs...)
	got, ok := FastDecoder{}.fastWith(warm, chunk, ChunkLocation{}, hdr, nil)
	require.True(t, ok, msgAndArgs...)
	want, ok := FastDecoder{}.fastWith(newFastState(), chunk, ChunkLocation{}, hdr, nil)
	require.True(t, ok, msgAndArgs...)
	require.Equal(t, want.Records, got.Records, msgAndArgs...)
}

// TestSharedTemplatesBounded: a log of more distinct templates than the
// cross-chunk cache keeps (one per record here) leaves it within its
// bounds, its byte count true, and decodes as a cold decoder does.
func TestSharedTemplatesBounded(t *testing.T) {
	var events []w.Event
	for i := range maxSharedTemplates + 500 {
		ev := typedEvent()
		ev.RecordID = uint64(i + 1)
		ev.EventData = []w.Data{w.D(fmt.Sprintf("Field%d", i), w.String("x"))}
		events = append(events, ev)
	}
	b, err := os.ReadFile(writeLog(t, "distinct.evtx", events))
	require.NoError(t, err)
	warm := newFastState()
	chunks, kept, cleared := 0, 0, false
	for off := fileHeaderSize; off+ChunkSize <= len(b); off += ChunkSize {
		decodeWarm(t, warm, b[off:off+ChunkSize], "chunk at %d", off)
		require.LessOrEqual(t, len(warm.cr.shared), maxSharedTemplates)
		keyBytes := 0
		for k := range warm.cr.shared {
			keyBytes += len(k)
		}
		require.Equal(t, keyBytes, warm.cr.sharedBytes)
		require.LessOrEqual(t, keyBytes, maxSharedKeyBytes)
		cleared = cleared || len(warm.cr.shared) < kept
		kept = len(warm.cr.shared)
		chunks++
	}
	require.Greater(t, chunks, 1)
	require.True(t, cleared, "the cache should have reached its bound")
}
