package imports_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

func TestASavedMappingIsUsedByEveryLaterUploadAndShownInTheFixWorkbook(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		file := "Unsere Nr.,GTIN,Marke,Modell,Kategorie,Märkte,Updates garantiert bis\n" +
			"CAM-1,4006381333931,Acme,AC-1,smart_camera,UK,2029-06-30\n" +
			"BAD-2,4006381333932,Acme,AC-2,smart_camera,UK,2029-06-30\n"
		// Without a mapping the file has no sku column.
		if _, err := e.importCSV(file); err == nil || errs.CodeOf(err) != "MISSING_COLUMNS" {
			t.Fatalf("unmapped: %v", err)
		}
		// A category manager maps the supplier's headers for them.
		cm := access.With(admin, access.Principal{UserID: 7, Role: access.CategoryManager})
		saved, err := e.store.SetMapping(cm, e.supplier.ID, imports.Mapping{" Unsere Nr. ": "sku", "Updates garantiert bis": "SUPPORT_END"})
		if err != nil {
			t.Fatal(err)
		}
		if len(saved) != 2 || saved["Unsere Nr."] != "sku" || saved["Updates garantiert bis"] != "support_end" {
			t.Fatalf("saved %v", saved)
		}
		b := e.mustImport(file)
		if counts(b) != "created 1 updated 0 unchanged 0 rejected 1" {
			t.Fatalf("%s", counts(b))
		}
		if len(b.Mapped) != 2 || b.Mapped["Unsere Nr."] != "sku" {
			t.Errorf("batch mapped %v", b.Mapped)
		}
		if p := e.products()["CAM-1"]; p.SupportEnd.String() != "2029-06-30" {
			t.Errorf("support end %q", p.SupportEnd.String())
		}
		// The batch keeps the mapping it used, whatever the mapping becomes.
		if _, err := e.store.SetMapping(admin, e.supplier.ID, imports.Mapping{}); err != nil {
			t.Fatal(err)
		}
		stored, err := e.store.Batch(admin, b.ID)
		if err != nil || stored.Mapped["Updates garantiert bis"] != "support_end" {
			t.Errorf("stored batch mapped %v (%v)", stored.Mapped, err)
		}
		var buf bytes.Buffer
		if err := e.store.WriteFixWorkbook(admin, b.ID, &buf); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("Column mapping")
		if err != nil || len(rows) < 3 || rows[1][0] != "Unsere Nr." || rows[1][1] != "sku" || rows[2][0] != "Updates garantiert bis" {
			t.Errorf("mapping sheet %v (%v)", rows, err)
		}
		if products, _ := f.GetRows("Products"); len(products) < 2 || products[0][0] != "Unsere Nr." || products[1][0] != "BAD-2" {
			t.Errorf("the fix workbook's own sheet %v", products)
		}
		if got, err := e.store.Mapping(admin, e.supplier.ID); err != nil || len(got) != 0 {
			t.Errorf("mapping after clearing %v %v", got, err)
		}
	})
}

func TestAMappingToAnUnknownColumnOrTwoHeadersToOneColumnIsRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		if _, err := e.store.SetMapping(admin, e.supplier.ID, imports.Mapping{"Nr": "sku"}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name    string
			mapping imports.Mapping
			code    string
		}{
			{"unknown column", imports.Mapping{"Farbe": "colour"}, "UNKNOWN_COLUMN"},
			{"an alias is not a column", imports.Mapping{"Nummer": "ean"}, "UNKNOWN_COLUMN"},
			{"two headers, one column", imports.Mapping{"Artikel": "sku", "Nummer": "sku"}, "DUPLICATE_MAPPING"},
			{"one header twice as matched", imports.Mapping{"Art Nr": "sku", "art-nr": "gtin"}, "DUPLICATE_MAPPING"},
			{"empty header", imports.Mapping{" ": "sku"}, "INVALID_MAPPING"},
			{"a NUL in a header", imports.Mapping{"Nr\x00": "sku"}, "INVALID_MAPPING"},
			{"a fix workbook column", imports.Mapping{"how to fix": "name"}, "INVALID_MAPPING"},
		}
		for _, c := range cases {
			_, err := e.store.SetMapping(admin, e.supplier.ID, c.mapping)
			if errs.KindOf(err) != errs.Invalid || errs.CodeOf(err) != c.code {
				t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
			}
		}
		// A refused mapping leaves the saved one as it was.
		if got, err := e.store.Mapping(admin, e.supplier.ID); err != nil || len(got) != 1 || got["Nr"] != "sku" {
			t.Errorf("mapping %v %v", got, err)
		}
	})
}

func TestASupplierReadsAndSetsOnlyItsOwnMapping(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	e := newEnv(t, db)
	other, err := vendors.NewStore(db).Create(admin, "Other Ltd")
	if err != nil {
		t.Fatal(err)
	}
	own := access.With(admin, access.Principal{UserID: 3, Role: access.Supplier, SupplierID: e.supplier.ID})
	if _, err := e.store.SetMapping(own, e.supplier.ID, imports.Mapping{"Nr": "sku"}); err != nil {
		t.Fatalf("own: %v", err)
	}
	if _, err := e.store.SetMapping(own, other.ID, imports.Mapping{"Nr": "sku"}); errs.KindOf(err) != errs.NotFound {
		t.Errorf("another supplier's: %v", err)
	}
	if _, err := e.store.Mapping(own, other.ID); errs.KindOf(err) != errs.NotFound {
		t.Errorf("reading another supplier's: %v", err)
	}
	buyer := access.With(admin, access.Principal{UserID: 4, Role: access.Buyer})
	if _, err := e.store.Mapping(buyer, e.supplier.ID); !errors.Is(err, errs.ErrForbidden) && errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a buyer: %v", err)
	}
}
