package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// maxPrintedErrors bounds the row errors printed; the fix workbook has them all.
const maxPrintedErrors = 20

func (e *env) importCmd() *cobra.Command {
	var supplier, report string
	var dryRun bool
	c := &cobra.Command{
		Use:   "import --supplier NAME FILE",
		Short: "Import a supplier spreadsheet (XLSX or CSV)",
		Long: `Import a supplier spreadsheet. Prints the summary and the rejected rows.
Exits 0 when the batch committed (even with rejected rows), non-zero when the
file could not be read or stored. With --dry-run it runs the same import,
prints what it would do and the verdict each product would get, and stores
nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			if _, err := imports.RecoverAbandoned(ctx, db); err != nil {
				return err
			}
			sup, err := vendors.NewStore(db).ByName(ctx, supplier)
			if err != nil {
				return err
			}
			req := imports.Request{SupplierID: sup.ID, FileName: args[0], Path: args[0]}
			bar := e.progressBar()
			if bar != nil {
				req.Progress = func(p imports.Progress) {
					if int64(p.Estimated) != bar.GetMax64() {
						bar.ChangeMax(p.Estimated)
					}
					_ = bar.Set(p.Rows)
				}
			}
			im := imports.New(db, imports.DefaultLimits)
			im.OnCommit = verdicts.AfterImport
			if dryRun {
				if report != "" {
					return fmt.Errorf("--report needs a stored batch: a dry run stores none")
				}
				dry, err := im.DryRun(ctx, req)
				if bar != nil {
					_ = bar.Finish()
					fmt.Fprintln(e.stderr)
				}
				if err != nil {
					return err
				}
				e.printDryRun(dry)
				return nil
			}
			b, err := im.Import(ctx, req)
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintln(e.stderr)
			}
			if err != nil {
				return err
			}
			store := imports.NewStore(db)
			if err := e.printSummary(ctx, store, b); err != nil {
				return err
			}
			if report != "" {
				f, err := os.Create(report)
				if err != nil {
					return err
				}
				if err := store.WriteFixWorkbook(ctx, b.ID, f); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "fix workbook written to %s\n", report)
			}
			return nil
		},
	}
	c.Flags().StringVar(&supplier, "supplier", "", "the registered supplier the file belongs to")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and print what the import would do (counts, row errors, verdicts), storing nothing")
	c.Flags().StringVar(&report, "report", "", "write the fix workbook (rejected rows, errors and how to fix them) to this XLSX file")
	_ = c.MarkFlagRequired("supplier")
	return c
}

// progressBar draws on a terminal only; piped or in CI it stays quiet.
func (e *env) progressBar() *progressbar.ProgressBar {
	f, ok := e.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("importing rows"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100_000_000),
	)
}

func (e *env) printSummary(ctx context.Context, store *imports.Store, b imports.Batch) error {
	fmt.Fprintf(e.stdout, "import %d of %s (%s, sha256 %s…): %s\n", b.ID, b.FileName, b.Format, b.SHA256[:12], b.Status)
	fmt.Fprintf(e.stdout, "  created %d, updated %d, unchanged %d, rejected %d\n", b.RowsCreated, b.RowsUpdated, b.RowsUnchanged, b.RowsRejected)
	for _, w := range b.Warnings {
		fmt.Fprintf(e.stdout, "  warning %s: %s\n", w.Code, w.Message)
	}
	rowErrs, err := store.Errors(ctx, b.ID)
	if err != nil {
		return err
	}
	for i, re := range rowErrs {
		if i == maxPrintedErrors {
			fmt.Fprintf(e.stdout, "  … and %d more errors: write them all with --report fix.xlsx\n", len(rowErrs)-i)
			break
		}
		fmt.Fprintf(e.stdout, "  row %d, %s %q: %s: %s (%s)\n", re.Row, re.Column, re.Value, re.Code, re.Message, re.Hint)
	}
	return nil
}

// printDryRun prints what an import would do: the summary, the row errors
// (as many as printSummary shows) and each product's would-be verdicts.
func (e *env) printDryRun(d imports.DryRun) {
	b := d.Import
	fmt.Fprintf(e.stdout, "dry run of %s (%s, sha256 %s…): nothing stored\n", b.FileName, b.Format, b.SHA256[:12])
	fmt.Fprintf(e.stdout, "  would create %d, update %d, leave unchanged %d, reject %d\n", b.RowsCreated, b.RowsUpdated, b.RowsUnchanged, b.RowsRejected)
	for _, w := range b.Warnings {
		fmt.Fprintf(e.stdout, "  warning %s: %s\n", w.Code, w.Message)
	}
	for i, re := range d.Errors {
		if i == maxPrintedErrors {
			fmt.Fprintf(e.stdout, "  … and %d more errors (the API's dry run answers them all)\n", len(d.Errors)-i)
			break
		}
		fmt.Fprintf(e.stdout, "  row %d, %s %q: %s: %s (%s)\n", re.Row, re.Column, re.Value, re.Code, re.Message, re.Hint)
	}
	for _, v := range d.Verdicts {
		codes := make([]string, len(v.Reasons))
		for i, r := range v.Reasons {
			codes[i] = r.Code
		}
		fmt.Fprintf(e.stdout, "  row %d %s %s %s: %s %s\n", v.Row, v.SKU, v.Market, v.Channel, v.Verdict, strings.Join(codes, " "))
	}
}
