// Package evtx is the reading stage of shadowscan: it answers "what records
// does this evidence hold, and which could not be read?". It discovers EVTX
// files (files, folders, zip archives read in place), decodes them with a
// pool of workers over 64 KiB chunks behind the Decoder interface, delivers
// records in a deterministic order, and accounts per file for every record
// decoded or failed.
package evtx

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	stdlog "log"
	"os"
	"runtime"
	"slices"
	"sync"

	ulog "github.com/0xrawsec/golang-utils/log"
)

// Options tune Scan.
type Options struct {
	Workers  int               // 0 => runtime.NumCPU()
	Progress func(bytes int64) // optional; called with byte deltas from any goroutine
	Warn     func(err error)   // optional; one-line errors naming the file (unreadable input, refused zip entries)
	// Decoder decodes chunks; nil means the one the environment variable
	// SHADOWSCAN_DECODER names ("fast", the default: FastDecoder; "goevtx":
	// the reference GoEvtxDecoder, for responders who want it and for
	// differential testing).
	Decoder Decoder
	// EventData, when not nil, names the event data values the consumer
	// reads from most records: the fast decoder may then decode only
	// those (Record.Partial: read through Record.Value, not the
	// Record.EventData map), and Record.Value and Record.Full still reach
	// the others, by decoding the record's chunk again.
	// The names change the speed, never a value; nil keeps everything.
	EventData []string
	// Transient promises that emit (and prepare) keep no record after
	// they return: the chunk a partial record decodes again on demand is
	// then given back to the reader once emit has seen the chunk's last
	// record, instead of a fresh 64 KiB buffer per chunk (a gigabyte of
	// allocations, page faults and garbage collection per gigabyte read).
	// Asking a partial record for a left-out name after that panics: it
	// is a programming error, never a different answer.
	Transient bool
}

// Result is what a scan found, file by file.
type Result struct {
	Sources    []Source // one per EVTX file found, in scan order (sorted paths; zip members in archive order)
	Skipped    int      // non-EVTX files skipped (recognised by magic bytes "ElfFile\x00")
	Errors     []string // one line each: input that could not be opened/read at all
	TotalBytes int64
}

// silenceOnce guards the one process-wide setting Scan makes: golang-evtx
// logs parse errors, with stack traces, through golang-utils/log, which
// writes to the standard library's default logger (DontPanicf ignores the
// level). There is no per-call or per-logger switch, so the first decode
// turns that logger's level to critical and discards the default logger's
// output (at first use, not at init, so importing the package changes
// nothing).
// shadowscan itself never writes through the standard "log" package.
var silenceOnce sync.Once

func silenceGoEvtx() {
	silenceOnce.Do(func() {
		ulog.SetLogLevel(ulog.LCritical)
		stdlog.SetOutput(io.Discard)
	})
}

// Scan discovers EVTX files under paths (files, dirs recursively, zip
// archives read in place) and decodes them with a worker pool over 64 KiB
// chunks. emit is called from ONE goroutine, for each decoded record, in
// file order then record order (deterministic whatever Workers is). If emit
// returns an error or ctx is cancelled, Scan stops and returns the partial
// Result with that error.
//
// Memory is bounded: at most a few chunks per worker are in flight between
// the reader and emit, whatever the size of the files.
func Scan(ctx context.Context, paths []string, opts Options, emit func(*Record) error) (*Result, error) {
	return scanWith(ctx, paths, opts, nil, func(r *Record, _ any, _ int) error { return emit(r) })
}

// ScanPrepared is Scan with per-record work moved onto the decoding
// workers: prepare is called for each decoded record on the worker that
// decoded it (concurrently, in no particular order; it must be safe for
// that and must not keep or modify the record), and emit receives the
// record with what prepare returned for it (by pointer, valid until emit
// returns: no copy of a large T per record), from one goroutine, in Scan's
// order. It lets a pure, costly step (mapping a record to a document)
// run on every core while the stateful one (accounting, alerts) stays
// sequential and deterministic.
func ScanPrepared[T any](ctx context.Context, paths []string, opts Options, prepare func(*Record) T, emit func(*Record, *T) error) (*Result, error) {
	// One []T per chunk: a value per record boxed in an interface would
	// cost an allocation per record.
	prepareChunk := func(recs []*Record) any {
		batch := make([]T, len(recs))
		for i, r := range recs {
			batch[i] = prepare(r)
		}
		return batch
	}
	return scanWith(ctx, paths, opts, prepareChunk, func(r *Record, batch any, i int) error { return emit(r, &batch.([]T)[i]) })
}

