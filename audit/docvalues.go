package audit

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/mapping"
)

// Readers of flat ECS documents. Mapping stores numbers as int64 and lists
// as []string, but documents from NDJSON (mapping.Flatten) or from another
// mapping version may carry float64, json.Number or strings ("4688" is how
// winlogbeat types winlog.event_id), so every reader accepts them all.

func docString(d mapping.Doc, key string) string {
	switch v := d[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case []string:
		if len(v) > 0 {
			return v[0]
		}
		return ""
	case []any:
		if len(v) > 0 {
			return fmt.Sprint(v[0])
		}
		return ""
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

func docStrings(d mapping.Doc, key string) []string {
	switch v := d[key].(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	default:
		return []string{fmt.Sprint(v)}
	}
}

func docInt(d mapping.Doc, key string) (int64, bool) {
	switch v := d[key].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case uint64:
		if v > 1<<63-1 {
			return 0, false
		}
		return int64(v), true
	case uint32:
		return int64(v), true
	case float64:
		if v == float64(int64(v)) {
			return int64(v), true
		}
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 0, 64)
		return n, err == nil
	}
	return 0, false
}

func docUint(d mapping.Doc, key string) (uint64, bool) {
	switch v := d[key].(type) {
	case uint64:
		return v, true
	case string:
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	case json.Number:
		n, err := strconv.ParseUint(v.String(), 10, 64)
		return n, err == nil
	}
	n, ok := docInt(d, key)
	if !ok || n < 0 {
		return 0, false
	}
	return uint64(n), true
}

// docHas reports whether the document carries a non-empty value for key.
func docHas(d mapping.Doc, key string) bool { return present(d[key]) }

// outcome returns "success" or "failure" for a Security audit event, from
// event.outcome or the audit keywords.
func outcome(d mapping.Doc) string {
	switch strings.ToLower(docString(d, "event.outcome")) {
	case "success":
		return "success"
	case "failure":
		return "failure"
	}
	for _, k := range docStrings(d, "winlog.keywords") {
		switch lk := strings.ToLower(k); {
		case lk == "audit success":
			return "success"
		case lk == "audit failure":
			return "failure"
		case strings.HasPrefix(lk, "0x"):
			if n, err := strconv.ParseUint(lk[2:], 16, 64); err == nil {
				switch {
				case n&0x0020000000000000 != 0:
					return "success"
				case n&0x0010000000000000 != 0:
					return "failure"
				}
			}
		}
	}
	return ""
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
