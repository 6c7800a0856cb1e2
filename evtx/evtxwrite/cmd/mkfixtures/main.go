// Command mkfixtures writes the committed .evtx fixtures (testdata/evtx)
// and their README. Usage: go run ./evtx/evtxwrite/cmd/mkfixtures -o testdata/evtx
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite/internal/testsets"
)

func main() {
	out := flag.String("o", "testdata/evtx", "output folder")
	flag.Parse()
	files := testsets.Fixtures()
	if err := testsets.Write(*out, files); err != nil {
		fmt.Fprintln(os.Stderr, "mkfixtures:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(*out, "README.md"), []byte(testsets.FixturesREADME(files)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "mkfixtures:", err)
		os.Exit(1)
	}
}
