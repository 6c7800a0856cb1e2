package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVColumns is the fixed column set of the CSV report, in order. It is
// part of shadowscan's stable interface: columns may be added at the end,
// never renamed, removed or reordered.
//
//	timestamp                   @timestamp, RFC 3339 UTC with fractional seconds
//	rule_id, rule_name, rule_version, severity, risk_score
//	techniques, tactics         MITRE ATT&CK ids separated by spaces
//	host, user                  host.name; DOMAIN\name
//	process_name, process_pid, process_executable, process_command_line
//	process_args                process.args as a JSON array of strings
//	process_original_file_name  process.pe.original_file_name
//	parent_name, parent_pid, parent_executable, parent_command_line
//	path, record_id, channel, event_id   evidence location (record_id is EventRecordID)
//	corroboration_count         4656 shadow-copy handle requests listed with the alert
//	corroboration               those requests, "; "-separated, each
//	                            "TIME PROCESS (pid N) OUTCOME ACCESS on OBJECT [PATH#RECORD_ID]"
//	corroboration_omitted       requests in the window not listed (the list is capped)
//	corroboration_status        listed, none_in_window, no_security_log, no_time or off
//
// Empty fields and zero pids are written as empty cells.
func CSVColumns() []string {
	return []string{
		"timestamp", "rule_id", "rule_name", "rule_version", "severity", "risk_score",
		"techniques", "tactics", "host", "user",
		"process_name", "process_pid", "process_executable", "process_command_line",
		"process_args", "process_original_file_name",
		"parent_name", "parent_pid", "parent_executable", "parent_command_line",
		"path", "record_id", "channel", "event_id",
		"corroboration_count", "corroboration", "corroboration_omitted",
		"corroboration_status",
	}
}

// WriteCSV writes one row per alert under the CSVColumns header. Every cell
// goes through SpreadsheetSafe, so a command line such as "=cmd|..." is
// shown, not evaluated, by a spreadsheet.
func WriteCSV(w io.Writer, alerts []Alert) error {
	cw := csv.NewWriter(w)
	if err := writeSafeRow(cw, CSVColumns()); err != nil {
		return err
	}
	for i := range alerts {
		if err := writeSafeRow(cw, csvRow(&alerts[i])); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV report: %w", err)
	}
	return nil
}

func writeSafeRow(cw *csv.Writer, row []string) error {
	for i, cell := range row {
		row[i] = SpreadsheetSafe(cell)
	}
	if err := cw.Write(row); err != nil {
		return fmt.Errorf("writing CSV report: %w", err)
	}
	return nil
}

func csvRow(a *Alert) []string {
	args, _ := json.Marshal(nonNil(a.Process.Args)) // []string always marshals
	corr := make([]string, 0, len(a.Corroboration))
	for _, h := range a.Corroboration {
		corr = append(corr, handleRequestLine(h))
	}
	return []string{
		formatTime(a.Timestamp),
		a.Rule.ID, a.Rule.Name, strconv.Itoa(a.Rule.Version), a.Rule.Severity, strconv.Itoa(a.Rule.RiskScore),
		strings.Join(a.Rule.Techniques, " "), strings.Join(a.Rule.Tactics, " "),
		a.Host, a.User,
		a.Process.Name, formatPID(a.Process.PID), a.Process.Executable, a.Process.CommandLine,
		string(args), a.Process.OriginalFileName,
		a.Parent.Name, formatPID(a.Parent.PID), a.Parent.Executable, a.Parent.CommandLine,
		a.Evidence.Path, strconv.FormatUint(a.Evidence.RecordID, 10), a.Evidence.Channel, strconv.Itoa(a.Evidence.EventID),
		strconv.Itoa(len(a.Corroboration)), strings.Join(corr, "; "), strconv.Itoa(a.CorroborationOmitted),
		a.CorroborationStatus,
	}
}

// handleRequestLine is the one-line form of a handle request used by CSV.
func handleRequestLine(h HandleRequest) string {
	var b strings.Builder
	b.WriteString(formatTime(h.Timestamp))
	b.WriteString(" ")
	b.WriteString(orDash(h.ProcessName))
	if h.ProcessPID != 0 {
		fmt.Fprintf(&b, " (pid %d)", h.ProcessPID)
	}
	b.WriteString(" ")
	b.WriteString(orDash(h.Outcome))
	b.WriteString(" ")
	b.WriteString(orDash(h.Access))
	b.WriteString(" on ")
	b.WriteString(orDash(h.ObjectName))
	fmt.Fprintf(&b, " [%s#%d]", h.Evidence.Path, h.Evidence.RecordID)
	return b.String()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func formatPID(pid int64) string {
	if pid == 0 {
		return ""
	}
	return strconv.FormatInt(pid, 10)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
