package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/vendors"
)

func (e *env) supplierCmd() *cobra.Command {
	c := &cobra.Command{Use: "supplier", Short: "Register and list suppliers"}
	c.AddCommand(&cobra.Command{
		Use:   "add NAME",
		Short: "Register a supplier",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			sup, err := vendors.NewStore(db).Create(ctx, strings.Join(args, " "))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "supplier %d %q registered\n", sup.ID, sup.Name)
			return nil
		},
	}, &cobra.Command{
		Use:   "list",
		Short: "List suppliers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			list, err := vendors.NewStore(db).List(ctx)
			if err != nil {
				return err
			}
			for _, s := range list {
				fmt.Fprintf(e.stdout, "%d\t%s\n", s.ID, s.Name)
			}
			return nil
		},
	})
	return c
}
