package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime/debug"

	goevtx "github.com/0xrawsec/golang-evtx/evtx"
)

// On-disk layout constants (see libevtx's "Windows XML Event Log (EVTX)
// format" notes).
const (
	ChunkSize        = 64 << 10 // one chunk: header, string/template tables, records
	fileHeaderSize   = 4096     // the file header block before the first chunk
	chunkHeaderSize  = 128
	chunkTablesEnd   = 512 // header + 64 string offsets + 32 template offsets
	recordHeaderSize = 24
)

var (
	fileMagic   = []byte("ElfFile\x00")
	chunkMagic  = []byte("ElfChnk\x00")
	recordMagic = []byte("\x2a\x2a\x00\x00")
)

// ChunkLocation says where a chunk sits, so a Decoder can name the records
// and failures it returns.
type ChunkLocation struct {
	Path   string
	Index  int   // zero-based chunk index in the file
	Offset int64 // file offset of the chunk
}

// DecodedChunk is what a Decoder makes of one chunk. Every record the chunk
// holds is either in Records or in Failures.
type DecodedChunk struct {
	Records  []*Record
	Failures []Failure
	// Empty is true for a never-used chunk (all zero bytes): not counted.
	Empty bool
	// Damage names what is wrong with the chunk itself (bad magic, bad
	// checksum, unreadable header, truncated); empty when it is sound.
	Damage string
}

// Decoder turns the bytes of one chunk (up to ChunkSize; shorter when the
// file is truncated) into records. Implementations must not panic and must
// be safe for concurrent use: Scan calls Decode from several goroutines.
type Decoder interface {
	Decode(data []byte, loc ChunkLocation) DecodedChunk
}

// GoEvtxDecoder decodes chunks with github.com/0xrawsec/golang-evtx's chunk
// and record parsers, driven from the caller's goroutine. That library
// panics on malformed input; every call into it is guarded by recover, per
// chunk for the tables and per record for the BinXML, and a read/seek
// budget turns its unbounded recursion on self-referencing templates into a
// recoverable panic instead of a fatal stack overflow.
type GoEvtxDecoder struct{}

// Decode implements Decoder.
func (GoEvtxDecoder) Decode(data []byte, loc ChunkLocation) (out DecodedChunk) {
	silenceGoEvtx()
	defer func() {
		// Last line of defence: our own code must not take the scan down
		// either. Records already decoded stay; the rest of the chunk is
		// reported as one failure.
		if p := recover(); p != nil {
			out.Failures = append(out.Failures, Failure{
				Chunk: loc.Index, Offset: loc.Offset,
				Reason: fmt.Sprintf("chunk decoder panic: %v", p),
			})
			if out.Damage == "" {
				out.Damage = "decoder panic"
			}
		}
	}()
	if isZero(data) {
		return DecodedChunk{Empty: true}
	}
	buf := data
	var damage []string
	if len(buf) < ChunkSize {
		damage = append(damage, fmt.Sprintf("truncated chunk (%d of %d bytes)", len(buf), ChunkSize))
		// Pad so offsets inside the chunk stay valid; records crossing the
		// end fail their own checks.
		padded := make([]byte, ChunkSize)
		copy(padded, buf)
		buf = padded
	}
	hdr, sane, hdrErr := parseChunkHeader(buf)
	if hdrErr != nil {
		damage = append(damage, hdrErr.Error())
	}
	if sane && !hdr.checksumOK(buf) {
		damage = append(damage, "bad chunk checksum")
	}

	chunk := goevtx.NewChunk()
	chunk.Offset = loc.Offset
	chunk.Data = buf
	end := ChunkSize
	if sane {
		end = hdr.usedEnd()
		// A sound header lets us reuse the template table; any failure here
		// only costs speed (templates are also parsed where first used).
		if err := parseTemplateTable(&chunk); err != nil {
			chunk.TemplateTable = make(goevtx.TemplateTable)
		}
	}
	for _, rec := range findRecords(buf, end, !sane) {
		fileOff := loc.Offset + int64(rec.offset)
		if rec.bad != "" {
			out.Failures = append(out.Failures, Failure{Chunk: loc.Index, Offset: fileOff, RecordID: rec.id, Reason: rec.bad})
			continue
		}
		r, err := decodeRecord(&chunk, rec)
		if err != nil {
			out.Failures = append(out.Failures, Failure{Chunk: loc.Index, Offset: fileOff, RecordID: rec.id, Reason: err.Error()})
			continue
		}
		r.Path, r.Chunk, r.Offset = loc.Path, loc.Index, fileOff
		out.Records = append(out.Records, r)
	}
	if len(damage) > 0 {
		out.Damage = joinReasons(damage)
	}
	return out
}

// chunkHeader is the part of the 128-byte chunk header the decoder uses.
type chunkHeader struct {
	firstRecID, lastRecID uint64
	lastRecOffset         uint32
	freeSpaceOffset       uint32
	dataCRC, headerCRC    uint32
}

