package detect

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Values during evaluation are nil (null), bool, int64, float64, string, or
// unknown (abstract evaluation: a field that is present with a value we do
// not know).
type unknownValue struct{}

var unknown = unknownValue{}

func isUnknown(v any) bool { _, ok := v.(unknownValue); return ok }

// lookup returns the values of field in doc: a flat document ("a.b" keys)
// first, then a nested one. A list yields each element (nested lists are
// flattened and nulls dropped, as Elasticsearch indexes arrays); an absent
// field or an empty list yields none.
func lookup(doc map[string]any, field string) []any {
	return appendLookup(nil, doc, field)
}

// appendLookup is lookup appending to buf.
func appendLookup(buf []any, doc map[string]any, field string) []any {
	raw, ok := doc[field]
	if !ok {
		raw, ok = lookupNested(doc, field)
		if !ok {
			return buf
		}
	}
	return appendScalars(buf, raw, 0)
}

func lookupNested(doc map[string]any, field string) (any, bool) {
	var cur any = doc
	rest := field
	for rest != "" {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		// Try the longest key first: {"process": {"pe.original_file_name": ..}}
		// is as valid as fully nested objects.
		found := false
		for i := len(rest); i > 0; i = strings.LastIndexByte(rest[:i], '.') {
			if v, ok := m[rest[:i]]; ok {
				cur, found = v, true
				if i == len(rest) {
					rest = ""
				} else {
					rest = rest[i+1:]
				}
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return cur, true
}

const maxListDepth = 8

func appendScalars(out []any, raw any, depth int) []any {
	switch v := raw.(type) {
	case nil:
		return out
	case string, bool, int64, float64:
		return append(out, raw) // raw, not v: no new interface value
	case []string:
		for _, s := range v {
			out = append(out, s)
		}
		return out
	case []any:
		if depth >= maxListDepth {
			return out
		}
		for _, e := range v {
			out = appendScalars(out, e, depth+1)
		}
		return out
	case []int64:
		for _, n := range v {
			out = append(out, n)
		}
		return out
	case int:
		return append(out, int64(v))
	case int32:
		return append(out, int64(v))
	case int16:
		return append(out, int64(v))
	case int8:
		return append(out, int64(v))
	case uint:
		return append(out, uintValue(uint64(v)))
	case uint64:
		return append(out, uintValue(v))
	case uint32:
		return append(out, int64(v))
	case uint16:
		return append(out, int64(v))
	case uint8:
		return append(out, int64(v))
	case float32:
		return append(out, float64(v))
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return append(out, n)
		}
		if f, err := v.Float64(); err == nil {
			return append(out, f)
		}
		return append(out, v.String())
	}
	// Objects and other shapes cannot be compared: Elasticsearch would not
	// index them under this name either.
	return out
}

func uintValue(u uint64) any {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return float64(u)
}

// toFloat returns the number v as float64.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

// parseNumber reads a string as a number for comparison with a number: the
// way Elasticsearch parses a string term against a numeric field.
func parseNumber(s string) (any, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return f, true
	}
	return nil, false
}

// compareValues orders a and b: -1, 0, 1, and ok=false when they cannot be
// compared (null, or types that do not meet).
func compareValues(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		switch y := b.(type) {
		case string:
			return strings.Compare(x, y), true
		case int64, float64:
			n, ok := parseNumber(x)
			if !ok {
				return 0, false
			}
			return compareNumbers(n, y), true
		case bool:
			bx, ok := parseBool(x)
			if !ok {
				return 0, false
			}
			return compareBools(bx, y), true
		}
	case int64, float64:
		switch y := b.(type) {
		case int64, float64:
			return compareNumbers(x, y), true
		case string:
			n, ok := parseNumber(y)
			if !ok {
				return 0, false
			}
			return compareNumbers(x, n), true
		}
	case bool:
		switch y := b.(type) {
		case bool:
			return compareBools(x, y), true
		case string:
			by, ok := parseBool(y)
			if !ok {
				return 0, false
			}
			return compareBools(x, by), true
		}
	}
	return 0, false
}

func parseBool(s string) (bool, bool) {
	switch s {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func compareBools(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func compareNumbers(a, b any) int {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	x, _ := toFloat(a)
	y, _ := toFloat(b)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// foldEq reports whether two runes are equal ignoring case (Unicode simple
// folding, as strings.EqualFold).
func foldEq(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// equalValues is == on two non-null scalars; ci makes string comparison
// case-insensitive.
func equalValues(a, b any, ci bool) (bool, bool) {
	if ci {
		if x, ok := a.(string); ok {
			if y, ok := b.(string); ok {
				return strings.EqualFold(x, y), true
			}
		}
	}
	c, ok := compareValues(a, b)
	return ok && c == 0, ok
}

// toString renders a scalar as Elasticsearch's string() does.
func toString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return javaDouble(x), true
	}
	return "", false
}

// javaDouble formats like Java's Double.toString for ordinary magnitudes
// ("1.0", "2.1828").
func javaDouble(f float64) string {
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	if math.IsNaN(f) {
		return "NaN"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-3 || abs >= 1e7) {
		s := strconv.FormatFloat(f, 'E', -1, 64)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		exp = strings.TrimPrefix(exp, "+")
		return mant + "E" + exp
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
