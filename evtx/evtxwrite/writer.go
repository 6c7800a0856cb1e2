// Package evtxwrite writes valid Windows XML Event Log (.evtx) files for
// tests and benchmarks: a real file header, 64 KiB chunks with their
// common-string and template tables, records whose BinXML is a template
// instance with a substitution-value array, and correct CRC32s.
//
// Records are laid out as Windows' event log service writes them: an outer
// template for the System section (all values optional substitutions,
// Computer literal) whose last value is a nested BinXML fragment holding the
// EventData (or UserData) template instance. Names and template definitions
// are written inline on their first use in a chunk and referenced by offset
// afterwards. golang-evtx, libevtx (evtxexport) and python-evtx read the
// files back; the package's tests prove it.
//
// The scanner never uses this package. Typical use:
//
//	events := []evtxwrite.Event{evtxwrite.SysmonProcessCreate{...}.Event()}
//	err := evtxwrite.WriteFile("sysmon.evtx", events)
//
// or, streaming a large file:
//
//	w := evtxwrite.NewWriter(f) // f is an io.WriteSeeker, e.g. *os.File
//	for ... { if err := w.Write(e); err != nil { ... } }
//	err := w.Close()
package evtxwrite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// Option configures a Writer.
type Option func(*options)

type options struct {
	firstRecord     uint64
	recordsPerChunk int
	dirty           bool
}

// FirstRecordID sets the record number of the first record (default 1).
// Events whose RecordID is zero get the record number as EventRecordID.
func FirstRecordID(id uint64) Option { return func(o *options) { o.firstRecord = id } }

// RecordsPerChunk caps the number of records per chunk, to spread a few
// records over several chunks. The default (0) packs each chunk densely
// until the next record does not fit, as Windows does.
func RecordsPerChunk(n int) Option { return func(o *options) { o.recordsPerChunk = n } }

// Dirty marks the file header dirty (flag 0x1) and leaves it describing
// the file as it was before the last chunk was started, as Windows leaves
// a log that was not closed cleanly: readers must walk past the chunks the
// header counts.
func Dirty() Option { return func(o *options) { o.dirty = true } }

// Writer streams events into an .evtx file. Chunks are written as they
// fill; Close writes the last chunk and the final file header.
type Writer struct {
	w      io.WriteSeeker
	base   int64 // offset of the file header in w
	opts   options
	tmpls  templates
	cur    *chunk // the chunk being filled; nil before the first record and after a flush
	spare  *chunk // a flushed chunk kept for reuse
	nextID uint64 // next record number
	chunks uint64 // chunks written so far
	// header values as of the last completed chunk (what a dirty file shows)
	doneNextID uint64
	started    bool
	err        error
}

// NewWriter returns a Writer writing to w from its current offset.
func NewWriter(w io.WriteSeeker, opts ...Option) *Writer {
	o := options{firstRecord: 1}
	for _, opt := range opts {
		opt(&o)
	}
	return &Writer{w: w, opts: o, tmpls: make(templates), nextID: o.firstRecord}
}

// Write appends one event. An event that cannot be written (a malformed
// GUID or SID, a value over 64 KiB, a record larger than a chunk) is
// reported and skipped, leaving the file consistent; an I/O error is
// sticky and returned by every later call.
func (w *Writer) Write(e Event) error {
	if w.err != nil {
		return w.err
	}
	if w.err = w.start(); w.err != nil {
		return w.err
	}
	if err := validate(&e); err != nil {
		return err // bad input is not sticky: the file is still consistent
	}
	recordID := e.RecordID
	if recordID == 0 {
		recordID = w.nextID
	}
	in := w.tmpls.instance(&e, recordID)
	written := toFileTime(e.TimeCreated)
	for {
		if w.cur == nil {
			w.cur, w.spare = w.spare, nil
			if w.cur == nil {
				w.cur = newChunk()
			}
		}
		if n := w.opts.recordsPerChunk; n > 0 && w.cur.records >= n {
			if w.err = w.flushChunk(); w.err != nil {
				return w.err
			}
			continue
		}
		err := w.cur.addRecord(w.nextID, written, in)
		switch {
		case err == nil:
			w.nextID++
			return nil
		case errors.Is(err, errChunkFull) && w.cur.records > 0:
			if w.err = w.flushChunk(); w.err != nil {
				return w.err
			}
		case errors.Is(err, errChunkFull):
			return fmt.Errorf("evtxwrite: event %d (record %d) does not fit in an empty %d-byte chunk", e.EventID, w.nextID, ChunkSize)
		default:
			return err // an unencodable value; nothing was written
		}
	}
}

