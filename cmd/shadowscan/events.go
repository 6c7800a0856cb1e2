package main

import (
	"context"
	"fmt"
)

// runEvents is a placeholder until the events command lands.
func runEvents(ctx context.Context, e *env, args []string) int {
	fmt.Fprintln(e.stderr, "shadowscan events: not built yet")
	return exitUsage
}
