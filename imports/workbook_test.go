package imports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
)

func TestFixWorkbookHighlightsEveryOffendingCellAndNeverWritesFormulas(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	b := e.mustImport("sku,gtin,brand,model,name,category,markets,support_end\n" +
		"OK-1,4006381333931,Acme,M1,Fine,smart_plug,UK,2029-01-31\n" +
		"BAD-1,4006381333932,Acme,M2,=HYPERLINK(\"http://evil.example\"),toaster,UK,05/06/2028\n" +
		"BAD-2,5901234123457,Acme,M3,+cmd|' /C calc'!A0,smart_plug,FR,2029-01-31\n")
	var buf bytes.Buffer
	if err := e.store.WriteFixWorkbook(admin, b.ID, &buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Products")
	if len(rows) != 3 {
		t.Fatalf("%d rows, want the header and the 2 rejected rows: %v", len(rows), rows)
	}
	if got := rows[0][len(rows[0])-2:]; got[0] != "errors" || got[1] != "how to fix" {
		t.Fatalf("header %v", rows[0])
	}
	if rows[1][0] != "BAD-1" || !strings.Contains(rows[1][8], "INVALID_GTIN") || !strings.Contains(rows[1][8], "UNKNOWN_CATEGORY") || !strings.Contains(rows[1][8], "AMBIGUOUS_DATE") {
		t.Fatalf("row 2: %v", rows[1])
	}
	if rows[1][9] == "" {
		t.Fatal("no fix hints")
	}
	for _, cell := range []string{"E2", "E3"} {
		if formula, _ := f.GetCellFormula("Products", cell); formula != "" {
			t.Errorf("%s written as a formula: %s", cell, formula)
		}
		if typ, _ := f.GetCellType("Products", cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
			t.Errorf("%s has cell type %v, want a string", cell, typ)
		}
	}
	comments, _ := f.GetComments("Products")
	var commented []string
	for _, c := range comments {
		commented = append(commented, c.Cell)
	}
	slices.Sort(commented)
	// B2 gtin, F2 category, H2 support_end of BAD-1; G3 markets of BAD-2.
	if strings.Join(commented, " ") != "B2 F2 G3 H2" {
		t.Fatalf("comments on %v", commented)
	}
	plain, _ := f.GetCellStyle("Products", "A2")
	for _, cell := range commented {
		if style, _ := f.GetCellStyle("Products", cell); style == plain {
			t.Errorf("%s is not highlighted", cell)
		}
	}

	// The fix workbook is a valid upload: corrected, it imports without warnings about its own columns.
	f.SetCellStr("Products", "B2", "4006381333948")
	f.SetCellStr("Products", "F2", "smart_plug")
	f.SetCellStr("Products", "H2", "2028-06-05")
	f.SetCellStr("Products", "G3", "EU")
	path := filepath.Join(t.TempDir(), "fixed.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	again, err := e.importPath(path)
	if err != nil || again.RowsCreated != 2 || again.RowsRejected != 0 || len(again.Warnings) != 0 {
		t.Fatalf("re-upload of the fixed workbook: %v %s %+v", err, counts(again), again.Warnings)
	}
}

func TestTemplateHasDropDownsFormatsAndInstructionsAndImportsCleanly(t *testing.T) {
	var buf bytes.Buffer
	if err := imports.WriteTemplate(&buf, []string{"DE-BSI", "SG-CLS"}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sheets := f.GetSheetList(); sheets[0] != "Products" || !slices.Contains(sheets, "Instructions") {
		t.Fatalf("sheets %v", sheets)
	}
	rows, _ := f.GetRows("Products")
	for i, c := range imports.Columns {
		if rows[0][i] != c.Name {
			t.Fatalf("header %d = %q, want %q", i, rows[0][i], c.Name)
		}
	}
	dvs, _ := f.GetDataValidations("Products")
	lists := map[string]string{}
	for _, dv := range dvs {
		lists[dv.Sqref] = dv.Formula1
	}
	for _, col := range []string{"F2:F100000", "H2:H100000", "L2:L100000"} { // category, password_model, ce_marking
		if lists[col] == "" {
			t.Errorf("no drop-down on %s: %v", col, lists)
		}
	}
	if styleID, _ := f.GetCellStyle("Products", "B5"); styleID == 0 {
		t.Error("GTIN column is not formatted")
	} else if st, _ := f.GetStyle(styleID); st.NumFmt != 49 {
		t.Errorf("GTIN column number format %d, want 49 (text)", st.NumFmt)
	}
	if styleID, _ := f.GetCellStyle("Products", "J2"); styleID == 0 {
		t.Error("support_end is not date-formatted")
	} else if st, _ := f.GetStyle(styleID); st.CustomNumFmt == nil || *st.CustomNumFmt != "yyyy-mm-dd" {
		t.Errorf("support_end format %+v", st)
	}
	text := ""
	instr, _ := f.GetRows("Instructions")
	for _, r := range instr {
		text += strings.Join(r, " ") + "\n"
	}
	for _, c := range imports.Codes {
		if !strings.Contains(text, c.Code) {
			t.Errorf("Instructions do not explain %s", c.Code)
		}
	}
	for _, c := range append(catalog.Categories, "SG-CLS", "support_end") {
		if !strings.Contains(text, c) {
			t.Errorf("Instructions do not mention %s", c)
		}
	}

	e := newEnv(t, dbtest.SQLite(t))
	path := filepath.Join(t.TempDir(), "template.xlsx")
	os.WriteFile(path, buf.Bytes(), 0o600)
	b, err := e.importPath(path)
	if err != nil || b.RowsCreated != 1 || b.RowsRejected != 0 {
		t.Fatalf("the template's sample row does not import: %v %s", err, counts(b))
	}
	if p := e.products()["CAM-100"]; p.SupportEnd.String() != "2030-06-30" || p.GTIN != "04006381333931" {
		t.Fatalf("sample row stored as %+v", p)
	}
}

func TestFixWorkbookListsBlockedProductsWithTheirReasons(t *testing.T) {
	db := dbtest.SQLite(t)
	e := newEnv(t, db)
	e.im.OnCommit = verdicts.AfterImport
	b := e.mustImport("sku,gtin,brand,model,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,colour\n" +
		"GOOD,4006381333931,Acme,M1,smart_plug,UK,unique_per_device,https://acme.example/s,2030-01-31,included,red\n" +
		"BAD-PW,5901234123457,Acme,M2,smart_plug,UK,universal_default,https://acme.example/s,2030-01-31,included,blue\n" +
		"REJECTED,123,Acme,M3,smart_plug,UK,unique_per_device,,,,\n")
	var buf bytes.Buffer
	if err := e.store.WriteFixWorkbook(admin, b.ID, &buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Products")
	// Header, the rejected row, then GOOD and BAD-PW: both are blocked in procurement
	// (no label), BAD-PW in retail too.
	if len(rows) != 4 || rows[1][0] != "REJECTED" || rows[2][0] != "BAD-PW" || rows[3][0] != "GOOD" {
		t.Fatalf("rows %v", rows)
	}
	if rows[2][1] != "05901234123457" || rows[2][10] != "blue" {
		t.Fatalf("blocked product not written in the supplier's columns: %v", rows[2])
	}
	if !strings.Contains(rows[2][11], "UNIVERSAL_DEFAULT_PASSWORD (UK retail)") || !strings.Contains(rows[3][11], "LABEL_REQUIRED (UK procurement)") {
		t.Fatalf("errors column: %q / %q", rows[2][11], rows[3][11])
	}
	comments, _ := f.GetComments("Products")
	var cells []string
	for _, c := range comments {
		cells = append(cells, c.Cell)
	}
	// G3: BAD-PW's password_model; no labels column in this layout, so LABEL_REQUIRED has nowhere to point.
	if !slices.Contains(cells, "G3") {
		t.Fatalf("comments on %v", cells)
	}
}

// The template and a fix workbook are the same file each time they are
// written from the same data: nothing in them depends on map order.
func TestTemplateAndFixWorkbookAreTheSameFileEveryTime(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	e.im.OnCommit = verdicts.AfterImport
	// BAD-PW is blocked on two columns (password_model, labels): two highlighted cells in one row.
	b := e.mustImport("sku,gtin,brand,model,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,labels\n" +
		"BAD-PW,5901234123457,Acme,M2,smart_plug,UK,universal_default,https://acme.example/s,2030-01-31,included,\n" +
		"REJECTED,123,Acme,M3,toaster,UK,unique_per_device,,,,\n")
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"template", func(w *bytes.Buffer) error { return imports.WriteTemplate(w, []string{"DE-BSI", "SG-CLS"}) }},
		{"fix workbook", func(w *bytes.Buffer) error { return e.store.WriteFixWorkbook(admin, b.ID, w) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var first bytes.Buffer
			if err := tc.write(&first); err != nil {
				t.Fatal(err)
			}
			for range 10 {
				var again bytes.Buffer
				if err := tc.write(&again); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(first.Bytes(), again.Bytes()) {
					t.Fatalf("two writes of the %s differ", tc.name)
				}
			}
		})
	}
}
