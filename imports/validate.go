package imports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/mail"
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog"
)

// label is one claimed label of a row.
type label struct {
	Scheme, ID, Key string
}

// product is a row that passed validation, ready to store.
type product struct {
	Row                                     int
	SKU, GTIN, Brand, Model, MatchKey, Name string
	Category                                string
	Markets                                 []string
	PasswordModel, Contact                  string
	SupportEnd                              civil.Date
	Statement, CE, Hardware, Firmware       string
	Price, Currency                         string
	Labels                                  []label
	Extra                                   string // JSON object of unknown columns
	Hash                                    string
}

// validator checks rows against the layout of one file.
type validator struct {
	layout  *layout
	schemes map[string]bool // known label scheme codes

	// The last value of the costlier columns and its outcome: a supplier's
	// rows repeat their contact URL, statement and support end date row
	// after row, and comparing costs less than parsing again.
	contact, statement lastValue[bool]
	supportEnd         lastValue[dateOutcome]
	markets            lastValue[[]string] // set only for a value without problems
}

// lastValue is one column's last value and its outcome.
type lastValue[T any] struct {
	raw string
	out T
	set bool
}

// of returns parse(raw), from the last call when raw is the same.
func (m *lastValue[T]) of(raw string, parse func(string) T) T {
	if !m.set || raw != m.raw {
		m.raw, m.out, m.set = raw, parse(raw), true
	}
	return m.out
}

type dateOutcome struct {
	date civil.Date
	err  RowError // Code is empty when the date is valid
}

