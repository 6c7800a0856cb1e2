package report

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twcache"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Table layout: one two-column block per alert, so that the report reads in
// an 80-column terminal whatever the length of a command line (values wrap
// inside their column). The key column holds at most keyWidth-2 characters.
const (
	tableWidth = 80
	keyWidth   = 14
	valueWidth = tableWidth - keyWidth - 5 // borders: "| ", " | ", " |"
)

// WriteTable writes the report for a terminal: one block per alert, the
// audit-policy section, then the summary (files, records, alerts per rule,
// damaged input, elapsed time). Every text taken from the evidence goes
// through TerminalSafe.
func WriteTable(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	t := newBlockTable(ew)
	n := len(r.Alerts)
	switch n {
	case 0:
		fmt.Fprintln(ew, "No alerts.")
	case 1:
		fmt.Fprintln(ew, "1 alert:")
	default:
		fmt.Fprintf(ew, "%d alerts:\n", n)
	}
	for i := range r.Alerts {
		fmt.Fprintln(ew)
		if err := renderBlock(t, alertBlock(&r.Alerts[i], i+1, n, r.Summary)); err != nil {
			return err
		}
	}
	if r.Audit != nil {
		fmt.Fprintln(ew)
		fmt.Fprintln(ew, "Audit-policy prerequisites:")
		fmt.Fprintln(ew)
		if ew.err == nil {
			if err := r.Audit.WriteTable(ew); err != nil {
				return fmt.Errorf("writing audit section: %w", err)
			}
		}
	}
	fmt.Fprintln(ew)
	if err := renderBlock(t, summaryBlock(&r.Summary)); err != nil {
		return err
	}
	if ew.err != nil {
		return fmt.Errorf("writing table report: %w", ew.err)
	}
	return nil
}

// block is a two-column key/value table. Keys are shadowscan's own words;
// values are made terminal-safe when the block is built.
type block struct {
	title [2]string
	rows  [][2]string
}

func (b *block) add(key string, lines ...string) {
	var kept []string
	for _, l := range lines {
		if l != "" {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		kept = []string{"-"}
	}
	b.rows = append(b.rows, [2]string{key, strings.Join(kept, "\n")})
}

// newBlockTable returns the two-column table every block is drawn with;
// renderBlock resets and reuses it. Cells are plain strings, so the
// stringer cache gets one slot: the default one (thousands of slots) is
// reallocated by every Reset and cost more than drawing the block.
func newBlockTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithStringerCacheCustom(twcache.NewLRU[reflect.Type, reflect.Value](1)),
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithColumnWidths(tw.NewMapper[int, int]().Set(0, keyWidth).Set(1, valueWidth+2)),
		tablewriter.WithRowMaxWidth(valueWidth+2),
		tablewriter.WithRowAutoWrap(tw.WrapBreak),
		tablewriter.WithHeaderAutoWrap(tw.WrapBreak),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithTrimSpace(tw.Off),
	)
}