// scanWith is Scan and ScanPrepared: prepare (nil: none) runs on a worker
// for a chunk's records, and emit gets each record with that chunk's
// prepared batch and the record's index in it.
func scanWith(ctx context.Context, paths []string, opts Options, prepare func([]*Record) any, emit func(*Record, any, int) error) (*Result, error) {
	d := discoverer{}
	d.run(paths)
	res := &Result{Skipped: d.skipped}
	warn := func(err error) {
		if opts.Warn != nil {
			opts.Warn(err)
		}
	}
	for _, err := range d.errs {
		res.Errors = append(res.Errors, err.Error())
		warn(err)
	}
	for _, in := range d.inputs {
		res.TotalBytes += in.Size
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	dec := opts.Decoder
	if dec == nil {
		var err error
		if dec, err = DecoderByName(os.Getenv(DecoderEnv)); err != nil {
			return res, fmt.Errorf("%s: %w", DecoderEnv, err)
		}
	}
	var keep *nameSet
	if opts.EventData != nil {
		keep = newNameSet(opts.EventData)
	}
	s := &scanner{
		inputs:   d.inputs,
		decoder:  dec,
		keep:     keep,
		recycle:  opts.Transient,
		prepare:  prepare,
		progress: opts.Progress,
		jobs:     make(chan *job, workers),
		results:  make(chan *job, workers),
		tokens:   make(chan struct{}, 4*workers+4),
		buffers:  sync.Pool{New: func() any { b := make([]byte, ChunkSize); return &b }},
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.produce(ctx) }()
	var workersWG sync.WaitGroup
	for range workers {
		workersWG.Add(1)
		go func() { defer workersWG.Done(); s.work(ctx) }()
	}
	go func() { workersWG.Wait(); close(s.results) }()

	err := s.collect(ctx, cancel, res, warn, emit)
	wg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return res, err
}

type jobKind int

const (
	jobFileStart jobKind = iota // header parsed (or the file could not be opened)
	jobChunk
	jobFileEnd // all chunks sent (err: reading stopped early)
)

type job struct {
	seq   int
	kind  jobKind
	input int
	loc   ChunkLocation
	data  *[]byte
	n     int // valid bytes in data
	hdr   fileHeader
	err   error
	out   DecodedChunk
	// kept is the chunk partial records of out decode again on demand
	// (it holds data's buffer), nil if none.
	kept *keptChunk
	// prepared is prepare's batch for out.Records.
	prepared any
}

type scanner struct {
	inputs   []Input
	decoder  Decoder
	keep     *nameSet            // Options.EventData, nil: all
	recycle  bool                // Options.Transient: kept chunks go back to buffers after emit
	prepare  func([]*Record) any // nil: nothing to do on the workers
	progress func(int64)
	// jobs holds a chunk per worker read ahead: with a hand-over the
	// reader would be in its read while a worker waits for it (14 % of
	// the scan's wall time on two CPUs).
	jobs    chan *job
	results chan *job
	tokens  chan struct{} // one per job between produce and collect: bounds memory
	buffers sync.Pool
}

// send hands j to the workers once a token is free.
func (s *scanner) send(ctx context.Context, j *job) bool {
	select {
	case s.tokens <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	select {
	case s.jobs <- j:
		return true
	case <-ctx.Done():
		return false
	}
}

// produce reads every input sequentially, chunk by chunk, and numbers the
// jobs: that sequence is the output order.
func (s *scanner) produce(ctx context.Context) {
	defer close(s.jobs)
	seq := 0
	next := func(j *job) bool {
		j.seq = seq
		seq++
		return s.send(ctx, j)
	}
	var archive *zip.ReadCloser
	var archivePath string
	defer func() {
		if archive != nil {
			archive.Close()
		}
	}()
	for i, in := range s.inputs {
		var r io.Reader
		var closer io.Closer
		var err error
		if in.zipped {
			if archivePath != in.file {
				if archive != nil {
					archive.Close()
					archive = nil
				}
				archivePath = in.file
				archive, err = zip.OpenReader(in.file)
			}
			if err == nil && archive == nil {
				err = errors.New("archive could not be opened")
			}
			if err == nil && in.member >= len(archive.File) {
				err = errors.New("archive changed since it was listed")
			}
			if err == nil {
				m := archive.File[in.member]
				var rc io.ReadCloser
				if rc, err = m.Open(); err == nil {
					r = &boundedReader{r: rc, left: int64(m.UncompressedSize64), name: in.Path}
					closer = rc
				}
			}
		} else {
			var f *os.File
			if f, err = os.Open(in.file); err == nil {
				r, closer = f, f
			}
		}
		if err != nil {
			if !next(&job{kind: jobFileStart, input: i, err: fmt.Errorf("%s: %w", in.Path, unwrapPathError(err))}) {
				return
			}
			continue
		}
		ok := s.produceFile(ctx, i, in, r, next)
		closer.Close()
		if !ok {
			return
		}
	}
}

func (s *scanner) produceFile(ctx context.Context, i int, in Input, r io.Reader, next func(*job) bool) bool {
	head := make([]byte, fileHeaderSize)
	n, err := io.ReadFull(r, head)
	s.report(int64(n))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return next(&job{kind: jobFileStart, input: i, err: fmt.Errorf("%s: %w", in.Path, err)})
	}
	if !next(&job{kind: jobFileStart, input: i, hdr: parseFileHeader(head[:n])}) {
		return false
	}
	var readErr error
	if err == nil {
		off := int64(fileHeaderSize)
		for idx := 0; ; idx++ {
			if ctx.Err() != nil {
				return false
			}
			buf := s.buffers.Get().(*[]byte)
			n, err := io.ReadFull(r, *buf)
			s.report(int64(n))
			if n > 0 {
				j := &job{kind: jobChunk, input: i, data: buf, n: n,
					loc: ChunkLocation{Path: in.Path, Index: idx, Offset: off}}
				if !next(j) {
					return false
				}
			} else {
				s.buffers.Put(buf)
			}
			off += int64(n)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					readErr = fmt.Errorf("%s: reading at offset %d: %w", in.Path, off, err)
				}
				break
			}
		}
	}
	return next(&job{kind: jobFileEnd, input: i, err: readErr})
}