// check turns one data row into a product, or into the reasons it is rejected.
// Every problem of the row is reported, not only the first.
func (v *validator) check(rowNum int, cells []string) (product, []RowError) {
	p := product{Row: rowNum}
	var problems []RowError
	fail := func(ci int, value string, e *RowError) {
		e.Row, e.Column, e.Value = rowNum, v.layout.header(ci), value
		problems = append(problems, *e)
	}
	get := func(ci int) string {
		raw := v.layout.cell(cells, ci)
		val := strings.TrimSpace(raw)
		if max := Columns[ci].MaxLen; utf8.RuneCountInString(val) > max {
			fail(ci, clip(raw), rowErr(CodeValueTooLong, "%s is %s long; at most %d are accepted", Columns[ci].Name, length(raw, val), max))
			return ""
		}
		if Columns[ci].Required && val == "" {
			fail(ci, raw, rowErr(CodeMissingRequired, "%s is required", Columns[ci].Name))
		}
		return val
	}

	p.SKU = get(colSKU)
	p.Brand = get(colBrand)
	p.Model = get(colModel)
	p.Name = get(colName)
	p.Hardware = get(colHardware)
	p.Firmware = get(colFirmware)
	p.Price = get(colPrice)
	p.Currency = get(colCurrency)
	// "19,99" and "£19.99" are numbers: stored with a point, the cell's
	// currency kept; an ambiguous or contradicting price stays as written.
	if amount, cur, ok := parsePrice(p.Price); ok && (cur == "" || p.Currency == "" || strings.EqualFold(cur, p.Currency)) {
		p.Price = amount
		if p.Currency == "" {
			p.Currency = cur
		}
	}
	p.MatchKey = catalog.MatchKey(p.Brand, p.Model)

	if raw := get(colGTIN); raw != "" {
		if g, e := parseGTIN(raw); e != nil {
			fail(colGTIN, raw, e)
		} else {
			p.GTIN = g
		}
	}
	if raw := get(colCategory); raw != "" {
		c := vocabKey(raw)
		if !catalog.IsCategory(c) {
			fail(colCategory, raw, rowErr(CodeUnknownCategory, "%q is not a category", raw))
		}
		p.Category = c
	}
	if raw := get(colMarkets); raw == v.markets.raw && v.markets.set {
		p.Markets = v.markets.out // as the last row's, which had no problem (rows share it, and never change it)
	} else if raw != "" {
		before := len(problems)
		for _, m := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == '/' || r == ' ' || r == '\t' }) {
			m = strings.ToUpper(m)
			if !catalog.IsMarket(m) {
				fail(colMarkets, raw, rowErr(CodeUnknownMarket, "%q is not a market code (UK, EU, SG, AU, US)", m))
				continue
			}
			if !slices.Contains(p.Markets, m) { // a handful: no map
				p.Markets = append(p.Markets, m)
			}
		}
		if len(p.Markets) == 0 && len(problems) == 0 {
			fail(colMarkets, raw, rowErr(CodeMissingRequired, "markets lists no market"))
		}
		if len(problems) == before && len(p.Markets) > 0 {
			v.markets = lastValue[[]string]{raw: raw, out: p.Markets, set: true}
		}
	}
	if raw := get(colPassword); raw != "" {
		pm := vocabKey(raw)
		if !catalog.IsPasswordModel(pm) {
			fail(colPassword, raw, rowErr(CodeUnknownPasswordModel, "%q is not a password model", raw))
		}
		p.PasswordModel = pm
	}
	if raw := get(colContact); raw != "" {
		if v.contact.of(raw, isContact) {
			p.Contact = strings.TrimPrefix(raw, "mailto:")
		} else {
			fail(colContact, raw, rowErr(CodeInvalidContact, "%q is neither an https:// URL nor an e-mail address", raw))
		}
	}
	if raw := get(colSupportEnd); raw != "" {
		d := v.supportEnd.of(raw, func(raw string) dateOutcome {
			d, e := parseDate(raw)
			if e != nil {
				return dateOutcome{err: *e}
			}
			return dateOutcome{date: d}
		})
		if d.err.Code != "" {
			e := d.err
			fail(colSupportEnd, raw, &e)
		} else {
			p.SupportEnd = d.date
		}
	}
	if raw := get(colStatement); raw != "" {
		switch {
		case strings.EqualFold(raw, "included"):
			p.Statement = "included"
		case v.statement.of(raw, isStatementURL):
			p.Statement = raw
		default:
			fail(colStatement, raw, rowErr(CodeInvalidStatement, "%q is neither a URL nor included", raw))
		}
	}
	if raw := get(colCE); raw != "" {
		switch strings.ToLower(raw) {
		case "yes", "y", "true":
			p.CE = "yes"
		case "no", "n", "false":
			p.CE = "no"
		default:
			fail(colCE, raw, rowErr(CodeInvalidCEMarking, "%q is not yes or no", raw))
		}
	}
	if raw := get(colLabels); raw != "" {
		labels, errs := v.parseLabels(raw)
		for _, e := range errs {
			fail(colLabels, raw, e)
		}
		p.Labels = labels
	}
	var extra map[string]string // most files have no columns Cascade does not know
	for _, i := range v.layout.extra {
		if i >= len(cells) || strings.TrimSpace(cells[i]) == "" {
			continue
		}
		val := strings.TrimSpace(cells[i])
		if utf8.RuneCountInString(val) > MaxExtraLen {
			e := rowErr(CodeValueTooLong, "%s is %s long; at most %d are accepted", v.layout.Headers[i], length(cells[i], val), MaxExtraLen)
			e.Row, e.Column, e.Value = rowNum, v.layout.Headers[i], clip(cells[i])
			problems = append(problems, *e)
			continue
		}
		if extra == nil {
			extra = map[string]string{}
		}
		extra[v.layout.Headers[i]] = val
	}
	p.Extra = "{}"
	if len(extra) > 0 {
		b, _ := json.Marshal(extra) // map keys marshal sorted, so equal rows hash equally
		p.Extra = string(b)
		if len(b) > MaxExtraBytes {
			e := rowErr(CodeValueTooLong, "the columns Cascade does not know hold %d KB on this row; at most %d KB are kept", len(b)>>10, MaxExtraBytes>>10)
			e.Row, e.Column, e.Value = rowNum, v.layout.Headers[v.layout.extra[0]], clip(p.Extra)
			problems = append(problems, *e)
		}
	}
	if len(problems) > 0 {
		sku := clip(strings.TrimSpace(v.layout.cell(cells, colSKU))) // as written, even when too long
		for i := range problems {
			problems[i].SKU = sku
		}
		return product{}, problems
	}
	p.Hash = p.contentHash()
	return p, nil
}

