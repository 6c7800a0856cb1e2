package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/report"
)

const inventoryAbout = `A responder's first look at a triage package: one entry per .evtx file found
under PATH (files, folders searched recursively, zip archives read in place;
EVTX is recognised by its magic bytes, not its extension) with its channels,
computers, time range (RFC 3339, UTC), records decoded and failed, chunks and
damaged chunks, and whether the file header is flagged dirty.

--format json prints an array of objects with the keys path, size, channels,
computers, first, last (null when no dated record), records_decoded,
records_failed, failures (a list of {chunk, offset, record_id, reason}: every
record that could not be decoded, record_id being the record header's number
when readable), chunks, chunks_damaged, damaged_chunks ({chunk, offset,
reason}), dirty, header_chunks (the chunk count the header claims; every
chunk to the end of the file is read regardless), header_damage and error
(set when the file could not be read to its end).

Inputs that cannot be read are reported on stderr, one line each.

exit status: 0 the run completed (damaged input is reported, not fatal),
1 nothing could be read (no EVTX found or none readable), 2 usage error.`

func runInventory(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "inventory", "PATH...", inventoryAbout)
	format := fs.String("format", "table", "output format: table or json")
	workers := fs.Int("workers", 0, "decoding workers (default: number of CPUs)")
	noProgress := fs.Bool("no-progress", false, "no progress bar on stderr")
	paths, code, ok := parseFlags(fs, e, args)
	if !ok {
		return code
	}
	if *format != "table" && *format != "json" {
		return usageError(e, "inventory", "unknown --format %q (want table or json)", *format)
	}
	if len(paths) == 0 {
		return usageError(e, "inventory", "no PATH given")
	}
	if *workers < 0 {
		return usageError(e, "inventory", "--workers must be 0 or more")
	}
	// The inventory reads no event data (the decoder may skip it) and
	// keeps no record (evtx.Options.Transient).
	res, err := readEvidence(ctx, e, paths, *workers, *noProgress, evtx.Options{EventData: []string{}, Transient: true}, func(*evtx.Record) error { return nil })
	if res != nil {
		var werr error
		if *format == "json" {
			werr = writeInventoryJSON(e, res.Sources)
		} else if len(res.Sources) > 0 {
			werr = writeInventoryTable(e, res.Sources)
		}
		if werr != nil {
			fmt.Fprintf(e.stderr, "shadowscan inventory: %v\n", werr)
			return exitNothing
		}
	}
	return evidenceStatus(e, "inventory", res, err)
}

// readEvidence runs evtx.Scan with the progress bar and the warning lines
// every reading command shares: each unreadable input or refused zip entry
// is one line on stderr, made safe for the terminal. read holds what emit
// promises (evtx.Options.EventData, Transient); the rest is set here.
func readEvidence(ctx context.Context, e *env, paths []string, workers int, noProgress bool, read evtx.Options, emit func(*evtx.Record) error) (*evtx.Result, error) {
	var total int64
	if !noProgress && e.stderrIsTerminal {
		inputs, _ := evtx.Discover(paths) // problems are reported once, by Scan
		for _, in := range inputs {
			total += in.Size
		}
	}
	update, finish := newProgress(e, total, noProgress)
	opts := read
	opts.Workers = workers
	opts.Progress = update
	opts.Warn = func(err error) {
		fmt.Fprintf(e.stderr, "shadowscan: %s\n", report.TerminalSafe(err.Error()))
	}
	res, err := evtx.Scan(ctx, paths, opts, emit)
	finish()
	return res, err
}

// evidenceStatus is the exit status of a reading command: 1 when the run
// was cut short or nothing could be read, 0 otherwise (damaged input is
// reported, not fatal).
func evidenceStatus(e *env, cmd string, res *evtx.Result, err error) int {
	if err != nil {
		fmt.Fprintf(e.stderr, "shadowscan %s: %s\n", cmd, report.TerminalSafe(err.Error()))
		return exitNothing
	}
	if len(res.Sources) == 0 {
		fmt.Fprintf(e.stderr, "shadowscan %s: no EVTX file found (%d other files skipped)\n", cmd, res.Skipped)
		return exitNothing
	}
	for _, s := range res.Sources {
		if s.AnythingRead() {
			return exitOK
		}
	}
	fmt.Fprintf(e.stderr, "shadowscan %s: none of the %d EVTX files could be read\n", cmd, len(res.Sources))
	return exitNothing
}

func writeInventoryJSON(e *env, sources []evtx.Source) error {
	if sources == nil {
		sources = []evtx.Source{}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(sources)
}

// writeInventoryTable prints one row per file, readable in 80 columns:
// the folder all files share is printed once above the table, and long
// names, channel and host lists wrap inside their cells.
func writeInventoryTable(e *env, sources []evtx.Source) error {
	prefix := commonDir(sources)
	if prefix != "" {
		fmt.Fprintf(e.stdout, "under %s\n", report.TerminalSafe(prefix))
	}
	t := tablewriter.NewTable(e.stdout,
		tablewriter.WithMaxWidth(80),
		tablewriter.WithColumnWidths(tw.NewMapper[int, int]().Set(0, 20).Set(1, 16).Set(2, 11).Set(3, 11).Set(4, 22)),
		tablewriter.WithRowAutoWrap(tw.WrapBreak),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRendition(tw.Rendition{
			Borders:  tw.BorderNone,
			Settings: tw.Settings{Separators: tw.Separators{BetweenRows: tw.On, BetweenColumns: tw.Off, ShowHeader: tw.On}},
		}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignLeft}}),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
	)
	t.Header("FILE", "CHANNEL / HOST", "RECORDS", "CHUNKS", "FIRST / LAST (UTC)")
	for _, s := range sources {
		if err := t.Append(inventoryRow(s, prefix)); err != nil {
			return err
		}
	}
	return t.Render()
}

// commonDir is the directory prefix (with its trailing separator) that all
// source paths share, or "" when there is none worth factoring out.
func commonDir(sources []evtx.Source) string {
	if len(sources) == 0 {
		return ""
	}
	prefix := sources[0].Path
	for _, s := range sources[1:] {
		for !strings.HasPrefix(s.Path, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	if i := strings.LastIndexAny(prefix, `/\!`); i >= 0 {
		return prefix[:i+1]
	}
	return ""
}

func inventoryRow(s evtx.Source, prefix string) []string {
	safe := func(items []string) string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = report.TerminalSafe(it)
		}
		return strings.Join(out, "\n")
	}
	records := strconv.Itoa(s.RecordsDecoded)
	if s.RecordsFailed > 0 {
		records += fmt.Sprintf("\n%d failed", s.RecordsFailed)
	}
	if s.Error != "" {
		records += "\nread error"
	}
	chunks := strconv.Itoa(s.Chunks)
	if s.ChunksDamaged > 0 {
		chunks += fmt.Sprintf("\n%d damaged", s.ChunksDamaged)
	}
	if s.Dirty {
		chunks += "\ndirty"
	}
	if s.HeaderDamage != "" {
		chunks += "\nbad header"
	}
	when := "-"
	if !s.First.IsZero() {
		when = s.First.UTC().Format(time.RFC3339) + "\n" + s.Last.UTC().Format(time.RFC3339)
	}
	return []string{
		report.TerminalSafe(strings.TrimPrefix(s.Path, prefix)),
		safe(append(append([]string{}, s.Channels...), s.Computers...)),
		records,
		chunks,
		when,
	}
}
