package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/mapping"
	"github.com/shadowscan/shadowscan/report"
)

const queryAbout = `Run an ad-hoc EQL query (single-event: "<category> where <condition>" or
"any where <condition>", Elasticsearch semantics) over .evtx files (mapped to
ECS as Elastic's ingest does), folders, zip archives, or NDJSON files of ECS
documents (.ndjson/.jsonl: one JSON document per line, e.g. exported from an
Elastic index; _bulk action lines are skipped). Prints the matching
documents.

Only Sysmon EID 1 and Security 4688 records get an event.category
(process) and process.* fields, and 4656 a documented extension; other
.evtx records carry the common fields (event.code, host.name, winlog.*), so
query them with "any where" (a warning says so when the category cannot
match).

Example:
  shadowscan query 'process where process.name : "cmd.exe"' C:\triage`

// queryColumns are the key columns of table and CSV output.
var queryColumns = []string{
	"@timestamp", "host.name", "event.code", "process.name",
	"process.command_line", "log.file.path", "winlog.record_id",
}

// maxNDJSONLine bounds the memory one NDJSON line may take.
const maxNDJSONLine = 16 << 20

// tableFlushRows bounds how many table rows are buffered for alignment.
const tableFlushRows = 500

// runQuery implements "shadowscan query".
func runQuery(ctx context.Context, e *env, args []string) int {
	flags := newFlagSet(e, "query", "'EQL' PATH...", queryAbout)
	format := flags.String("format", "jsonl", "output `format`: jsonl (nested ECS document per line), table or csv")
	workers := flags.Int("workers", 0, "decoding workers (0: one per CPU)")
	noProgress := flags.Bool("no-progress", false, "no progress bar on stderr")
	pos, code, ok := parseFlags(flags, e, args)
	if !ok {
		return code
	}
	switch *format {
	case "jsonl", "table", "csv":
	default:
		fmt.Fprintf(e.stderr, "shadowscan query: unknown --format %q (want jsonl, table or csv)\n", *format)
		return exitUsage
	}
	if *workers < 0 {
		fmt.Fprintln(e.stderr, "shadowscan query: --workers must be 0 or more")
		return exitUsage
	}
	if len(pos) < 2 {
		fmt.Fprintln(e.stderr, "shadowscan query: expected an EQL query and at least one PATH")
		flags.Usage()
		return exitUsage
	}
	q, err := detect.Parse(pos[0])
	if err != nil {
		fmt.Fprintf(e.stderr, "shadowscan query: %s\n", report.TerminalSafe(err.Error()))
		return exitUsage
	}
	paths := pos[1:]

	out := newDocWriter(e.stdout, *format)
	ndjson, evtxPaths, warnings := splitInputs(paths)
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "shadowscan query: %s\n", report.TerminalSafe(w))
	}
	if len(evtxPaths) > 0 {
		if w := uncategorisedWarning(q); w != "" {
			fmt.Fprintf(e.stderr, "shadowscan query: warning: %s\n", report.TerminalSafe(w))
		}
	}

	var total int64
	if !*noProgress && e.stderrIsTerminal && len(evtxPaths) > 0 {
		if inputs, err := evtx.Discover(evtxPaths); err == nil {
			for _, in := range inputs {
				total += in.Size
			}
		}
	}
	progress, finish := newProgress(e, total, *noProgress)

	read := 0 // inputs read at all
	matched := 0
	emitDoc := func(doc mapping.Doc) error {
		if !q.Match(doc) {
			return nil
		}
		matched++
		return out.write(doc)
	}

	for _, p := range ndjson {
		n, err := readNDJSON(ctx, p, e, emitDoc)
		if n > 0 || err == nil {
			read++
		}
		if err != nil {
			if errors.Is(err, context.Canceled) || isWriteError(err) {
				return finishQuery(e, out, finish, err)
			}
			fmt.Fprintf(e.stderr, "shadowscan query: %s\n", report.TerminalSafe(err.Error()))
		}
	}

	if len(evtxPaths) > 0 {
		opts := evtx.Options{
			Workers: *workers,
			Warn: func(err error) {
				fmt.Fprintf(e.stderr, "shadowscan query: %s\n", report.TerminalSafe(err.Error()))
			},
		}
		opts.Progress = progress
		mapper := mapping.NewMapper() // emit runs on one goroutine
		res, err := evtx.Scan(ctx, evtxPaths, opts, func(r *evtx.Record) error {
			return emitDoc(mapper.Map(r))
		})
		if res != nil {
			// res.Errors holds the lines opts.Warn has already printed.
			for _, src := range res.Sources {
				if src.AnythingRead() {
					read++
				}
				if src.RecordsFailed > 0 {
					fmt.Fprintf(e.stderr, "shadowscan query: %s: %d records could not be decoded\n",
						report.TerminalSafe(src.Path), src.RecordsFailed)
				}
			}
		}
		if err != nil {
			return finishQuery(e, out, finish, err)
		}
	}
	if code := finishQuery(e, out, finish, nil); code != exitOK {
		return code
	}
	if read == 0 {
		fmt.Fprintln(e.stderr, "shadowscan query: nothing could be read")
		return exitNothing
	}
	fmt.Fprintf(e.stderr, "shadowscan query: %d matching documents\n", matched)
	return exitOK
}

