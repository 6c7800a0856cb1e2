package report

import (
	"fmt"
	"io"
	"time"

	"github.com/shadowscan/shadowscan/evtx"
)

// Report is everything one scan produced, in the shape of the JSON report:
// {"alerts": [...], "sources": [...], "audit": [...], "summary": {...}}.
type Report struct {
	Alerts []Alert `json:"alerts"`
	// Sources are the inventory entries of every EVTX file read, so that
	// nothing read is unaccounted for.
	Sources []evtx.Source `json:"sources"`
	// Audit is the per-host audit-policy section (the audit package's
	// findings). report does not interpret it: JSON encodes the value as it
	// is, the table calls its WriteTable.
	Audit   AuditSection `json:"audit"`
	Summary Summary      `json:"summary"`
}

// AuditSection is the audit-policy part of a report. report keeps it opaque
// so that its writers stay testable without the audit analysis; scan wraps
// []audit.Host in it.
type AuditSection interface {
	// WriteTable renders the section for a terminal; every text it prints
	// from the evidence must be made safe by the implementation.
	WriteTable(w io.Writer) error
}

// Summary is the accounting of a scan.
type Summary struct {
	Files          int `json:"files"`           // EVTX files found
	FilesDamaged   int `json:"files_damaged"`   // files with damaged chunks or failed records
	FilesUnread    int `json:"files_unread"`    // inputs that could not be opened or read at all
	Skipped        int `json:"skipped"`         // non-EVTX files skipped
	RecordsDecoded int `json:"records_decoded"` // records decoded, in every file
	RecordsFailed  int `json:"records_failed"`  // records that could not be decoded
	// RecordsInRange counts the decoded records inside --from/--to, the ones
	// the rules saw (equal to RecordsDecoded without a time range).
	RecordsInRange int `json:"records_in_range"`
	ChunksDamaged  int `json:"chunks_damaged"`
	// Errors are one-line messages for input that could not be read at all.
	Errors []string `json:"errors"`

	Rules  int `json:"rules"`  // rules run
	Alerts int `json:"alerts"` // total alerts, listed or not
	// AlertsNotListed counts the alerts beyond the bound on the list
	// (scan --max-alerts): counted here and per rule, not listed.
	AlertsNotListed int         `json:"alerts_not_listed,omitempty"`
	AlertsPerRule   []RuleCount `json:"alerts_per_rule"` // every rule run, with its alert count

	// From and To are the --from/--to range (absent when open).
	From *time.Time `json:"from,omitempty"`
	To   *time.Time `json:"to,omitempty"`
	// CorroborationWindow is how long after an alert a 4656 handle request
	// on a shadow copy is listed with it, in seconds.
	CorroborationWindowSeconds float64 `json:"corroboration_window_seconds"`
	// CorroborationCandidates counts the 4656 shadow-copy handle requests
	// kept; CorroborationDropped those not kept because the bound was hit.
	CorroborationCandidates int `json:"corroboration_candidates"`
	CorroborationDropped    int `json:"corroboration_dropped"`

	ElapsedSeconds float64 `json:"elapsed_seconds"`
	// Partial is true when the scan stopped before reading everything
	// (interrupted); PartialReason says why.
	Partial       bool   `json:"partial"`
	PartialReason string `json:"partial_reason,omitempty"`
}

// RuleCount is the number of alerts one rule raised.
type RuleCount struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version int    `json:"version"`
	Alerts  int    `json:"alerts"`
}

// Format is an output format of the scan report.
type Format string

// The report formats.
const (
	FormatTable Format = "table"
	FormatCSV   Format = "csv"
	FormatJSON  Format = "json"
	FormatJSONL Format = "jsonl"
)

// Formats lists the formats in the order --help shows them.
func Formats() []Format { return []Format{FormatTable, FormatCSV, FormatJSON, FormatJSONL} }

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (want table, csv, json or jsonl)", s)
}

// Write renders r in format f.
func Write(w io.Writer, f Format, r *Report) error {
	switch f {
	case FormatTable:
		return WriteTable(w, r)
	case FormatCSV:
		return WriteCSV(w, r.Alerts)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatJSONL:
		return WriteJSONL(w, r.Alerts)
	}
	return fmt.Errorf("unknown format %q", f)
}
