package main

import (
	"context"
	"fmt"
)

// runScan is a placeholder until the scan command lands.
func runScan(ctx context.Context, e *env, args []string) int {
	fmt.Fprintln(e.stderr, "shadowscan scan: not built yet")
	return exitUsage
}
