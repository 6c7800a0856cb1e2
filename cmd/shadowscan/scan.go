package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/report"
	"github.com/shadowscan/shadowscan/scan"
)

const scanAbout = `Reads the event logs under PATH (.evtx files, folders searched recursively,
zip triage packages), runs every loaded detection rule on the Sysmon and
Security process events, and reports the alerts with their evidence location
(file and EventRecordID), the Security 4656 handle requests on shadow-copy
objects that corroborate them, and per host whether the audit policy could
have shown what the rules look for.

Formats: table (for a terminal, 80 columns), csv (fixed columns, cells made
safe for spreadsheets), json (one object: alerts, sources, audit, summary),
jsonl (one alert per line). With -o the report is written atomically: a
killed run never leaves a half-written report under that name.

--from/--to limit the events the rules see; the audit section and the 4656
corroboration still look at every record read.

On Ctrl-C the scan stops, writes what it found and marks the report partial
("partial": true in the JSON summary); the exit status is then 1 (10 when
--exit-code and alerts were found).

Exit status: 0 completed, 1 nothing could be read or interrupted, 2 usage
error, 10 alerts found (only with --exit-code).`

// scanFlags are the parsed flags of the scan command.
type scanFlags struct {
	format       report.Format
	output       string
	rules        stringList
	rulesOnly    bool
	workers      int
	from, to     time.Time
	noProgress   bool
	exitCode     bool
	corrobWindow time.Duration
	mapAll       bool // SHADOWSCAN_MAP=all
	maxAlerts    int
}

func runScan(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "scan", "PATH...", scanAbout)
	var f scanFlags
	format := fs.String("format", "table", "report format: table, csv, json or jsonl")
	fs.StringVar(&f.output, "o", "", "write the report to `FILE` (atomically) instead of standard output")
	fs.Var(&f.rules, "rules", "load rules from a TOML `PATH` (file or folder); repeatable; added to the embedded rules, replacing one with the same rule_id")
	fs.BoolVar(&f.rulesOnly, "rules-only", false, "run only the rules given with --rules, not the embedded ones")
	fs.IntVar(&f.workers, "workers", 0, "decoding workers (0: one per CPU)")
	from := fs.String("from", "", "only detect on events at or after this `RFC3339` time (e.g. 2024-03-01T00:00:00Z)")
	to := fs.String("to", "", "only detect on events at or before this `RFC3339` time")
	fs.BoolVar(&f.noProgress, "no-progress", false, "do not show the progress bar")
	fs.BoolVar(&f.exitCode, "exit-code", false, "exit with status 10 when there are alerts")
	fs.IntVar(&f.maxAlerts, "max-alerts", scan.DefaultMaxAlerts,
		"list at most this many alerts (the first found); further ones are counted in the summary, per rule, and reported as not listed")
	fs.DurationVar(&f.corrobWindow, "corroborate-window", scan.DefaultCorroborationWindow,
		"list Security 4656 shadow-copy handle requests up to this long after each alert (0: off)")
	paths, status, ok := parseFlags(fs, e, args)
	if !ok {
		return status
	}
	usageErr := func(format string, a ...any) int { return usageError(e, "scan", format, a...) }
	var err error
	if f.format, err = report.ParseFormat(*format); err != nil {
		return usageErr("--format: %v", err)
	}
	if f.from, err = parseTimeFlag(*from); err != nil {
		return usageErr("--from: %v", err)
	}
	if f.to, err = parseTimeFlag(*to); err != nil {
		return usageErr("--to: %v", err)
	}
	if !f.from.IsZero() && !f.to.IsZero() && f.to.Before(f.from) {
		return usageErr("--to %s is before --from %s", *to, *from)
	}
	if f.workers < 0 {
		return usageErr("--workers must be 0 or more")
	}
	if f.corrobWindow < 0 {
		return usageErr("--corroborate-window must be 0 or more")
	}
	if f.maxAlerts < 1 {
		return usageErr("--max-alerts must be 1 or more")
	}
	if f.rulesOnly && len(f.rules) == 0 {
		return usageErr("--rules-only needs at least one --rules PATH")
	}
	if len(paths) == 0 {
		return usageErr("no PATH given")
	}
	if f.mapAll, err = mapAllFromEnv(); err != nil {
		return usageErr("%v", err)
	}
	if p, ok := outputIsInput(f.output, paths); ok {
		return usageErr("-o %s is an input or an event log: refusing to replace evidence with the report", p)
	}
	rules, err := loadRuleSet(e, "scan", f.rules, !f.rulesOnly)
	if err != nil {
		fmt.Fprintf(e.stderr, "shadowscan scan: %s\n", report.TerminalSafe(err.Error()))
		return exitUsage
	}
	return scanAndReport(ctx, e, paths, rules, f)
}