// parseChunkHeader reads the chunk header. A header with a bad magic but
// otherwise consistent fields is still usable (sane): its offsets bound the
// records and its template table is read. An insane header leaves the
// chunk to be carved for records.
func parseChunkHeader(b []byte) (h chunkHeader, sane bool, err error) {
	le := binary.LittleEndian
	h.firstRecID = le.Uint64(b[24:])
	h.lastRecID = le.Uint64(b[32:])
	h.lastRecOffset = le.Uint32(b[44:])
	h.freeSpaceOffset = le.Uint32(b[48:])
	h.dataCRC = le.Uint32(b[52:])
	h.headerCRC = le.Uint32(b[124:])
	if hs := le.Uint32(b[40:]); hs != chunkHeaderSize {
		err = fmt.Errorf("bad chunk header size %d", hs)
	} else if h.lastRecOffset >= ChunkSize || h.freeSpaceOffset > ChunkSize || h.freeSpaceOffset < chunkTablesEnd {
		err = fmt.Errorf("chunk header offsets out of range (last record %d, free space %d)", h.lastRecOffset, h.freeSpaceOffset)
	}
	sane = err == nil
	if !bytes.Equal(b[:8], chunkMagic) {
		if err != nil {
			err = fmt.Errorf("bad chunk magic %q; %w", b[:8], err)
		} else {
			err = fmt.Errorf("bad chunk magic %q", b[:8])
		}
	}
	return h, sane, err
}

// checksumOK verifies the header CRC32 (bytes 0-120 and 128-512) and the
// records CRC32 (512 up to the free space offset).
func (h chunkHeader) checksumOK(b []byte) bool {
	c := crc32.NewIEEE()
	c.Write(b[:120])
	c.Write(b[128:chunkTablesEnd])
	if c.Sum32() != h.headerCRC {
		return false
	}
	if h.freeSpaceOffset >= chunkTablesEnd {
		return crc32.ChecksumIEEE(b[chunkTablesEnd:h.freeSpaceOffset]) == h.dataCRC
	}
	return true
}

// usedEnd is where the records of the chunk end, by the header's own
// account; a dirty chunk may under-report, so it is the larger of the two
// fields the header offers.
func (h chunkHeader) usedEnd() int {
	end := int(h.freeSpaceOffset)
	if h.lastRecOffset >= chunkTablesEnd {
		// The last record's own size field extends it.
		end = max(end, int(h.lastRecOffset)+recordHeaderSize)
	}
	if end < chunkTablesEnd || end > ChunkSize {
		end = ChunkSize
	}
	return end
}

// recordSpan is one record found in a chunk: its chunk-relative offset and
// size, its header record id, or the reason it cannot be read.
type recordSpan struct {
	offset int
	size   int
	id     uint64
	bad    string
}

// findRecords walks the records of a chunk from the end of its tables. A
// record whose header is broken is reported and the walk resynchronises on
// the next record magic with a consistent size, so garbage in the middle of
// a chunk costs only the records it covers. When the chunk header is
// unreadable (carve) the whole chunk is searched for records.
func findRecords(b []byte, end int, carve bool) []recordSpan {
	return appendRecords(nil, b, end, carve)
}

// appendRecords is findRecords appending to spans.
func appendRecords(spans []recordSpan, b []byte, end int, carve bool) []recordSpan {
	le := binary.LittleEndian
	off := chunkTablesEnd
	for off+recordHeaderSize <= end {
		if !bytes.Equal(b[off:off+4], recordMagic) {
			if isZero(b[off:end]) {
				break // free space
			}
			next := nextRecord(b, off+1, end)
			if !carve {
				spans = append(spans, recordSpan{offset: off, bad: fmt.Sprintf("garbage before next record (%d bytes skipped)", next-off)})
			}
			off = next
			continue
		}
		size := int(le.Uint32(b[off+4:]))
		id := le.Uint64(b[off+8:])
		switch {
		case size < recordHeaderSize+4:
			spans = append(spans, recordSpan{offset: off, id: id, bad: fmt.Sprintf("record size %d too small", size)})
			off = nextRecord(b, off+4, end)
			continue
		case off+size > ChunkSize:
			spans = append(spans, recordSpan{offset: off, id: id, bad: fmt.Sprintf("record size %d runs past the chunk", size)})
			off = nextRecord(b, off+4, end)
			continue
		case int(le.Uint32(b[off+size-4:])) != size:
			spans = append(spans, recordSpan{offset: off, id: id, bad: "record size copy does not match (record overwritten or truncated)"})
			off = nextRecord(b, off+4, end)
			continue
		}
		spans = append(spans, recordSpan{offset: off, size: size, id: id})
		off += size
	}
	return spans
}

