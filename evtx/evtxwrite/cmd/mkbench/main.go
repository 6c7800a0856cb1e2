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
	"strconv"
	"strings"

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
		size, err := parseSize(l.size)
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

// parseSize reads "1GiB", "256MiB", "64KiB" or a number of bytes.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 1GiB, 256MiB, 65536)", s)
	}
	return n * mult, nil
}