func finishQuery(e *env, out *docWriter, finish func(), err error) int {
	finish()
	if ferr := out.flush(); ferr != nil && err == nil {
		err = ferr
	}
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(e.stderr, "shadowscan query: interrupted; output is partial")
		return exitNothing
	}
	fmt.Fprintf(e.stderr, "shadowscan query: %s\n", report.TerminalSafe(err.Error()))
	return exitNothing
}

// uncategorisedWarning explains, for a "<category> where" query whose
// category no mapped .evtx record carries (mapping.Categories), that it
// cannot match them, so an empty answer is not mistaken for "nothing
// happened". It returns "" when the category can match.
func uncategorisedWarning(q *detect.Query) string {
	mapped := mapping.Categories()
	for _, c := range q.Analysis().Categories {
		if !slices.Contains(mapped, c) {
			return fmt.Sprintf("no .evtx record is mapped with event.category %q (only %s: Sysmon EID 1 and Security 4688), "+
				"so this query matches none of them; query other events with \"any where event.code == ...\" "+
				"and their winlog.event_data fields", c, strings.Join(mapped, ", "))
		}
	}
	return ""
}

// writeError marks a failure to write the output (as opposed to bad input).
type writeError struct{ err error }

func (w *writeError) Error() string { return "writing output: " + w.err.Error() }
func (w *writeError) Unwrap() error { return w.err }

func isWriteError(err error) bool {
	var we *writeError
	return errors.As(err, &we)
}

// splitInputs separates NDJSON files (by extension, also found inside
// folders) from the paths handed to the EVTX reader.
func splitInputs(paths []string) (ndjson, evtxPaths []string, warnings []string) {
	for _, p := range paths {
		if isNDJSON(p) {
			ndjson = append(ndjson, p)
			continue
		}
		evtxPaths = append(evtxPaths, p)
		info, err := os.Stat(p)
		if err != nil || !info.IsDir() {
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // the EVTX reader reports unreadable folders
			}
			// Regular files only: opening a named pipe found in a folder
			// would wait for a writer forever.
			if d.Type().IsRegular() && isNDJSON(fp) {
				found = append(found, fp)
			}
			return nil
		})
		if err != nil {
			warnings = append(warnings, err.Error())
		}
		sort.Strings(found)
		ndjson = append(ndjson, found...)
	}
	return ndjson, evtxPaths, warnings
}

func isNDJSON(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".ndjson", ".jsonl":
		return true
	}
	return false
}

