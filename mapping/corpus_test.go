package mapping

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx"
)

// TestCorpus maps every record of the shared corpus of real .evtx files and
// checks what must hold for any evidence: every document carries its
// evidence location and a parseable timestamp, values have Doc types, real
// 4688 process ids decode (no pipeline_error), and the mapped process
// fields agree with the raw event data they come from.
func TestCorpus(t *testing.T) {
	const corpus = "../../shared/corpus"
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus %s not available: %v", corpus, err)
	}
	if testing.Short() {
		t.Skip("corpus scan skipped in -short mode")
	}
	counts := map[string]int{}
	_, err := evtx.Scan(context.Background(), []string{corpus}, evtx.Options{}, func(r *evtx.Record) error {
		d := Map(r)
		for _, k := range []string{"log.file.path", "winlog.record_id", "winlog.event_id", "event.code", "@timestamp"} {
			require.Contains(t, d, k, "%s record %d", r.Path, r.RecordID)
		}
		_, err := time.Parse(time.RFC3339Nano, d["@timestamp"].(string))
		require.NoError(t, err)
		for k, v := range d {
			switch v.(type) {
			case string, int64, float64, bool, []string, []any:
			default:
				t.Fatalf("%s record %d: %s has type %T", r.Path, r.RecordID, k, v)
			}
		}
		switch {
		case r.Provider == sysmonProvider && r.EventID == 1:
			counts["sysmon1"]++
			if img := removeWindowsLineEndings(r.EventData["Image"]); img != "" && img != "-" {
				require.Equal(t, img, d["process.executable"])
			}
			if cmd, ok := d["process.command_line"].(string); ok {
				require.Equal(t, SplitCommandLineWindows(cmd), d["process.args"])
			}
		case r.Provider == securityProvider && r.EventID == 4688:
			counts["4688"]++
			require.NotContains(t, d, "error.message", "%s record %d", r.Path, r.RecordID)
			want, err := javaLongDecode(r.EventData["NewProcessId"])
			require.NoError(t, err)
			require.Equal(t, want, d["process.pid"])
		case r.Provider == securityProvider && r.EventID == 4656:
			counts["4656"]++
			require.Contains(t, d, "winlog.event_data.AccessList")
		}
		return nil
	})
	require.NoError(t, err)
	t.Logf("mapped: %v", counts)
}
