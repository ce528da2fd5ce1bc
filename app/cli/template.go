package cli

import (
	"bufio"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/imports"
)

func (e *env) templateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "template > template.xlsx",
		Short: "Write the supplier spreadsheet template (XLSX) to standard output",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			schemes, err := catalog.NewStore(db).SchemeCodes(ctx)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			if err := imports.WriteTemplate(w, schemes); err != nil {
				return err
			}
			return w.Flush()
		},
	}
}
