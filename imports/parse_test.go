package imports

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseGTIN(t *testing.T) {
	cases := []struct {
		in, want, code string
	}{
		{in: "4006381333931", want: "04006381333931"},
		{in: "04006381333931", want: "04006381333931"},
		{in: "12345678905", want: "00012345678905"},        // UPC-12 in a number cell: leading zero lost
		{in: "012345678905", want: "00012345678905"},       // the same UPC typed as text
		{in: "96385074", want: "00000096385074"},           // GTIN-8
		{in: "4.006381333931E+12", want: "04006381333931"}, // scientific notation, all digits kept
		{in: "4.006381333931e12", want: "04006381333931"},  // lower-case exponent
		{in: "4006381333931.0", want: "04006381333931"},    // number exported with a fraction
		{in: " 4006381 333931 ", want: "04006381333931"},   // spaces from copy-paste
		{in: "10614141000033", want: "10614141000033"},     // GTIN-14
		{in: "4.00638E+12", code: CodeInvalidGTIN},         // digits lost to scientific notation
		{in: "4006381333932", code: CodeInvalidGTIN},       // wrong check digit
		{in: "400638133393X", code: CodeInvalidGTIN},       // not digits
		{in: "123456789012345", code: CodeInvalidGTIN},     // 15 digits
		{in: "0123456789", code: CodeInvalidGTIN},          // text with a leading zero but 10 digits
		{in: "00000000000000", code: CodeInvalidGTIN},      // all zeros
		{in: "4.5E-3", code: CodeInvalidGTIN},              // not a whole number
		{in: "1E+99", code: CodeInvalidGTIN},               // absurd exponent
	}
	for _, c := range cases {
		got, e := parseGTIN(c.in)
		if c.code != "" {
			if e == nil || e.Code != c.code {
				t.Errorf("parseGTIN(%q) = %q, %v; want %s", c.in, got, e, c.code)
			}
			continue
		}
		if e != nil || got != c.want {
			t.Errorf("parseGTIN(%q) = %q, %v; want %q", c.in, got, e, c.want)
		}
	}
	if _, e := parseGTIN("4.00638E+12"); e == nil || !strings.Contains(e.Hint, "scientific notation") {
		t.Errorf("scientific-notation loss needs its own hint: %+v", e)
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct {
		in   string
		want string
		code string
	}{
		{in: "2028-06-30", want: "2028-06-30"},
		{in: "2028-06", want: "2028-06-30"},
		{in: "2028-02", want: "2028-02-29"},
		{in: "2028-06-30 00:00:00", want: "2028-06-30"},
		{in: "2028-06-30T00:00:00Z", want: "2028-06-30"},
		{in: "30/06/2028", want: "2028-06-30"},          // day first: 30 > 12
		{in: "06/30/2028", want: "2028-06-30"},          // month first: 30 > 12
		{in: "05/05/2028", want: "2028-05-05"},          // the same either way
		{in: "30.06.2028", want: "2028-06-30"},          // dotted dates are day first
		{in: "2029-06-30 18:00:00", want: "2029-06-30"}, // an Excel date cell with a time, as the reader gives it
		{in: "47299", code: CodeInvalidDate},            // a bare number is not a date (the reader converts date cells)
		{in: "05/06/2028", code: CodeAmbiguousDate},
		{in: "12/11/2028", code: CodeAmbiguousDate},
		{in: "30/06/28", code: CodeInvalidDate},   // two-digit year
		{in: "31/06/2028", code: CodeInvalidDate}, // no 31 June
		{in: "2028-13-01", code: CodeInvalidDate},
		{in: "2028-02-30", code: CodeInvalidDate},
		{in: "next year", code: CodeInvalidDate},
		{in: "13/13/2028", code: CodeInvalidDate},
	}
	for _, c := range cases {
		got, e := parseDate(c.in)
		if c.code != "" {
			if e == nil || e.Code != c.code {
				t.Errorf("parseDate(%q) = %v, %v; want %s", c.in, got, e, c.code)
			}
			continue
		}
		if e != nil || got.String() != c.want {
			t.Errorf("parseDate(%q) = %v, %v; want %s", c.in, got, e, c.want)
		}
	}
}

func TestFindLayout(t *testing.T) {
	l, err := findLayout(3, []string{"Supplier SKU", "EAN-13", "BRAND", "model.number", "Category", "markets", "Colour", "errors"})
	if err != nil || l == nil {
		t.Fatalf("layout: %v %v", l, err)
	}
	if l.index[colGTIN] != 1 || l.index[colModel] != 3 || l.index[colName] != -1 {
		t.Fatalf("index = %v", l.index)
	}
	if got := l.unknownColumns(); len(got) != 1 || got[0] != "Colour" {
		t.Fatalf("unknown columns = %v (the fix workbook's errors column is not data)", got)
	}
	if l, err := findLayout(1, []string{"Acme product list", "", ""}); l != nil || err != nil {
		t.Fatalf("a title row is not a header: %v %v", l, err)
	}
	_, err = findLayout(1, []string{"sku", "gtin", "brand", "model"})
	if err == nil || !strings.Contains(err.Error(), "category, markets") {
		t.Fatalf("missing columns: %v", err)
	}
	_, err = findLayout(1, []string{"sku", "gtin", "ean", "brand", "model", "category", "markets"})
	if err == nil || !strings.Contains(err.Error(), "DUPLICATE_COLUMN") {
		t.Fatalf("two GTIN columns: %v", err)
	}
}

// One table row per column rule: a row with one cell changed from a valid
// baseline either passes (and stores want) or fails with code.
func TestValidatorColumnRules(t *testing.T) {
	headers := []string{"sku", "gtin", "brand", "model", "name", "category", "markets", "password_model",
		"vuln_report_contact", "support_end", "statement_of_compliance", "ce_marking", "labels", "colour"}
	base := []string{"CAM-1", "4006381333931", "Acme", "AC-1", "Camera", "smart_camera", "UK", "unique_per_device",
		"https://acme.example/security", "2028-06-30", "included", "yes", "", ""}
	l, err := findLayout(1, headers)
	if err != nil {
		t.Fatal(err)
	}
	v := &validator{layout: l, schemes: map[string]bool{"SG-CLS": true, "DE-BSI": true}}
	cases := []struct {
		column, value string
		code          string
		check         func(product) bool
	}{
		{"sku", "", CodeMissingRequired, nil},
		{"sku", strings.Repeat("x", 65), CodeValueTooLong, nil},
		{"brand", "", CodeMissingRequired, nil},
		{"brand", strings.Repeat("b", 129), CodeValueTooLong, nil},
		{"model", "", CodeMissingRequired, nil},
		{"gtin", "", CodeMissingRequired, nil},
		{"gtin", "123", CodeInvalidGTIN, nil},
		{"category", "", CodeMissingRequired, nil},
		{"category", "toaster", CodeUnknownCategory, nil},
		{"category", "Video Doorbell", "", func(p product) bool { return p.Category == "video_doorbell" }},
		{"markets", "", CodeMissingRequired, nil},
		{"markets", "UK, FR", CodeUnknownMarket, nil},
		{"markets", "uk;eu / sg  AU,US,UK", "", func(p product) bool { return strings.Join(p.Markets, " ") == "UK EU SG AU US" }},
		{"password_model", "", "", func(p product) bool { return p.PasswordModel == "" }}, // missing: stored, blocked by policy
		{"password_model", "admin/admin", CodeUnknownPasswordModel, nil},
		{"password_model", "Universal Default", "", func(p product) bool { return p.PasswordModel == "universal_default" }},
		{"vuln_report_contact", "", "", func(p product) bool { return p.Contact == "" }},
		{"vuln_report_contact", "security@acme.example", "", func(p product) bool { return p.Contact == "security@acme.example" }},
		{"vuln_report_contact", "http://acme.example/security", CodeInvalidContact, nil},
		{"vuln_report_contact", "call us", CodeInvalidContact, nil},
		{"support_end", "", "", func(p product) bool { return p.SupportEnd.IsZero() }},
		{"support_end", "soon", CodeInvalidDate, nil},
		{"support_end", "01/02/2029", CodeAmbiguousDate, nil},
		{"statement_of_compliance", "", "", func(p product) bool { return p.Statement == "" }},
		{"statement_of_compliance", "Included", "", func(p product) bool { return p.Statement == "included" }},
		{"statement_of_compliance", "http://acme.example/soc.pdf", "", func(p product) bool { return p.Statement != "" }},
		{"statement_of_compliance", "in the box", CodeInvalidStatement, nil},
		{"ce_marking", "", "", func(p product) bool { return p.CE == "" }},
		{"ce_marking", "Y", "", func(p product) bool { return p.CE == "yes" }},
		{"ce_marking", "maybe", CodeInvalidCEMarking, nil},
		{"labels", "SG-CLS:CSA/300629/00042; de-bsi: BSI-ITSK-2025-0107", "", func(p product) bool {
			return len(p.Labels) == 2 && p.Labels[0].Scheme == "DE-BSI" && p.Labels[1].Key == "csa/300629/00042"
		}},
		{"labels", "CSA/300629/00042", CodeMalformedLabel, nil},
		{"labels", "SG-CLS:", CodeMalformedLabel, nil},
		{"labels", "JP-STAR:123", CodeUnknownScheme, nil},
		{"colour", "red", "", func(p product) bool { return p.Extra == `{"colour":"red"}` }},
		{"colour", strings.Repeat("r", MaxExtraLen+1), CodeValueTooLong, nil},
	}
	for _, c := range cases {
		row := append([]string(nil), base...)
		row[indexOf(headers, c.column)] = c.value
		p, problems := v.check(7, row)
		if c.code == "" {
			if problems != nil {
				t.Errorf("%s=%q: unexpected %+v", c.column, c.value, problems)
			} else if !c.check(p) {
				t.Errorf("%s=%q: stored %+v", c.column, c.value, p)
			}
			continue
		}
		if len(problems) != 1 || problems[0].Code != c.code || problems[0].Row != 7 || problems[0].Column != c.column || problems[0].Hint == "" {
			t.Errorf("%s=%q: problems %+v, want one %s with row, column and hint", c.column, c.value, problems, c.code)
		}
	}
}

func TestValidatorReportsEveryProblemOfARow(t *testing.T) {
	l, _ := findLayout(1, []string{"sku", "gtin", "brand", "model", "category", "markets"})
	v := &validator{layout: l}
	_, problems := v.check(2, []string{"", "12", "Acme", "M", "toaster", "XX"})
	codes := map[string]bool{}
	for _, p := range problems {
		codes[p.Code] = true
	}
	for _, want := range []string{CodeMissingRequired, CodeInvalidGTIN, CodeUnknownCategory, CodeUnknownMarket} {
		if !codes[want] {
			t.Errorf("missing %s in %+v", want, problems)
		}
	}
}

func TestIdenticalRowsHashEqually(t *testing.T) {
	l, _ := findLayout(1, []string{"sku", "gtin", "brand", "model", "category", "markets", "b", "a"})
	v := &validator{layout: l}
	p1, _ := v.check(2, []string{"S", "4006381333931", "Acme", "M", "smart_plug", "UK EU", "2", "1"})
	p2, _ := v.check(9, []string{" S ", "4006381333931", "Acme", "M", "Smart Plug", "uk,eu", "2", "1"})
	p3, _ := v.check(2, []string{"S", "4006381333931", "Acme", "M", "smart_plug", "UK EU", "2", "9"})
	if p1.Hash != p2.Hash {
		t.Error("the same product written differently hashes differently")
	}
	if p1.Hash == p3.Hash {
		t.Error("a changed extra column does not change the hash")
	}
}

func TestCleanFileName(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":               "passwd",
		`C:\Users\sam\Desktop\list.xlsx`: "list.xlsx",
		"products.csv":                   "products.csv",
		"..":                             "upload",
		"a\x00b\nc.csv":                  "abc.csv",
		"caf\xe9.csv":                    "caf\uFFFD.csv", // Windows-1252 bytes from an old client
		// Cut at 255 bytes on a character boundary: 254 bytes and "é" would end inside the "é".
		strings.Repeat("a", 254) + "é.csv":   strings.Repeat("a", 254),
		strings.Repeat("ü", 200) + ".csv":    strings.Repeat("ü", 127),
		strings.Repeat("a", 252) + "🙂🙂.xlsx": strings.Repeat("a", 252),
	} {
		if got := cleanFileName(in); got != want || !utf8.ValidString(got) || len(got) > 255 {
			t.Errorf("cleanFileName(%q) = %q (%d bytes), want %q", in, got, len(got), want)
		}
	}
}

