// Command mksample writes the sample triage package (testdata/triage):
// one folder per host with its Sysmon and Security logs, a README listing
// every planted record and the alerts it must raise, and
// expected-alerts.tsv for tests. Usage:
//
//	go run ./evtx/evtxwrite/cmd/mksample -o testdata/triage
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite/internal/testsets"
)

func main() {
	out := flag.String("o", "testdata/triage", "output folder")
	flag.Parse()
	files, planted := testsets.Sample()
	err := testsets.Write(*out, files)
	if err == nil {
		err = os.WriteFile(filepath.Join(*out, "README.md"), []byte(testsets.README(files, planted)), 0o644)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(*out, "expected-alerts.tsv"), []byte(testsets.ExpectedAlerts(planted)), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mksample:", err)
		os.Exit(1)
	}
}
