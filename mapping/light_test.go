package mapping

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx"
)

// lightSameAsMap holds the answers of light.go to the document Map made
// of r. sameAsMap calls it for every record it compares: the corpus, the
// committed fixtures, the writer's events, the edge records and the
// fuzzed ones.
func lightSameAsMap(t *testing.T, r *evtx.Record, d Doc) {
	t.Helper()
	if r == nil {
		return
	}
	where := func(what string) string {
		return fmt.Sprintf("%s: %s record %d", what, recordPath(r), recordID(r))
	}
	for key := range d {
		require.True(t, MayHave(r, key), where("MayHave false for "+key))
	}
	cats, _ := d["event.category"].([]string)
	require.Equal(t, cats, EventCategories(r), where("EventCategories"))
	outcome, _ := d["event.outcome"].(string)
	require.Equal(t, outcome, Outcome(r), where("Outcome"))
	task, hasTask := d["winlog.task"].(string)
	gotTask, gotHas := TaskName(r)
	require.Equal(t, hasTask, gotHas, where("TaskName set"))
	if hasTask {
		require.Equal(t, task, gotTask, where("TaskName"))
	}
	var ts time.Time
	if s, ok := d["@timestamp"].(string); ok {
		if parsed, err := time.Parse(time.RFC3339Nano, s); err == nil {
			ts = parsed.UTC()
		}
	}
	require.True(t, ts.Equal(Timestamp(r)), where("Timestamp")+fmt.Sprintf(" %v vs %v", ts, Timestamp(r)))
	require.Equal(t, ts.IsZero(), Timestamp(r).IsZero(), where("Timestamp zero"))
	for key, value := range map[string]string{
		"winlog.computer_name": r.Computer, "host.name": r.Computer, "winlog.channel": r.Channel,
		"winlog.provider_name": r.Provider, "event.provider": r.Provider, "log.file.path": r.Path,
	} {
		s, _ := d[key].(string)
		require.Equal(t, s, Kept(r, value), where("Kept "+key))
	}
	for _, field := range []string{"process.pe.original_file_name", "process.command_line", "process.executable",
		"process.args", "process.name", "process.parent.name", "file.path", "event.type", "event.category"} {
		values, known := FieldValues(r, field)
		if !known {
			continue
		}
		var have []string
		switch v := d[field].(type) {
		case string:
			have = []string{v}
		case []string:
			have = v
		}
		if len(have) == 0 {
			have = nil
		}
		if len(values) == 0 {
			values = nil
		}
		require.Equal(t, have, values, where("FieldValues "+field))
	}
	for name := range r.EventData {
		v, known := EventDataString(r, name)
		if !known {
			continue
		}
		s, _ := d["winlog.event_data."+name].(string)
		require.Equal(t, s, v, where("EventDataString "+name))
	}
}

// TestMayHaveRefuses checks that MayHave does rule fields out: the scan's
// speed rests on it (a 4688 cannot match a rule that needs
// process.pe.original_file_name).
func TestMayHaveRefuses(t *testing.T) {
	data := map[string]string{"CommandLine": "cmd /c x", "NewProcessName": `C:\x.exe`}
	for _, tc := range []struct {
		r     *evtx.Record
		field string
		want  bool
	}{
		{securityRecord(4688, data), "process.pe.original_file_name", false},
		{securityRecord(4688, data), "process.args", true},
		{securityRecord(4688, data), "winlog.event_data.OriginalFileName", false},
		{securityRecord(4688, data), "winlog.event_data.CommandLine", true},
		{securityRecord(4688, data), "file.path", false},
		{securityRecord(4656, data), "process.args", false},
		{securityRecord(4656, data), "file.path", true},
		{securityRecord(4624, data), "process.name", false},
		{securityRecord(4624, data), "winlog.event_data.AccessList", true},
		{sysmonRecord(data), "process.args", true},
		{sysmonRecord(data), "host.name", true},
		{&evtx.Record{Provider: sysmonProvider, EventID: 3}, "process.args", false},
		{&evtx.Record{Provider: "Other", EventID: 4688}, "process.args", false},
	} {
		require.Equal(t, tc.want, MayHave(tc.r, tc.field), "%s %d %s", tc.r.Provider, tc.r.EventID, tc.field)
	}
}
