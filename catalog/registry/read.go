package registry

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog"
)

// Columns are the canonical registry columns (SPEC §3).
var Columns = []string{"scheme", "label_id", "brand", "model", "product_type", "level", "issued", "expires", "status", "models", "url"}

var required = []string{"label_id", "brand", "model", "status"}

// layout is what a tabular file of one registry kind holds: its canonical
// columns, those that must be there, and how a row becomes an entry.
type layout struct {
	columns, required []string
	parse             func(p *rowParser, row int, val func(string) string)
}

var labelLayout = &layout{columns: Columns, required: required, parse: (*rowParser).parseLabel}

// Mapping names, for each canonical column, the column of a source that
// holds it, for registries published in another layout. Unmapped columns
// are looked up under their canonical name.
type Mapping map[string]string

// ParseMapping reads "label_id=Registration No.,brand=Manufacturer".
func ParseMapping(s string) (Mapping, error) {
	m := Mapping{}
	for _, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || !isColumn(k) || strings.TrimSpace(v) == "" {
			return nil, errs.Invalidf("INVALID_MAPPING", "%q is not canonical_column=source column (canonical columns: %s)", pair, strings.Join(Columns, ", "))
		}
		m[k] = strings.TrimSpace(v)
	}
	return m, nil
}

func isColumn(c string) bool { return slices.Contains(Columns, c) || slices.Contains(RecallColumns, c) }

// maxProblems bounds the problems listed when a file is refused.
const maxProblems = 20

// limits for registry files: registries are lists of labelled products, not catalogues.
var fileLimits = tabular.Limits{MaxFileBytes: 200 << 20, MaxUnzippedBytes: 1 << 30}

// ReadFile reads a registry file (JSON, CSV or XLSX) of one scheme. Any bad
// row refuses the whole file: a registry half read would silently drop
// revocations, so the last good snapshot is kept instead.
func ReadFile(path, scheme string, m Mapping) ([]Entry, error) {
	head := make([]byte, 512)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	n, _ := io.ReadFull(f, head)
	f.Close()
	if t := bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte("\xEF\xBB\xBF")), " \t\r\n"); len(t) > 0 && (t[0] == '[' || t[0] == '{') {
		return readJSON(path, &rowParser{scheme: scheme, layout: labelLayout}, mappedJSON(m))
	}
	return readTable(path, &rowParser{scheme: scheme, layout: labelLayout}, m)
}

func readTable(path string, p *rowParser, m Mapping) ([]Entry, error) {
	r, _, err := tabular.Open(path, fileLimits, "")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var index map[string]int
	for r.Next() {
		num, cells := r.Row()
		if p.rows++; p.rows > MaxEntries+1 { // the header and MaxEntries entries
			return nil, tooManyEntries()
		}
		if index == nil {
			index = map[string]int{}
			for i, h := range cells {
				index[strings.ToLower(strings.TrimSpace(h))] = i
			}
			var missing []string
			for _, c := range p.layout.required {
				name := c
				if alt, ok := m[c]; ok {
					name = alt
				}
				if _, ok := index[strings.ToLower(name)]; !ok {
					missing = append(missing, name)
				}
			}
			if len(missing) > 0 {
				return nil, errs.Invalidf("UNREADABLE_REGISTRY", "the first row lacks the column(s) %s; map other names with a column mapping", strings.Join(missing, ", "))
			}
			continue
		}
		get := func(col string) string {
			name := col
			if alt, ok := m[col]; ok {
				name = alt
			}
			i, ok := index[strings.ToLower(name)]
			if !ok || i >= len(cells) {
				return ""
			}
			return cells[i]
		}
		p.add(num, get)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if err := p.accounted(r.Held() - 1); err != nil { // the first row is the header
		return nil, err
	}
	return p.result()
}

// rowParser validates rows into entries and collects problems.
type rowParser struct {
	scheme   string
	layout   *layout
	entries  []Entry
	problems []string
	seen     map[string]int
	empty    int // empty rows skipped
	rows     int // rows (or JSON elements) read, empty ones included
}

func (p *rowParser) fail(row int, format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf("row %d: ", row)+fmt.Sprintf(format, args...))
}

func (p *rowParser) add(row int, get func(string) string) {
	val := func(c string) string { return strings.TrimSpace(get(c)) }
	if p.isEmptyRow(val) {
		p.empty++
		return
	}
	p.layout.parse(p, row, val)
}

// keep adds an entry unless its key was seen before.
func (p *rowParser) keep(row int, e Entry, what string) {
	if p.seen == nil {
		p.seen = map[string]int{}
	}
	if first, dup := p.seen[e.LabelKey]; dup {
		p.fail(row, "%s is listed twice (also row %d)", what, first)
		return
	}
	p.seen[e.LabelKey] = row
	p.entries = append(p.entries, e)
}

func (p *rowParser) parseLabel(row int, val func(string) string) {
	if s := val("scheme"); s != "" && !strings.EqualFold(s, p.scheme) {
		p.fail(row, "scheme %q in a %s registry", s, p.scheme)
		return
	}
	e := Entry{
		LabelID: val("label_id"), Brand: val("brand"), Model: val("model"), Models: val("models"),
		ProductType: val("product_type"), Level: val("level"), Status: strings.ToLower(val("status")), URL: val("url"),
	}
	e.LabelKey = catalog.LabelKey(e.LabelID)
	for _, c := range required {
		if val(c) == "" {
			p.fail(row, "%s is empty", c)
			return
		}
	}
	switch e.Status {
	case StatusValid, StatusSuspended, StatusRevoked:
	default:
		p.fail(row, "status %q is not valid, suspended or revoked", e.Status)
		return
	}
	var err error
	if e.Issued, err = parseRegistryDate(val("issued")); err != nil {
		p.fail(row, "issued: %v", err)
		return
	}
	if e.Expires, err = parseRegistryDate(val("expires")); err != nil {
		p.fail(row, "expires: %v", err)
		return
	}
	p.keep(row, e, "label "+e.LabelID)
}

func (p *rowParser) result() ([]Entry, error) {
	if len(p.problems) > 0 {
		shown := p.problems[:min(len(p.problems), maxProblems)]
		return nil, errs.Invalidf("UNREADABLE_REGISTRY", "%d row(s) cannot be read, so the last good snapshot is kept: %s",
			len(p.problems), strings.Join(shown, "; ")).WithDetails(map[string]any{"problems": shown})
	}
	if len(p.entries) == 0 {
		return nil, errs.Invalidf("EMPTY_REGISTRY", "the file lists no labelled products, so the last good snapshot is kept")
	}
	return p.entries, nil
}

// parseRegistryDate reads an ISO date or an Excel date cell (which the
// reader hands over as an ISO date); empty is no date.
func parseRegistryDate(s string) (civil.Date, error) {
	if s == "" {
		return civil.Date{}, nil
	}
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	if d, err := civil.Parse(s); err == nil {
		return d, nil
	}
	return civil.Date{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
}
