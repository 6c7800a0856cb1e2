package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/report"
)

// scanJSON runs a scan with decoder d and workers, and returns the JSON
// report without the elapsed time (the only field that may differ).
func scanJSON(t *testing.T, paths []string, d evtx.Decoder, workers int) []byte {
	t.Helper()
	return runJSON(t, paths, seedRules(t), Options{Decoder: d, Workers: workers})
}

// TestFastDecoderSameReport: the whole scan (inventory, alerts,
// corroboration, audit) is identical with the fast decoder and with the
// reference golang-evtx decoder, with one and two workers, on the sample
// triage package, a writer-made triage with positives, and the corpus.
func TestFastDecoderSameReport(t *testing.T) {
	inputs := map[string][]string{
		"sample triage": {"../testdata/triage"},
		"writer triage": {writeTriage(t)},
	}
	if _, err := os.Stat("../../shared/corpus"); err == nil {
		inputs["corpus"] = []string{"../../shared/corpus"}
	} else {
		t.Log("corpus not present at ../../shared/corpus (shared read-only data); comparing the fixtures only")
	}
	for name, paths := range inputs {
		t.Run(name, func(t *testing.T) {
			want := scanJSON(t, paths, evtx.GoEvtxDecoder{}, 2)
			require.True(t, json.Valid(want))
			for _, workers := range []int{1, 2} {
				got := scanJSON(t, paths, evtx.FastDecoder{}, workers)
				require.JSONEq(t, string(want), string(got), "workers=%d", workers)
			}
		})
	}
}

// runJSON runs a scan with rules and opts and returns the JSON report
// without the elapsed time (the only field that may differ).
func runJSON(t *testing.T, paths []string, rules []*detect.Rule, opts Options) []byte {
	t.Helper()
	res, err := Run(context.Background(), paths, rules, opts)
	require.NoError(t, err)
	res.Summary.ElapsedSeconds = 0
	var b bytes.Buffer
	require.NoError(t, report.WriteJSON(&b, res.Report()))
	return b.Bytes()
}

// TestMapOnDemandSameReport: mapping only the records something needs
// (the default) gives the same report, alerts, corroboration and audit
// included, as mapping every record, with the embedded rules and with the
// seed's current rules (which fall back on process.name), with a time
// window, without corroboration, and for the audit alone.
func TestMapOnDemandSameReport(t *testing.T) {
	inputs := map[string][]string{
		"sample triage": {"../testdata/triage"},
		"writer triage": {writeTriage(t)},
		"fixtures":      {"../testdata/evtx"},
	}
	if _, err := os.Stat("../../shared/corpus"); err == nil {
		inputs["corpus"] = []string{"../../shared/corpus"}
	} else {
		t.Log("corpus not present at ../../shared/corpus (shared read-only data); comparing the fixtures only")
	}
	ruleSets := map[string][]*detect.Rule{"embedded": seedRules(t)}
	if current, err := detect.LoadRules("../../shared/seed/rules/current"); err == nil {
		ruleSets["embedded+current"] = append(seedRules(t), current...)
	} else {
		t.Logf("seed rules not present: %v", err)
	}
	variants := map[string]Options{
		"default":        {},
		"window":         {From: t0.Add(-30 * time.Minute), To: t0.Add(30 * time.Minute)},
		"no corroborate": {CorroborationWindow: -1},
		"audit only":     {AuditOnly: true},
	}
	for name, paths := range inputs {
		for rname, rules := range ruleSets {
			for vname, opts := range variants {
				t.Run(name+"/"+rname+"/"+vname, func(t *testing.T) {
					all := opts
					all.MapAll = true
					want := runJSON(t, paths, rules, all)
					require.JSONEq(t, string(want), string(runJSON(t, paths, rules, opts)))
				})
			}
		}
	}
}
