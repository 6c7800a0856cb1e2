package detect

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// wildcardMatch reports whether s matches pattern, where '*' matches any
// run of characters (including none) and '?' exactly one character, over
// the whole string, as Lucene's wildcard query does for keyword fields.
// Every other character, backslash included, is literal: Elasticsearch's
// EQL escapes backslashes before building the wildcard query
// (querytranslator_tests.txt, equalsAndInFilter: "*\\red_ttp\\wininit.*").
// The greedy two-pointer scan with a single backtrack point runs in
// O(len(s)*len(pattern)) at worst, so hostile values cannot blow it up.
func wildcardMatch(pattern, s string, ci bool) bool {
	p, v := 0, 0
	starP, starV := -1, 0
	for v < len(s) {
		if p < len(pattern) {
			pc, psize := utf8.DecodeRuneInString(pattern[p:])
			switch pc {
			case '*':
				starP, starV = p, v
				p += psize
				continue
			case '?':
				_, vsize := utf8.DecodeRuneInString(s[v:])
				p += psize
				v += vsize
				continue
			default:
				vc, vsize := utf8.DecodeRuneInString(s[v:])
				if pc == vc || (ci && foldEq(pc, vc)) {
					p += psize
					v += vsize
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Backtrack: let the last star swallow one more character.
		_, vsize := utf8.DecodeRuneInString(s[starV:])
		starV += vsize
		v = starV
		p = starP + 1
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// compiledRegex is a Lucene-syntax regular expression translated to Go's
// RE2, matched against the whole value.
type compiledRegex struct {
	source string
	re     *regexp.Regexp
}

func (r *compiledRegex) match(s string) bool { return r.re.MatchString(s) }

// compileRegex translates the Lucene regular expression syntax that
// Elasticsearch's regexp query accepts into RE2. Supported: literals, '.',
// '?', '*', '+', '{n,m}', '|', grouping, character classes, '\' escapes
// (including \d \s \w and their negations, which Lucene 9 accepts) and
// "quoted literal strings". Lucene's optional operators ~ (complement),
// & (intersection), <n-m> (numeric range), @ (any string) and # (empty
// language) have no RE2 equivalent: they are refused rather than guessed.
// Lucene has no anchors; a leading ^ or trailing $ is accepted as a no-op
// (the whole value is always matched), elsewhere they are literal.
func compileRegex(pattern string, ci bool) (*compiledRegex, error) {
	var b strings.Builder
	b.WriteString("^(?s")
	if ci {
		b.WriteString("i")
	}
	b.WriteString(":")
	body := strings.TrimPrefix(pattern, "^")
	if strings.HasSuffix(body, "$") && !strings.HasSuffix(body, `\$`) {
		body = body[:len(body)-1]
	}
	inClass := false
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRuneInString(body[i:])
		switch {
		case r == '\\':
			if i+size >= len(body) {
				return nil, fmt.Errorf("regex %q ends with a lone backslash", pattern)
			}
			e, esize := utf8.DecodeRuneInString(body[i+size:])
			switch e {
			case 'd', 'D', 's', 'S', 'w', 'W':
				b.WriteByte('\\')
				b.WriteRune(e)
			default:
				b.WriteString(regexp.QuoteMeta(string(e)))
			}
			i += size + esize
			continue
		case inClass:
			switch r {
			case ']':
				inClass = false
				b.WriteRune(r)
			case '[':
				b.WriteString(`\[`)
			default:
				b.WriteRune(r)
			}
		case r == '[':
			inClass = true
			b.WriteRune(r)
			if strings.HasPrefix(body[i+size:], "^") {
				b.WriteByte('^')
				i++
			}
		case r == '"':
			end := strings.IndexByte(body[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("regex %q has an unterminated quoted string", pattern)
			}
			b.WriteString("(?:" + regexp.QuoteMeta(body[i+1:i+1+end]) + ")")
			i += end + 2
			continue
		case strings.ContainsRune("~&<>@#", r):
			return nil, fmt.Errorf("regex %q uses Lucene operator %q, which shadowscan does not support", pattern, r)
		case strings.ContainsRune(".?*+{}()|", r):
			b.WriteRune(r)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
		i += size
	}
	if inClass {
		return nil, fmt.Errorf("regex %q has an unterminated character class", pattern)
	}
	b.WriteString(")$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", pattern, err)
	}
	return &compiledRegex{source: pattern, re: re}, nil
}

// wildcardPattern is a : or like pattern prepared once at parse time. The
// common shapes ("*text*", "prefix*", "*suffix") on ASCII values are
// matched segment by segment with a case-folding substring search; anything
// else (a '?', non-ASCII text) takes the general matcher.
type wildcardPattern struct {
	source  string
	segs    []string // pattern split on '*'
	simple  bool     // ASCII and no '?'
	hasStar bool
}

func newWildcardPattern(p string) *wildcardPattern {
	w := &wildcardPattern{source: p, segs: strings.Split(p, "*"), hasStar: strings.Contains(p, "*")}
	w.simple = isASCII(p) && !strings.Contains(p, "?")
	return w
}

func (w *wildcardPattern) match(s string, ci bool) bool {
	if !w.simple || !isASCII(s) {
		return wildcardMatch(w.source, s, ci)
	}
	if !w.hasStar {
		if ci {
			return len(s) == len(w.source) && equalFoldASCII(s, w.source)
		}
		return s == w.source
	}
	first, last := w.segs[0], w.segs[len(w.segs)-1]
	if len(first)+len(last) > len(s) {
		return false
	}
	if !hasPrefixASCII(s, first, ci) || !hasPrefixASCII(s[len(s)-len(last):], last, ci) {
		return false
	}
	pos, end := len(first), len(s)-len(last)
	for _, seg := range w.segs[1 : len(w.segs)-1] {
		if seg == "" {
			continue
		}
		i := indexASCII(s[pos:end], seg, ci)
		if i < 0 {
			return false
		}
		pos += i + len(seg)
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func hasPrefixASCII(s, prefix string, ci bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if ci {
		return equalFoldASCII(s[:len(prefix)], prefix)
	}
	return s[:len(prefix)] == prefix
}

// indexASCII is strings.Index, optionally ignoring ASCII case.
func indexASCII(s, sub string, ci bool) int {
	if !ci {
		return strings.Index(s, sub)
	}
	if len(sub) == 0 {
		return 0
	}
	c0 := lowerASCII(sub[0])
	for i := 0; i+len(sub) <= len(s); i++ {
		if lowerASCII(s[i]) == c0 && equalFoldASCII(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
