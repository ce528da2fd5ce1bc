package registry

import (
	"bytes"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
)

// Recall list formats: FormatCanonical is the canonical CSV/XLSX (or JSON)
// layout of RecallColumns, one row per recalled product; FormatCPSC the U.S.
// CPSC Recalls API's JSON records, one per recall.
const (
	FormatCanonical = ""
	FormatCPSC      = "cpsc"
)

// RecallColumns are the canonical recall columns (issue 20), for
// authorities without an adapter of their own.
var RecallColumns = []string{"authority", "recall_id", "date", "markets", "hazard", "url", "gtin", "brand", "model", "title"}

var recallLayout = &layout{columns: RecallColumns, required: []string{"recall_id", "markets"}, parse: (*rowParser).parseRecall}

// CheckFormat refuses a format the scheme's kind has no reader for.
func CheckFormat(kind, format string) error {
	switch {
	case format == FormatCanonical:
		return nil
	case kind == KindRecalls && format == FormatCPSC:
		return nil
	}
	return errs.Invalidf("UNKNOWN_FORMAT", "%q is not a format of a %s registry (the canonical layout, or cpsc for a recall list)", format, kind)
}

// ReadSource reads a registry file of the scheme sc in format: a label
// registry (ReadFile), a recall list in the canonical layout, or CPSC
// records. Any bad row refuses the whole file; the last good snapshot stays.
func ReadSource(path string, sc Scheme, format string, m Mapping) ([]Entry, error) {
	if err := CheckFormat(sc.Kind, format); err != nil {
		return nil, err
	}
	if sc.Kind != KindRecalls {
		return ReadFile(path, sc.Code, m)
	}
	p := &rowParser{scheme: sc.Code, layout: recallLayout}
	if format == FormatCPSC {
		return readJSON(path, p, cpscRecord)
	}
	if isJSON(path) {
		return readJSON(path, p, mappedJSON(m))
	}
	return readTable(path, p, m)
}

func isJSON(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	t := bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte("\xEF\xBB\xBF")), " \t\r\n")
	return len(t) > 0 && (t[0] == '[' || t[0] == '{')
}

// parseRecall reads one canonical row: one product of one recall. Its key
// is the recall id with the GTIN and brand+model, so one recall may name
// several products on several rows.
func (p *rowParser) parseRecall(row int, val func(string) string) {
	if a := val("authority"); a != "" && !strings.EqualFold(a, p.scheme) {
		p.fail(row, "authority %q in the %s recall list", a, p.scheme)
		return
	}
	e := Entry{LabelID: val("recall_id"), Brand: val("brand"), Model: val("model"), Hazard: val("hazard"),
		URL: val("url"), Title: val("title"), Status: StatusValid}
	for _, c := range p.layout.required {
		if val(c) == "" {
			p.fail(row, "%s is empty", c)
			return
		}
	}
	markets := strings.Fields(strings.ToUpper(strings.NewReplacer(",", " ", ";", " ").Replace(val("markets"))))
	e.Markets = strings.Join(markets, " ")
	if g := val("gtin"); g != "" {
		gtin, ok := catalog.NormaliseGTIN(g)
		if !ok {
			p.fail(row, "gtin %q is not a GTIN-8, -12, -13 or -14 with a valid check digit", g)
			return
		}
		e.GTINs = gtin
	}
	if e.GTINs == "" && (e.Brand == "" || e.Model == "") {
		p.fail(row, "the row names neither a gtin nor a brand and model")
		return
	}
	var err error
	if e.Issued, err = parseRegistryDate(val("date")); err != nil {
		p.fail(row, "date: %v", err)
		return
	}
	e.LabelKey = catalog.LabelKey(e.LabelID) + "|" + e.GTINs + "|" + catalog.MatchKey(e.Brand, e.Model)
	p.keep(row, e, "recall "+e.LabelID+" for this product")
}

// cpscJSON is the part of a CPSC Recalls API record Cascade reads (DOMAIN.md;
// CPSC Recalls Retrieval Web Services Programmers Guide). RecallID is a
// number, RecallNumber text like "26123".
type cpscJSON struct {
	RecallID     any    `json:"RecallID"`
	RecallNumber string `json:"RecallNumber"`
	RecallDate   string `json:"RecallDate"`
	Title        string `json:"Title"`
	URL          string `json:"URL"`
	Products     []struct {
		Name, Model, Type string
	} `json:"Products"`
	Manufacturers []struct{ Name string } `json:"Manufacturers"`
	ProductUPCs   []struct{ UPC string }  `json:"ProductUPCs"`
	Hazards       []struct{ Name string } `json:"Hazards"`
}

// cpscRecord reads one CPSC record into one entry for market US. A UPC that
// is not a GTIN (CPSC warns they are often wrong) is left out rather than
// refusing the whole list: the recall still matches by brand and model.
func cpscRecord(p *rowParser, decode func(any) error) error {
	var r cpscJSON
	if err := decode(&r); err != nil {
		return err
	}
	row := p.rows
	id := strings.TrimSpace(r.RecallNumber)
	if id == "" {
		switch v := r.RecallID.(type) {
		case float64:
			id = strconv.FormatFloat(v, 'f', -1, 64)
		case string:
			id = strings.TrimSpace(v)
		}
	}
	if id == "" {
		p.fail(row, "the record has no RecallNumber or RecallID")
		return nil
	}
	e := Entry{LabelID: id, LabelKey: catalog.LabelKey(id), Title: strings.TrimSpace(r.Title), URL: strings.TrimSpace(r.URL),
		Markets: "US", Status: StatusValid}
	var brands, models, gtins, hazards []string
	add := func(list *[]string, v string) {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, m := range r.Manufacturers {
		add(&brands, m.Name)
	}
	for _, pr := range r.Products {
		for _, m := range strings.FieldsFunc(pr.Model, func(r rune) bool { return r == ',' || r == ';' }) {
			add(&models, m)
		}
		if e.ProductType == "" {
			e.ProductType = strings.TrimSpace(pr.Type)
		}
	}
	for _, u := range r.ProductUPCs {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, u.UPC)
		if g, ok := catalog.NormaliseGTIN(digits); ok {
			add(&gtins, g)
		}
	}
	for _, h := range r.Hazards {
		add(&hazards, h.Name)
	}
	e.Brand, e.GTINs, e.Hazard = strings.Join(brands, "; "), strings.Join(gtins, ";"), strings.Join(hazards, "; ")
	if len(models) > 0 {
		e.Model, e.Models = models[0], strings.Join(models[1:], ";")
	}
	var err error
	if e.Issued, err = parseRegistryDate(strings.TrimSpace(r.RecallDate)); err != nil {
		p.fail(row, "RecallDate: %v", err)
		return nil
	}
	p.keep(row, e, "recall "+id)
	return nil
}
