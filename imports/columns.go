package imports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// column is one Cascade column of the supplier spreadsheet.
type column struct {
	Name     string
	Aliases  []string
	Required bool
	MaxLen   int // in characters
	Help     string
}

// Columns is the supplier spreadsheet's layout (SPEC §2), in template order.
// Their aliases come from aliases.json (loadAliases).
var Columns = []column{
	{Name: "sku", Required: true, MaxLen: 64, Help: "Your own key for the product; unique among your rows."},
	{Name: "gtin", Required: true, MaxLen: 32, Help: "GTIN-8/12/13/14 (EAN/UPC) with a valid check digit. Format the column as Text."},
	{Name: "brand", Required: true, MaxLen: 128, Help: "The brand on the packaging."},
	{Name: "model", Required: true, MaxLen: 128, Help: "The manufacturer's model identifier, as label registries list it."},
	{Name: "name", MaxLen: 512, Help: "Product title shown to buyers."},
	{Name: "category", Required: true, MaxLen: 64, Help: "One of the categories listed below."},
	{Name: "markets", Required: true, MaxLen: 64, Help: "Market codes separated by , ; / or spaces: UK EU SG AU US."},
	{Name: "password_model", MaxLen: 64, Help: "unique_per_device, user_defined, no_password or universal_default. Empty blocks the product."},
	{Name: "vuln_report_contact", MaxLen: 512, Help: "https:// URL or e-mail address where vulnerabilities are reported. Empty blocks the product."},
	{Name: "support_end", MaxLen: 64, Help: "Last day of security updates: 2028-06-30, 2028-06, or a date cell. Empty blocks the product."},
	{Name: "statement_of_compliance", MaxLen: 2048, Help: "URL of the statement of compliance, or included if it ships in the box. Needed for UK and AU."},
	{Name: "ce_marking", MaxLen: 16, Help: "yes or no. Needed (yes) for the EU."},
	{Name: "labels", MaxLen: 1024, Help: "Security labels claimed, SCHEME:LABEL-ID separated by ;"},
	{Name: "hardware_version", MaxLen: 64, Help: "Optional."},
	{Name: "firmware_version", MaxLen: 64, Help: "Optional."},
	{Name: "price", MaxLen: 32, Help: "Optional."},
	{Name: "currency", MaxLen: 8, Help: "Optional, e.g. GBP."},
}

// MaxExtraLen bounds a cell of a column Cascade does not know (kept as extra).
const MaxExtraLen = 1024

// headerKey folds a header for matching: case-insensitive, ignoring spaces, _, - and .
func headerKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch r {
		case ' ', '_', '-', '.', '\t', '\u00a0':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// columnByKey finds a column by its folded name or alias (aliases.json).
var columnByKey = func() map[string]int {
	m, aliases, err := loadAliases(aliasesFile)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	for i := range Columns {
		Columns[i].Aliases = aliases[i]
	}
	return m
}()

// layout maps a file's header row onto Cascade's columns.
type layout struct {
	HeaderRow int      // spreadsheet row number of the header
	Headers   []string // as written
	index     []int    // Columns index -> cell index, -1 when absent
	extra     []int    // cell indexes of unknown columns
	Mapped    Mapping  // the headers the supplier's saved mapping decided, as written
}

// maxTitleRows is how far down the header row is looked for.
const maxTitleRows = 20

// findLayout decides whether cells (row number rowNum) is the header row:
// the first row naming at least three Cascade columns. It returns nil, nil
// when the row is not a header, and an error when it is one that cannot be used.
func findLayout(rowNum int, cells []string) (*layout, error) {
	return findMappedLayout(rowNum, cells, nil)
}

// findMappedLayout is findLayout with a supplier's saved mapping (folded
// header -> Columns index), which comes before the default names and
// aliases. The layout records the headers the mapping decided (Mapped).
func findMappedLayout(rowNum int, cells []string, mapping map[string]int) (*layout, error) {
	lookup := func(h string) (ci int, mapped, ok bool) {
		k := headerKey(h)
		if ci, ok := mapping[k]; ok {
			return ci, true, true
		}
		ci, ok = columnByKey[k]
		return ci, false, ok
	}
	known := 0
	for _, c := range cells {
		if _, _, ok := lookup(c); ok {
			known++
		}
	}
	if known < 3 {
		return nil, nil
	}
	l := &layout{HeaderRow: rowNum, Headers: append([]string(nil), cells...), index: make([]int, len(Columns))}
	for i := range l.index {
		l.index[i] = -1
	}
	for cell, h := range cells {
		if strings.TrimSpace(h) == "" {
			continue
		}
		ci, mapped, ok := lookup(h)
		if !ok {
			if !isFixColumn(h) { // a re-uploaded fix workbook's own columns are not data
				l.extra = append(l.extra, cell)
			}
			continue
		}
		if prev := l.index[ci]; prev >= 0 {
			return nil, errs.Invalidf("DUPLICATE_COLUMN",
				"columns %q and %q of the header row (row %d) both mean %s: keep one", cells[prev], h, rowNum, Columns[ci].Name)
		}
		l.index[ci] = cell
		if mapped {
			if l.Mapped == nil {
				l.Mapped = Mapping{}
			}
			l.Mapped[h] = Columns[ci].Name
		}
	}
	var missing []string
	for i, c := range Columns {
		if c.Required && l.index[i] < 0 {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return nil, errs.Invalidf("MISSING_COLUMNS", "the header row (row %d) lacks the required column(s) %s", rowNum, strings.Join(missing, ", ")).
			WithDetails(map[string]any{"missing": missing, "header_row": rowNum})
	}
	return l, nil
}

// unknownColumns names the extra columns, for the one warning about them.
func (l *layout) unknownColumns() []string {
	var out []string
	for _, i := range l.extra {
		out = append(out, l.Headers[i])
	}
	sort.Strings(out)
	return out
}

// cell returns the value of Cascade column ci on a row, "" when absent.
func (l *layout) cell(cells []string, ci int) string {
	i := l.index[ci]
	if i < 0 || i >= len(cells) {
		return ""
	}
	return cells[i]
}

// header returns the header as written for Cascade column ci.
func (l *layout) header(ci int) string {
	if i := l.index[ci]; i >= 0 {
		return l.Headers[i]
	}
	return Columns[ci].Name
}

func colIndex(name string) int {
	i, ok := columnByKey[headerKey(name)]
	if !ok {
		panic(fmt.Sprintf("no column %s", name))
	}
	return i
}

// Column indexes, for readability at the call sites.
var (
	colSKU        = colIndex("sku")
	colGTIN       = colIndex("gtin")
	colBrand      = colIndex("brand")
	colModel      = colIndex("model")
	colName       = colIndex("name")
	colCategory   = colIndex("category")
	colMarkets    = colIndex("markets")
	colPassword   = colIndex("password_model")
	colContact    = colIndex("vuln_report_contact")
	colSupportEnd = colIndex("support_end")
	colStatement  = colIndex("statement_of_compliance")
	colCE         = colIndex("ce_marking")
	colLabels     = colIndex("labels")
	colHardware   = colIndex("hardware_version")
	colFirmware   = colIndex("firmware_version")
	colPrice      = colIndex("price")
	colCurrency   = colIndex("currency")
)
