package testsets

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

var update = flag.Bool("update", false, "rewrite testdata/evtx and testdata/triage from the definitions")

// repoTestdata is the repository's testdata folder, from this package.
const repoTestdata = "../../../../testdata"

// checkCommitted compares (or with -update rewrites) one generated set.
func checkCommitted(t *testing.T, dir string, files []File, extra map[string]string) {
	t.Helper()
	if *update {
		require.NoError(t, Write(dir, files))
		for name, content := range extra {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
		}
	}
	for _, f := range files {
		var buf bytes.Buffer
		require.NoError(t, evtxwrite.Write(&buf, f.Events, f.Options()...))
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		require.NoError(t, err, "committed file missing: regenerate with go test ./evtx/evtxwrite/internal/testsets -update")
		require.True(t, bytes.Equal(buf.Bytes(), got), "%s is stale: regenerate with -update (or make fixtures / make sample)", f.Path)
	}
	for name, content := range extra {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, content, string(got), "%s is stale: regenerate with -update", name)
	}
}

func TestFixturesAreCurrent(t *testing.T) {
	files := Fixtures()
	checkCommitted(t, filepath.Join(repoTestdata, "evtx"), files, map[string]string{"README.md": FixturesREADME(files)})
}

func TestSampleIsCurrent(t *testing.T) {
	files, planted := Sample()
	checkCommitted(t, filepath.Join(repoTestdata, "triage"), files, map[string]string{
		"README.md": README(files, planted), "expected-alerts.tsv": ExpectedAlerts(planted)})
}

func TestSampleIsSmall(t *testing.T) {
	files, _ := Sample()
	total := 0
	for _, f := range files {
		var buf bytes.Buffer
		require.NoError(t, evtxwrite.Write(&buf, f.Events, f.Options()...))
		total += buf.Len()
	}
	require.Less(t, total, 2<<20, "the sample package stays under 2 MB")
}

// TestPlantedRecordsAreWhereTheREADMESays checks each planted record's
// EventRecordID points at an event of that host, id and content.
func TestPlantedRecordsAreWhereTheREADMESays(t *testing.T) {
	files, planted := Sample()
	byPath := map[string]File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	require.NotEmpty(t, planted)
	for _, p := range planted {
		f, ok := byPath[p.File]
		require.True(t, ok, p.File)
		i := int(p.RecordID - f.FirstRecordID)
		require.True(t, i >= 0 && i < len(f.Events), "%s record %d out of range", p.File, p.RecordID)
		e := f.Events[i]
		require.Equal(t, p.Host, e.Computer)
		require.Equal(t, p.EventID, e.EventID)
		require.True(t, p.Time.Equal(e.TimeCreated))
		if p.Detail != "" && (e.EventID == 1 || e.EventID == 4656 || (e.EventID == 4688 && dataValue(e, "CommandLine") != "")) {
			require.Contains(t, allData(e), p.Detail, "%s record %d", p.File, p.RecordID)
		}
	}
}

// TestNoiseCannotAlert: only planted records may alert, so no other
// process start may mention a shadow copy, mklink, SymbolicLink or a copy
// of a credential store.
func TestNoiseCannotAlert(t *testing.T) {
	files, planted := Sample()
	type recordKey struct {
		path string
		id   uint64
	}
	isPlanted := map[recordKey]bool{}
	for _, p := range planted {
		isPlanted[recordKey{p.File, p.RecordID}] = true
	}
	for _, f := range files {
		for i, e := range f.Events {
			id := f.FirstRecordID + uint64(i)
			if isPlanted[recordKey{f.Path, id}] {
				continue
			}
			cmd := strings.ToLower(dataValue(e, "CommandLine"))
			for _, bad := range []string{"harddiskvolumeshadowcopy", "mklink", "symboliclink", "ntds.dit", `config\sam`} {
				require.NotContains(t, cmd, bad, "%s record %d is noise but could alert", f.Path, id)
			}
		}
	}
}

func dataValue(e evtxwrite.Event, name string) string {
	for _, d := range e.EventData {
		if d.Name == name {
			return d.Value.String()
		}
	}
	return ""
}

func allData(e evtxwrite.Event) string {
	var b strings.Builder
	for _, d := range e.EventData {
		b.WriteString(d.Value.String() + "\n")
	}
	return b.String()
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1GiB", 1 << 30, true}, {"256MiB", 256 << 20, true}, {"64KiB", 64 << 10, true},
		{"65536", 65536, true}, {"0", 0, true},
		{"", 0, false}, {"1GB", 0, false}, {"-1MiB", 0, false}, {"MiB", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if !tc.ok {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}
