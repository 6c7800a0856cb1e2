package main

import (
	"time"

	"github.com/schollz/progressbar/v3"
)

// newProgress returns a progress bar on stderr counting bytes out of total:
// update adds a byte delta (safe from any goroutine), finish clears the bar.
// When stderr is not a terminal, or disabled (--no-progress), both are
// no-ops, so callers never check.
func newProgress(e *env, total int64, disabled bool) (update func(int64), finish func()) {
	if disabled || !e.stderrIsTerminal || total <= 0 {
		return func(int64) {}, func() {}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription("reading"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)
	return func(n int64) { _ = bar.Add64(n) }, func() { _ = bar.Finish() }
}
