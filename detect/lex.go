package detect

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// itemType identifies the type of lexical items.
type itemType int

const (
	itemError  itemType = iota // error; val is the message
	itemEOF                    // end of input
	itemIdent                  // field or keyword: process.name, and, where
	itemTilde                  // identifier directly followed by '~': in~, like~, startsWith~
	itemQuoted                 // backtick-escaped identifier part; val is unescaped
	itemString                 // string literal; val is the decoded value
	itemInt                    // integer literal
	itemFloat                  // decimal literal
	itemOp                     // operator or punctuation: == != < <= > >= : !: + - * / % ( ) , [ ] | ? . =
)

func (t itemType) String() string {
	switch t {
	case itemError:
		return "error"
	case itemEOF:
		return "end of query"
	case itemIdent, itemTilde:
		return "identifier"
	case itemQuoted:
		return "escaped identifier"
	case itemString:
		return "string"
	case itemInt, itemFloat:
		return "number"
	case itemOp:
		return "operator"
	}
	return "item"
}

// item is one token with its byte offset in the query, kept for error
// messages ("line 2:7: ...").
type item struct {
	typ itemType
	pos int
	val string
	raw string // source text of the item (for messages)
}

// lexer turns an EQL query into items. It is a state machine in the style
// of text/template/parse, collecting items into a slice: queries are small,
// so there is no need for a goroutine.
type lexer struct {
	input string
	pos   int
	items []item
}

// maxItems bounds the work a hostile query can cause.
const maxItems = 100000

func lex(input string) []item {
	l := &lexer{input: input}
	for state := lexAny; state != nil; {
		state = state(l)
		if len(l.items) > maxItems {
			l.errorf(l.pos, "query too long (more than %d tokens)", maxItems)
			break
		}
	}
	return l.items
}

type stateFn func(*lexer) stateFn

func (l *lexer) emit(t itemType, start int, val string) {
	l.items = append(l.items, item{typ: t, pos: start, val: val, raw: l.input[start:l.pos]})
}

func (l *lexer) errorf(pos int, format string, args ...any) stateFn {
	l.items = append(l.items, item{typ: itemError, pos: pos, val: fmt.Sprintf(format, args...)})
	return nil
}

func (l *lexer) peek(off int) byte {
	if l.pos+off < len(l.input) {
		return l.input[l.pos+off]
	}
	return 0
}

// lexAny skips whitespace and comments and dispatches on the next byte.
func lexAny(l *lexer) stateFn {
	for {
		for l.pos < len(l.input) && isSpace(l.input[l.pos]) {
			l.pos++
		}
		if strings.HasPrefix(l.input[l.pos:], "//") {
			nl := strings.IndexByte(l.input[l.pos:], '\n')
			if nl < 0 {
				l.pos = len(l.input)
			} else {
				l.pos += nl + 1
			}
			continue
		}
		if strings.HasPrefix(l.input[l.pos:], "/*") {
			end := skipComment(l.input, l.pos)
			if end < 0 {
				return l.errorf(l.pos, "unterminated comment")
			}
			l.pos = end
			continue
		}
		break
	}
	if l.pos >= len(l.input) {
		l.emit(itemEOF, l.pos, "")
		return nil
	}
	c := l.input[l.pos]
	switch {
	case c == '"':
		if strings.HasPrefix(l.input[l.pos:], `"""`) {
			return lexTripleString
		}
		return lexString
	case c == '?' && (l.peek(1) == '"' || l.peek(1) == '\''):
		// Elasticsearch refuses the old ?"..." raw strings
		// (ExpressionTests.testDoubleQuotedUnescapedStringForbidden).
		return l.errorf(l.pos, "use triple double quotes [\"\"\"] to define unescaped string literals, not [?%c]", l.peek(1))
	case c == '\'':
		return l.errorf(l.pos, "use double quotes [\"] to define string literals, not single quotes [']")
	case c == '`':
		return lexQuotedIdent
	case isDigit(c) || (c == '.' && isDigit(l.peek(1))):
		return lexNumber
	case isIdentStart(c):
		return lexIdent
	case c >= utf8.RuneSelf:
		r, _ := utf8.DecodeRuneInString(l.input[l.pos:])
		return l.errorf(l.pos, "unexpected character %q (escape field names with backticks)", r)
	}
	return lexOperator
}

