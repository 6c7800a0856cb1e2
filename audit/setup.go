package audit

import (
	"regexp"
	"strconv"
	"strings"
)

// setupSection returns the "Setup" section of a rule's documentation: the
// rule's own setup field, and the "## Setup" section of its note (where
// rules of the 8.x releases keep it), each once.
func setupSection(setup, note string) string {
	var parts []string
	if s := strings.TrimSpace(setup); s != "" {
		parts = append(parts, s)
	}
	if s := markdownSection(note, "setup"); s != "" && !strings.Contains(setup, s) {
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n\n")
}

// markdownSection returns the body of the first heading named title (any
// level, case-insensitive) up to the next heading of the same or a higher
// level.
func markdownSection(md, title string) string {
	lines := strings.Split(md, "\n")
	start, level := -1, 0
	for i, l := range lines {
		t := strings.TrimSpace(l)
		n := headingLevel(t)
		if n == 0 {
			continue
		}
		if start >= 0 && n <= level {
			return strings.TrimSpace(strings.Join(lines[start:i], "\n"))
		}
		if start < 0 && strings.EqualFold(strings.TrimSpace(t[n:]), title) {
			start, level = i+1, n
		}
	}
	if start < 0 {
		return ""
	}
	return strings.TrimSpace(strings.Join(lines[start:], "\n"))
}

func headingLevel(line string) int {
	n := 0
	for n < len(line) && line[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n >= len(line) || line[n] != ' ' {
		return 0
	}
	return n
}

var (
	// "Audit File System (Success,Failure)", "Audit Process Creation (Success)"
	auditLine = regexp.MustCompile(`(?i)\bAudit\s+([A-Za-z][A-Za-z /-]*?)\s*\(\s*(success|failure)\s*(?:(?:,|and|&|/)\s*(success|failure)\s*)?\)`)
	// "Event ID 4656", "Event ID: 4688", "event id 1"
	eventIDLine = regexp.MustCompile(`(?i)\bevent\s*id\s*:?\s*(\d{1,5})\b`)
)

// setupNeed is one prerequisite recognised in a setup section.
type setupNeed struct {
	text    string
	kind    string // audit_subcategory, event, sysmon, process_creation, command_line
	sub     Subcategory
	success bool
	failure bool
	eventID int64
	sysmon  bool // for kind event: a Sysmon event id
}

// parseSetup recognises the prerequisites a Windows administrator can check:
// audit subcategories with their outcomes, event ids (Security, or Sysmon when
// the sentence names Sysmon), Sysmon, and process-creation command lines.
// Text it does not recognise (installing an agent, ingest pipelines) is not a
// host prerequisite and is left out.
func parseSetup(text string) []setupNeed {
	var needs []setupNeed
	seen := map[string]bool{}
	add := func(n setupNeed, key string) {
		if !seen[key] {
			seen[key] = true
			needs = append(needs, n)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(strings.Trim(strings.TrimSpace(line), "-*`"))
		if l == "" {
			continue
		}
		lower := strings.ToLower(l)
		for _, m := range auditLine.FindAllStringSubmatch(l, -1) {
			sub, ok := SubcategoryByName(m[1])
			if !ok {
				continue
			}
			n := setupNeed{text: strings.TrimSpace(m[0]), kind: "audit_subcategory", sub: sub}
			for _, o := range m[2:] {
				switch strings.ToLower(o) {
				case "success":
					n.success = true
				case "failure":
					n.failure = true
				}
			}
			add(n, "sub:"+sub.GUID)
		}
		for _, m := range eventIDLine.FindAllStringSubmatch(l, -1) {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			sysmon := strings.Contains(lower, "sysmon")
			key := "event:" + m[1]
			if sysmon {
				key = "sysmon-event:" + m[1]
			}
			add(setupNeed{text: clip(stripLinks(l), 160), kind: "event", eventID: id, sysmon: sysmon}, key)
		}
		switch {
		case strings.Contains(lower, "include command line in process creation"):
			add(setupNeed{text: clip(stripLinks(l), 160), kind: "command_line"}, "cmdline")
		case strings.Contains(lower, "process creation") && !strings.Contains(lower, "sysmon") &&
			(strings.Contains(lower, "windows") || strings.Contains(lower, "audit")) && !auditLine.MatchString(l):
			// "[Windows Process Creation Logs](https://ela.st/audit-process-creation)"
			add(setupNeed{text: clip(stripLinks(l), 160), kind: "process_creation"}, "proc")
		}
	}
	return needs
}

var mdLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

func stripLinks(s string) string { return mdLink.ReplaceAllString(s, "$1") }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xc0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
