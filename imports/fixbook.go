package imports

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Fix workbook columns appended after the supplier's own. The importer
// ignores them, so a corrected fix workbook can be uploaded as it is.
const (
	fixErrorsHeader = "errors"
	fixHowToHeader  = "how to fix"
)

func isFixColumn(header string) bool {
	k := headerKey(header)
	return k == headerKey(fixErrorsHeader) || k == headerKey(fixHowToHeader)
}

// WriteFixWorkbook writes, for one batch, the rejected rows exactly as the
// supplier wrote them, then the supplier's products that are stored but
// blocked somewhere (as stored, in the same columns); each offending cell is
// highlighted and carries a comment, and two extra columns say what is wrong
// and how to fix it. Every cell is written as text: a value such as
// =HYPERLINK(…) is never a formula.
func (s *Store) WriteFixWorkbook(ctx context.Context, batchID int64, w io.Writer) error {
	b, err := s.Batch(ctx, batchID)
	if err != nil {
		return err
	}
	var rows []storedError
	if err := s.db.WithContext(ctx).Where("batch_id = ?", batchID).Order("row_number, id").Find(&rows).Error; err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Products"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	headers := []string(b.Headers)
	if len(headers) == 0 {
		headers = columnNames()
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	bad, _ := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}, Font: &excelize.Font{Color: "9C0006"}})
	wrap, _ := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	for i, h := range append(append([]string(nil), headers...), fixErrorsHeader, fixHowToHeader) {
		if err := setText(f, sheet, i+1, 1, h); err != nil {
			return err
		}
	}
	_ = f.SetRowStyle(sheet, 1, 1, bold)

	out := 1
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].RowNumber == rows[i].RowNumber {
			j++
		}
		out++
		cells := decodeRowData(rows[i].RowData)
		for c, v := range cells {
			if err := setText(f, sheet, c+1, out, v); err != nil {
				return err
			}
		}
		var msgs, fixes []string
		for _, e := range rows[i:j] {
			msgs = append(msgs, fmt.Sprintf("%s (%s): %s", e.Code, e.Column, e.Message))
			if !contains(fixes, e.Hint) {
				fixes = append(fixes, e.Hint)
			}
			col := indexOf(headers, e.Column)
			if col < 0 {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(col+1, out)
			_ = f.SetCellStyle(sheet, cell, cell, bad)
			_ = f.AddComment(sheet, excelize.Comment{Cell: cell, Author: "Cascade", Paragraph: []excelize.RichTextRun{
				{Text: e.Code + ": " + e.Message + "\n" + e.Hint},
			}})
		}
		if err := setText(f, sheet, len(headers)+1, out, strings.Join(msgs, "\n")); err != nil {
			return err
		}
		if err := setText(f, sheet, len(headers)+2, out, strings.Join(fixes, "\n")); err != nil {
			return err
		}
		first, _ := excelize.CoordinatesToCellName(len(headers)+1, out)
		last, _ := excelize.CoordinatesToCellName(len(headers)+2, out)
		_ = f.SetCellStyle(sheet, first, last, wrap)
		i = j
	}
	blocked, err := s.blockedProducts(ctx, b.SupplierID)
	if err != nil {
		return err
	}
	for _, bp := range blocked {
		out++
		var msgs, fixes []string
		flagged := map[int][]string{}
		for _, r := range bp.reasons {
			msgs = append(msgs, fmt.Sprintf("%s (%s %s): %s", r.code, r.market, r.channel, r.message))
			if !contains(fixes, r.fix) {
				fixes = append(fixes, r.fix)
			}
			col := indexOfColumn(headers, r.field)
			if col >= 0 && !contains(flagged[col], r.code) {
				flagged[col] = append(flagged[col], r.code)
			}
		}
		for c, h := range headers {
			if err := setText(f, sheet, c+1, out, bp.cell(h)); err != nil {
				return err
			}
		}
		for col, codes := range flagged {
			cell, _ := excelize.CoordinatesToCellName(col+1, out)
			_ = f.SetCellStyle(sheet, cell, cell, bad)
			_ = f.AddComment(sheet, excelize.Comment{Cell: cell, Author: "Cascade", Paragraph: []excelize.RichTextRun{
				{Text: "Blocked: " + strings.Join(codes, ", ")},
			}})
		}
		_ = setText(f, sheet, len(headers)+1, out, "BLOCKED (stored, not listed):\n"+strings.Join(msgs, "\n"))
		_ = setText(f, sheet, len(headers)+2, out, strings.Join(fixes, "\n"))
		first, _ := excelize.CoordinatesToCellName(len(headers)+1, out)
		last, _ := excelize.CoordinatesToCellName(len(headers)+2, out)
		_ = f.SetCellStyle(sheet, first, last, wrap)
	}
	errCol, _ := excelize.ColumnNumberToName(len(headers) + 1)
	howCol, _ := excelize.ColumnNumberToName(len(headers) + 2)
	_ = f.SetColWidth(sheet, errCol, howCol, 60)
	_ = f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	_, err = f.WriteTo(w)
	return err
}

// setText writes v as a string cell whatever it looks like.
func setText(f *excelize.File, sheet string, col, row int, v string) error {
	cell, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return err
	}
	return f.SetCellStr(sheet, cell, v)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func contains(list []string, s string) bool { return indexOf(list, s) >= 0 }

// indexOfColumn finds the header that means the Cascade column name; label
// and tier reasons (no field, or "labels") point at the labels column.
func indexOfColumn(headers []string, name string) int {
	if name == "" {
		name = "labels"
	}
	want, ok := columnByKey[headerKey(name)]
	if !ok {
		return -1
	}
	for i, h := range headers {
		if ci, ok := columnByKey[headerKey(h)]; ok && ci == want {
			return i
		}
	}
	return -1
}

func columnNames() []string {
	out := make([]string, len(Columns))
	for i, c := range Columns {
		out[i] = c.Name
	}
	return out
}