func (s *scanner) report(n int64) {
	if s.progress != nil && n > 0 {
		s.progress(n)
	}
}

// work decodes chunk jobs; other jobs pass through.
func (s *scanner) work(ctx context.Context) {
	for j := range s.jobs {
		if j.kind == jobChunk {
			j.out, j.kept = s.decode(j.data, j.n, j.loc)
			if j.kept == nil { // else partial records keep it (partial.go)
				s.buffers.Put(j.data)
			}
			j.data = nil
			if s.prepare != nil {
				j.prepared = s.prepare(j.out.Records)
			}
		}
		select {
		case s.results <- j:
		case <-ctx.Done():
			// Keep draining jobs so produce is never stuck on a send.
		}
	}
}

// decode guards the Decoder: a panic in a third-party implementation costs
// the chunk, not the process.
func (s *scanner) decode(buf *[]byte, n int, loc ChunkLocation) (out DecodedChunk, kept *keptChunk) {
	defer func() {
		if p := recover(); p != nil {
			out = DecodedChunk{
				Damage:   fmt.Sprintf("decoder panic: %v", p),
				Failures: []Failure{{Chunk: loc.Index, Offset: loc.Offset, Reason: fmt.Sprintf("decoder panic: %v", p)}},
			}
			kept = nil
		}
	}()
	if fd, ok := s.decoder.(FastDecoder); ok && s.keep != nil {
		out, kept = fd.decodeSome((*buf)[:n], loc, s.keep)
		if kept != nil {
			kept.buf = buf
		}
		return out, kept
	}
	return s.decoder.Decode((*buf)[:n], loc), nil
}