func renderBlock(t *tablewriter.Table, b block) error {
	t.Reset()
	t.Header(b.title[0], b.title[1])
	for _, row := range b.rows {
		if err := t.Append(row[0], row[1]); err != nil {
			return fmt.Errorf("writing table report: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("writing table report: %w", err)
	}
	return nil
}

func alertBlock(a *Alert, i, n int, s Summary) block {
	ts := TerminalSafe
	b := block{title: [2]string{
		fmt.Sprintf("alert %d/%d", i, n),
		ts(a.Rule.Name) + versionLabel(a.Rule.Version),
	}}
	b.add("severity", fmt.Sprintf("%s, risk score %d", ts(a.Rule.Severity), a.Rule.RiskScore))
	b.add("rule id", ts(a.Rule.ID))
	b.add("mitre", ts(strings.Join(append(append([]string{}, a.Rule.Tactics...), a.Rule.Techniques...), " ")))
	b.add("time", formatTime(a.Timestamp))
	b.add("host", ts(a.Host))
	b.add("user", ts(a.User))
	b.add("process", nameAndPID(a.Process.Name, a.Process.PID))
	b.add("executable", ts(a.Process.Executable))
	b.add("orig. name", ts(a.Process.OriginalFileName))
	b.add("command line", ts(a.Process.CommandLine))
	b.add("args", formatArgs(a.Process.Args))
	b.add("parent", nameAndPID(a.Parent.Name, a.Parent.PID))
	b.add("parent exe", ts(a.Parent.Executable))
	b.add("parent cmd", ts(a.Parent.CommandLine))
	b.add("evidence", ts(a.Evidence.Path), evidenceLine(a.Evidence))
	var corr []string
	for j, h := range a.Corroboration {
		lines := handleRequestLines(h)
		if len(a.Corroboration) > 1 {
			lines[0] = strconv.Itoa(j+1) + ") " + lines[0]
		}
		corr = append(corr, lines...)
	}
	if a.CorroborationOmitted > 0 {
		corr = append(corr, fmt.Sprintf("... and %d more in the window, not listed", a.CorroborationOmitted))
	}
	if len(corr) == 0 {
		switch {
		case a.CorroborationStatus == CorroborationNoSecurityLog:
			corr = []string{"not checked: no Security log of this host was read"}
		case a.CorroborationStatus == CorroborationOff:
			corr = []string{"not checked"}
		case a.CorroborationStatus == CorroborationNoTime:
			corr = []string{"not checked: the event has no time"}
		case s.CorroborationWindowSeconds > 0:
			corr = []string{"none on this host within " + formatSeconds(s.CorroborationWindowSeconds) + " after the alert"}
		default:
			corr = []string{"not checked"}
		}
	}
	b.add("4656 access", corr...)
	return b
}

func handleRequestLines(h HandleRequest) []string {
	ts := TerminalSafe
	head := formatTime(h.Timestamp) + " " + nameAndPID(h.ProcessName, h.ProcessPID)
	if h.Outcome != "" {
		head += " " + ts(h.Outcome)
	}
	lines := []string{head}
	if h.Access != "" {
		lines = append(lines, "access: "+ts(h.Access))
	}
	lines = append(lines, ts(h.ObjectName), ts(h.Evidence.Path)+" "+evidenceLine(h.Evidence))
	return lines
}

func evidenceLine(e Evidence) string {
	s := "record " + strconv.FormatUint(e.RecordID, 10)
	if e.Channel != "" {
		s += ", " + TerminalSafe(e.Channel)
	}
	if e.EventID != 0 {
		s += ", event " + strconv.Itoa(e.EventID)
	}
	return s
}

func nameAndPID(name string, pid int64) string {
	name = TerminalSafe(name)
	switch {
	case pid == 0:
		return name
	case name == "":
		return "pid " + strconv.FormatInt(pid, 10)
	}
	return name + " (pid " + strconv.FormatInt(pid, 10) + ")"
}

// formatArgs shows each argument in brackets, so that arguments holding
// spaces read unambiguously without JSON's doubled backslashes.
func formatArgs(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = "[" + TerminalSafe(a) + "]"
	}
	return strings.Join(parts, " ")
}

func summaryBlock(s *Summary) block {
	status := "complete"
	if s.Partial {
		status = "PARTIAL: " + orDash(TerminalSafe(s.PartialReason)) + " - not all input was read"
	}
	b := block{title: [2]string{"summary", status}}
	files := fmt.Sprintf("%d EVTX read", s.Files)
	var notes []string
	if s.FilesDamaged > 0 {
		notes = append(notes, fmt.Sprintf("%d damaged", s.FilesDamaged))
	}
	if s.FilesUnread > 0 {
		notes = append(notes, fmt.Sprintf("%d unreadable", s.FilesUnread))
	}
	if s.Skipped > 0 {
		notes = append(notes, fmt.Sprintf("%d non-EVTX skipped", s.Skipped))
	}
	if len(notes) > 0 {
		files += " (" + strings.Join(notes, ", ") + ")"
	}
	b.add("files", files)
	b.add("records", fmt.Sprintf("%d decoded, %d failed", s.RecordsDecoded, s.RecordsFailed))
	b.add("damaged", fmt.Sprintf("%d chunks, %d records", s.ChunksDamaged, s.RecordsFailed))
	if s.From != nil || s.To != nil {
		b.add("time range", fmt.Sprintf("%s .. %s: %d records in range", rangeEnd(s.From, "start"), rangeEnd(s.To, "end"), s.RecordsInRange))
	}
	b.add("rules", strconv.Itoa(s.Rules))
	b.add("alerts", strconv.Itoa(s.Alerts))
	if s.AlertsNotListed > 0 {
		b.add("not listed", fmt.Sprintf("%d (over --max-alerts; counted above)", s.AlertsNotListed))
	}
	if len(s.AlertsPerRule) > 0 {
		lines := make([]string, len(s.AlertsPerRule))
		for i, rc := range s.AlertsPerRule {
			lines[i] = fmt.Sprintf("%d  %s%s", rc.Alerts, TerminalSafe(rc.Name), versionLabel(rc.Version))
		}
		b.add("per rule", lines...)
	}
	b.add("4656 checked", fmt.Sprintf("%d shadow-copy handle requests, window %s", s.CorroborationCandidates, formatSeconds(s.CorroborationWindowSeconds)))
	if s.CorroborationDropped > 0 {
		b.add("4656 dropped", fmt.Sprintf("%d over the memory bound, not compared", s.CorroborationDropped))
	}
	if len(s.Errors) > 0 {
		lines := make([]string, len(s.Errors))
		for i, e := range s.Errors {
			lines[i] = TerminalSafe(e)
		}
		b.add("errors", lines...)
	}
	b.add("elapsed", formatSeconds(s.ElapsedSeconds))
	return b
}

// versionLabel is " (vN)", or nothing when the rule file gives no version.
func versionLabel(v int) string {
	if v == 0 {
		return ""
	}
	return " (v" + strconv.Itoa(v) + ")"
}

func rangeEnd(t *time.Time, open string) string {
	if t == nil {
		return open
	}
	return formatTime(*t)
}

func formatSeconds(sec float64) string {
	return time.Duration(sec * float64(time.Second)).Round(time.Millisecond).String()
}

// errWriter keeps the first write error so that a sequence of Fprint calls
// can be checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
