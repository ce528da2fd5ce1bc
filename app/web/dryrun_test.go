package web_test

import (
	"encoding/json"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

func TestADryRunUploadAnswersThePreviewAndStoresNoBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		var batchesBefore, productsBefore int64
		db.Table("import_batches").Count(&batchesBefore)
		db.Table("products").Count(&productsBefore)
		body, ct := multipartBody(t, nil, "mine.csv", "sku,gtin,brand,model,category,markets,password_model\n"+
			"A-7,5901234123457,Brand,M-7,smart_plug,UK,universal_default\n"+
			"A-8,123,Brand,M-8,smart_plug,UK,\n")
		rec := w.request("supplier", "POST", "/api/v1/imports?dry_run=true", body, "Content-Type", ct)
		if rec.Code != 200 {
			t.Fatalf("dry run: %d %s", rec.Code, rec.Body.String())
		}
		var got struct {
			Import struct {
				ID         int64
				Status     string
				Created    int   `json:"rows_created"`
				Rejected   int   `json:"rows_rejected"`
				SupplierID int64 `json:"supplier_id"`
			} `json:"import"`
			Errors []struct {
				Row  int
				Code string
			} `json:"errors"`
			Verdicts []struct {
				SKU, Market, Channel, Verdict string
				Reasons                       []struct{ Code string }
			} `json:"verdicts"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Import.ID != 0 || got.Import.Status != "dry_run" || got.Import.Created != 1 || got.Import.Rejected != 1 || got.Import.SupplierID != w.supplierA.ID {
			t.Errorf("batch %+v", got.Import)
		}
		if len(got.Errors) != 1 || got.Errors[0].Row != 3 || got.Errors[0].Code != "INVALID_GTIN" {
			t.Errorf("errors %+v", got.Errors)
		}
		if len(got.Verdicts) != 2 || got.Verdicts[0].SKU != "A-7" || got.Verdicts[0].Verdict != "blocked" {
			t.Errorf("verdicts %+v", got.Verdicts)
		}
		var batchesAfter, productsAfter int64
		db.Table("import_batches").Count(&batchesAfter)
		db.Table("products").Count(&productsAfter)
		if batchesAfter != batchesBefore || productsAfter != productsBefore {
			t.Errorf("batches %d -> %d, products %d -> %d", batchesBefore, batchesAfter, productsBefore, productsAfter)
		}
		// A role that may not import is refused as for an import.
		if rec := w.request("buyer", "POST", "/api/v1/imports?dry_run=true", body, "Content-Type", ct); rec.Code != 403 {
			t.Errorf("buyer: %d %s", rec.Code, rec.Body.String())
		}
	})
}
