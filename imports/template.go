package imports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cascade-gate/cascade/catalog"
)

// WriteTemplate writes the supplier spreadsheet template: a Products sheet
// with the headers, a sample row, drop-downs for the closed vocabularies, a
// text-formatted GTIN column and a date-formatted support_end column, and an
// Instructions sheet explaining every column and every error code.
// schemes are the label scheme codes currently known.
func WriteTemplate(w io.Writer, schemes []string) error {
	f := excelize.NewFile()
	defer f.Close()
	const products, instructions, lists = "Products", "Instructions", "Lists"
	if err := f.SetSheetName("Sheet1", products); err != nil {
		return err
	}
	if _, err := f.NewSheet(instructions); err != nil {
		return err
	}
	if _, err := f.NewSheet(lists); err != nil {
		return err
	}

	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	text, _ := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": typed digits stay text, leading zeros kept
	isoDate := "yyyy-mm-dd"
	date, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &isoDate})

	for i, c := range Columns {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(products, cell, c.Name); err != nil {
			return err
		}
	}
	_ = f.SetRowStyle(products, 1, 1, bold)
	letter := func(ci int) string { n, _ := excelize.ColumnNumberToName(ci + 1); return n }
	for _, ci := range []int{colSKU, colGTIN, colModel, colHardware, colFirmware} {
		_ = f.SetColStyle(products, letter(ci), text)
	}
	_ = f.SetColStyle(products, letter(colSupportEnd), date)
	_ = f.SetColWidth(products, "A", letter(len(Columns)-1), 18)

	sample := map[int]any{
		colSKU: "CAM-100", colGTIN: "4006381333931", colBrand: "Acme", colModel: "AC-CAM-1",
		colName: "Acme indoor camera", colCategory: "smart_camera", colMarkets: "UK, EU",
		colPassword: "unique_per_device", colContact: "https://acme.example/security",
		colSupportEnd: time.Date(2030, 6, 30, 0, 0, 0, 0, time.UTC), colStatement: "https://acme.example/psti/ac-cam-1.pdf",
		colCE: "yes", colLabels: "SG-CLS:CSA/300630/00042", colHardware: "1.0", colFirmware: "2.4.1", colPrice: "79.99", colCurrency: "GBP",
	}
	for ci, v := range sample {
		cell, _ := excelize.CoordinatesToCellName(ci+1, 2)
		var err error
		if s, ok := v.(string); ok {
			err = f.SetCellStr(products, cell, s)
		} else {
			err = f.SetCellValue(products, cell, v)
		}
		if err != nil {
			return err
		}
	}

	// Vocabularies live on a hidden sheet: Excel limits an inline list to 255 characters.
	vocab := [][]string{catalog.Categories, catalog.PasswordModels, {"yes", "no"}}
	for col, values := range vocab {
		for row, v := range values {
			cell, _ := excelize.CoordinatesToCellName(col+1, row+1)
			_ = f.SetCellStr(lists, cell, v)
		}
	}
	for col, ci := range []int{colCategory, colPassword, colCE} {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s100000", letter(ci), letter(ci))
		listCol, _ := excelize.ColumnNumberToName(col + 1)
		dv.SetSqrefDropList(fmt.Sprintf("%s!$%s$1:$%s$%d", lists, listCol, listCol, len(vocab[col])))
		dv.SetError(excelize.DataValidationErrorStyleStop, "Not allowed", "Pick a value from the list (see the Instructions sheet).")
		if err := f.AddDataValidation(products, dv); err != nil {
			return err
		}
	}
	_ = f.SetSheetVisible(lists, false)
	_ = f.SetPanes(products, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})

	lines := [][]string{
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
		lines = append(lines, []string{c.Name, req, strings.Join(c.Aliases, ", "), c.Help, fmt.Sprint(c.MaxLen)})
	}
	lines = append(lines, []string{}, []string{"error code", "meaning", "how to fix"})
	for _, c := range Codes {
		lines = append(lines, []string{c.Code, c.Meaning, c.Fix})
	}
	lines = append(lines, []string{}, []string{"categories", strings.Join(catalog.Categories, ", ")})
	lines = append(lines, []string{"markets", strings.Join(catalog.MarketCodes, ", ")})
	lines = append(lines, []string{"password models", strings.Join(catalog.PasswordModels, ", ")})
	lines = append(lines, []string{"label schemes", strings.Join(schemes, ", ")})
	for r, line := range lines {
		for c, v := range line {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellStr(instructions, cell, v); err != nil {
				return err
			}
		}
	}
	_ = f.SetColWidth(instructions, "A", "A", 26)
	_ = f.SetColWidth(instructions, "B", "D", 50)
	_ = f.SetCellStyle(instructions, "A1", "A1", bold)
	f.SetActiveSheet(0)
	_, err := f.WriteTo(w)
	return err
}
