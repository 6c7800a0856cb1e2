// Command mkbench writes large, realistic benchmark logs with the fixture
// writer: a Security log of dense chunks (4688 with command lines, 4656)
// and a Sysmon log (event 1, 3, 11), each with a few true positives spread
// through it, plus expected-alerts.tsv naming them. Deterministic.
//
//	go run ./evtx/evtxwrite/cmd/mkbench -o bin/bench -security 1GiB -sysmon 256MiB
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite/internal/testsets"
)

func main() {
	out := flag.String("o", "bin/bench", "output folder (files go under OUT/"+testsets.BenchHost+"/)")
	security := flag.String("security", "1GiB", "size of the Security log (0 to skip)")
	sysmon := flag.String("sysmon", "256MiB", "size of the Sysmon log (0 to skip)")
	positives := flag.Int("positives", 4, "true positives planted in each log")
	flag.Parse()
	if err := run(*out, *security, *sysmon, *positives); err != nil {
		fmt.Fprintln(os.Stderr, "mkbench:", err)
		os.Exit(1)
	}
}

func run(out, security, sysmon string, positives int) error {
	dir := filepath.Join(out, testsets.BenchHost)
	var planted []*testsets.Planted
	for _, l := range []struct{ kind, size string }{{testsets.BenchSecurity, security}, {testsets.BenchSysmon, sysmon}} {
		size, err := testsets.ParseSize(l.size)
		if err != nil {
			return err
		}
		if size == 0 {
			continue
		}
		p, err := testsets.WriteBench(dir, l.kind, size, positives)
		if err != nil {
			return err
		}
		planted = append(planted, p...)
	}
	return os.WriteFile(filepath.Join(out, "expected-alerts.tsv"), []byte(testsets.ExpectedAlerts(planted)), 0o644)
}