// nextRecord returns the offset of the next plausible record header at or
// after from (magic, sane size, matching trailing size copy), or end.
func nextRecord(b []byte, from, end int) int {
	le := binary.LittleEndian
	for off := from; off+recordHeaderSize <= end; {
		i := bytes.Index(b[off:end], recordMagic)
		if i < 0 {
			break
		}
		off += i
		if off+recordHeaderSize > end {
			break
		}
		size := int(le.Uint32(b[off+4:]))
		if size >= recordHeaderSize+4 && off+size <= ChunkSize && int(le.Uint32(b[off+size-4:])) == size {
			return off
		}
		off++
	}
	return end
}

// Budgets for one call into golang-evtx, proportional to the bytes parsed.
// Over the corpus a record needs at most ~3.4 reads and ~0.75 seeks per
// byte; a self-referencing template would otherwise recurse until the Go
// runtime aborts the process (a fatal error, which recover cannot catch),
// and a looping structure would burn CPU for seconds per record.
const (
	readsPerByte = 16
	seeksPerByte = 4
	budgetFloor  = 4096
)

var errBudget = errors.New("BinXML parser exceeded its read budget (self-referencing or looping structure)")

// budgetReader is a bytes.Reader that panics with errBudget once its budget
// is spent.
type budgetReader struct {
	*bytes.Reader
	reads, seeks int // left
}

func newBudgetReader(b []byte, parsed int) *budgetReader {
	return &budgetReader{Reader: bytes.NewReader(b), reads: readsPerByte*parsed + budgetFloor, seeks: seeksPerByte*parsed + budgetFloor}
}

func (r *budgetReader) Read(p []byte) (int, error) {
	r.reads--
	if r.reads < 0 {
		panic(errBudget)
	}
	return r.Reader.Read(p)
}

func (r *budgetReader) Seek(off int64, whence int) (int64, error) {
	r.seeks--
	if r.seeks < 0 {
		panic(errBudget)
	}
	return r.Reader.Seek(off, whence)
}

// parseTemplateTable fills chunk.TemplateTable, recovering the library's
// panics.
func parseTemplateTable(chunk *goevtx.Chunk) (err error) {
	defer recoverAs(&err, "template table")
	r := newBudgetReader(chunk.Data, ChunkSize)
	if _, err := r.Seek(chunkHeaderSize+64*4, io.SeekStart); err != nil {
		return err
	}
	return chunk.ParseTemplateTable(r)
}

// decodeRecord parses one record's BinXML and renders it into a Record.
func decodeRecord(chunk *goevtx.Chunk, span recordSpan) (rec *Record, err error) {
	defer recoverAs(&err, "record")
	data := chunk.Data[:span.offset+span.size]
	r := newBudgetReader(data, span.size)
	if _, err := r.Seek(int64(span.offset+recordHeaderSize), io.SeekStart); err != nil {
		return nil, err
	}
	elem, perr := goevtx.Parse(r, chunk, false)
	frag, ok := elem.(*goevtx.Fragment)
	if ok && frag != nil && frag.BinXMLElement == nil && perr == io.EOF {
		return nil, errors.New("BinXML: record ends inside its template instance (unsupported or corrupt value data)")
	}
	if !ok || frag == nil {
		if perr == nil {
			perr = fmt.Errorf("record does not start with a BinXML fragment (%T)", elem)
		}
		return nil, fmt.Errorf("BinXML: %w", perr)
	}
	if perr != nil && perr != io.EOF {
		// The library reports value-level errors after building the tree;
		// a partly parsed tree would show wrong values, so the record fails.
		return nil, fmt.Errorf("BinXML: %w", perr)
	}
	root, err := render(frag, chunk.Data)
	if err != nil {
		return nil, err
	}
	rec, err = recordFromXML(root)
	if err != nil {
		return nil, err
	}
	rec.HeaderRecordID = span.id
	return rec, nil
}

// recoverAs turns a panic into *err, naming what was being parsed. It keeps
// runtime errors (nil dereferences, index out of range inside the library)
// as ordinary failures: the input is untrusted, the library is not hardened.
func recoverAs(err *error, what string) {
	p := recover()
	if p == nil {
		return
	}
	switch v := p.(type) {
	case error:
		if errors.Is(v, errBudget) {
			*err = v
			return
		}
		*err = fmt.Errorf("%s parser panic: %w", what, v)
	default:
		*err = fmt.Errorf("%s parser panic: %v", what, v)
	}
	if debugStacks {
		*err = fmt.Errorf("%w\n%s", *err, debug.Stack())
	}
}

// debugStacks adds the panic stack to failure reasons; for debugging the
// decoder only.
const debugStacks = false

// isZero reports whether b is all zero bytes, a word at a time: every
// chunk is asked, and the empty chunks Windows leaves at the end of a
// log are asked whole.
func isZero(b []byte) bool {
	le := binary.LittleEndian
	for len(b) >= 32 {
		if le.Uint64(b)|le.Uint64(b[8:])|le.Uint64(b[16:])|le.Uint64(b[24:]) != 0 {
			return false
		}
		b = b[32:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func joinReasons(rs []string) string {
	var b bytes.Buffer
	for i, r := range rs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r)
	}
	return b.String()
}