// The validator remembers the last contact, statement and date it parsed:
// a value repeated row after row must still be judged, and reported, on
// every row.
func TestRepeatedValuesAreJudgedOnEveryRow(t *testing.T) {
	l, _ := findLayout(1, []string{"sku", "gtin", "brand", "model", "category", "markets", "vuln_report_contact", "support_end", "statement_of_compliance"})
	v := &validator{layout: l}
	rows := []struct {
		contact, date, statement string
		codes                    string
	}{
		{"mailto:sec@acme.example", "2029-06", "https://acme.example/soc", ""},
		{"mailto:sec@acme.example", "2029-06", "https://acme.example/soc", ""},
		{"call us", "01/02/2029", "in the box", CodeInvalidContact + " " + CodeAmbiguousDate + " " + CodeInvalidStatement},
		{"call us", "01/02/2029", "in the box", CodeInvalidContact + " " + CodeAmbiguousDate + " " + CodeInvalidStatement},
		{"mailto:sec@acme.example", "2029-06", "https://acme.example/soc", ""},
	}
	for i, r := range rows {
		p, problems := v.check(i+2, []string{"S", "4006381333931", "Acme", "M", "smart_plug", "UK", r.contact, r.date, r.statement})
		var codes []string
		for _, e := range problems {
			codes = append(codes, e.Code)
			if e.Row != i+2 || e.Value == "" {
				t.Errorf("row %d: %+v", i+2, e)
			}
		}
		if got := strings.Join(codes, " "); got != r.codes {
			t.Errorf("row %d: codes %q, want %q", i+2, got, r.codes)
		}
		if r.codes == "" && (p.Contact != "sec@acme.example" || p.SupportEnd.String() != "2029-06-30" || p.Statement != r.statement) {
			t.Errorf("row %d stored %+v", i+2, p)
		}
	}
}

