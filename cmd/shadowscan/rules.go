package main

import (
	"context"
	"fmt"
)

// runRules is a placeholder until the rules command lands.
func runRules(ctx context.Context, e *env, args []string) int {
	fmt.Fprintln(e.stderr, "shadowscan rules: not built yet")
	return exitUsage
}