// skipComment returns the offset after the /* */ comment starting at pos,
// or -1. Comments nest, as in Elasticsearch's grammar
// (BRACKETED_COMMENT: '/*' (BRACKETED_COMMENT|.)*? '*/').
func skipComment(s string, pos int) int {
	depth := 0
	for i := pos; i+1 < len(s); {
		switch s[i : i+2] {
		case "/*":
			depth++
			i += 2
		case "*/":
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return -1
}

func lexOperator(l *lexer) stateFn {
	start := l.pos
	two := ""
	if l.pos+2 <= len(l.input) {
		two = l.input[l.pos : l.pos+2]
	}
	switch two {
	case "==", "!=", "<=", ">=", "!:":
		l.pos += 2
		l.emit(itemOp, start, two)
		return lexAny
	}
	c := l.input[l.pos]
	switch c {
	case '<', '>', ':', '+', '-', '*', '/', '%', '(', ')', ',', '[', ']', '|', '?', '.', '=', '~':
		l.pos++
		l.emit(itemOp, start, string(c))
		return lexAny
	}
	return l.errorf(start, "unexpected character %q", rune(c))
}

// lexIdent scans an identifier as Elasticsearch's grammar defines it:
// (LETTER | '_' | '@') (LETTER | DIGIT | '_')*, ASCII letters only.
func lexIdent(l *lexer) stateFn {
	start := l.pos
	l.pos++
	for l.pos < len(l.input) && (isIdentStart(l.input[l.pos]) && l.input[l.pos] != '@' || isDigit(l.input[l.pos])) {
		l.pos++
	}
	val := l.input[start:l.pos]
	if l.pos < len(l.input) && l.input[l.pos] == '~' {
		l.pos++
		l.emit(itemTilde, start, val)
		return lexAny
	}
	l.emit(itemIdent, start, val)
	return lexAny
}

// lexQuotedIdent scans `a field name`; a doubled backtick stands for one.
func lexQuotedIdent(l *lexer) stateFn {
	start := l.pos
	l.pos++
	var b strings.Builder
	for {
		i := strings.IndexByte(l.input[l.pos:], '`')
		if i < 0 {
			return l.errorf(start, "unterminated escaped identifier")
		}
		b.WriteString(l.input[l.pos : l.pos+i])
		l.pos += i + 1
		if l.pos < len(l.input) && l.input[l.pos] == '`' {
			b.WriteByte('`')
			l.pos++
			continue
		}
		break
	}
	if b.Len() == 0 {
		return l.errorf(start, "empty escaped identifier")
	}
	l.emit(itemQuoted, start, b.String())
	return lexAny
}

func lexNumber(l *lexer) stateFn {
	start := l.pos
	isFloat := false
	for l.pos < len(l.input) && isDigit(l.input[l.pos]) {
		l.pos++
	}
	if l.pos < len(l.input) && l.input[l.pos] == '.' && !isIdentStart(l.peek(1)) {
		isFloat = true
		l.pos++
		for l.pos < len(l.input) && isDigit(l.input[l.pos]) {
			l.pos++
		}
	}
	if l.pos < len(l.input) && (l.input[l.pos] == 'e' || l.input[l.pos] == 'E') {
		p := l.pos + 1
		if p < len(l.input) && (l.input[p] == '+' || l.input[p] == '-') {
			p++
		}
		if p < len(l.input) && isDigit(l.input[p]) {
			isFloat = true
			l.pos = p
			for l.pos < len(l.input) && isDigit(l.input[l.pos]) {
				l.pos++
			}
		}
	}
	if l.pos < len(l.input) && isIdentStart(l.input[l.pos]) {
		return l.errorf(start, "malformed number %q", l.input[start:l.pos+1])
	}
	text := l.input[start:l.pos]
	if isFloat {
		l.emit(itemFloat, start, text)
	} else {
		l.emit(itemInt, start, text)
	}
	return lexAny
}

// lexString scans "..." with the escapes Elasticsearch's EQL accepts:
// \n \r \t \b \f \" \' \\ and \u{X..} (2 to 8 hex digits).
func lexString(l *lexer) stateFn {
	start := l.pos
	l.pos++
	var b strings.Builder
	for {
		if l.pos >= len(l.input) {
			return l.errorf(start, "unterminated string")
		}
		c := l.input[l.pos]
		switch c {
		case '"':
			l.pos++
			l.emit(itemString, start, b.String())
			return lexAny
		case '\n', '\r':
			return l.errorf(start, "unterminated string (line break inside a \"...\" string; use \"\"\"...\"\"\" for multi-line strings)")
		case '\\':
			if l.pos+1 >= len(l.input) {
				return l.errorf(start, "unterminated string")
			}
			e := l.input[l.pos+1]
			l.pos += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case '"', '\'', '\\':
				b.WriteByte(e)
			case 'u':
				r, err := l.unicodeEscape()
				if err != "" {
					return l.errorf(l.pos, "%s", err)
				}
				b.WriteRune(r)
			default:
				return l.errorf(l.pos-2, "illegal escape sequence \\%c in string", e)
			}
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
}

// unicodeEscape reads {hex} after \u.
func (l *lexer) unicodeEscape() (rune, string) {
	if l.pos >= len(l.input) || l.input[l.pos] != '{' {
		return 0, "unicode escape must look like \\u{XXXX}"
	}
	end := strings.IndexByte(l.input[l.pos:], '}')
	if end < 0 {
		return 0, "unterminated unicode escape"
	}
	hex := l.input[l.pos+1 : l.pos+end]
	if len(hex) < 2 || len(hex) > 8 {
		return 0, fmt.Sprintf("unicode escape \\u{%s} must have 2 to 8 hex digits", hex)
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return 0, fmt.Sprintf("invalid unicode escape \\u{%s}", hex)
	}
	r := rune(v)
	if !utf8.ValidRune(r) {
		return 0, fmt.Sprintf("invalid unicode code point \\u{%s}", hex)
	}
	l.pos += end + 1
	return r, ""
}

// lexTripleString scans """raw""": no escapes, no line breaks (as
// Elasticsearch's grammar: '"""' (~[\r\n])*? '"""').
func lexTripleString(l *lexer) stateFn {
	start := l.pos
	l.pos += 3
	end := strings.Index(l.input[l.pos:], `"""`)
	if nl := strings.IndexAny(l.input[l.pos:], "\r\n"); nl >= 0 && (end < 0 || nl < end) {
		return l.errorf(start, `unterminated """ string (raw strings cannot contain line breaks)`)
	}
	if end < 0 {
		return l.errorf(start, `unterminated """ string`)
	}
	val := l.input[l.pos : l.pos+end]
	l.pos += end + 3
	// Like Elasticsearch's grammar, up to two extra quotes right before the
	// closing delimiter belong to the string ("""a""""" is `a""`).
	for i := 0; i < 2 && l.pos < len(l.input) && l.input[l.pos] == '"'; i++ {
		val += `"`
		l.pos++
	}
	l.emit(itemString, start, val)
	return lexAny
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return c == '_' || c == '@' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// position turns a byte offset into a 1-based line:column, as
// Elasticsearch reports errors.
func position(input string, pos int) string {
	if pos > len(input) {
		pos = len(input)
	}
	line := 1 + strings.Count(input[:pos], "\n")
	col := pos - strings.LastIndexByte(input[:pos], '\n')
	return fmt.Sprintf("%d:%d", line, col)
}
