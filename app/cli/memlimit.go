package cli

import (
	"os"
	"runtime/debug"

	"github.com/cascade-gate/cascade/app/kernel/tabular"
)

// applyMemoryBudget sets the Go runtime's soft memory limit to the budget's
// (tabular.GoMemoryLimit), unless GOMEMLIMIT sets one: the garbage of a
// large read is then collected before it doubles the heap, which keeps the
// process within tabular.ProcessBudget.
func applyMemoryBudget() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(tabular.GoMemoryLimit)
	}
}
