package main

import (
	"context"
	"fmt"
	"io"

	"github.com/shadowscan/shadowscan/audit"
	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/report"
	"github.com/shadowscan/shadowscan/scan"
)

const auditAbout = `Per host (System/Computer; name variants such as DC01 and DC01.corp.local
are grouped and listed): could these logs have shown what the rules look for?

For each host it reports which logs were collected and over what time
(Sysmon EID 1 and how many carry OriginalFileName, i.e. Sysmon 10+;
Security 4688 and how many carry a CommandLine; 4656 and how many on files),
evidence about the audit policy itself (4719 changes by subcategory GUID,
1102/104 log clears, 1100/1104/1105, Sysmon EID 4 and 16, gaps in
EventRecordIDs, long silences, undecodable records), and for each loaded
rule a verdict derived from the rule's query:
  can_fire            a source on the host carries every field the query needs
  can_fire_partially  it can, but another source lacks fields by configuration
  cannot_fire         sources are present but none carries the needed fields
  no_data             no source the query could run on is in the evidence
The prerequisites in the rule's Setup notes (e.g. Audit File System,
Success and Failure) are listed apart, each present, missing, unknown or
not_collected, with the events they rest on, and every gap with its remedy
(auditpol line, Group Policy path, registry value, Sysmon version).
A log that was not collected is reported as not collected, never as
auditing turned off.

auditpol output among the inputs is used as direct evidence of the
configured policy: any file under PATH (or .csv/.txt member of a zip) of at
most 4 MiB that is auditpol CSV, from "auditpol /backup /file:X" or
"auditpol /get /category:* /r" (UTF-8 or UTF-16), matched to hosts by its
Machine Name column.

Formats: table (80 columns), csv (one row per host and rule), json (an
array of hosts; the same objects as "audit" in scan --format json).`

func runAudit(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "audit", "PATH...", auditAbout)
	format := fs.String("format", "table", "output format: table, csv or json")
	var rulePaths stringList
	fs.Var(&rulePaths, "rules", "load rules from a TOML `PATH` (file or folder); repeatable; added to the embedded rules")
	rulesOnly := fs.Bool("rules-only", false, "judge only the rules given with --rules, not the embedded ones")
	workers := fs.Int("workers", 0, "decoding workers (0: one per CPU)")
	noProgress := fs.Bool("no-progress", false, "do not show the progress bar")
	paths, status, ok := parseFlags(fs, e, args)
	if !ok {
		return status
	}
	usageErr := func(format string, a ...any) int { return usageError(e, "audit", format, a...) }
	var write func(io.Writer, []audit.Host) error
	switch *format {
	case "table":
		write = audit.WriteTable
	case "csv":
		write = audit.WriteCSV
	case "json":
		write = audit.WriteJSON
	default:
		return usageErr("--format: %q is not one of table, csv, json", *format)
	}
	if *workers < 0 {
		return usageErr("--workers must be 0 or more")
	}
	if *rulesOnly && len(rulePaths) == 0 {
		return usageErr("--rules-only needs at least one --rules PATH")
	}
	if len(paths) == 0 {
		return usageErr("no PATH given")
	}
	mapAll, err := mapAllFromEnv()
	if err != nil {
		return usageErr("%v", err)
	}
	rules, err := loadRuleSet(e, "audit", rulePaths, !*rulesOnly)
	if err != nil {
		fmt.Fprintf(e.stderr, "shadowscan audit: %s\n", report.TerminalSafe(err.Error()))
		return exitUsage
	}

	warn := func(err error) {
		fmt.Fprintf(e.stderr, "shadowscan audit: warning: %s\n", report.TerminalSafe(err.Error()))
	}
	var total int64
	if !*noProgress && e.stderrIsTerminal {
		inputs, _ := evtx.Discover(paths) // problems are reported once, by the scan
		for _, in := range inputs {
			total += in.Size
		}
	}
	update, finish := newProgress(e, total, *noProgress)
	// The same read -> map -> audit pipeline as scan, without matching.
	res, scanErr := scan.Run(ctx, paths, rules, scan.Options{
		Workers: *workers, Progress: update, Warn: warn, AuditOnly: true, MapAll: mapAll,
	})
	finish()
	if res == nil {
		res = &scan.Result{}
	}
	partial := scanErr != nil || res.Summary.Partial
	if partial {
		why := "interrupted"
		if scanErr != nil {
			why = scanErr.Error()
		}
		fmt.Fprintf(e.stderr, "shadowscan audit: %s: the audit covers only what was read before it stopped\n",
			report.TerminalSafe(why))
	}

	if err := write(e.stdout, res.Audit); err != nil {
		fmt.Fprintf(e.stderr, "shadowscan audit: %s\n", report.TerminalSafe(err.Error()))
		return exitNothing
	}
	sum := res.Summary
	if *format == "table" {
		fmt.Fprintf(e.stdout, "\nread %d EVTX files (%d records, %d unreadable), skipped %d other files\n",
			sum.Files, sum.RecordsDecoded, sum.FilesUnread, sum.Skipped)
		fmt.Fprintf(e.stdout, "%d auditpol files, %d rules, %d hosts%s\n",
			res.Policies, len(rules), len(res.Audit), map[bool]string{true: " (PARTIAL: the read was cut short)"}[partial])
	}
	if sum.Files == sum.FilesUnread && res.Policies == 0 {
		fmt.Fprintln(e.stderr, "shadowscan audit: nothing could be read: no readable EVTX file or auditpol output under the given paths")
		return exitNothing
	}
	if partial {
		return exitNothing // the run did not complete (Ctrl-C), as for scan and inventory
	}
	return exitOK
}
