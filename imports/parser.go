package imports

import (
	"fmt"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
)

// parser turns a sheet's rows into a layout and then, row by row, into
// valid products or the reasons they are rejected. It touches no database.
type parser struct {
	sheet     tabular.Reader
	schemes   map[string]bool
	mapping   map[string]int // the supplier's saved mapping (uploadMapping)
	limits    Limits
	layout    *layout
	validator *validator
	scanned   int // rows read, empty ones included
	dataRows  int // non-empty rows after the header
	skipped   int // empty rows after the header
	aboveData int // rows up to the header and the header itself
	warnings  Warnings

	// supplier is the uploading supplier's name; a "supplier" column that
	// names another is not silently kept as extra data.
	supplier    string
	supplierCol int // the cell index of that column, -1 if none
	mismatches  int
	mismatched  Warnings // the first rows that name another supplier
}

// maxSupplierWarnings is how many rows naming another supplier are listed
// one by one; the rest are counted in one warning.
const maxSupplierWarnings = 20

// checkSupplier warns when a row's supplier column names another supplier
// than the one uploading: the file may be someone else's.
func (p *parser) checkSupplier(num int, row []string, sku string) {
	if p.supplierCol < 0 || p.supplierCol >= len(row) || p.supplier == "" {
		return
	}
	v := strings.TrimSpace(row[p.supplierCol])
	if v == "" || supplierKey(v) == supplierKey(p.supplier) {
		return
	}
	p.mismatches++
	if p.mismatches <= maxSupplierWarnings {
		p.mismatched = append(p.mismatched, Warning{Code: CodeOtherSupplier, Row: num, SKU: sku,
			Message: fmt.Sprintf("the supplier column says %q, but this file is uploaded as %q", v, p.supplier),
			Hint:    "Check that the file is yours; the product is stored under your name and the column kept as extra data."})
	}
}

// supplierWarnings are the rows that name another supplier, the first
// ones each, the rest counted in one.
func (p *parser) supplierWarnings() Warnings {
	out := p.mismatched
	if more := p.mismatches - maxSupplierWarnings; more > 0 {
		out = append(out, Warning{Code: CodeOtherSupplier,
			Message: fmt.Sprintf("%d more rows name another supplier than %q", more, p.supplier)})
	}
	return out
}

// CodeOtherSupplier warns of a supplier column naming another supplier.
const CodeOtherSupplier = "OTHER_SUPPLIER"

func supplierKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// next returns the next non-empty data row: a valid product, or the row's
// problems, with the cells as written. ok is false at the end of the sheet.
func (p *parser) next() (prod product, problems []RowError, cells []string, ok bool, err error) {
	for p.sheet.Next() {
		num, row := p.sheet.Row()
		row, nuls := visibleNUL(row)
		p.scanned++
		if isEmpty(row) {
			if p.layout != nil {
				p.skipped++
			}
			continue
		}
		if p.layout == nil {
			if err := p.header(num, row); err != nil {
				return product{}, nil, nil, false, err
			}
			p.aboveData = p.scanned
			continue
		}
		p.dataRows++
		if p.dataRows > p.limits.MaxDataRows {
			return product{}, nil, nil, false, errs.Invalidf("TOO_MANY_ROWS", "the file has more than %d product rows: split it into several files", p.limits.MaxDataRows)
		}
		prod, problems := p.validator.check(num, row)
		if len(problems) == 0 {
			p.checkSupplier(num, row, prod.SKU)
		}
		if nuls != nil {
			prod, problems = product{}, append(p.validator.invalidCharacters(num, row, nuls), problems...)
		}
		return prod, problems, row, true, nil
	}
	if err := p.sheet.Err(); err != nil {
		return product{}, nil, nil, false, err
	}
	if p.layout == nil {
		return product{}, nil, nil, false, errs.Invalidf("NO_HEADER_ROW", "the file has no header row naming the columns sku, gtin, brand, model, category, markets")
	}
	return product{}, nil, nil, false, nil
}

// header looks for the header row among the first rows; rows above it are titles.
func (p *parser) header(num int, row []string) error {
	l, err := findMappedLayout(num, row, p.mapping)
	if err != nil {
		return err
	}
	if l == nil {
		if num >= maxTitleRows {
			return errs.Invalidf("NO_HEADER_ROW", "no header row in the first %d rows: the sheet needs a row naming the columns sku, gtin, brand, model, category, markets", maxTitleRows)
		}
		return nil
	}
	if len(l.extra) > MaxExtraColumns {
		return errs.E(errs.TooLarge, "TOO_MANY_COLUMNS", "the header row (row %d) has %d columns that are not Cascade columns; at most %d are kept: delete the columns you do not need", num, len(l.extra), MaxExtraColumns)
	}
	p.layout = l
	p.validator = &validator{layout: l, schemes: p.schemes}
	p.supplierCol = -1
	for _, i := range l.extra {
		if headerKey(l.Headers[i]) == "supplier" {
			p.supplierCol = i
		}
	}
	if unknown := l.unknownColumns(); len(unknown) > 0 {
		p.warnings = append(p.warnings, Warning{Code: "UNKNOWN_COLUMNS",
			Message: fmt.Sprintf("column(s) %s are not Cascade columns: kept on the product as extra data", strings.Join(unknown, ", "))})
	}
	return nil
}

func isEmpty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
