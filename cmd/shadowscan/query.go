package main

import (
	"context"
	"fmt"
)

// runQuery is a placeholder until the query command lands.
func runQuery(ctx context.Context, e *env, args []string) int {
	fmt.Fprintln(e.stderr, "shadowscan query: not built yet")
	return exitUsage
}
