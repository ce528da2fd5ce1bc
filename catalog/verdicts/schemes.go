package verdicts

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// CompareSchemes compares the label schemes over the whole catalogue today,
// with the active policy's tier table and the latest registries (SPEC §7).
// Category managers and admins may.
func (s *Service) CompareSchemes(ctx context.Context) (policy.Comparison, error) {
	if _, err := access.Require(ctx, access.Admin, access.CategoryManager); err != nil {
		return policy.Comparison{}, err
	}
	ev, err := s.prepare(ctx, civil.Date{}, nil)
	if err != nil {
		return policy.Comparison{}, err
	}
	c := ev.doc.NewComparer(ev.view, ev.date)
	err = s.products(ctx, nil, 0, func(batch []catalog.Product) error {
		for i := range batch {
			c.Add(&batch[i])
		}
		return nil
	})
	return c.Result(), err
}

// ComparisonFormats are the formats WriteComparison writes.
var ComparisonFormats = []string{"json", "csv", "xlsx"}

// comparisonHeader is the one table of the CSV download: a row per scheme
// (category empty), per scheme and category, and per pair of schemes.
var comparisonHeader = []string{"row", "scheme", "category", "labelled", "valid", "suspended", "revoked", "expired", "expiring_90d",
	"median_remaining_days", "tier_basis", "a", "b", "products", "same_tier", "a_higher", "b_higher", "validity_disagrees"}

func statsCells(kind string, st policy.SchemeStats) []string {
	median := ""
	if st.MedianRemainingDays != nil {
		median = strconv.Itoa(*st.MedianRemainingDays)
	}
	n := strconv.Itoa
	return []string{kind, st.Scheme, st.Category, n(st.Labelled), n(st.Valid), n(st.Suspended), n(st.Revoked), n(st.Expired), n(st.Expiring90d),
		median, st.TierBasis, "", "", "", "", "", "", ""}
}

func pairCells(p policy.PairStats) []string {
	n := strconv.Itoa
	return []string{"pair", "", "", "", "", "", "", "", "", "", "", p.A, p.B, n(p.Products), n(p.SameTier), n(p.AHigher), n(p.BHigher), n(p.ValidityDisagrees)}
}

// comparisonRows is every row of the download, in order.
func comparisonRows(c policy.Comparison) [][]string {
	var rows [][]string
	for _, st := range c.Schemes {
		rows = append(rows, statsCells("scheme", st))
	}
	for _, st := range c.Categories {
		rows = append(rows, statsCells("category", st))
	}
	for _, p := range c.Pairs {
		rows = append(rows, pairCells(p))
	}
	return rows
}

// WriteComparison writes a comparison as JSON, CSV (one table, a row per
// scheme, scheme and category, and pair) or XLSX (the same table, and the
// tier table's version and basis on a sheet of their own).
func WriteComparison(w io.Writer, c policy.Comparison, format string) error {
	switch format {
	case "json":
		return json.NewEncoder(w).Encode(c)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(comparisonHeader)
		for _, r := range comparisonRows(c) {
			for i := range r {
				r[i] = tabular.SafeText(r[i])
			}
			_ = cw.Write(r)
		}
		cw.Flush()
		return cw.Error()
	case "xlsx":
		wb := tabular.NewWorkbook()
		defer wb.Close()
		sheet, err := wb.AddStreamSheet("Scheme comparison")
		if err != nil {
			return err
		}
		if err := sheet.WriteRow(comparisonHeader); err != nil {
			return err
		}
		for _, r := range comparisonRows(c) {
			if err := sheet.WriteRow(r); err != nil {
				return err
			}
		}
		basis, err := wb.AddStreamSheet("Tier table")
		if err != nil {
			return err
		}
		for _, r := range [][]string{{"as_of", c.AsOf.String()}, {"tier_version", c.TierVersion}, {"tier_basis", c.TierBasis}} {
			if err := basis.WriteRow(r); err != nil {
				return err
			}
		}
		_, err = wb.WriteTo(w)
		return err
	}
	return errs.Invalidf("INVALID_FORMAT", "format must be json, csv or xlsx")
}
