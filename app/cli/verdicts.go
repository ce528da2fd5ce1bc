package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

func parseAsOf(s string) (civil.Date, error) {
	if s == "" {
		return civil.Date{}, nil
	}
	d, err := civil.Parse(s)
	if err != nil {
		return d, errs.Invalidf("INVALID_DATE", "--as-of must be a date such as 2027-01-04")
	}
	return d, nil
}

func (e *env) evaluateCmd() *cobra.Command {
	var asOf, candidate string
	var all bool
	c := &cobra.Command{
		Use:   "evaluate [--all] [--as-of YYYY-MM-DD] [--policy FILE]",
		Short: "Bring the stored verdicts up to date as the nightly run does (--all: every one); with --as-of or --policy, preview what would flip and store nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			date, err := parseAsOf(asOf)
			if err != nil {
				return err
			}
			svc := verdicts.New(db)
			if date.IsZero() && candidate == "" {
				st, err := svc.Reevaluate(ctx, all)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "policy %s as of %s: %d products, %d verdicts, %d written, %d changed, %d withdrawn\n",
					st.PolicyVersion, st.AsOf, st.Products, st.Verdicts, st.Written, st.Changed, st.Withdrawn)
				return nil
			}
			var doc *policy.Document
			if candidate != "" {
				raw, err := os.ReadFile(candidate)
				if err != nil {
					return err
				}
				if doc, err = policy.Parse(raw); err != nil {
					return err
				}
			}
			imp, err := svc.Impact(ctx, doc, date)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "preview of policy %s as of %s (nothing stored):\n", imp.PolicyVersion, imp.AsOf)
			for _, c := range imp.Counts {
				fmt.Fprintf(e.stdout, "  %s %-11s %5d to blocked, %5d to allowed, %5d unchanged\n", c.Market, c.Channel, c.ToBlocked, c.ToAllowed, c.Unchanged)
			}
			for i, f := range imp.Flips {
				if i == 20 {
					fmt.Fprintf(e.stdout, "  … %d more flips (see GET /api/v1/impact)\n", len(imp.Flips)-i)
					break
				}
				fmt.Fprintf(e.stdout, "  %s %s %s %s: %s -> %s %s\n", f.Supplier, f.SKU, f.Market, f.Channel, f.From, f.To, strings.Join(f.Codes, " "))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&all, "all", false, "evaluate every product, not only those whose verdicts are due or whose inputs changed")
	c.Flags().StringVar(&asOf, "as-of", "", "preview this date (YYYY-MM-DD) without storing")
	c.Flags().StringVar(&candidate, "policy", "", "preview a candidate policy file (JSON) without storing or activating it")
	return c
}

func (e *env) verdictsCmd() *cobra.Command {
	var format, asOf string
	var f verdicts.Filter
	c := &cobra.Command{
		Use:   "verdicts [--format json|csv] [--market M] [--channel C] [--as-of D]",
		Short: "Print one record per verdict: supplier sku gtin market channel verdict reasons",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			date, err := parseAsOf(asOf)
			if err != nil {
				return err
			}
			f.Market, f.Channel = strings.ToUpper(f.Market), strings.ToLower(f.Channel)
			var emit func(verdicts.Row) error
			var finish func() error
			switch format {
			case "json":
				first := true
				fmt.Fprint(e.stdout, "[")
				enc := json.NewEncoder(e.stdout)
				emit = func(r verdicts.Row) error {
					if !first {
						fmt.Fprint(e.stdout, ",")
					}
					first = false
					return enc.Encode(r)
				}
				finish = func() error { _, err := fmt.Fprintln(e.stdout, "]"); return err }
			case "csv":
				w := csv.NewWriter(e.stdout)
				_ = w.Write([]string{"supplier", "sku", "gtin", "market", "channel", "verdict", "reasons"})
				emit = func(r verdicts.Row) error {
					return w.Write([]string{tabular.SafeText(r.Supplier), tabular.SafeText(r.SKU), r.GTIN, r.Market, r.Channel, r.Verdict, strings.Join(r.Codes, " ")})
				}
				finish = func() error { w.Flush(); return w.Error() }
			default:
				return errs.Invalidf("INVALID_FORMAT", "--format must be json or csv")
			}
			svc := verdicts.New(db)
			if date.IsZero() {
				err = svc.List(ctx, f, emit)
			} else {
				err = svc.Forecast(ctx, date, nil, f, emit)
			}
			if err != nil {
				return err
			}
			return finish()
		},
	}
	c.Flags().StringVar(&format, "format", "json", "json or csv")
	c.Flags().StringVar(&f.Market, "market", "", "only this market")
	c.Flags().StringVar(&f.Channel, "channel", "", "retail or procurement")
	c.Flags().StringVar(&asOf, "as-of", "", "forecast this date (YYYY-MM-DD) instead of the stored verdicts")
	return c
}
