package mapping

import (
	"strings"
	"unicode/utf8"
)

// SplitCommandLineWindows splits a command line into arguments the way
// Elastic's Sysmon pipeline does for process.args and process.parent.args
// (script "Implements Windows-like SplitCommandLine" in elastic/integrations
// packages/windows/data_stream/sysmon_operational/elasticsearch/
// ingest_pipeline/default.yml, itself a port of Go's CommandLineToArgv,
// golang/go commit 39c8d2b7). The rules, from CommandLineToArgvW:
//
//   - only space and tab separate arguments, and only outside quotes;
//   - a double quote toggles quoting and is not kept;
//   - 2n backslashes before a quote give n backslashes and the quote
//     toggles; 2n+1 give n backslashes and a literal quote;
//   - backslashes not followed by a quote are literal;
//   - inside quotes, "" gives a literal quote and ends the quoted part
//     (the "prior to 2008" rule the pipeline chose; newer Windows keeps
//     quoting), so `"a""b c"` gives `a"b` and `c`.
//
// Arguments may be empty strings (`a ""` gives "a" and ""). A command line
// of only spaces and tabs gives an empty, non-nil slice, which is what the
// pipeline stores (args [] and args_count 0).
func SplitCommandLineWindows(cmd string) []string {
	args := []string{}
	for len(cmd) > 0 {
		if cmd[0] == ' ' || cmd[0] == '\t' {
			cmd = cmd[1:]
			continue
		}
		var arg string
		arg, cmd = readWindowsArg(cmd)
		args = append(args, arg)
	}
	return args
}

// readWindowsArg reads one argument from the front of cmd and returns it
// with the remainder after its terminating separator. Working on bytes is
// safe: every byte it tests for is ASCII, and UTF-8 continuation bytes are
// never ASCII.
func readWindowsArg(cmd string) (arg, rest string) {
	// Most arguments hold no double quote: then backslashes are literal and
	// the argument is the text up to the next separator, returned without
	// copying.
	for i := 0; i < len(cmd); i++ {
		switch cmd[i] {
		case ' ', '\t':
			return cmd[:i], cmd[i+1:]
		case '"':
			return readQuotedWindowsArg(cmd)
		}
	}
	return cmd, ""
}

// readQuotedWindowsArg is readWindowsArg for an argument with a double
// quote, which it rewrites.
func readQuotedWindowsArg(cmd string) (arg, rest string) {
	var b strings.Builder
	inQuote := false
	slashes := 0
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch c {
		case ' ', '\t':
			if !inQuote {
				writeBackslashes(&b, slashes)
				return b.String(), cmd[i+1:]
			}
		case '"':
			writeBackslashes(&b, slashes/2)
			if slashes%2 == 0 {
				if inQuote && i+1 < len(cmd) && cmd[i+1] == '"' {
					b.WriteByte('"')
					i++
				}
				inQuote = !inQuote
			} else {
				b.WriteByte('"')
			}
			slashes = 0
			continue
		case '\\':
			slashes++
			continue
		}
		writeBackslashes(&b, slashes)
		slashes = 0
		b.WriteByte(c)
	}
	writeBackslashes(&b, slashes)
	return b.String(), ""
}

func writeBackslashes(b *strings.Builder, n int) {
	for ; n > 0; n-- {
		b.WriteByte('\\')
	}
}

// SplitCommandLineSecurity splits a 4688 CommandLine the way Elastic's
// security pipeline does for process.args ("Process Event 4688" script in
// elastic/integrations packages/system/data_stream/security/elasticsearch/
// ingest_pipeline/standard.yml): every double quote toggles a quoted state,
// Java whitespace (Character.isWhitespace) outside quotes ends a piece, and
// the pieces keep their quotes and backslashes verbatim. The script itself
// emits an empty piece for each extra separator; the integration's final
// "drop null values" script then removes every piece whose Java trim() is
// empty, so the result never holds a blank piece and is nil when nothing
// remains.
func SplitCommandLineSecurity(cmd string) []string {
	var args []string
	add := func(piece string) {
		if !javaBlank(piece) {
			args = append(args, piece)
		}
	}
	start := 0
	inQuote := false
	for i := 0; i < len(cmd); {
		r, n := utf8.DecodeRuneInString(cmd[i:])
		if r == '"' {
			inQuote = !inQuote
		}
		if !inQuote && javaIsWhitespace(r) {
			add(cmd[start:i])
			start = i + n
		}
		i += n
	}
	if cmd != "" {
		// The script adds the last piece when it reaches the last character.
		add(cmd[start:])
	}
	return args
}