// readNDJSON feeds each document of an NDJSON file to emit: one JSON object
// per line, nested (Elasticsearch _source) or flat. _bulk action lines
// ({"index": {...}} and friends) are skipped; a search hit ({"_source":
// {...}}) yields its _source. Malformed lines are reported with their line
// number and skipped. It returns the number of documents read.
func readNDJSON(ctx context.Context, path string, e *env, emit func(mapping.Doc) error) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	n, lineNo, bad := 0, 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		line, tooLong, err := readLine(r)
		if err == io.EOF && len(line) == 0 {
			break
		}
		lineNo++
		if err != nil && err != io.EOF {
			return n, fmt.Errorf("%s: line %d: %w", path, lineNo, err)
		}
		if tooLong {
			bad++
			fmt.Fprintf(e.stderr, "shadowscan query: %s: line %d longer than %d bytes, skipped\n", report.TerminalSafe(path), lineNo, maxNDJSONLine)
			continue
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var obj map[string]any
		if derr := dec.Decode(&obj); derr != nil || obj == nil {
			bad++
			if bad <= 20 {
				fmt.Fprintf(e.stderr, "shadowscan query: %s: line %d is not a JSON object, skipped\n", report.TerminalSafe(path), lineNo)
			}
			continue
		}
		if isBulkAction(obj) {
			continue
		}
		if src, ok := obj["_source"].(map[string]any); ok {
			obj = src
		}
		n++
		if err := emit(mapping.Flatten(obj)); err != nil {
			return n, &writeError{err}
		}
		if err == io.EOF {
			break
		}
	}
	if bad > 20 {
		fmt.Fprintf(e.stderr, "shadowscan query: %s: %d lines skipped in all\n", report.TerminalSafe(path), bad)
	}
	return n, nil
}

// readLine reads one line of at most maxNDJSONLine bytes; a longer line is
// consumed and reported as tooLong.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, isPrefix, err := r.ReadLine()
		if len(line)+len(chunk) > maxNDJSONLine {
			tooLong = true
			line = line[:0]
		} else if !tooLong {
			line = append(line, chunk...)
		}
		if err != nil {
			return line, tooLong, err
		}
		if !isPrefix {
			return line, tooLong, nil
		}
	}
}

// isBulkAction recognises an Elasticsearch _bulk action line.
func isBulkAction(obj map[string]any) bool {
	if len(obj) != 1 {
		return false
	}
	for k, v := range obj {
		switch k {
		case "index", "create", "update", "delete":
			_, isObj := v.(map[string]any)
			return isObj
		}
	}
	return false
}

// docWriter prints matching documents in one format.
type docWriter struct {
	format string
	w      io.Writer
	tw     *tabwriter.Writer
	cw     *csv.Writer
	rows   int
	header bool
}

func newDocWriter(w io.Writer, format string) *docWriter {
	d := &docWriter{format: format, w: w}
	switch format {
	case "table":
		d.tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	case "csv":
		d.cw = csv.NewWriter(w)
	}
	return d
}

func (d *docWriter) write(doc mapping.Doc) error {
	switch d.format {
	case "jsonl":
		b, err := json.Marshal(doc.Nested())
		if err != nil {
			return &writeError{err}
		}
		b = append(b, '\n')
		if _, err := d.w.Write(b); err != nil {
			return &writeError{err}
		}
		return nil
	case "csv":
		if !d.header {
			d.header = true
			if err := d.cw.Write(queryColumns); err != nil {
				return &writeError{err}
			}
		}
		row := make([]string, len(queryColumns))
		for i, c := range queryColumns {
			row[i] = report.SpreadsheetSafe(cell(doc, c))
		}
		if err := d.cw.Write(row); err != nil {
			return &writeError{err}
		}
		return nil
	}
	if !d.header {
		d.header = true
		fmt.Fprintln(d.tw, strings.ToUpper(strings.Join(queryColumns, "\t")))
	}
	row := make([]string, len(queryColumns))
	for i, c := range queryColumns {
		row[i] = truncate(strings.ReplaceAll(report.TerminalSafe(cell(doc, c)), "\t", " "), 160)
		if row[i] == "" {
			row[i] = "-"
		}
	}
	if _, err := fmt.Fprintln(d.tw, strings.Join(row, "\t")); err != nil {
		return &writeError{err}
	}
	d.rows++
	if d.rows%tableFlushRows == 0 {
		if err := d.tw.Flush(); err != nil {
			return &writeError{err}
		}
	}
	return nil
}

func (d *docWriter) flush() error {
	switch {
	case d.tw != nil:
		if err := d.tw.Flush(); err != nil {
			return &writeError{err}
		}
	case d.cw != nil:
		d.cw.Flush()
		if err := d.cw.Error(); err != nil {
			return &writeError{err}
		}
	}
	return nil
}

// cell renders a document value for a table or CSV cell; lists are joined
// with spaces.
func cell(doc mapping.Doc, key string) string {
	v, ok := doc[key]
	if !ok {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case []string:
		return strings.Join(x, " ")
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, " ")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
