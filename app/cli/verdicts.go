package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/civil"
	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/app/errs"
	"github.com/cascade-gate/cascade/app/tabular"
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
	var asOf string
	c := &cobra.Command{
		Use:   "evaluate [--as-of YYYY-MM-DD]",
		Short: "Recompute and store every verdict; with --as-of, forecast a date and store nothing",
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
			if date.IsZero() {
				st, err := svc.Recompute(ctx, nil)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "policy %s as of %s: %d products, %d verdicts, %d written, %d changed, %d withdrawn\n",
					st.PolicyVersion, st.AsOf, st.Products, st.Verdicts, st.Written, st.Changed, st.Withdrawn)
				return nil
			}
			counts := map[string]int{}
			var keys []string
			err = svc.Forecast(ctx, date, nil, verdicts.Filter{}, func(r verdicts.Row) error {
				k := r.Market + " " + r.Channel + " " + r.Verdict
				if counts[k] == 0 {
					keys = append(keys, k)
				}
				counts[k]++
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "forecast as of %s (nothing stored):\n", date)
			for _, k := range keys {
				fmt.Fprintf(e.stdout, "  %s: %d\n", k, counts[k])
			}
			return nil
		},
	}
	c.Flags().StringVar(&asOf, "as-of", "", "forecast this date (YYYY-MM-DD) without storing")
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
