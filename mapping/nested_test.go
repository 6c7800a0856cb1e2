package mapping

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNested(t *testing.T) {
	d := Doc{
		"@timestamp":                   "2024-03-01T12:30:45.123Z",
		"process.pid":                  int64(4),
		"process.args":                 []string{"a", "b"},
		"process.parent.pid":           int64(1),
		"winlog.event_data.AccessList": []string{"4417"},
	}
	want := map[string]any{
		"@timestamp": "2024-03-01T12:30:45.123Z",
		"process": map[string]any{
			"pid":    int64(4),
			"args":   []string{"a", "b"},
			"parent": map[string]any{"pid": int64(1)},
		},
		"winlog": map[string]any{"event_data": map[string]any{"AccessList": []string{"4417"}}},
	}
	require.Equal(t, want, d.Nested())
}

func TestNestedConflicts(t *testing.T) {
	// A leaf and a longer key under it: the leaf keeps its place, the
	// longer key stays dotted inside the object reached, whatever the map
	// order.
	d := Doc{"a": "leaf", "a.b": "x", "a.b.c": "y", "b.": "trailing dot", ".c": "leading dot", "d..e": "double dot"}
	want := map[string]any{
		"a":     "leaf",
		"a.b":   "x",
		"a.b.c": "y",
		"b.":    "trailing dot",
		".c":    "leading dot",
		"d":     map[string]any{".e": "double dot"},
	}
	for i := 0; i < 20; i++ {
		require.Equal(t, want, d.Nested())
	}
}

func TestFlatten(t *testing.T) {
	in := `{
		"@timestamp": "2024-03-01T12:30:45.123Z",
		"process": {"pid": 4556, "args": ["a", "b"], "parent": {"pid": 4652.0}, "ratio": 0.5, "big": 1e300},
		"event": {"category": ["process"], "kind": null, "ingested": true},
		"winlog.event_data": {"AccessList": []},
		"mixed": [1, "a", null, {"k": 2, "n": null}],
		"huge": 123456789012345678901234567890
	}`
	dec := json.NewDecoder(bytes.NewReader([]byte(in)))
	dec.UseNumber()
	var nested map[string]any
	require.NoError(t, dec.Decode(&nested))
	d := Flatten(nested)
	require.Equal(t, Doc{
		"@timestamp":                   "2024-03-01T12:30:45.123Z",
		"process.pid":                  int64(4556),
		"process.args":                 []string{"a", "b"},
		"process.parent.pid":           int64(4652),
		"process.ratio":                0.5,
		"process.big":                  1e300,
		"event.category":               []string{"process"},
		"event.ingested":               true,
		"winlog.event_data.AccessList": []string{},
		"mixed":                        []any{int64(1), "a", nil, map[string]any{"k": int64(2)}},
		"huge":                         1.2345678901234568e+29,
	}, d)

	// Plain encoding/json (float64 numbers) gives the same integers.
	var plain map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"a":{"b":4556}}`), &plain))
	require.Equal(t, Doc{"a.b": int64(4556)}, Flatten(plain))
}

func TestFlattenDottedCollision(t *testing.T) {
	nested := map[string]any{"a": map[string]any{"b": "object"}, "a.b": "dotted"}
	for i := 0; i < 20; i++ {
		require.Equal(t, Doc{"a.b": "dotted"}, Flatten(nested))
	}
}

func TestNestedFlattenRoundTrip(t *testing.T) {
	// Documents Map produces survive Nested -> JSON -> Flatten unchanged.
	for _, d := range []Doc{
		Map(sysmonRecord(map[string]string{"CommandLine": `"C:\a b\x.exe" /y`, "Image": `C:\a b\x.exe`, "Hashes": "MD5=AA,SHA256=BB", "User": `D\u`, "ProcessId": "12"})),
		Map(securityRecord(4688, map[string]string{"NewProcessId": "0x1", "CommandLine": "a b", "SubjectUserName": "u", "TokenElevationType": "%%1936"})),
		Map(securityRecord(4656, map[string]string{"AccessList": "%%1537 %%4416", "AccessMask": "0x10080", "ProcessId": "0x1", "ObjectType": "File", "ObjectName": `C:\x`})),
	} {
		b, err := json.Marshal(d.Nested())
		require.NoError(t, err)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var back map[string]any
		require.NoError(t, dec.Decode(&back))
		require.Equal(t, d, Flatten(back))
	}
}
