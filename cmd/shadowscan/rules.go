package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/report"
)

const rulesAbout = `List the loaded detection rules, or show one rule: metadata, query, MITRE
ATT&CK mapping, what the rule needs (fields, categories) and its
investigation guide.

  shadowscan rules list [--rules PATH]... [--rules-only]
  shadowscan rules show [--rules PATH]... [--rules-only] ID|NAME

The default set is embedded: "Symbolic Link to Shadow Copy Created"
(version 102) and "NTDS or SAM Database File Copied", as published for
Elastic Stack 8.6 (Elastic License 2.0 data files). --rules adds rule files
or folders; a rule with the same rule_id as an earlier one replaces it.
Rules that cannot run (not EQL, or outside the supported single-event
subset) are named on stderr.`

// runRules implements "shadowscan rules list|show".
func runRules(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "rules", "list | show ID|NAME", rulesAbout)
	var paths stringList
	fs.Var(&paths, "rules", "add rules from a TOML `PATH` (file or folder; repeatable)")
	rulesOnly := fs.Bool("rules-only", false, "use only the --rules rules, not the embedded defaults")
	pos, code, ok := parseFlags(fs, e, args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprintln(e.stderr, "shadowscan rules: missing subcommand: list or show")
		fs.Usage()
		return exitUsage
	}
	if *rulesOnly && len(paths) == 0 {
		fmt.Fprintln(e.stderr, "shadowscan rules: --rules-only needs at least one --rules PATH")
		return exitUsage
	}
	sub, rest := pos[0], pos[1:]
	switch sub {
	case "list":
		if len(rest) > 0 {
			fmt.Fprintf(e.stderr, "shadowscan rules list: unexpected argument %q\n", rest[0])
			return exitUsage
		}
	case "show":
		if len(rest) != 1 {
			fmt.Fprintln(e.stderr, "shadowscan rules show: expected one rule ID or NAME")
			return exitUsage
		}
	default:
		fmt.Fprintf(e.stderr, "shadowscan rules: unknown subcommand %q (want list or show)\n", sub)
		return exitUsage
	}
	rules, err := loadRuleSet(e, "rules", paths, !*rulesOnly)
	if err != nil {
		fmt.Fprintf(e.stderr, "shadowscan rules: %s\n", report.TerminalSafe(err.Error()))
		return exitUsage
	}
	if sub == "list" {
		if err := listRules(e.stdout, rules); err != nil {
			fmt.Fprintf(e.stderr, "shadowscan rules: %v\n", err)
			return exitNothing
		}
		return exitOK
	}
	r, err := detect.FindRule(rules, rest[0])
	if err != nil {
		fmt.Fprintf(e.stderr, "shadowscan rules show: %v\n", report.TerminalSafe(err.Error()))
		return exitUsage
	}
	if err := showRule(e.stdout, r); err != nil {
		fmt.Fprintf(e.stderr, "shadowscan rules: %v\n", err)
		return exitNothing
	}
	return exitOK
}

// loadRuleSet loads the rule set shared by rules, scan and audit: the
// embedded defaults (unless --rules-only) and every --rules path. A rule
// that cannot run (not EQL, a sequence, a syntax error, a duplicate
// rule_id) is named on stderr, one line each, and the others carry on: a
// responder pointing --rules at a whole detection-rules checkout gets the
// EQL rules that fit, not a refusal. It fails only when a --rules path
// cannot be read or no rule at all is left.
func loadRuleSet(e *env, cmd string, paths []string, defaults bool) ([]*detect.Rule, error) {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("--rules %s: %w", p, err)
		}
	}
	rules, err := detect.LoadRuleSet(paths, defaults)
	if err != nil {
		for _, line := range splitJoined(err) {
			fmt.Fprintf(e.stderr, "shadowscan %s: rule refused: %s\n", cmd, report.TerminalSafe(line))
		}
	}
	if len(rules) == 0 {
		return nil, errors.New("no rules loaded")
	}
	return rules, nil
}

