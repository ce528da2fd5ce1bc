package imports

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/tabular"
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
// supplier wrote them, then the products the batch stored (created or
// updated) that are blocked somewhere (as stored, in the same columns); each offending cell is
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
	headers := []string(b.Headers)
	if len(headers) == 0 {
		headers = columnNames()
	}
	wb, sheet, explain, err := newFixSheet(headers)
	if err != nil {
		return err
	}
	defer wb.Close()
	out := 1
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].RowNumber == rows[i].RowNumber {
			j++
		}
		out++
		cells := decodeRowData(rows[i].RowData)
		for c, v := range cells {
			if err := sheet.SetText(out, c+1, v); err != nil {
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
			if err := sheet.Highlight(out, col+1, e.Code+": "+e.Message+"\n"+e.Hint); err != nil {
				return err
			}
		}
		if err := explain(out, strings.Join(msgs, "\n"), strings.Join(fixes, "\n")); err != nil {
			return err
		}
		i = j
	}
	blocked, err := s.blockedProducts(ctx, b.SupplierID, b.ID)
	if err != nil {
		return err
	}
	if err := writeBlocked(sheet, headers, out, blocked, explain, b.Mapped); err != nil {
		return err
	}
	return finishFixSheet(wb, sheet, len(headers), b.Mapped, w)
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
func indexOfColumn(headers []string, name string, mapped Mapping) int {
	if name == "" {
		name = "labels"
	}
	want, ok := columnByKey[headerKey(name)]
	if !ok {
		return -1
	}
	for i, h := range headers {
		if ci, ok := columnOfHeader(mapped, h); ok && ci == want {
			return i
		}
	}
	return -1
}

// columnOfHeader is the column a batch's header meant: the one its
// supplier's saved mapping gave it then (mapped), or its default name or alias.
func columnOfHeader(mapped Mapping, header string) (int, bool) {
	if name, ok := mapped[header]; ok {
		i := slices.IndexFunc(Columns, func(c column) bool { return c.Name == name })
		return i, i >= 0
	}
	ci, ok := columnByKey[headerKey(header)]
	return ci, ok
}

// writeMappingSheet adds, after the Products sheet, the headers the
// supplier's saved mapping read and the column each meant: the supplier
// sees why a header of theirs was understood, and where to change it.
func writeMappingSheet(wb *tabular.Workbook, mapped Mapping) error {
	if len(mapped) == 0 {
		return nil
	}
	sheet, err := wb.AddSheet("Column mapping")
	if err != nil {
		return err
	}
	if err := sheet.SetRow(1, []any{"your header", "read as the Cascade column"}); err != nil {
		return err
	}
	if err := sheet.StyleRow(1, tabular.Bold); err != nil {
		return err
	}
	row := 1
	for _, h := range slices.Sorted(maps.Keys(mapped)) {
		row++
		if err := sheet.SetRow(row, []any{h, mapped[h]}); err != nil {
			return err
		}
	}
	return sheet.SetRow(row+2, []any{"Your saved column mapping read these headers. Change it on the column mapping page, or with PUT /api/v1/suppliers/{id}/mapping."})
}

func columnNames() []string {
	out := make([]string, len(Columns))
	for i, c := range Columns {
		out[i] = c.Name
	}
	return out
}
