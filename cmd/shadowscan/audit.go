package main

import (
	"context"
	"fmt"
)

// runAudit is a placeholder until the audit command lands.
func runAudit(ctx context.Context, e *env, args []string) int {
	fmt.Fprintln(e.stderr, "shadowscan audit: not built yet")
	return exitUsage
}
