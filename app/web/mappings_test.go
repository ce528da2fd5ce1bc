package web_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

func TestASupplierSavesAMappingAndItsNextUploadUsesIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		path := fmt.Sprintf("/api/v1/suppliers/%d/mapping", w.supplierA.ID)
		rec := w.request("supplier", "PUT", path, map[string]string{"Unsere Nr.": "sku", "Updates garantiert bis": "support_end"})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"Unsere Nr.":"sku"`) {
			t.Fatalf("put: %d %s", rec.Code, rec.Body.String())
		}
		for body, code := range map[string]string{
			`{"Farbe":"colour"}`:          "UNKNOWN_COLUMN",
			`{"Nr":"sku","Nummer":"sku"}`: "DUPLICATE_MAPPING",
			`{"Nr":"sku","nr.":"gtin"}`:   "DUPLICATE_MAPPING",
			`{"Nr":5}`:                    "",
			`["Nr","sku"]`:                "",
		} {
			rec := w.request("supplier", "PUT", path, body)
			if rec.Code != 400 || (code != "" && errorCode(t, rec) != code) {
				t.Errorf("%s: %d %s, want 400 %s", body, rec.Code, rec.Body.String(), code)
			}
		}
		csv := "Unsere Nr.,GTIN,Marke,Modell,Kategorie,Märkte,Updates garantiert bis\nA-77,5901234123457,Brand,M-7,smart_plug,UK,2030-06-30\n"
		rec = w.request("supplier", "POST", "/api/v1/imports?wait=true&file_name=de.csv", csv, "Content-Type", "text/csv")
		if rec.Code != 201 {
			t.Fatalf("upload: %d %s", rec.Code, rec.Body.String())
		}
		var got struct {
			Import struct {
				RowsCreated int               `json:"rows_created"`
				Mapped      map[string]string `json:"mapped"`
			} `json:"import"`
		}
		json.Unmarshal(rec.Body.Bytes(), &got)
		if got.Import.RowsCreated != 1 || got.Import.Mapped["Updates garantiert bis"] != "support_end" {
			t.Errorf("batch %+v", got.Import)
		}
		rec = w.request("category_manager", "GET", path, nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"Updates garantiert bis":"support_end"`) {
			t.Errorf("get: %d %s", rec.Code, rec.Body.String())
		}
	})
}

func TestBrowserSupplierMapsItsHeadersOnThePageAndSeesThemOnTheResult(t *testing.T) {
	b := newBrowser(t, 1280, 900)
	b.signIn("supplier")
	b.run(chromedp.Navigate(b.url + "/supplier"))
	b.clickNav("#mapping-link")
	b.run(
		chromedp.SendKeys(chromedp.CSS(`#mapping tbody tr:nth-child(1) input`), "Unsere Nr."),
		chromedp.SetValue(chromedp.CSS(`#mapping tbody tr:nth-child(1) select`), "sku"),
	)
	b.clickNav("#mapping-form button[type=submit]")
	page := value(b, chromedp.OuterHTML(chromedp.CSS("main")))
	if !strings.Contains(page, "Column mapping saved") || !strings.Contains(page, `value="Unsere Nr."`) {
		t.Fatalf("after saving:\n%s", page)
	}
	sheet := filepath.Join(t.TempDir(), "de.csv")
	if err := os.WriteFile(sheet, []byte("Unsere Nr.,GTIN,Marke,Modell,Kategorie,Märkte\nMAP-1,9501101530003,Acme,M1,smart_plug,UK\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.Navigate(b.url + "/supplier"))
	b.run(
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{sheet}),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("fix-workbook")),
	)
	if mapped := value(b, chromedp.Text(chromedp.ID("mapped"))); !strings.Contains(mapped, "“Unsere Nr.” as sku") {
		t.Errorf("the result page shows %q", mapped)
	}
}
