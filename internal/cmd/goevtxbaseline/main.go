// Command goevtxbaseline is the reference point of `make bench`: a plain
// golang-evtx FastEvents loop that only counts the events of each file it
// is given, the way a Go tool built directly on that library reads logs.
// It is run on the project's own valid benchmark files only.
//
//	go run ./internal/cmd/goevtxbaseline FILE...
package main

import (
	"fmt"
	"io"
	stdlog "log"
	"os"

	goevtx "github.com/0xrawsec/golang-evtx/evtx"
	ulog "github.com/0xrawsec/golang-utils/log"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: goevtxbaseline FILE...")
		os.Exit(2)
	}
	ulog.SetLogLevel(ulog.LCritical)
	stdlog.SetOutput(io.Discard)
	total := 0
	for _, p := range os.Args[1:] {
		f, err := goevtx.OpenDirty(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "goevtxbaseline: %s: %v\n", p, err)
			os.Exit(1)
		}
		n := 0
		for range f.FastEvents() {
			n++
		}
		fmt.Printf("%s\t%d\n", p, n)
		total += n
	}
	fmt.Printf("total\t%d\n", total)
}