// start writes a placeholder file header on first use; Close writes the
// real one once the chunk count is known.
func (w *Writer) start() error {
	if w.started {
		return nil
	}
	w.started = true
	var err error
	if w.base, err = w.w.Seek(0, io.SeekCurrent); err == nil {
		_, err = w.w.Write(make([]byte, FileHeaderSize))
	}
	if err != nil {
		return fmt.Errorf("evtxwrite: %w", err)
	}
	w.doneNextID = w.nextID
	return nil
}

func validate(e *Event) error {
	if u := e.UserData; u != nil {
		if u.Element == "" {
			return errors.New("evtxwrite: UserData without an element name")
		}
		for _, f := range u.Fields {
			if f.Name == "" {
				return fmt.Errorf("evtxwrite: UserData %s has a field without a name", u.Element)
			}
		}
	}
	return nil
}

func (w *Writer) flushChunk() error {
	if w.cur == nil || w.cur.records == 0 {
		return nil
	}
	if _, err := w.w.Write(w.cur.finish()); err != nil {
		return fmt.Errorf("evtxwrite: writing chunk %d: %w", w.chunks, err)
	}
	w.chunks++
	w.doneNextID = w.cur.lastNum + 1
	w.cur.reset()
	w.cur, w.spare = nil, w.cur
	return nil
}

// Close writes the pending chunk and the file header. It does not close
// the underlying writer. A file with no events is a valid empty log
// (header only).
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.err = w.start(); w.err != nil {
		return w.err
	}
	// A dirty header describes the file as it was when the last chunk was
	// begun.
	dirtyChunks, dirtyNextID := w.chunks, w.doneNextID
	if w.err = w.flushChunk(); w.err != nil {
		return w.err
	}
	chunks, nextID := w.chunks, w.nextID
	if w.opts.dirty {
		chunks, nextID = dirtyChunks, dirtyNextID
	}
	end, err := w.w.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = w.w.Seek(w.base, io.SeekStart)
	}
	if err == nil {
		_, err = w.w.Write(fileHeader(chunks, nextID, w.opts.dirty))
	}
	if err == nil {
		_, err = w.w.Seek(end, io.SeekStart)
	}
	if err != nil {
		w.err = fmt.Errorf("evtxwrite: writing file header: %w", err)
		return w.err
	}
	w.err = errors.New("evtxwrite: writer closed")
	return nil
}

// fileHeader is the 4 KiB file header block: 128 bytes of fields ending
// with the CRC32 of the first 120, then zeros.
func fileHeader(chunks, nextID uint64, dirty bool) []byte {
	b := make([]byte, FileHeaderSize)
	le := binary.LittleEndian
	copy(b, "ElfFile\x00")
	le.PutUint64(b[8:], 0) // first chunk number
	if chunks > 0 {
		le.PutUint64(b[16:], chunks-1) // last chunk number
	}
	le.PutUint64(b[24:], nextID)
	le.PutUint32(b[32:], headerSizeField)
	le.PutUint16(b[36:], 1) // minor version
	le.PutUint16(b[38:], 3) // major version
	le.PutUint16(b[40:], FileHeaderSize)
	le.PutUint16(b[42:], uint16(min(chunks, 0xffff))) // number of chunks (16 bits on disk)
	if dirty {
		le.PutUint32(b[120:], 0x1)
	}
	le.PutUint32(b[124:], crc32.ChecksumIEEE(b[:120]))
	return b
}

// Write writes events as a complete .evtx file to w.
func Write(w io.Writer, events []Event, opts ...Option) error {
	if ws, ok := w.(io.WriteSeeker); ok {
		if _, err := ws.Seek(0, io.SeekCurrent); err == nil {
			return writeAll(ws, events, opts)
		}
	}
	var buf memFile
	if err := writeAll(&buf, events, opts); err != nil {
		return err
	}
	if _, err := w.Write(buf.b); err != nil {
		return fmt.Errorf("evtxwrite: %w", err)
	}
	return nil
}

// WriteFile writes events as a complete .evtx file at path.
func WriteFile(path string, events []Event, opts ...Option) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("evtxwrite: %w", err)
	}
	err = writeAll(f, events, opts)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("evtxwrite: %w", cerr)
	}
	return err
}

func writeAll(ws io.WriteSeeker, events []Event, opts []Option) error {
	w := NewWriter(ws, opts...)
	for i := range events {
		if err := w.Write(events[i]); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
	}
	return w.Close()
}

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	b   []byte
	off int64
}

func (m *memFile) Write(p []byte) (int, error) {
	if need := m.off + int64(len(p)); need > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, need-int64(len(m.b)))...)
	}
	n := copy(m.b[m.off:], p)
	m.off += int64(n)
	return n, nil
}

func (m *memFile) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = m.off + offset
	case io.SeekEnd:
		abs = int64(len(m.b)) + offset
	default:
		return 0, errors.New("evtxwrite: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("evtxwrite: negative offset")
	}
	m.off = abs
	return abs, nil
}
