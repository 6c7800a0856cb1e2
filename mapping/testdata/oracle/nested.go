package oracle

import (
	"encoding/json"
	"math"
	"sort"
	"strings"
)

// Nested returns the document in the JSON shape Elasticsearch stores:
// "process.pid" becomes {"process": {"pid": ...}}. Keys are placed in
// sorted order, so a leaf always lands before any longer key it prefixes;
// when a path runs into a leaf ("a" and "a.b" both set), the rest of the
// key is kept dotted inside the deepest object reached, a shape
// Elasticsearch accepts and indexes under the same field name. Values are
// shared with d, not copied.
func (d Doc) Nested() map[string]any {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	root := make(map[string]any)
	for _, k := range keys {
		m := root
		rest := k
		for {
			head, tail, more := strings.Cut(rest, ".")
			if !more || head == "" || tail == "" {
				break
			}
			child, exists := m[head]
			if !exists {
				next := make(map[string]any)
				m[head] = next
				m = next
				rest = tail
				continue
			}
			next, isMap := child.(map[string]any)
			if !isMap {
				break
			}
			m = next
			rest = tail
		}
		m[rest] = d[k]
	}
	return root
}

// Flatten turns a document as Elasticsearch returns it (nested objects,
// possibly with dotted keys inside) into a Doc. It is the inverse of
// Nested for documents Map produces. Values are normalised to the Doc
// types: json.Number and float64 become int64 when integral (and in
// range), otherwise float64; other integer types become int64; lists
// become []string when every element is a string (including the empty
// list), otherwise []any with normalised elements (objects inside lists
// stay maps: ECS has no flat name for them). JSON null is dropped: for
// Elasticsearch a null field is a missing field. Keys are visited in
// sorted order, so when an object and a dotted key name the same field
// ({"a": {"b": 1}, "a.b": 2}) the result is the same on every run: the
// later key in sort order ("a.b") wins.
func Flatten(nested map[string]any) Doc {
	d := make(Doc, len(nested)*2)
	flattenInto(d, "", nested)
	return d
}

func flattenInto(d Doc, prefix string, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		switch v := m[k].(type) {
		case map[string]any:
			flattenInto(d, name, v)
		case nil:
		default:
			if nv, ok := normalise(v); ok {
				d[name] = nv
			}
		}
	}
}

// normalise maps a decoded JSON value (or a Go value of a compatible
// type) onto the Doc value types.
func normalise(v any) (any, bool) {
	switch v := v.(type) {
	case string, bool, int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case uint32:
		return int64(v), true
	case float64:
		return normaliseFloat(v), true
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i, true
		}
		f, err := v.Float64()
		if err != nil {
			return v.String(), true
		}
		return normaliseFloat(f), true
	case []string:
		return v, true
	case []any:
		allStrings := true
		for _, e := range v {
			if _, ok := e.(string); !ok {
				allStrings = false
				break
			}
		}
		if allStrings {
			out := make([]string, len(v))
			for i, e := range v {
				out[i] = e.(string)
			}
			return out, true
		}
		out := make([]any, 0, len(v))
		for _, e := range v {
			switch e := e.(type) {
			case nil:
				out = append(out, nil)
			case map[string]any:
				out = append(out, normaliseObject(e))
			default:
				ne, _ := normalise(e)
				out = append(out, ne)
			}
		}
		return out, true
	default:
		return v, true
	}
}

// normaliseObject normalises the values of an object found inside a list.
func normaliseObject(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case nil:
		case map[string]any:
			out[k] = normaliseObject(v)
		default:
			out[k], _ = normalise(v)
		}
	}
	return out
}

func normaliseFloat(f float64) any {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return int64(f)
	}
	return f
}