// splitJoined flattens errors.Join trees into one message per error.
func splitJoined(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		out = append(out, err.Error())
	}
	walk(err)
	return out
}

func listRules(w io.Writer, rules []*detect.Rule) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE ID\tVERSION\tSEVERITY\tRISK\tNAME\tSOURCE")
	for _, r := range rules {
		version := "-"
		if r.Version > 0 {
			version = fmt.Sprint(r.Version)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", safe(r.ID), version, safe(r.Severity), r.RiskScore, safe(r.Name), safe(r.Source))
	}
	return tw.Flush()
}

// safe makes one line of rule text safe for a terminal (rule files may come
// from anywhere) and keeps it from breaking table columns.
func safe(s string) string {
	return strings.ReplaceAll(report.TerminalSafe(s), "\t", " ")
}

// Elastic's defaults for a rule without interval / max_signals.
const (
	defaultInterval   = "5m"
	defaultMaxSignals = 100
)

func showRule(w io.Writer, r *detect.Rule) error {
	ew := &errWriter{w: w}
	field := func(label, value string) {
		if value != "" {
			ew.printf("%-14s%s\n", label+":", safe(value))
		}
	}
	field("Name", r.Name)
	field("Rule ID", r.ID)
	if r.Version > 0 {
		field("Version", fmt.Sprint(r.Version))
	} else {
		field("Version", "not stated in the rule file")
	}
	field("Severity", fmt.Sprintf("%s (risk score %d)", r.Severity, r.RiskScore))
	field("Type", fmt.Sprintf("%s, language %s", r.Type, r.Language))
	field("Index", strings.Join(r.Index, ", "))
	interval := r.Interval
	if interval == "" {
		interval = defaultInterval + " (default)"
	}
	maxSignals := fmt.Sprint(r.MaxSignals)
	if r.MaxSignals == 0 {
		maxSignals = fmt.Sprintf("%d (default)", defaultMaxSignals)
	}
	field("Schedule", fmt.Sprintf("every %s, looking back to %s, at most %s alerts per run", interval, r.From, maxSignals))
	field("Tags", strings.Join(r.Tags, ", "))
	field("License", r.License)
	field("Source", r.Source)

	section(ew, "Description")
	renderMarkdown(ew, r.Description)

	section(ew, "Query")
	for _, line := range strings.Split(strings.Trim(r.Query, "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			ew.printf("\n")
			continue
		}
		ew.printf("    %s\n", report.TerminalSafe(strings.TrimRight(line, " \t")))
	}

	if len(r.Threat) > 0 {
		section(ew, "MITRE ATT&CK")
		for _, t := range r.Threat {
			ew.printf("  %s %s  %s  [%s]\n", safe(t.Tactic.ID), safe(t.Tactic.Name), safe(t.Tactic.Reference), safe(t.Framework))
			for _, tech := range t.Techniques {
				ew.printf("    %s %s  %s\n", safe(tech.ID), safe(tech.Name), safe(tech.Reference))
				for _, st := range tech.Subtechniques {
					ew.printf("      %s %s  %s\n", safe(st.ID), safe(st.Name), safe(st.Reference))
				}
			}
		}
	}

	if r.Compiled != nil {
		a := r.Compiled.Analysis()
		section(ew, "What the query needs")
		cats := "any"
		if len(a.Categories) > 0 {
			cats = strings.Join(a.Categories, ", ")
		}
		ew.printf("  event categories: %s\n", safe(cats))
		for _, f := range a.Fields {
			var notes []string
			if f.Required {
				notes = append(notes, "required")
			} else {
				notes = append(notes, "not required alone")
			}
			if f.Optional {
				notes = append(notes, "optional (?)")
			}
			ew.printf("  field %s: %s\n", safe(f.Name), strings.Join(notes, ", "))
		}
		for _, g := range a.MustContain {
			ew.printf("  every match contains one of %s (in %s)\n", safe(quoteList(g.AnyOf)), safe(strings.Join(g.Fields, ", ")))
		}
	}

	if len(r.FalsePositives) > 0 {
		section(ew, "False positives")
		for _, fp := range r.FalsePositives {
			renderMarkdown(ew, "- "+fp)
		}
	}
	if len(r.References) > 0 {
		section(ew, "References")
		for _, ref := range r.References {
			ew.printf("  - %s\n", safe(ref))
		}
	}
	if strings.TrimSpace(r.Note) != "" {
		section(ew, "Investigation guide")
		renderMarkdown(ew, r.Note)
	}
	if strings.TrimSpace(r.Setup) != "" {
		section(ew, "Setup")
		renderMarkdown(ew, r.Setup)
	}
	return ew.err
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func section(ew *errWriter, title string) {
	ew.printf("\n%s\n%s\n", title, strings.Repeat("=", len(title)))
}

// errWriter remembers the first write error so rendering code stays flat.
type errWriter struct {
	w   io.Writer
	err error
}

func (ew *errWriter) printf(format string, args ...any) {
	if ew.err != nil {
		return
	}
	_, ew.err = fmt.Fprintf(ew.w, format, args...)
}

// renderMarkdown prints the subset of Markdown that rule notes use, laid
// out for a terminal: headings underlined, bullets as "•" with their
// nesting, code fences indented verbatim, links as "text <url>", emphasis
// markers dropped. Every line goes through report.TerminalSafe: rule files
// are data from elsewhere.
func renderMarkdown(ew *errWriter, md string) {
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	inFence := false
	blank := true // suppress leading and repeated blank lines
	out := func(s string) {
		if strings.TrimSpace(s) == "" {
			if blank {
				return
			}
			blank = true
			ew.printf("\n")
			return
		}
		blank = false
		ew.printf("%s\n", s)
	}
	for _, raw := range lines {
		line := strings.TrimRight(raw, " \t")
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			out("    " + report.TerminalSafe(line))
			continue
		}
		if level, title, ok := heading(trimmed); ok {
			title = report.TerminalSafe(inline(title))
			out("")
			under := "-"
			if level <= 2 {
				under = "="
			}
			out("  " + title)
			out("  " + strings.Repeat(under, runeLen(title)))
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* ") || strings.HasPrefix(trimmed, "+ ") {
			depth := indent / 2
			out("  " + strings.Repeat("  ", depth) + "• " + report.TerminalSafe(inline(trimmed[2:])))
			continue
		}
		out("  " + strings.Repeat(" ", indent) + report.TerminalSafe(inline(trimmed)))
	}
}

func heading(s string) (int, string, bool) {
	level := 0
	for level < len(s) && s[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || level >= len(s) || s[level] != ' ' {
		return 0, "", false
	}
	return level, strings.TrimSpace(s[level:]), true
}

// inline rewrites [text](url) as "text <url>" and drops ** and __ markers;
// `code` keeps its backticks (they mark field names in rule notes).
func inline(s string) string {
	s = strings.ReplaceAll(s, "**", "")
	s = strings.ReplaceAll(s, "__", "")
	var b strings.Builder
	for {
		open := strings.Index(s, "[")
		if open < 0 {
			break
		}
		mid := strings.Index(s[open:], "](")
		if mid < 0 {
			break
		}
		end := strings.IndexByte(s[open+mid:], ')')
		if end < 0 {
			break
		}
		text := s[open+1 : open+mid]
		url := s[open+mid+2 : open+mid+end]
		b.WriteString(s[:open])
		b.WriteString(text + " <" + url + ">")
		s = s[open+mid+end+1:]
	}
	b.WriteString(s)
	return b.String()
}

func runeLen(s string) int { return len([]rune(s)) }
