package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// recallList is the list a command means: --list, or US-CPSC for --format cpsc.
func recallList(list, format string) (string, error) {
	switch {
	case list != "":
		return list, nil
	case format == registry.FormatCPSC:
		return "US-CPSC", nil
	}
	return "", errs.Invalidf("RECALL_LIST_REQUIRED", "name the recall list with --list (e.g. EU-SAFETY-GATE), or read CPSC records with --format cpsc")
}

// recallsCmd is the recall lists' commands. They are registries of kind
// recalls: `cascade registry refresh` fetches their sources with the rest.
func (e *env) recallsCmd() *cobra.Command {
	c := &cobra.Command{Use: "recalls", Short: "Recall lists (negative evidence): snapshots and sources"}
	var list, format string
	var sample bool
	imp := &cobra.Command{
		Use:   "import [--format cpsc] [--list CODE] FILE",
		Short: "Import a recall list snapshot, then re-evaluate the products it can affect",
		Long: `Import a recall list snapshot: the U.S. CPSC Recalls API's JSON records (--format cpsc,
list US-CPSC), or the canonical CSV/XLSX layout
authority, recall_id, date, markets, hazard, url, gtin, brand, model, title
(one row per recalled product) for the list named by --list.
A file with any unreadable row is refused whole, and the last good snapshot stays.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := recallList(list, format)
			if err != nil {
				return err
			}
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			ch, err := verdicts.New(db).ImportSnapshot(ctx, verdicts.SnapshotFile{Scheme: code, Path: args[0], Format: format, Sample: sample})
			if err != nil {
				return err
			}
			snap := ch.Snapshot
			fmt.Fprintf(e.stdout, "snapshot %d of %s: %d recalls (sha256 %s…)\n", snap.ID, snap.Scheme, snap.EntryCount, snap.SHA256[:12])
			fmt.Fprintf(e.stdout, "  since the previous snapshot: %d added, %d changed, %d withdrawn\n", snap.Added, snap.Changed, snap.Revoked)
			return e.reportRecomputation(ch.Recomputation)
		},
	}
	imp.Flags().StringVar(&list, "list", "", "recall list code, e.g. US-CPSC or EU-SAFETY-GATE")
	imp.Flags().StringVar(&format, "format", "", "cpsc for CPSC Recalls API records; empty for the canonical layout")
	imp.Flags().BoolVar(&sample, "sample", false, "mark the snapshot as sample data, not a real recall list")

	lists := &cobra.Command{
		Use:   "lists",
		Short: "List the recall lists and their latest snapshot",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			store := registry.NewStore(db)
			all, err := store.RecallLists(ctx)
			if err != nil {
				return err
			}
			for _, l := range all {
				snaps, err := store.Snapshots(ctx, l.Code)
				if err != nil {
					return err
				}
				latest := "no snapshot yet"
				if len(snaps) > 0 {
					s := snaps[0]
					latest = fmt.Sprintf("snapshot %d fetched %s, %d recalls", s.ID, s.FetchedAt.Format("2006-01-02 15:04"), s.EntryCount)
					if s.Sample {
						latest += " (SAMPLE)"
					}
				}
				fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", l.Code, l.Name, latest)
			}
			return nil
		},
	}

	var n registry.NewSource
	add := &cobra.Command{
		Use:   "add [--format cpsc] [--list CODE] --url URL [--schedule CRON] [NAME]",
		Short: "Configure a recall list published at a URL (fetched by `cascade registry refresh` and the scheduler)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := recallList(list, n.Format)
			if err != nil {
				return err
			}
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			n.Scheme = code
			if len(args) == 1 {
				n.Name = args[0]
			}
			store := registry.NewStore(db)
			sc, err := store.Scheme(ctx, code)
			if err != nil {
				return err
			}
			if sc.Kind != registry.KindRecalls {
				return errs.Invalidf("NOT_A_RECALL_LIST", "%s is a label scheme: use cascade registry source add", sc.Code)
			}
			src, err := store.AddSource(ctx, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "source %d for %s: %s (format %q, schedule %q)\n", src.ID, src.Scheme, src.URL, src.Format, src.Schedule)
			return nil
		},
	}
	add.Flags().StringVar(&list, "list", "", "recall list code; US-CPSC with --format cpsc")
	add.Flags().StringVar(&n.Format, "format", "", "cpsc for the CPSC Recalls API; empty for the canonical layout")
	add.Flags().StringVar(&n.URL, "url", "", "where the recall list is published")
	add.Flags().StringVar(&n.Schedule, "schedule", "", "cron expression, UTC (e.g. \"0 4 * * *\"); empty = only with registry refresh")
	_ = add.MarkFlagRequired("url")
	source := &cobra.Command{Use: "source", Short: "Recall lists fetched from URLs"}
	source.AddCommand(add)
	c.AddCommand(imp, lists, source)
	return c
}
