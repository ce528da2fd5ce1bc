package cli

import (
	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/errs"
)

// notYet fails a command whose capability has not been built yet, loudly,
// rather than pretending to succeed.
func notYet(what string) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		return errs.E(errs.NotImplemented, "NOT_YET_AVAILABLE", "%s is not yet available in this build", what)
	}
}
