package evtx

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	goevtx "github.com/0xrawsec/golang-evtx/evtx"

	w "github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

// seedChunk returns the first chunk of a writer-made log of typed records:
// a valid header, template table and records for the fuzzer to mutate.
func seedChunk(tb testing.TB) []byte {
	events := []w.Event{typedEvent(), typedEvent()}
	p := filepath.Join(tb.TempDir(), "seed.evtx")
	if err := w.WriteFile(p, events); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || len(b) < fileHeaderSize+ChunkSize {
		tb.Fatalf("seed log: %v (%d bytes)", err, len(b))
	}
	return b[fileHeaderSize : fileHeaderSize+ChunkSize]
}

// realChunk returns the first chunk of a small real log, when the corpus
// is present.
func realChunk() []byte {
	b, err := os.ReadFile(filepath.Join(corpusDir, smallLog))
	if err != nil || len(b) < fileHeaderSize+ChunkSize {
		return nil
	}
	return b[fileHeaderSize : fileHeaderSize+ChunkSize]
}

// checkDecoded asserts what every Decoder result must satisfy, whatever the
// input: records and failures inside the chunk, reasons given.
func checkDecoded(t *testing.T, out DecodedChunk, loc ChunkLocation) {
	for _, r := range out.Records {
		if r == nil || r.Offset < loc.Offset || r.Offset >= loc.Offset+ChunkSize || r.Path != loc.Path {
			t.Fatalf("record outside its chunk: %+v", r)
		}
	}
	for _, f := range out.Failures {
		if f.Reason == "" || f.Chunk != loc.Index {
			t.Fatalf("failure without reason or chunk: %+v", f)
		}
	}
}

// FuzzDecodeChunk feeds arbitrary chunk bytes to the decoder: it must never
// panic, hang or report records outside the chunk.
//
//	go test -fuzz=FuzzDecodeChunk -fuzztime=30s ./evtx
func FuzzDecodeChunk(f *testing.F) {
	seed := seedChunk(f)
	f.Add(seed)
	f.Add(seed[:4096])
	if real := realChunk(); real != nil {
		f.Add(real)
	}
	f.Add([]byte{})
	f.Add(append([]byte("ElfChnk\x00"), make([]byte, 120)...))
	loc := ChunkLocation{Path: "fuzz.evtx", Index: 3, Offset: 4096 + 3*ChunkSize}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > ChunkSize {
			data = data[:ChunkSize]
		}
		checkDecoded(t, GoEvtxDecoder{}.Decode(data, loc), loc)
	})
}

// FuzzDecodeRecord overwrites the records area of a real chunk (keeping its
// header and template table) with arbitrary bytes, so mutations reach the
// BinXML parser rather than stop at the chunk checks.
//
//	go test -fuzz=FuzzDecodeRecord -fuzztime=30s ./evtx
func FuzzDecodeRecord(f *testing.F) {
	seed := seedChunk(f)
	if bytes.Equal(seed[chunkTablesEnd:chunkTablesEnd+4], recordMagic) {
		size := int(binary.LittleEndian.Uint32(seed[chunkTablesEnd+4:]))
		if size > 0 && chunkTablesEnd+size <= ChunkSize {
			f.Add(bytes.Clone(seed[chunkTablesEnd : chunkTablesEnd+size]))
		}
	}
	f.Add(append(append([]byte{}, recordMagic...), make([]byte, 40)...))
	loc := ChunkLocation{Path: "fuzz.evtx", Index: 0, Offset: 4096}
	f.Fuzz(func(t *testing.T, record []byte) {
		chunk := bytes.Clone(seed)
		n := copy(chunk[chunkTablesEnd:], record)
		// Keep the record self-consistent (size and trailing size copy) so
		// the decoder parses it instead of skipping it as garbage.
		if n >= recordHeaderSize+4 {
			binary.LittleEndian.PutUint32(chunk[chunkTablesEnd+4:], uint32(n))
			binary.LittleEndian.PutUint32(chunk[chunkTablesEnd+n-4:], uint32(n))
		}
		checkDecoded(t, GoEvtxDecoder{}.Decode(chunk, loc), loc)
	})
}

// TestSelfReferencingTemplate: a template definition whose body instantiates
// itself sends golang-evtx into unbounded recursion; the read budget must
// turn it into a failure, not a fatal stack overflow.
func TestSelfReferencingTemplate(t *testing.T) {
	chunk := seedChunk(t)
	// Record at 512: header, then fragment header, then a template instance
	// whose definition (at 512+24+4+...) contains a template instance
	// pointing at the same definition.
	const rec = chunkTablesEnd
	const size = 200
	c := chunk
	for i := rec; i < rec+size; i++ {
		c[i] = 0
	}
	copy(c[rec:], recordMagic)
	binary.LittleEndian.PutUint32(c[rec+4:], size)
	binary.LittleEndian.PutUint64(c[rec+8:], 1)
	binary.LittleEndian.PutUint32(c[rec+size-4:], size)
	p := rec + recordHeaderSize
	copy(c[p:], []byte{goevtx.FragmentHeaderToken, 1, 1, 0})
	p += 4
	def := p + 10 // the definition follows the instance header
	c[p] = goevtx.TokenTemplateInstance
	c[p+1] = 1
	binary.LittleEndian.PutUint32(c[p+6:], uint32(def))
	// Definition: next offset, GUID, size, fragment header, then an
	// instance of itself.
	q := def + 4 + 16 + 4
	copy(c[q:], []byte{goevtx.FragmentHeaderToken, 1, 1, 0})
	q += 4
	c[q] = goevtx.TokenTemplateInstance
	c[q+1] = 1
	binary.LittleEndian.PutUint32(c[q+6:], uint32(def))
	// Remove the chunk's template table so the decoder parses inline.
	for i := chunkHeaderSize + 64*4; i < chunkTablesEnd; i++ {
		c[i] = 0
	}
	loc := ChunkLocation{Path: "loop.evtx"}
	out := GoEvtxDecoder{}.Decode(c, loc)
	checkDecoded(t, out, loc)
	if len(out.Failures) == 0 {
		t.Fatalf("self-referencing template decoded without failure: %+v", out.Records)
	}
}

// BenchmarkScan measures Scan over a real multi-chunk log (MB/s).
func BenchmarkScan(b *testing.B) {
	path := filepath.Join(corpusDir, multiLog)
	info, err := os.Stat(path)
	if err != nil {
		b.Skipf("corpus file %s not present; skipping", path)
	}
	b.SetBytes(info.Size())
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		_, err := Scan(context.Background(), []string{path}, Options{}, func(*Record) error { n++; return nil })
		if err != nil || n == 0 {
			b.Fatalf("scan: %v, %d records", err, n)
		}
	}
}

// BenchmarkScanCorpus measures Scan over the whole corpus (MB/s).
func BenchmarkScanCorpus(b *testing.B) {
	inputs, _ := Discover([]string{corpusDir})
	if len(inputs) == 0 {
		b.Skipf("corpus not present under %s; skipping", corpusDir)
	}
	var total int64
	for _, in := range inputs {
		total += in.Size
	}
	b.SetBytes(total)
	for b.Loop() {
		if _, err := Scan(context.Background(), []string{corpusDir}, Options{}, func(*Record) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
