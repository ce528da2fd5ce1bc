package registry_test

import (
	"archive/zip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// registryWorkbook writes a one-sheet workbook whose sheet data is rows.
func registryWorkbook(t *testing.T, rows string) string {
	t.Helper()
	parts := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Registry" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`,
	}
	path := filepath.Join(t.TempDir(), "registry.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range parts {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// entryRow is a registry row numbered n (r="" leaves the number out).
func entryRow(r string, cells ...string) string {
	var b strings.Builder
	b.WriteString("<row" + r + ">")
	for _, c := range cells {
		fmt.Fprintf(&b, `<c t="inlineStr"><is><t>%s</t></is></c>`, c)
	}
	b.WriteString("</row>")
	return b.String()
}

// TestARegistryFileIsReadWholeOrRefused: a registry read short would drop
// the revocations after the point where its reader stopped, and the
// snapshot would hold those labels as valid. Rows out of order, XML the
// reader stops at without a word and rows that are not empty but hold no
// label refuse the file; old-Mac line endings are read.
func TestARegistryFileIsReadWholeOrRefused(t *testing.T) {
	head := entryRow(` r="1"`, "label_id", "brand", "model", "status")
	first := entryRow(` r="2"`, "A-1", "Acme", "M1", "valid")
	revoked := entryRow(` r="4"`, "A-3", "Acme", "M3", "revoked")
	refused := map[string]struct {
		path, code string
	}{
		"rows out of order": {registryWorkbook(t, head+first+revoked+entryRow(` r="3"`, "A-2", "Acme", "M2", "valid")), "ROWS_OUT_OF_ORDER"},
		"a row repeated":    {registryWorkbook(t, head+first+entryRow(` r="2"`, "A-2", "Acme", "M2", "valid")+revoked), "ROWS_OUT_OF_ORDER"},
		"XML the reader stops at": {registryWorkbook(t, head+first+
			strings.Replace(entryRow(` r="3"`, "A-2", "Acme", "M2", "valid"), "</row>", "</rows>", 1)+revoked), "UNREADABLE_FILE"},
		"a row with a status and no label": {write(t, "r.csv", "label_id,brand,model,status\nA-1,Acme,M1,valid\n,,,revoked\n"), "UNREADABLE_REGISTRY"},
	}
	for name, c := range refused {
		entries, err := registry.ReadFile(c.path, "SG-CLS", nil)
		if errs.CodeOf(err) != c.code {
			t.Errorf("%s: %d entries, err %v; want %s", name, len(entries), err, c.code)
		}
	}
	entries, err := registry.ReadFile(write(t, "mac.csv", "label_id,brand,model,status\rA-1,Acme,M1,valid\r\rA-3,Acme,M3,revoked\r"), "SG-CLS", nil)
	if err != nil || len(entries) != 2 || entries[1].Status != "revoked" {
		t.Fatalf("old-Mac line endings: %+v, %v", entries, err)
	}
}