// vocabKey folds a vocabulary value: "Smart Camera" and "smart-camera" mean smart_camera.
func vocabKey(s string) string {
	return vocabSeparators.Replace(strings.ToLower(strings.TrimSpace(s)))
}

var vocabSeparators = strings.NewReplacer(" ", "_", "-", "_")

// isContact reports whether s is an https:// URL or an e-mail address
// (mailto: allowed, and dropped when stored).
func isContact(s string) bool {
	if isWebURL(s, "https") {
		return true
	}
	addr := strings.TrimPrefix(s, "mailto:")
	a, err := mail.ParseAddress(addr)
	return err == nil && a.Address == addr && a.Name == ""
}

func isStatementURL(s string) bool { return isWebURL(s, "http", "https") }

func isWebURL(s string, schemes ...string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || strings.ContainsAny(s, " \t\n") {
		return false
	}
	for _, sc := range schemes {
		if strings.EqualFold(u.Scheme, sc) {
			return true
		}
	}
	return false
}

func (v *validator) parseLabels(raw string) ([]label, []*RowError) {
	var out []label
	var problems []*RowError
	seen := map[string]bool{}
	for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == ';' || r == '\n' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		scheme, id, ok := strings.Cut(part, ":")
		scheme, id = strings.ToUpper(strings.TrimSpace(scheme)), strings.TrimSpace(id)
		if !ok || scheme == "" || id == "" {
			problems = append(problems, rowErr(CodeMalformedLabel, "%q is not written as SCHEME:LABEL-ID", part))
			continue
		}
		if !v.schemes[scheme] {
			problems = append(problems, rowErr(CodeUnknownScheme, "%q is not a known label scheme", scheme))
			continue
		}
		key := catalog.LabelKey(id)
		if seen[scheme+"\x00"+key] {
			continue // the same claim twice is one claim
		}
		seen[scheme+"\x00"+key] = true
		out = append(out, label{Scheme: scheme, ID: id, Key: key})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scheme+out[i].Key < out[j].Scheme+out[j].Key })
	return out, problems
}

// contentHash identifies what a row says, so an identical re-upload changes
// nothing. It runs for every row, so it writes the fields straight into one
// buffer: the fields, markets joined by spaces, each followed by 0x1f.
func (p product) contentHash() string {
	var scratch [1024]byte
	buf := scratch[:0]
	field := func(f string) {
		buf = append(buf, f...)
		buf = append(buf, 0x1f)
	}
	for _, f := range []string{p.SKU, p.GTIN, p.Brand, p.Model, p.Name, p.Category} {
		field(f)
	}
	for i, m := range p.Markets {
		if i > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, m...)
	}
	buf = append(buf, 0x1f)
	field(p.PasswordModel)
	field(p.Contact)
	buf, _ = p.SupportEnd.AppendText(buf)
	buf = append(buf, 0x1f)
	for _, f := range []string{p.Statement, p.CE, p.Hardware, p.Firmware, p.Price, p.Currency, p.Extra} {
		field(f)
	}
	for _, l := range p.Labels {
		buf = append(buf, l.Scheme...)
		buf = append(buf, ':')
		buf = append(buf, l.ID...)
		buf = append(buf, 0x1e)
	}
	sum := sha256.Sum256(buf)
	var text [2 * sha256.Size]byte
	hex.Encode(text[:], sum[:])
	return string(text[:])
}

// clip shortens a value kept in an error report.
func clip(s string) string {
	const max = 200
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}
