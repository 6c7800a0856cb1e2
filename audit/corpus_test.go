package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/mapping"
)

// corpusDir is the shared corpus of real logs, relative to this package.
const corpusDir = "../../shared/corpus"

// TestCorpusCounts audits the real corpus and checks the per-host counts
// against counts taken independently from the decoded records (System
// section and EventData, before mapping): records, Sysmon EID 1 and those
// with OriginalFileName, Security 4688 and those with a CommandLine, 4656
// and those on files. It also checks that every host gets a verdict per
// rule with a reason, and that the report is deterministic.
func TestCorpusCounts(t *testing.T) {
	if _, err := os.Stat(filepath.Join(corpusDir, "MANIFEST.tsv")); err != nil {
		t.Skipf("real corpus not found at %s (../shared/corpus from the repository): %v", corpusDir, err)
	}
	if testing.Short() {
		t.Skip("corpus test skipped in -short mode")
	}
	type counts struct{ records, sysmon1, ofn, p4688, cmdline, h4656, files4656 int }
	want := map[string]*counts{}
	c := NewCollector()
	res, err := evtx.Scan(context.Background(), []string{corpusDir}, evtx.Options{}, func(r *evtx.Record) error {
		c.AddRecord(r, mapping.Map(r))
		key := hostKey(r.Computer)
		n := want[key]
		if n == nil {
			n = &counts{}
			want[key] = n
		}
		n.records++
		nonEmpty := func(k string) bool {
			v := strings.TrimRight(strings.ReplaceAll(r.EventData[k], "\r\n", "\n"), "\n")
			return v != "" && v != "-"
		}
		switch {
		case strings.EqualFold(r.Channel, "Microsoft-Windows-Sysmon/Operational") && r.EventID == 1:
			n.sysmon1++
			if nonEmpty("OriginalFileName") {
				n.ofn++
			}
		case r.Channel == "Security" && r.EventID == 4688:
			n.p4688++
			if nonEmpty("CommandLine") {
				n.cmdline++
			}
		case r.Channel == "Security" && r.EventID == 4656:
			n.h4656++
			if r.EventData["ObjectType"] == "File" {
				n.files4656++
			}
		}
		return nil
	})
	require.NoError(t, err)
	rules, err := detect.DefaultRules()
	require.NoError(t, err)
	hosts := c.Report(res.Sources, rules)
	require.Equal(t, hosts, c.Report(res.Sources, rules), "Report is repeatable")
	if n := len(hosts); n > 0 && hosts[n-1].Host == Unattributed {
		for _, g := range hosts[n-1].Gaps {
			require.Positive(t, g.RecordsFailed+len(g.Notes), "unattributed files are there for a reason")
		}
		hosts = hosts[:n-1]
	}
	require.Equal(t, len(want), len(hosts), "hosts")

	var total4688, totalSysmon1 int
	for _, h := range hosts {
		key := hostKey(h.Host)
		if h.Host == "(no computer name)" {
			key = ""
		}
		w := want[key]
		require.NotNil(t, w, "host %q not in the independent count", h.Host)
		got := counts{
			records: h.Records,
			sysmon1: h.Logs.Sysmon.ProcessCreate.Count, ofn: h.Logs.Sysmon.WithOriginalFileName,
			p4688: h.Logs.Security.ProcessCreate.Count, cmdline: h.Logs.Security.WithCommandLine,
			h4656: h.Logs.Security.HandleRequests.Count, files4656: h.Logs.Security.HandleRequestsOnFiles,
		}
		require.Equal(t, *w, got, "host %s", h.Host)
		require.Len(t, h.Rules, len(rules))
		for _, v := range h.Rules {
			require.Contains(t, []string{CanFire, CanFirePartially, CannotFire, NoData}, v.Verdict)
			require.NotEmpty(t, v.Reason)
			if h.Logs.Sysmon.WithOriginalFileName > 0 && v.RuleID == "d117cbb4-7d56-41b4-b999-bdf8c25648a0" {
				require.Equal(t, CanFire, v.Verdict, "host %s: %s", h.Host, v.Reason)
			}
		}
		total4688 += got.p4688
		totalSysmon1 += got.sysmon1
	}
	require.Positive(t, total4688, "the corpus holds 4688 events")
	require.Positive(t, totalSysmon1, "the corpus holds Sysmon EID 1 events")
	t.Logf("%d hosts, %d Sysmon EID 1, %d Security 4688", len(hosts), totalSysmon1, total4688)
}
