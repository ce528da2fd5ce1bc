package imports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog"
)

// WriteTemplate writes the supplier spreadsheet template: a Products sheet
// with the headers, a sample row, drop-downs for the closed vocabularies, a
// text-formatted GTIN column and a date-formatted support_end column, and an
// Instructions sheet explaining every column and every error code.
// schemes are the label scheme codes currently known.
func WriteTemplate(w io.Writer, schemes []string) error {
	wb := tabular.NewWorkbook()
	defer wb.Close()
	products, err := wb.AddSheet("Products")
	if err != nil {
		return err
	}
	instructions, err := wb.AddSheet("Instructions")
	if err != nil {
		return err
	}

	header := make([]any, len(Columns))
	for i, c := range Columns {
		header[i] = c.Name
	}
	if err := products.SetRow(1, header); err != nil {
		return err
	}
	if err := products.StyleRow(1, tabular.Header); err != nil {
		return err
	}
	for _, ci := range []int{colSKU, colGTIN, colModel, colHardware, colFirmware} {
		if err := products.StyleColumn(ci+1, tabular.TextFormat); err != nil { // typed digits stay text, leading zeros kept
			return err
		}
	}
	if err := products.StyleColumn(colSupportEnd+1, tabular.DateFormat); err != nil {
		return err
	}
	if err := products.ColumnWidth(1, len(Columns), 18); err != nil {
		return err
	}

	sample := make([]any, len(Columns)) // written in column order: the same template every time
	for ci, v := range map[int]any{
		colSKU: "CAM-100", colGTIN: "4006381333931", colBrand: "Acme", colModel: "AC-CAM-1",
		colName: "Acme indoor camera", colCategory: "smart_camera", colMarkets: "UK, EU",
		colPassword: "unique_per_device", colContact: "https://acme.example/security",
		colSupportEnd: time.Date(2030, 6, 30, 0, 0, 0, 0, time.UTC), colStatement: "https://acme.example/psti/ac-cam-1.pdf",
		colCE: "yes", colLabels: "SG-CLS:CSA/300630/00042", colHardware: "1.0", colFirmware: "2.4.1", colPrice: "79.99", colCurrency: "GBP",
	} {
		sample[ci] = v
	}
	if err := products.SetRow(2, sample); err != nil {
		return err
	}

	for _, dd := range []struct {
		col    int
		values []string
	}{{colCategory, catalog.Categories}, {colPassword, catalog.PasswordModels}, {colCE, []string{"yes", "no"}}} {
		if err := products.DropDown(dd.col+1, 2, 100000, dd.values, "Not allowed", "Pick a value from the list (see the Instructions sheet)."); err != nil {
			return err
		}
	}
	if err := products.FreezeHeader(); err != nil {
		return err
	}

	lines := [][]any{
		{"Cascade supplier spreadsheet"},
		{"One row per SKU on the Products sheet. Column order is free; headers are matched ignoring case, spaces, _, - and ., and the names in 'also accepted' work too. Columns Cascade does not know are kept with the product. Empty rows are skipped. Save as .xlsx, or as CSV UTF-8 (comma or semicolon)."},
		{"A missing security field (password_model, vuln_report_contact, support_end, statement_of_compliance, ce_marking) does not reject the row: the product is stored and blocked until you fill it in. A value that is present but malformed rejects the row."},
		{},
		{"column", "required", "also accepted", "what to write", "max length"},
	}
	for _, c := range Columns {
		req := ""
		if c.Required {
			req = "yes"
		}
		lines = append(lines, []any{c.Name, req, strings.Join(c.Aliases, ", "), c.Help, fmt.Sprint(c.MaxLen)})
	}
	lines = append(lines, []any{}, []any{"error code", "meaning", "how to fix"})
	for _, c := range Codes {
		lines = append(lines, []any{c.Code, c.Meaning, c.Fix})
	}
	lines = append(lines, []any{}, []any{"categories", strings.Join(catalog.Categories, ", ")})
	lines = append(lines, []any{"markets", strings.Join(catalog.MarketCodes, ", ")})
	lines = append(lines, []any{"password models", strings.Join(catalog.PasswordModels, ", ")})
	lines = append(lines, []any{"label schemes", strings.Join(schemes, ", ")})
	if err := instructions.SetRows(lines); err != nil {
		return err
	}
	if err := instructions.ColumnWidth(1, 1, 26); err != nil {
		return err
	}
	if err := instructions.ColumnWidth(2, 4, 50); err != nil {
		return err
	}
	if err := instructions.StyleCells(1, 1, 1, tabular.Header); err != nil {
		return err
	}
	_, err = wb.WriteTo(w)
	return err
}
