package main

import (
	"context"
	"fmt"
)

// runInventory is a placeholder until the inventory command lands.
func runInventory(ctx context.Context, e *env, args []string) int {
	fmt.Fprintln(e.stderr, "shadowscan inventory: not built yet")
	return exitUsage
}
