package audit

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shadowscan/shadowscan/report"
)

// WriteJSON writes hosts as one indented JSON array.
func WriteJSON(w io.Writer, hosts []Host) error {
	if hosts == nil {
		hosts = []Host{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(hosts); err != nil {
		return fmt.Errorf("writing audit JSON: %w", err)
	}
	return nil
}

// CSVHeader is the fixed column set of WriteCSV: one row per host and rule
// (one row with empty rule columns for a host when no rule is loaded).
var CSVHeader = []string{
	"host", "names", "records", "first", "last",
	"sysmon_collected", "sysmon_process_create", "sysmon_with_original_file_name", "sysmon_10_or_later",
	"security_collected", "security_4688", "security_4688_with_command_line",
	"security_4656", "security_4656_on_files",
	"policy_changes_4719", "logs_cleared", "missing_record_ids",
	"rule_id", "rule_name", "rule_version", "verdict", "reason", "setup_not_present", "remedies",
}

// WriteCSV writes the CSVHeader columns. Cells that a spreadsheet would
// take for a formula are neutralised (report.SpreadsheetSafe).
func WriteCSV(w io.Writer, hosts []Host) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("writing audit CSV: %w", err)
	}
	for _, h := range hosts {
		var names []string
		for _, n := range h.Names {
			names = append(names, n.Name)
		}
		var missing uint64
		for _, g := range h.Gaps {
			missing += g.MissingIDs
		}
		base := []string{
			h.Host, strings.Join(names, "; "), strconv.Itoa(h.Records), h.First, h.Last,
			strconv.FormatBool(h.Logs.Sysmon.Collected), strconv.Itoa(h.Logs.Sysmon.ProcessCreate.Count),
			strconv.Itoa(h.Logs.Sysmon.WithOriginalFileName), h.Logs.Sysmon.Version10,
			strconv.FormatBool(h.Logs.Security.Collected), strconv.Itoa(h.Logs.Security.ProcessCreate.Count),
			strconv.Itoa(h.Logs.Security.WithCommandLine),
			strconv.Itoa(h.Logs.Security.HandleRequests.Count), strconv.Itoa(h.Logs.Security.HandleRequestsOnFiles),
			strconv.Itoa(h.Policy.ChangesTotal), strconv.Itoa(h.Policy.ClearedTotal), strconv.FormatUint(missing, 10),
		}
		rows := [][]string{}
		for _, r := range h.Rules {
			var notPresent []string
			for _, p := range r.Setup {
				if p.Status != Present {
					notPresent = append(notPresent, p.Text+": "+p.Status)
				}
			}
			rows = append(rows, []string{r.RuleID, r.Name, strconv.Itoa(r.Version), r.Verdict, r.Reason,
				strings.Join(notPresent, "; "), strings.Join(r.Remedies, "; ")})
		}
		if len(rows) == 0 {
			rows = append(rows, make([]string, 7))
		}
		for _, rr := range rows {
			rec := append(append([]string(nil), base...), rr...)
			for i := range rec {
				rec[i] = report.SpreadsheetSafe(rec[i])
			}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("writing audit CSV: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing audit CSV: %w", err)
	}
	return nil
}

// tableWidth is the terminal width the table is laid out for.
const tableWidth = 80

// WriteTable writes the audit for a terminal, 80 columns wide, one block per
// host. Every value from the evidence goes through report.TerminalSafe.
func WriteTable(w io.Writer, hosts []Host) error {
	bw := bufio.NewWriter(w)
	t := &textOut{w: bw}
	if len(hosts) == 0 {
		t.line(0, "No hosts: no records and no auditpol output were read.")
	}
	for i, h := range hosts {
		if i > 0 {
			t.blank()
		}
		writeHost(t, h)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing audit table: %w", err)
	}
	return nil
}

func writeHost(t *textOut, h Host) {
	t.rule("HOST " + h.Host)
	if h.Host == Unattributed {
		t.line(0, "evidence files none of whose records could be decoded: their host is unknown")
		for _, g := range h.Gaps {
			t.line(2, g.Path)
			for _, n := range g.Notes {
				t.line(4, "note: "+n)
			}
		}
		return
	}
	var names []string
	for _, n := range h.Names {
		if n.Records > 0 {
			names = append(names, fmt.Sprintf("%s (%s)", n.Name, formatInt(int64(n.Records))))
		} else {
			names = append(names, n.Name+" (auditpol)")
		}
	}
	t.line(0, "names: "+strings.Join(names, ", "))
	if h.Records > 0 {
		t.line(0, fmt.Sprintf("records: %s, %s to %s, in %s", formatInt(int64(h.Records)), h.First, h.Last, count(len(h.Files), "file")))
	}
	for _, s := range h.Truncated {
		t.line(0, "note: "+s)
	}

	t.head("Logs")
	sm := h.Logs.Sysmon
	if sm.Collected {
		t.line(2, fmt.Sprintf("Sysmon: %s, %s to %s", count(sm.Records, "record"), sm.First, sm.Last))
		t.line(4, fmt.Sprintf("EID 1 process creation: %s, with OriginalFileName: %s; Sysmon 10+: %s (%s)",
			formatInt(int64(sm.ProcessCreate.Count)), formatInt(int64(sm.WithOriginalFileName)), sm.Version10, sm.VersionEvidence))
		for _, e := range sm.ServiceChanges {
			t.line(4, eventLine("EID 4 service state", e))
		}
		for _, e := range sm.ConfigChanges {
			t.line(4, eventLine("EID 16 config change", e))
		}
	} else {
		t.line(2, "Sysmon: not collected (no Microsoft-Windows-Sysmon/Operational records for this host)")
	}
	sec := h.Logs.Security
	if sec.Collected {
		t.line(2, fmt.Sprintf("Security: %s, %s to %s", count(sec.Records, "record"), sec.First, sec.Last))
		t.line(4, fmt.Sprintf("4688 process creation: %s, with CommandLine: %s",
			formatInt(int64(sec.ProcessCreate.Count)), formatInt(int64(sec.WithCommandLine))))
		t.line(4, fmt.Sprintf("4656 handle requests: %s, on files: %s (success %s, failure %s)",
			formatInt(int64(sec.HandleRequests.Count)), formatInt(int64(sec.HandleRequestsOnFiles)),
			formatInt(int64(sec.HandleRequestsSuccess)), formatInt(int64(sec.HandleRequestsFailure))))
		var subs []string
		for _, s := range sec.Subcategories {
			subs = append(subs, fmt.Sprintf("%s (S %s, F %s)", s.Name, formatInt(int64(s.Success)), formatInt(int64(s.Failure))))
		}
		if len(subs) > 0 {
			t.line(4, "subcategories with events: "+strings.Join(subs, ", "))
		}
	} else {
		t.line(2, "Security: not collected (no Security records for this host; says nothing about its auditing)")
	}
	if h.Logs.System.Collected {
		t.line(2, fmt.Sprintf("System: %s, %s to %s", count(h.Logs.System.Records, "record"), h.Logs.System.First, h.Logs.System.Last))
	}
	var others []string
	for _, c := range h.Logs.Channels {
		switch strings.ToLower(c.Channel) {
		case channelSecurity, channelSystem, channelSysmon:
			continue
		}
		others = append(others, fmt.Sprintf("%s (%s)", c.Channel, formatInt(int64(c.Records))))
	}
	if len(others) > 0 {
		t.line(2, "other channels: "+strings.Join(others, ", "))
	}

	if len(h.Policy.Auditpol)+len(h.Policy.Changes)+len(h.Policy.Cleared)+len(h.Policy.LogService) > 0 {
		t.head("Policy evidence")
		for _, p := range h.Policy.Auditpol {
			var on []string
			for _, s := range p.Settings {
				if s.Setting != "none" {
					on = append(on, s.Subcategory+": "+s.Setting)
				}
			}
			t.line(2, fmt.Sprintf("auditpol %s: %d subcategories, enabled: %s", p.Path, len(p.Settings), strings.Join(on, ", ")))
		}
		for _, c := range h.Policy.Changes {
			t.line(2, fmt.Sprintf("4719 %s: %s / %s %s: %s (by %s) [%s record %d]",
				c.Time, c.Category, c.Subcategory, c.GUID, strings.Join(c.Changes, ", "), c.By, c.Path, c.RecordID))
		}
		if n := h.Policy.ChangesTotal - len(h.Policy.Changes); n > 0 {
			t.line(2, fmt.Sprintf("and %d more 4719 events", n))
		}
		for _, e := range h.Policy.Cleared {
			t.line(2, eventLine(strconv.FormatInt(e.EventID, 10), e))
		}
		for _, e := range h.Policy.LogService {
			t.line(2, eventLine(strconv.FormatInt(e.EventID, 10), e))
		}
	}

	if len(h.Gaps) > 0 {
		t.head("Gaps and damage")
		var exports []Gap
		for _, g := range h.Gaps {
			if g.Export && g.RecordsFailed == 0 && g.ChunksDamaged == 0 && !g.Dirty && g.Silence == nil {
				exports = append(exports, g)
				continue
			}
			if g.MissingIDs > 0 {
				t.line(2, fmt.Sprintf("%s: %s, record ids %d to %d, %s missing in %s",
					g.Path, count(g.Records, "record"), g.FirstRecordID, g.LastRecordID, formatInt(int64(g.MissingIDs)), count(g.HolesTotal, "hole")))
			} else {
				t.line(2, fmt.Sprintf("%s: %s, record ids %d to %d", g.Path, count(g.Records, "record"), g.FirstRecordID, g.LastRecordID))
			}
			for i, hole := range g.Holes {
				if i == 5 {
					t.line(4, fmt.Sprintf("and %d more holes", g.HolesTotal-5))
					break
				}
				t.line(4, fmt.Sprintf("ids %d-%d (%s) missing between %s and %s", hole.From, hole.To, formatInt(int64(hole.Missing)), hole.After, hole.Before))
			}
			if g.Silence != nil {
				t.line(4, fmt.Sprintf("no records for %.1f hours, %s to %s", g.Silence.Hours, g.Silence.From, g.Silence.To))
			}
			for _, n := range g.Notes {
				t.line(4, "note: "+n)
			}
		}
		if len(exports) > 0 {
			var missing uint64
			var paths []string
			for _, g := range exports {
				missing += g.MissingIDs
				paths = append(paths, g.Path)
			}
			if len(paths) > 3 {
				paths = append(paths[:3], fmt.Sprintf("and %d more", len(exports)-3))
			}
			t.line(2, fmt.Sprintf("%s exported (record headers renumbered): their %s missing EventRecordIDs are records the export left out, not deletion: %s",
				count(len(exports), "file"), formatInt(int64(missing)), strings.Join(paths, ", ")))
		}
	}

	if len(h.Rules) > 0 {
		t.head("Rules")
		for _, r := range h.Rules {
			t.line(2, fmt.Sprintf("[%s] %s (%s)", r.Verdict, r.Name, r.RuleID))
			t.line(4, r.Reason)
			for _, p := range r.Setup {
				halves := ""
				if p.Success != "" || p.Failure != "" {
					halves = fmt.Sprintf(" (success %s, failure %s)", orDash(p.Success), orDash(p.Failure))
				}
				t.line(4, fmt.Sprintf("setup: %s: %s%s", p.Text, p.Status, halves))
				for _, e := range p.Evidence {
					t.line(6, "- "+e)
				}
			}
			if len(r.Remedies) > 0 {
				t.line(4, "remedies: "+strings.Join(r.Remedies, ", "))
			}
		}
	}
	if len(h.Remedies) > 0 {
		t.head("Remedies")
		for _, r := range h.Remedies {
			t.line(2, fmt.Sprintf("%s: %s", r.ID, r.Gap))
			for _, s := range r.Steps {
				if isCommand(s) {
					t.command(4, "- ", s)
				} else {
					t.line(4, "- "+s)
				}
			}
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func eventLine(what string, e Event) string {
	return fmt.Sprintf("%s %s: %s [%s record %d]", what, e.Time, e.Detail, e.Path, e.RecordID)
}

// textOut writes wrapped, terminal-safe lines.
type textOut struct{ w *bufio.Writer }

func (t *textOut) blank() { t.w.WriteString("\n") }

func (t *textOut) rule(title string) {
	title = report.TerminalSafe(title)
	line := "== " + title + " "
	if n := tableWidth - utf8.RuneCountInString(line); n > 0 {
		line += strings.Repeat("=", n)
	}
	t.line(0, line)
}

func (t *textOut) head(s string) { t.line(0, s) }

// line writes s at the given indent, wrapped at tableWidth on spaces;
// continuation lines get two more spaces. Words longer than a line are cut.
func (t *textOut) line(indent int, s string) {
	s = report.TerminalSafe(s)
	pad := strings.Repeat(" ", indent)
	width := tableWidth - indent
	first := true
	for {
		avail := width
		if !first {
			avail = width - 2
		}
		if utf8.RuneCountInString(s) <= avail {
			t.emit(pad, first, s)
			return
		}
		cut := runeOffset(s, avail)
		if sp := strings.LastIndexByte(s[:cut+1], ' '); sp > 0 {
			t.emit(pad, first, strings.TrimRight(s[:sp], " "))
			s = strings.TrimLeft(s[sp:], " ")
		} else if bs := strings.LastIndexByte(s[:cut], '\\'); bs > 0 {
			t.emit(pad, first, s[:bs+1]) // a long path: cut after a backslash
			s = s[bs+1:]
		} else {
			t.emit(pad, first, s[:cut])
			s = s[cut:]
		}
		first = false
		if s == "" {
			return
		}
	}
}

func (t *textOut) emit(pad string, first bool, s string) {
	t.w.WriteString(pad)
	if !first {
		t.w.WriteString("  ")
	}
	t.w.WriteString(s)
	t.w.WriteString("\n")
}

// runeOffset returns the byte offset of the n-th rune of s (len(s) if
// shorter).
func runeOffset(s string, n int) int {
	i := 0
	for off := range s {
		if i == n {
			return off
		}
		i++
	}
	return len(s)
}

// isCommand reports whether a remedy step is a command line to type.
func isCommand(s string) bool {
	return strings.HasPrefix(s, "auditpol ") || strings.HasPrefix(s, "reg add ") || strings.HasPrefix(s, "sysmon")
}

// command writes a command line that stays copyable when it is longer than
// a line: it breaks between arguments (never inside quotes) and ends each
// broken line with cmd.exe's continuation character "^".
func (t *textOut) command(indent int, prefix, cmd string) {
	cmd = report.TerminalSafe(cmd)
	words := commandWords(cmd)
	pad := strings.Repeat(" ", indent)
	cont := strings.Repeat(" ", indent+utf8.RuneCountInString(prefix)+2)
	line := pad + prefix
	lineStart := true
	for i, w := range words {
		sep := " "
		if lineStart {
			sep = ""
		}
		room := tableWidth
		if i < len(words)-1 {
			room -= 2 // " ^"
		}
		if !lineStart && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > room {
			t.w.WriteString(line + " ^\n")
			line, sep = cont, ""
			if utf8.RuneCountInString(cont)+utf8.RuneCountInString(w) > tableWidth {
				line = ""
			}
		}
		line += sep + w
		lineStart = false
	}
	t.w.WriteString(line + "\n")
}

// commandWords splits a command line at spaces outside double quotes.
func commandWords(s string) []string {
	var words []string
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			b.WriteRune(r)
		case r == ' ' && !quoted:
			if b.Len() > 0 {
				words = append(words, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		words = append(words, b.String())
	}
	return words
}
