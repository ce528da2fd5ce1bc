package imports_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// The fixtures were written by LibreOffice Calc and ExcelJS from
// testdata/gen/rows.json (see testdata/gen/make-fixtures.sh): number cells
// holding GTINs, date cells, a title row above the header, aliases in the
// header, an unknown column, the Products sheet not first, a BOM, semicolons.
func TestSpreadsheetsWrittenByOtherProgramsImportAlike(t *testing.T) {
	var spec struct {
		Rows   [][]any `json:"rows"`
		Expect struct {
			Created  int               `json:"created"`
			Rejected map[string]string `json:"rejected"`
		} `json:"expect"`
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "gen", "rows.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"libreoffice.xlsx", "libreoffice-semicolon.csv", "exceljs.xlsx", "exceljs-bom.csv"} {
		t.Run(file, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
				e := newEnv(t, db)
				b, err := e.importPath(filepath.Join("testdata", file))
				if err != nil {
					t.Fatal(err)
				}
				if b.RowsCreated != spec.Expect.Created || b.RowsRejected != len(spec.Expect.Rejected) {
					t.Fatalf("%s", counts(b))
				}
				// Every data row of the file is accounted for: stored or reported.
				if got, want := b.RowsCreated+b.RowsRejected, 10; got != want {
					t.Fatalf("%d rows accounted for, the file has %d", got, want)
				}
				if b.HeaderRow != 3 {
					t.Errorf("header row %d, want 3 (below a title row)", b.HeaderRow)
				}
				if len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0].Message, "Colour") {
					t.Errorf("warnings %+v", b.Warnings)
				}
				codes := e.errorCodes(b.ID)
				for sku, code := range spec.Expect.Rejected {
					if got := strings.Join(codes[sku], " "); got != code {
						t.Errorf("%s: %q, want %s", sku, got, code)
					}
				}
				p := e.products()
				checks := []struct{ sku, field, got, want string }{
					{"CAM-100", "gtin", p["CAM-100"].GTIN, "04006381333931"},
					{"CAM-100", "support_end", p["CAM-100"].SupportEnd.String(), "2029-06-30"},
					{"CAM-100", "markets", strings.Join(p["CAM-100"].Markets, " "), "UK EU"},
					{"CAM-100", "extra", p["CAM-100"].Extra, `{"Colour":"white"}`},
					{"RTR-200", "gtin", p["RTR-200"].GTIN, "00012345678905"},
					{"RTR-200", "support_end", p["RTR-200"].SupportEnd.String(), "2028-06-30"},
					{"RTR-200", "statement", p["RTR-200"].StatementOfCompliance, "included"},
					{"PLG-300", "gtin", p["PLG-300"].GTIN, "05901234123457"},
					{"PLG-300", "category", p["PLG-300"].Category, "smart_plug"},
					{"PLG-300", "support_end", p["PLG-300"].SupportEnd.String(), "2028-06-30"},
					{"SPK-500", "password_model", p["SPK-500"].PasswordModel, ""},
					{"SPK-500", "gtin", p["SPK-500"].GTIN, "00614141000036"},
				}
				for _, c := range checks {
					if c.got != c.want {
						t.Errorf("%s %s = %q, want %q", c.sku, c.field, c.got, c.want)
					}
				}
				if l := p["CAM-100"].Labels; len(l) != 1 || l[0].LabelID != "CSA/300629/00042" {
					t.Errorf("labels %+v", l)
				}
			})
		})
	}
}

func TestACSVSavedInWindows1252IsRefusedWithAClearError(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	_, err := e.importPath(filepath.Join("testdata", "windows-1252.csv"))
	if err == nil || !strings.Contains(err.Error(), "CSV UTF-8") {
		t.Fatalf("err = %v", err)
	}
}
