package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

func (e *env) registryCmd() *cobra.Command {
	c := &cobra.Command{Use: "registry", Short: "Label registry snapshots"}
	var scheme, mapping string
	var sample bool
	imp := &cobra.Command{
		Use:   "import --scheme CODE FILE",
		Short: "Import a registry snapshot from a CSV, XLSX or JSON file, then recompute verdicts",
		Long: `Import a registry snapshot. The file uses the canonical columns
scheme, label_id, brand, model, product_type, level, issued, expires, status, models, url
or, with --map, other column names: --map "label_id=Registration No.,brand=Manufacturer".
A file with any unreadable row is refused whole, and the last good snapshot stays.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			m, err := registry.ParseMapping(mapping)
			if err != nil {
				return err
			}
			store := registry.NewStore(db)
			if _, err := store.Scheme(ctx, scheme); err != nil {
				return err
			}
			entries, err := registry.ReadFile(args[0], scheme, m)
			if err != nil {
				return err
			}
			snap, err := store.Import(ctx, registry.NewSnapshot{Scheme: scheme, Source: filepath.Base(args[0]), Sample: sample, Entries: entries})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "snapshot %d of %s: %d entries (sha256 %s…)\n", snap.ID, snap.Scheme, snap.EntryCount, snap.SHA256[:12])
			fmt.Fprintf(e.stdout, "  since the previous snapshot: %d added, %d changed, %d revoked, %d expired\n", snap.Added, snap.Changed, snap.Revoked, snap.Expired)
			st, err := verdicts.New(db).Recompute(ctx, nil)
			if err != nil {
				return fmt.Errorf("the snapshot is stored, but verdicts were not recomputed: %w", err)
			}
			fmt.Fprintf(e.stdout, "verdicts recomputed: %d evaluated, %d changed\n", st.Verdicts, st.Changed)
			return nil
		},
	}
	imp.Flags().StringVar(&scheme, "scheme", "", "label scheme code, e.g. SG-CLS")
	imp.Flags().StringVar(&mapping, "map", "", "column mapping for non-canonical layouts: canonical=source,…")
	imp.Flags().BoolVar(&sample, "sample", false, "mark the snapshot as sample data, not a real registry")
	_ = imp.MarkFlagRequired("scheme")
	refresh := &cobra.Command{Use: "refresh", Short: "Fetch every configured registry source now", Args: cobra.NoArgs, RunE: notYet("registry refresh")}
	c.AddCommand(imp, refresh)
	return c
}