// scanAndReport runs the scan, writes the report and chooses the exit
// status.
func scanAndReport(ctx context.Context, e *env, paths []string, rules []*detect.Rule, f scanFlags) int {
	warn := func(err error) {
		fmt.Fprintf(e.stderr, "shadowscan scan: warning: %s\n", report.TerminalSafe(err.Error()))
	}
	opts := scan.Options{
		Workers:             f.workers,
		From:                f.from,
		To:                  f.to,
		Warn:                warn,
		CorroborationWindow: f.corrobWindow,
		MapAll:              f.mapAll,
		MaxAlerts:           f.maxAlerts,
	}
	if f.corrobWindow == 0 {
		opts.CorroborationWindow = -1 // the flag's 0 means off
	}
	var total int64
	if !f.noProgress && e.stderrIsTerminal {
		inputs, _ := evtx.Discover(paths) // problems are reported once, by the scan
		for _, in := range inputs {
			total += in.Size
		}
	}
	update, finish := newProgress(e, total, f.noProgress)
	opts.Progress = update
	res, err := scan.Run(ctx, paths, rules, opts)
	finish()
	if err != nil {
		fmt.Fprintf(e.stderr, "shadowscan scan: %s\n", report.TerminalSafe(err.Error()))
		if res == nil {
			return exitNothing
		}
	}

	rep := res.Report()
	write := func(w io.Writer) error { return report.Write(w, f.format, rep) }
	if f.output == "" {
		err = write(e.stdout)
	} else {
		err = report.WriteFileAtomic(f.output, write)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "shadowscan scan: %s\n", report.TerminalSafe(err.Error()))
		return exitNothing
	}

	s := res.Summary
	if s.Partial {
		fmt.Fprintf(e.stderr, "shadowscan scan: PARTIAL report (%s): %d files, %d records read before stopping\n",
			report.TerminalSafe(s.PartialReason), s.Files, s.RecordsDecoded)
	}
	if f.output != "" {
		fmt.Fprintf(e.stderr, "shadowscan scan: %d alerts from %d files (%d records); report written to %s\n",
			s.Alerts, s.Files, s.RecordsDecoded, report.TerminalSafe(f.output))
	}
	switch {
	case f.exitCode && s.Alerts > 0:
		return exitAlerts
	case nothingRead(res):
		fmt.Fprintln(e.stderr, "shadowscan scan: nothing could be read: no readable EVTX file under the given paths")
		return exitNothing
	case s.Partial:
		// The run did not complete: a script must not take the report
		// for a whole one (as inventory does for a cut-short run).
		return exitNothing
	}
	return exitOK
}

// nothingRead reports whether the scan found no EVTX file it could open.
// A file whose chunks are all damaged was still read: its damage is in the
// report.
func nothingRead(res *scan.Result) bool {
	for _, src := range res.Sources {
		if src.AnythingRead() {
			return false
		}
	}
	return true
}

// parseTimeFlag parses an RFC 3339 time; empty means no bound.
func parseTimeFlag(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2024-03-01T10:00:00Z", s)
	}
	return t.UTC(), nil
}

// outputIsInput reports whether the report file named by -o is one of the
// input files or an existing event log, so a mistyped command line cannot
// overwrite evidence.
func outputIsInput(output string, inputs []string) (string, bool) {
	if output == "" {
		return "", false
	}
	out, err := os.Stat(output)
	if err != nil {
		return "", false // a new file cannot be evidence
	}
	for _, in := range inputs {
		if st, err := os.Stat(in); err == nil && os.SameFile(out, st) {
			return output, true
		}
	}
	if f, err := os.Open(output); err == nil {
		defer f.Close()
		head := make([]byte, 8)
		if n, _ := io.ReadFull(f, head); n == 8 && string(head) == "ElfFile\x00" {
			return output, true
		}
	}
	return "", false
}