// collect puts results back in sequence order (a reorder buffer no larger
// than the token count), keeps the accounting and calls emit.
func (s *scanner) collect(ctx context.Context, cancel func(), res *Result, warn func(error), emit func(*Record, any, int) error) error {
	pending := map[int]*job{}
	next := 0
	var stopErr error
	var acc *accounting
	for j := range s.results {
		if stopErr != nil || ctx.Err() != nil {
			continue // drain until the workers stop
		}
		pending[j.seq] = j
		for {
			j, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-s.tokens
			switch j.kind {
			case jobFileStart:
				in := s.inputs[j.input]
				res.Sources = append(res.Sources, Source{Path: in.Path, Size: in.Size})
				src := &res.Sources[len(res.Sources)-1]
				if j.err != nil {
					src.Error = j.err.Error()
					res.Errors = append(res.Errors, j.err.Error())
					warn(j.err)
					acc = nil
					continue
				}
				acc = newAccounting(src, j.hdr)
			case jobChunk:
				if acc == nil {
					continue
				}
				acc.chunk(j.loc, j.out)
				for i, r := range j.out.Records {
					if err := emit(r, j.prepared, i); err != nil {
						stopErr = err
						break
					}
				}
				if s.recycle && j.kept != nil {
					if buf := j.kept.release(); buf != nil {
						s.buffers.Put(buf)
					}
				}
			case jobFileEnd:
				if acc == nil {
					continue
				}
				acc.finish()
				acc = nil
				if j.err != nil {
					src := &res.Sources[len(res.Sources)-1]
					src.Error = j.err.Error()
					res.Errors = append(res.Errors, j.err.Error())
					warn(j.err)
				}
			}
			if stopErr != nil {
				cancel()
				break
			}
		}
	}
	if acc != nil {
		acc.finish() // stopped early: keep what was counted
	}
	return stopErr
}

// fileHeader is what the file header tells about the file.
type fileHeader struct {
	chunkCount int
	dirty      bool
	full       bool
	damage     string
}

func parseFileHeader(b []byte) fileHeader {
	var h fileHeader
	switch {
	case len(b) < 128:
		h.damage = fmt.Sprintf("file header truncated (%d bytes)", len(b))
		return h
	case string(b[:8]) != string(fileMagic):
		h.damage = fmt.Sprintf("bad file magic %q", b[:8])
		return h
	}
	le := binary.LittleEndian
	h.chunkCount = int(le.Uint16(b[42:]))
	flags := le.Uint32(b[120:])
	h.dirty = flags&1 != 0
	h.full = flags&2 != 0
	if crc32.ChecksumIEEE(b[:120]) != le.Uint32(b[124:]) {
		h.damage = "bad file header checksum"
	}
	return h
}

// accounting keeps one Source's counters while its chunks arrive.
type accounting struct {
	src       *Source
	channels  map[string]bool
	computers map[string]bool
	// lastChannel and lastComputer are the last ones noted: a log's
	// records repeat them, and noting one is a map assignment.
	lastChannel, lastComputer string
}

func newAccounting(src *Source, h fileHeader) *accounting {
	src.Dirty = h.dirty
	src.HeaderChunks = h.chunkCount
	src.HeaderDamage = h.damage
	return &accounting{src: src, channels: map[string]bool{}, computers: map[string]bool{}}
}

func (a *accounting) chunk(loc ChunkLocation, out DecodedChunk) {
	if out.Empty {
		return
	}
	s := a.src
	s.Chunks++
	if out.Damage != "" {
		s.ChunksDamaged++
		s.DamagedChunks = append(s.DamagedChunks, Failure{Chunk: loc.Index, Offset: loc.Offset, Reason: out.Damage})
	}
	s.RecordsFailed += len(out.Failures)
	s.Failures = append(s.Failures, out.Failures...)
	for _, r := range out.Records {
		s.RecordsDecoded++
		if t := r.TimeCreated; !t.IsZero() {
			if s.First.IsZero() || t.Before(s.First) {
				s.First = t
			}
			if t.After(s.Last) {
				s.Last = t
			}
		}
		if r.Channel != "" && r.Channel != a.lastChannel {
			a.channels[r.Channel] = true
			a.lastChannel = r.Channel
		}
		if r.Computer != "" && r.Computer != a.lastComputer {
			a.computers[r.Computer] = true
			a.lastComputer = r.Computer
		}
	}
}

func (a *accounting) finish() {
	a.src.Channels = sortedKeys(a.channels)
	a.src.Computers = sortedKeys(a.computers)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
