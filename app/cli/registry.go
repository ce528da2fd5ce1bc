package cli

import (
	"fmt"
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
A file with any unreadable row is refused whole, and the last good snapshot stays.
Exit status ` + notRecomputedExit + ` means the snapshot is stored but the verdicts were not
recomputed (VERDICTS_NOT_RECOMPUTED): the nightly re-evaluation or cascade evaluate does it.`,
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
			ch, err := verdicts.New(db).ImportSnapshot(ctx, verdicts.SnapshotFile{Scheme: scheme, Path: args[0], Mapping: m, Sample: sample})
			if err != nil {
				return err
			}
			snap := ch.Snapshot
			fmt.Fprintf(e.stdout, "snapshot %d of %s: %d entries (sha256 %s…)\n", snap.ID, snap.Scheme, snap.EntryCount, snap.SHA256[:12])
			fmt.Fprintf(e.stdout, "  since the previous snapshot: %d added, %d changed, %d revoked, %d expired\n", snap.Added, snap.Changed, snap.Revoked, snap.Expired)
			return e.reportRecomputation(ch.Recomputation)
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
		Long: `Fetch every enabled registry source now, then recompute the verdicts once.
A failed source keeps its last good snapshot (exit status 1). Exit status ` + notRecomputedExit + ` means
the new snapshots are stored but the verdicts were not recomputed (VERDICTS_NOT_RECOMPUTED).`,
		Args: cobra.NoArgs,
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
			results, rc, err := jobs.RefreshSources(ctx, db, registry.NewFetcher(policy), true)
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
				e.reportRecomputation(rc) // the refreshed sources' verdicts, for the record
				return exitCode(1)
			}
			return e.reportRecomputation(rc)
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

// notRecomputedExit is the exit status of a change stored without its
// verdicts recomputed: a partial success, told apart from a failure (1).
const notRecomputedExit = "3"

// reportRecomputation prints what became of the verdicts after a change to
// their inputs, and fails with exit status 3 when they were not recomputed.
func (e *env) reportRecomputation(rc verdicts.Recomputation) error {
	switch {
	case rc.Pending != nil:
		fmt.Fprintf(e.stderr, "warning: %s: %s\n", rc.Pending.Code, rc.Pending.Message)
		return exitCode(3)
	case rc.Stats != nil:
		fmt.Fprintf(e.stdout, "verdicts recomputed: %d evaluated, %d changed\n", rc.Stats.Verdicts, rc.Stats.Changed)
	}
	return nil
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
