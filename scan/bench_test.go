package scan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

// benchTriage writes n Sysmon process starts (one in a thousand a true
// positive) and n/4 Security 4656 on shadow-copy objects.
func benchTriage(b *testing.B, n int) (string, int64) {
	b.Helper()
	dir := b.TempDir()
	cmd := `C:\Windows\System32\cmd.exe`
	sys := make([]evtxwrite.Event, 0, n)
	for i := range n {
		line := fmt.Sprintf(`cmd.exe /c echo %d > C:\temp\out%d.txt`, i, i)
		if i%1000 == 0 {
			line = shadowLink
		}
		sys = append(sys, sysmon1("DC01.corp.example", t0.Add(time.Duration(i)*time.Second), uint64(i+1), cmd, "Cmd.Exe", line))
	}
	sec := make([]evtxwrite.Event, 0, n/4)
	for i := range n / 4 {
		sec = append(sec, sec4656("DC01.corp.example", t0.Add(time.Duration(4*i)*time.Second), uint64(i+1),
			`\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`, `C:\Windows\System32\esentutl.exe`, true))
	}
	require.NoError(b, evtxwrite.WriteFile(filepath.Join(dir, "Sysmon.evtx"), sys))
	require.NoError(b, evtxwrite.WriteFile(filepath.Join(dir, "Security.evtx"), sec))
	var size int64
	for _, f := range []string{"Sysmon.evtx", "Security.evtx"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		require.NoError(b, err)
		size += fi.Size()
	}
	return dir, size
}

// BenchmarkRun measures the whole scan pipeline; BenchmarkReadOnly the
// reader alone on the same input, so the difference is the cost of
// mapping, detection, corroboration and audit.
// Its sub-benchmarks compare mapping only the records something needs
// (the default) with mapping every record (Options.MapAll).
func BenchmarkRun(b *testing.B) {
	dir, size := benchTriage(b, 20000)
	rules := seedRules(b)
	for _, mode := range []struct {
		name string
		opts Options
	}{{"needed", Options{}}, {"mapall", Options{MapAll: true}}} {
		b.Run(mode.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				res, err := Run(context.Background(), []string{dir}, rules, mode.opts)
				if err != nil || len(res.Alerts) != 20 {
					b.Fatalf("alerts %d, err %v", len(res.Alerts), err)
				}
			}
		})
	}
}

func BenchmarkReadOnly(b *testing.B) {
	dir, size := benchTriage(b, 20000)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		_, err := evtx.Scan(context.Background(), []string{dir}, evtx.Options{}, func(*evtx.Record) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}