// TestAValidatorJudgesEachRowAsAFreshOneWould: the validator remembers the
// last value of some columns (contact, statement, support end, markets);
// whatever came before, every row must come out as a validator that saw
// only it would make it, problems included.
func TestAValidatorJudgesEachRowAsAFreshOneWould(t *testing.T) {
	l, _ := findLayout(1, []string{"sku", "gtin", "brand", "model", "category", "markets", "vuln_report_contact", "support_end", "statement_of_compliance"})
	row := func(gtin, markets, contact, date string) []string {
		return []string{"S", gtin, "Acme", "M", "smart_plug", markets, contact, date, "included"}
	}
	const ok, bad = "4006381333931", "4006381333932"
	rows := [][]string{
		row(ok, "UK EU", "mailto:sec@acme.example", "2029-06"),
		row(ok, "UK EU", "mailto:sec@acme.example", "2029-06"),
		row(ok, "uk,eu;UK", "https://acme.example", "2029-06-30"),
		row(ok, "UK XX", "https://acme.example", "2029-06-30"),
		row(ok, "UK XX", "https://acme.example", "2029-06-30"),
		row(bad, ",;", "call us", "01/02/2029"), // no market, but another problem first
		row(ok, ",;", "call us", "01/02/2029"),
		row(ok, ",;", "mailto:sec@acme.example", "2029-06"),
		row(ok, "UK EU", "mailto:sec@acme.example", "2029-06"),
		row(ok, "", "", ""),
		row(ok, "UK EU", "", ""),
	}
	v := &validator{layout: l}
	for i, cells := range rows {
		p, problems := v.check(i+2, cells)
		fresh, freshProblems := (&validator{layout: l}).check(i+2, cells)
		if !reflect.DeepEqual(p, fresh) || !reflect.DeepEqual(problems, freshProblems) {
			t.Errorf("row %d %q:\n got %+v %+v\nwant %+v %+v", i+2, cells, p, problems, fresh, freshProblems)
		}
	}
}
