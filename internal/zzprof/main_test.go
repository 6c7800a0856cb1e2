package zzprof

import (
	"context"
	"runtime/debug"
	"testing"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/scan"
)

func TestProf(t *testing.T) {
	debug.SetGCPercent(400)
	rules, _ := detect.DefaultRules()
	res, err := scan.Run(context.Background(), []string{"/work/main/bin/bench/BENCH01.corp.local/Security.evtx"}, rules, scan.Options{Workers: 2})
	t.Log(res.Summary.RecordsDecoded, err)
}
