package mapping

import (
	"fmt"
	"maps"
	"slices"
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
		if !r.Partial() {
			// What a decoder keeps of r for field is enough.
			only := *r
			only.EventData = map[string]string{}
			for _, name := range EventDataNames(r, field) {
				if v, ok := r.EventData[name]; ok {
					only.EventData[name] = v
				}
			}
			kept, _ := FieldValues(&only, field)
			if len(kept) == 0 {
				kept = nil
			}
			require.Equal(t, values, kept, where("EventDataNames "+field))
		}
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

// TestParseUtcTime holds the digit-by-digit reading of Sysmon's UtcTime
// to time.Parse, on the forms Sysmon writes and on the edges Parse
// judges (days past a month's end, one-digit hours, leap years).
func TestParseUtcTime(t *testing.T) {
	inputs := []string{
		"2024-03-01 12:34:56.789", "2024-02-29 23:59:59.999", "2023-02-29 00:00:00.000",
		"2023-04-31 10:00:00.000", "2023-12-31 24:00:00.000", "2023-12-31 23:60:00.000",
		"2023-12-31 23:59:60.000", "2023-00-10 10:00:00.000", "2023-13-10 10:00:00.000",
		"2023-01-00 10:00:00.000", "0000-01-01 00:00:00.000", "9999-12-31 23:59:59.999",
		"2023-01-02  5:04:05.000", "2023-01-02 05:04:05.00", "2023-01-02 05:04:05.0000",
		"2023-01-02T05:04:05.000", "2023-1-02 05:04:05.000", "2023-01-02 05:04:05.+00",
		"2023-01-02 05:04:05.-01", "", "-", "abcd-ef-gh ij:kl:mn.opq", "2100-02-29 01:02:03.004",
	}
	for y := 1999; y <= 2001; y++ {
		for d := 27; d <= 32; d++ {
			inputs = append(inputs, fmt.Sprintf("%04d-02-%02d 13:14:15.161", y, d))
		}
	}
	for _, in := range inputs {
		want, err := time.Parse(utcTimeLayout, in)
		got, ok := parseUtcTime(in)
		require.Equal(t, err == nil, ok, "%q", in)
		require.Equal(t, want, got, "%q", in)
	}
}

// TestEventDataNamesListWhatMatters: every event data value whose change
// changes FieldValues' answer for a process start is among the names
// EventDataNames gives for the field (a 4688's pids: a command line is
// not mapped when one does not parse).
func TestEventDataNamesListWhatMatters(t *testing.T) {
	records := map[string]*evtx.Record{
		"sysmon": {Provider: sysmonProvider, EventID: 1, Channel: "Microsoft-Windows-Sysmon/Operational",
			EventData: map[string]string{"Image": `C:\Windows\System32\cmd.exe`, "CommandLine": `cmd.exe /c mklink /d C:\s \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
				"OriginalFileName": "Cmd.Exe", "ProcessId": "4242", "ParentImage": `C:\Windows\explorer.exe`, "User": `CORP\alice`}},
		"4688": {Provider: securityProvider, EventID: 4688, Channel: "Security",
			EventData: map[string]string{"NewProcessName": `C:\Windows\System32\cmd.exe`, "CommandLine": `cmd.exe /c "mklink /d C:\s x"`,
				"NewProcessId": "0x1a2c", "ProcessId": "0x3e8", "ParentProcessName": `C:\Windows\explorer.exe`, "SubjectUserName": "alice"}},
	}
	changes := []string{"", "-", "zz", `"C:\Other Dir\x.exe" /y`}
	for kind, r := range records {
		for _, field := range []string{"process.pe.original_file_name", "process.command_line", "process.args",
			"process.executable", "process.name", "event.type", "event.category"} {
			want, known := FieldValues(r, field)
			require.True(t, known, "%s %s", kind, field)
			listed := EventDataNames(r, field)
			for name := range r.EventData {
				for _, v := range changes {
					changed := *r
					changed.EventData = maps.Clone(r.EventData)
					changed.EventData[name] = v
					if got, _ := FieldValues(&changed, field); !slices.Equal(want, got) {
						require.Contains(t, listed, name, "%s %s: %s = %q changes it", kind, field, name, v)
					}
				}
			}
		}
	}
	require.Nil(t, EventDataNames(&evtx.Record{Provider: securityProvider, EventID: 4624}, "process.name"))
	for _, kind := range ProcessStartKinds() {
		require.True(t, MayHave(kind, "process.command_line"))
		require.NotEmpty(t, EventDataNames(kind, "process.command_line"))
	}
}
