package verdicts

import (
	"context"
	"encoding/csv"
	"io"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog"
)

// ExportFormats are the files a product search is exported as.
var ExportFormats = []string{"csv", "xlsx"}

// exportHeader is an export's header: the product, then one column per
// market and channel (empty where the product is not offered), then the
// blocking reasons.
func exportHeader() []string {
	h := []string{"supplier", "sku", "gtin", "brand", "model", "name", "category", "support_end"}
	for _, m := range catalog.MarketCodes {
		for _, ch := range []string{"retail", "procurement"} {
			h = append(h, m+" "+ch)
		}
	}
	return append(h, "blocked_by", "reasons")
}

func exportCells(p ProductVerdicts) []string {
	cells := []string{p.Supplier, p.SKU, p.GTIN, p.Brand, p.Model, p.Name, p.Category, p.SupportEnd}
	for _, m := range catalog.MarketCodes {
		for _, ch := range []string{"retail", "procurement"} {
			cells = append(cells, p.Verdict(m, ch))
		}
	}
	var codes, reasons []string
	for _, b := range p.Blocking {
		codes = append(codes, b.Code)
		reasons = append(reasons, b.Code+" ("+strings.Join(b.Where, ", ")+"): "+b.Message+" Fix: "+b.Fix)
	}
	return append(cells, strings.Join(codes, " "), strings.Join(reasons, "\n"))
}

// CheckExportFormat refuses a format ExportProducts cannot write.
func CheckExportFormat(format string) error {
	for _, f := range ExportFormats {
		if f == format {
			return nil
		}
	}
	return errs.Invalidf("INVALID_FORMAT", "format must be one of json, %s", strings.Join(ExportFormats, ", "))
}

// ExportProducts writes every product q selects (not only its page), one
// row each, as CSV or XLSX. Supplier text never becomes a formula.
func (s *Service) ExportProducts(ctx context.Context, q ProductSearch, format string, w io.Writer) error {
	if err := CheckExportFormat(format); err != nil {
		return err
	}
	if format == "csv" {
		cw := csv.NewWriter(w)
		_ = cw.Write(exportHeader())
		err := s.EachProduct(ctx, q, func(p ProductVerdicts) error {
			cells := exportCells(p)
			for i := range cells {
				cells[i] = tabular.SafeText(cells[i])
			}
			return cw.Write(cells)
		})
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}
	wb := tabular.NewWorkbook()
	defer wb.Close()
	sheet, err := wb.AddStreamSheet("Products")
	if err != nil {
		return err
	}
	if err := sheet.WriteRow(exportHeader()); err != nil {
		return err
	}
	if err := s.EachProduct(ctx, q, func(p ProductVerdicts) error { return sheet.WriteRow(exportCells(p)) }); err != nil {
		return err
	}
	_, err = wb.WriteTo(w)
	return err
}
