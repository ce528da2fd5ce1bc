package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/jobs"
	"github.com/cascade-gate/cascade/app/kernel/database"
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
	var allowNets []string
	refresh := &cobra.Command{
		Use:   "refresh",
		Short: "Fetch every enabled registry source now; a failed source keeps its last good snapshot",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			policy, err := outboundPolicy(allowNets)
			if err != nil {
				return err
			}
			results, err := jobs.RefreshSources(ctx, db, registry.NewFetcher(policy), true)
			failed := 0
			for _, r := range results {
				if r.Err != nil {
					failed++
					fmt.Fprintf(e.stdout, "%s %s: FAILED, last good snapshot kept: %s\n", r.Source.Scheme, r.Source.URL, registry.FailureText(r.Err))
					continue
				}
				fmt.Fprintf(e.stdout, "%s %s: snapshot %d, %d entries (%d added, %d changed, %d revoked, %d expired)\n", r.Source.Scheme, r.Source.URL,
					r.Snapshot.ID, r.Snapshot.EntryCount, r.Snapshot.Added, r.Snapshot.Changed, r.Snapshot.Revoked, r.Snapshot.Expired)
			}
			if len(results) == 0 {
				fmt.Fprintln(e.stdout, "no registry sources are configured: add one with `cascade registry source add`")
			}
			if err != nil {
				return err
			}
			if failed > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	outboundFlag(refresh, &allowNets)
	var snapScheme string
	snaps := &cobra.Command{
		Use:   "snapshots --scheme CODE",
		Short: "List a scheme's snapshots, newest first, with what changed in each",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			list, err := registry.NewStore(db).Snapshots(ctx, snapScheme)
			if err != nil {
				return err
			}
			for _, s := range list {
				sample := ""
				if s.Sample {
					sample = " SAMPLE"
				}
				fmt.Fprintf(e.stdout, "snapshot %d%s fetched %s from %s: %d entries, sha256 %s\n", s.ID, sample,
					s.FetchedAt.Format("2006-01-02 15:04"), s.Source, s.EntryCount, s.SHA256)
				for _, part := range []struct {
					what string
					ids  []string
				}{{"added", s.Diff.Added}, {"changed", s.Diff.Changed}, {"revoked", s.Diff.Revoked}, {"expired", s.Diff.Expired}} {
					if len(part.ids) > 0 {
						fmt.Fprintf(e.stdout, "  %s: %s\n", part.what, strings.Join(part.ids, ", "))
					}
				}
			}
			return nil
		},
	}
	snaps.Flags().StringVar(&snapScheme, "scheme", "", "label scheme code")
	_ = snaps.MarkFlagRequired("scheme")
	c.AddCommand(imp, refresh, snaps, e.sourceCmd())
	return c
}

func (e *env) sourceCmd() *cobra.Command {
	c := &cobra.Command{Use: "source", Short: "Registry sources fetched from URLs"}
	var n registry.NewSource
	var mapping string
	add := &cobra.Command{
		Use:   "add --scheme CODE --url URL [--schedule CRON] [--map M] [NAME]",
		Short: "Configure a registry published at a URL",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			if n.Mapping, err = registry.ParseMapping(mapping); err != nil {
				return err
			}
			if len(args) == 1 {
				n.Name = args[0]
			}
			src, err := registry.NewStore(db).AddSource(ctx, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "source %d for %s: %s (schedule %q)\n", src.ID, src.Scheme, src.URL, src.Schedule)
			return nil
		},
	}
	add.Flags().StringVar(&n.Scheme, "scheme", "", "label scheme code")
	add.Flags().StringVar(&n.URL, "url", "", "where the registry file (CSV, XLSX or JSON) is published")
	add.Flags().StringVar(&n.Schedule, "schedule", "", "cron expression, UTC (e.g. \"0 3 * * *\"); empty = only with registry refresh")
	add.Flags().StringVar(&mapping, "map", "", "column mapping: canonical=source,…")
	_ = add.MarkFlagRequired("scheme")
	_ = add.MarkFlagRequired("url")
	list := &cobra.Command{
		Use:   "list",
		Short: "List registry sources and their last refresh",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			list, err := registry.NewStore(db).Sources(ctx)
			if err != nil {
				return err
			}
			for _, s := range list {
				fmt.Fprintf(e.stdout, "%d\t%s\t%s\t%q\t%s\t%s\n", s.ID, s.Scheme, s.URL, s.Schedule, s.LastStatus, s.LastError)
			}
			return nil
		},
	}
	c.AddCommand(add, list)
	return c
}
