package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/audit"
	"github.com/cascade-gate/cascade/app/database"
)

func (e *env) auditCmd() *cobra.Command {
	c := &cobra.Command{Use: "audit", Short: "The append-only audit log"}
	c.AddCommand(&cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain; exit 1 if any entry was edited or deleted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			r, err := audit.NewLog(db).Verify(ctx)
			if err != nil {
				return err
			}
			if !r.OK {
				fmt.Fprintf(e.stdout, "audit log BROKEN at entry %d: %s (%d entries verified before it)\n", r.BadSeq, r.Problem, r.Entries)
				return exitCode(1)
			}
			fmt.Fprintf(e.stdout, "audit log intact: %d entries verified\n", r.Entries)
			return nil
		},
	})
	return c
}
