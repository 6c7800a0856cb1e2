package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/report"
)

// scanJSON runs a scan with decoder d and workers, and returns the JSON
// report without the elapsed time (the only field that may differ).
func scanJSON(t *testing.T, paths []string, d evtx.Decoder, workers int) []byte {
	t.Helper()
	res, err := Run(context.Background(), paths, seedRules(t), Options{Decoder: d, Workers: workers})
	require.NoError(t, err)
	res.Summary.ElapsedSeconds = 0
	var b bytes.Buffer
	require.NoError(t, report.WriteJSON(&b, res.Report()))
	return b.Bytes()
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
