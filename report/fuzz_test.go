package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReportWriters puts arbitrary evidence text in every field an alert
// shows and checks each writer's promise: no panic; the table holds nothing
// a terminal interprets and, for ASCII input, fits 80 columns; CSV parses
// back to the same cells (modulo the neutralising quote) with no formula;
// JSON and JSONL are valid.
func FuzzReportWriters(f *testing.F) {
	for _, s := range []string{
		"", "cmd.exe", "=cmd|' /C calc'!A0", "\x1b]0;t\x07", "a\x1b[31mb", "\xff\xfe", "\u202e", "-1",
		strings.Repeat("x", 300), "a\tb\r\nc", "管理者", "\"quoted\",comma",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := sampleReport()
		a := &r.Alerts[0]
		a.Rule.Name, a.Host, a.User = s, s, s
		a.Process.Name, a.Process.CommandLine, a.Process.Executable = s, s, s
		a.Process.Args = []string{s, s}
		a.Parent.CommandLine, a.Evidence.Path = s, s
		a.Corroboration[0].ObjectName, a.Corroboration[0].Access = s, s
		r.Summary.Errors = []string{s}

		var tb bytes.Buffer
		if err := WriteTable(&tb, r); err != nil {
			t.Fatal(err)
		}
		for i, rr := range tb.String() {
			if rr == 0x1b || (rr < 0x20 && rr != '\n') || (rr >= 0x7f && rr <= 0x9f) || (rr >= '\u202a' && rr <= '\u202e') {
				t.Fatalf("unsafe rune %U at %d", rr, i)
			}
		}
		if isPlainPrintable(s) {
			for _, line := range strings.Split(tb.String(), "\n") {
				if n := utf8.RuneCountInString(line); n > 80 {
					t.Fatalf("line of %d columns: %q", n, line)
				}
			}
		}

		var cb bytes.Buffer
		if err := WriteCSV(&cb, r.Alerts); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&cb).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not parse back: %v", err)
		}
		if len(rows) != 1+len(r.Alerts) {
			t.Fatalf("%d rows", len(rows))
		}
		for _, row := range rows {
			for _, cell := range row {
				if formulaLike(strings.TrimLeft(cell, " \n")) {
					t.Fatalf("formula-like cell %q", cell)
				}
			}
		}
		// encoding/csv reads a quoted "\r\n" back as "\n"; other text comes
		// back exactly, with SpreadsheetSafe's quote when it added one.
		if host := rows[1][8]; !strings.Contains(s, "\r") && host != SpreadsheetSafe(s) {
			t.Fatalf("host cell %q for %q", host, s)
		}

		var jb bytes.Buffer
		if err := WriteJSON(&jb, r); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(jb.Bytes()) {
			t.Fatal("invalid JSON")
		}
		jb.Reset()
		if err := WriteJSONL(&jb, r.Alerts); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(jb.String(), "\n"), "\n") {
			if !json.Valid([]byte(line)) {
				t.Fatalf("invalid JSON line %q", line)
			}
		}
	})
}

// FuzzSanitize: TerminalSafe output is valid UTF-8 without escapes or
// controls (newline aside) and is idempotent; SpreadsheetSafe output is
// never formula-like and only ever adds one leading quote.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "=1", "\x1b[", "\x1b]", "\x9b", "\u2066", " +", "\uff1d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts := TerminalSafe(s)
		if !utf8.ValidString(ts) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		for _, r := range ts {
			if r == 0x1b || r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				t.Fatalf("unsafe rune %U in %q from %q", r, ts, s)
			}
		}
		if TerminalSafe(ts) != ts {
			t.Fatalf("not idempotent on %q", s)
		}
		ss := SpreadsheetSafe(s)
		if ss != s && ss != "'"+s {
			t.Fatalf("SpreadsheetSafe(%q) = %q", s, ss)
		}
		if formulaLike(strings.TrimLeft(ss, " \n")) {
			t.Fatalf("formula-like %q", ss)
		}
	})
}
