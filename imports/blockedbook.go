package imports

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
)

// WriteBlockedWorkbook writes every product of a supplier that is blocked
// somewhere as a fix workbook in the template's columns: the supplier
// corrects the highlighted cells and uploads it as it is. A supplier user
// gets its own products whatever supplierID says; others must name one.
func (s *Store) WriteBlockedWorkbook(ctx context.Context, supplierID int64, w io.Writer) error {
	p, err := access.Require(ctx, access.Admin, access.CategoryManager, access.Supplier)
	if err != nil {
		return err
	}
	if p.Role == access.Supplier {
		supplierID = p.SupplierID
	}
	if supplierID <= 0 {
		return errs.Invalidf("MISSING_SUPPLIER", "say whose blocked products to write: supplier_id")
	}
	blocked, err := s.blockedProducts(ctx, supplierID, 0)
	if err != nil {
		return err
	}
	headers := columnNames()
	wb, sheet, explain, err := newFixSheet(headers)
	if err != nil {
		return err
	}
	defer wb.Close()
	// The template's own columns: no supplier mapping applies.
	if err := writeBlocked(sheet, headers, 1, blocked, explain, nil); err != nil {
		return err
	}
	return finishFixSheet(wb, sheet, len(headers), nil, w)
}

// explainFunc writes a row's problems and fixes in the two fix columns.
type explainFunc func(row int, msgs, fixes string) error

// newFixSheet starts a fix workbook: the headers, then the two columns
// that say what is wrong and how to fix it.
func newFixSheet(headers []string) (*tabular.Workbook, *tabular.Sheet, explainFunc, error) {
	wb := tabular.NewWorkbook()
	sheet, err := wb.AddSheet("Products")
	if err != nil {
		wb.Close()
		return nil, nil, nil, err
	}
	errCol, howCol := len(headers)+1, len(headers)+2
	for i, h := range append(append([]string(nil), headers...), fixErrorsHeader, fixHowToHeader) {
		if err := sheet.SetText(1, i+1, h); err != nil {
			wb.Close()
			return nil, nil, nil, err
		}
	}
	if err := sheet.StyleRow(1, tabular.Bold); err != nil {
		wb.Close()
		return nil, nil, nil, err
	}
	explain := func(row int, msgs, fixes string) error {
		if err := sheet.SetText(row, errCol, msgs); err != nil {
			return err
		}
		if err := sheet.SetText(row, howCol, fixes); err != nil {
			return err
		}
		return sheet.StyleCells(row, errCol, howCol, tabular.Wrapped)
	}
	return wb, sheet, explain, nil
}

// finishFixSheet widens the fix columns, freezes the header, adds the
// sheet of the column mapping the upload used (if any) and writes the workbook.
func finishFixSheet(wb *tabular.Workbook, sheet *tabular.Sheet, columns int, mapped Mapping, w io.Writer) error {
	if err := sheet.ColumnWidth(columns+1, columns+2, 60); err != nil {
		return err
	}
	if err := sheet.FreezeHeader(); err != nil {
		return err
	}
	if err := writeMappingSheet(wb, mapped); err != nil {
		return err
	}
	_, err := wb.WriteTo(w)
	return err
}

// writeBlocked writes blocked products after row out, as stored, each
// cell a reason points at highlighted; mapped says which of the upload's
// headers hold which Cascade column.
func writeBlocked(sheet *tabular.Sheet, headers []string, out int, blocked []blockedProduct, explain explainFunc, mapped Mapping) error {
	for _, bp := range blocked {
		out++
		var msgs, fixes []string
		flagged := map[int][]string{}
		for _, r := range bp.reasons {
			msgs = append(msgs, fmt.Sprintf("%s (%s %s): %s", r.code, r.market, r.channel, r.message))
			if !contains(fixes, r.fix) {
				fixes = append(fixes, r.fix)
			}
			col := indexOfColumn(headers, r.field, mapped)
			if col >= 0 && !contains(flagged[col], r.code) {
				flagged[col] = append(flagged[col], r.code)
			}
		}
		for c, h := range headers {
			if err := sheet.SetText(out, c+1, bp.cell(mapped, h)); err != nil {
				return err
			}
		}
		for _, col := range slices.Sorted(maps.Keys(flagged)) {
			if err := sheet.Highlight(out, col+1, "Blocked: "+strings.Join(flagged[col], ", ")); err != nil {
				return err
			}
		}
		if err := explain(out, "BLOCKED (stored, not listed):\n"+strings.Join(msgs, "\n"), strings.Join(fixes, "\n")); err != nil {
			return err
		}
	}
	return nil
}
