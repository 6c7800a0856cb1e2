// Package report renders findings for the people who read them: terminal
// tables, CSV, JSON and JSON lines. Everything it prints may carry
// attacker-controlled text, so cells are made safe for terminals and
// spreadsheets here, in one place.
package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// TerminalSafe returns s with ANSI escape sequences (CSI, OSC, DCS, APC, PM,
// SOS and two-byte ESC sequences) removed and every other control character
// replaced: whitespace controls (tab, newline, ...) by a space; other C0/C1
// controls, invalid UTF-8, line separators and Unicode format characters
// (bidirectional overrides and marks, zero-width characters) by U+FFFD. An
// event log value must never move the cursor, recolour or retitle an
// analyst's terminal, nor hide or reorder what it shows.
func TerminalSafe(s string) string {
	if isPlainPrintable(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0x1b { // ESC: skip a CSI / OSC / two-byte escape sequence whole
			next, whole := skipEscape(s, i)
			if !whole {
				b.WriteRune('\uFFFD')
			}
			i = next
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			b.WriteByte(' ')
		case r == 0x9b: // 8-bit CSI
			b.WriteRune('\uFFFD')
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r):
			// C0/C1 controls, line/paragraph separators and format
			// characters: bidirectional overrides and marks (which can make
			// a command line read differently from what it is), zero-width
			// spaces and joiners (which hide text), byte-order marks. Shown
			// as U+FFFD so the analyst sees that something was there.
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isPlainPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// skipEscape returns the index just past the escape sequence starting at s[i]
// (an ESC byte). whole is false for a string sequence (OSC, DCS, ...) that
// never ends: next then points just past its introducer, so the text after
// it is shown rather than hidden.
func skipEscape(s string, i int) (next int, whole bool) {
	start := i
	i++ // ESC
	if i >= len(s) {
		return i, true
	}
	switch s[i] {
	case '[': // CSI: parameter bytes 0x30-0x3f, intermediates 0x20-0x2f, then a final byte 0x40-0x7e
		i++
		for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3f {
			i++
		}
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
			i++
		}
		// Anything else ends a malformed sequence and is shown: text after
		// a stray "ESC [" (a non-ASCII command line, a newline) must not
		// vanish from the analyst's screen.
		return i, true
	case ']', 'P', '_', '^', 'X': // OSC, DCS, APC, PM, SOS: until BEL or ST
		i++
		for i < len(s) {
			if s[i] == 0x07 {
				return i + 1, true
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2, true
			}
			i++
		}
		// Unterminated: a terminal would swallow everything after it, but
		// the analyst must see the evidence. The ESC is gone, so showing
		// the rest is safe; resume right after the introducer.
		return start + 2, false
	default: // two-byte sequence
		return i + 1, true
	}
}

// SpreadsheetSafe neutralises a CSV cell that a spreadsheet would read as a
// formula: a cell starting with '=', '+', '-', '@', tab or carriage return
// gets a leading single quote (the OWASP CSV-injection advice). The value is
// otherwise unchanged, so an analyst still sees the evidence as recorded.
//
// Two variants spreadsheets also evaluate are neutralised the same way: the
// trigger preceded by spaces or line feeds (" =1+1", which some spreadsheet
// programs trim before parsing), and the full-width forms U+FF1D, U+FF0B,
// U+FF0D and U+FF20 (which some locales read as = + - @).
func SpreadsheetSafe(s string) string {
	if formulaLike(strings.TrimLeft(s, " \n")) {
		return "'" + s
	}
	return s
}

func formulaLike(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20':
		return true
	}
	return false
}
