package oracle

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the small pieces of Java semantics that Elastic's Painless
// scripts and ingest processors rely on. Reproducing them is what makes the
// output match Elasticsearch to the byte: which characters split a command
// line, which strings count as blank, how "0x1a4" becomes a number, and in
// which order a java.util.HashMap hands back its keys.

var errNumberFormat = errors.New("java.lang.NumberFormatException")

// javaLongDecode mirrors java.lang.Long.decode, used by the security
// pipeline for NewProcessId/ProcessId ("0x1a4") and AccessMask: an optional
// sign, then "0x", "0X" or "#" for hex, a leading "0" for octal, otherwise
// decimal. Unlike strconv.ParseInt(s, 0, 64) it rejects "0b", "0o" and "_".
func javaLongDecode(s string) (int64, error) {
	if s == "" {
		return 0, errNumberFormat
	}
	i, neg := 0, false
	switch s[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	radix := 10
	switch {
	case strings.HasPrefix(s[i:], "0x"), strings.HasPrefix(s[i:], "0X"):
		radix, i = 16, i+2
	case strings.HasPrefix(s[i:], "#"):
		radix, i = 16, i+1
	case strings.HasPrefix(s[i:], "0") && len(s) > i+1:
		radix, i = 8, i+1
	}
	digits := s[i:]
	if digits == "" || digits[0] == '-' || digits[0] == '+' {
		return 0, errNumberFormat
	}
	for _, c := range digits {
		if c == '_' {
			return 0, errNumberFormat
		}
	}
	if neg {
		digits = "-" + digits
	}
	v, err := strconv.ParseInt(digits, radix, 64)
	if err != nil {
		return 0, errNumberFormat
	}
	return v, nil
}

// javaIsWhitespace mirrors java.lang.Character.isWhitespace: the Unicode
// space, line and paragraph separators except the non-breaking ones, plus
// the ASCII controls \t \n \v \f \r and the four information separators.
func javaIsWhitespace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, ' ',
		0x1680, 0x205f, 0x3000, 0x2028, 0x2029:
		return true
	}
	return r >= 0x2000 && r <= 0x200a && r != 0x2007
}

// javaBlank reports whether Java's s.trim() is empty, that is whether every
// character is U+0020 or below. The system security pipeline drops such
// values everywhere in the document (its "script_to_drop_null_values").
func javaBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > ' ' {
			return false
		}
	}
	return true
}

// javaTrim mirrors String.trim: strip characters <= U+0020 at both ends.
func javaTrim(s string) string {
	start, end := 0, len(s)
	for start < end && s[start] <= ' ' {
		start++
	}
	for end > start && s[end-1] <= ' ' {
		end--
	}
	return s[start:end]
}

// javaSplitWhitespace is the split() helper of the security pipeline's
// message-table script: fields separated by runs of Character.isWhitespace.
// Unlike strings.Fields it keeps a trailing empty field when s ends in
// whitespace, exactly as the Painless loop does; callers skip empties.
func javaSplitWhitespace(s string) []string {
	var out []string
	last := 0
	for last < len(s) {
		r, n := utf8.DecodeRuneInString(s[last:])
		if !javaIsWhitespace(r) {
			break
		}
		last += n
	}
	for i := last; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !javaIsWhitespace(r) {
			i += n
			continue
		}
		out = append(out, s[last:i])
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !javaIsWhitespace(r) {
				break
			}
			i += n
		}
		last = i
	}
	return append(out, s[last:])
}

// javaStringHash is java.lang.String.hashCode over UTF-16 code units.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			h = 31*h + r1
			r = r2
		}
		h = 31*h + r
	}
	return h
}

// javaHashMapOrder returns the indexes of keys in the order a
// java.util.HashMap, filled with keys in the given order, iterates them.
// Elasticsearch builds ingest maps (kv processor targets, script params) as
// HashMaps, so list fields derived from iterating them (related.hash,
// AccessMaskDescription) come out in this order. Keys are assumed distinct.
// Java resizes (doubling from 16) once size exceeds 3/4 of the capacity and
// a resize keeps the relative order of keys within a bucket, so the final
// order is: bucket index ascending, then insertion order.
func javaHashMapOrder(keys []string) []int {
	capacity := 16
	for len(keys) > capacity*3/4 {
		capacity *= 2
	}
	type slot struct{ bucket, index int }
	slots := make([]slot, len(keys))
	for i, k := range keys {
		h := uint32(javaStringHash(k))
		h ^= h >> 16
		slots[i] = slot{int(h & uint32(capacity-1)), i}
	}
	// Insertion sort keeps it stable without importing sort for tiny inputs.
	for i := 1; i < len(slots); i++ {
		for j := i; j > 0 && slots[j].bucket < slots[j-1].bucket; j-- {
			slots[j], slots[j-1] = slots[j-1], slots[j]
		}
	}
	order := make([]int, len(slots))
	for i, s := range slots {
		order[i] = s.index
	}
	return order
}
