package imports_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

var admin = access.With(context.Background(), access.System("test"))

type env struct {
	t        *testing.T
	db       *gorm.DB
	im       *imports.Importer
	store    *imports.Store
	supplier vendors.Supplier
}

func newEnv(t *testing.T, db *gorm.DB) *env {
	t.Helper()
	sup, err := vendors.NewStore(db).Create(admin, "Acme Connected Ltd")
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: db, im: imports.New(db, imports.DefaultLimits), store: imports.NewStore(db), supplier: sup}
}

const header = "sku,gtin,brand,model,category,markets,password_model,vuln_report_contact,support_end,labels\n"

// importCSV writes content to a file and imports it for the env's supplier.
func (e *env) importCSV(content string) (imports.Batch, error) {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "products.csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return e.importPath(path)
}

func (e *env) importPath(path string) (imports.Batch, error) {
	return e.im.Import(admin, imports.Request{SupplierID: e.supplier.ID, FileName: filepath.Base(path), Path: path})
}

func (e *env) mustImport(content string) imports.Batch {
	e.t.Helper()
	b, err := e.importCSV(content)
	if err != nil {
		e.t.Fatalf("import: %v", err)
	}
	if b.Status != imports.StatusCommitted {
		e.t.Fatalf("status %s: %s", b.Status, b.Error)
	}
	return b
}

func (e *env) products() map[string]catalog.Product {
	e.t.Helper()
	list, err := catalog.NewStore(e.db).Products(admin, catalog.ProductFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	// Lists leave extra out; the tests read it beside them.
	var extras []struct{ SKU, Extra string }
	if err := e.db.Table("products").Select("sku, extra").Where("supplier_id = ?", e.supplier.ID).Scan(&extras).Error; err != nil {
		e.t.Fatal(err)
	}
	extra := map[string]string{}
	for _, x := range extras {
		extra[x.SKU] = x.Extra
	}
	out := map[string]catalog.Product{}
	for _, p := range list {
		p.Extra = extra[p.SKU]
		out[p.SKU] = p
	}
	return out
}

func (e *env) errorCodes(batchID int64) map[string][]string {
	e.t.Helper()
	list, err := e.store.Errors(admin, batchID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, re := range list {
		out[re.SKU] = append(out[re.SKU], re.Code)
	}
	return out
}

func counts(b imports.Batch) string {
	return fmt.Sprintf("created %d updated %d unchanged %d rejected %d", b.RowsCreated, b.RowsUpdated, b.RowsUnchanged, b.RowsRejected)
}

func TestReimportingTheSameFileChangesNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e, clock := newEnv(t, db), imports.NewTestClock()
		e.im = imports.New(db, imports.DefaultLimits, imports.WithClock(clock.Now))
		file := header +
			"CAM-1,4006381333931,Acme,AC-1,smart_camera,UK EU,unique_per_device,https://acme.example/s,2029-06-30,SG-CLS:CSA/300629/00042\n" +
			"PLG-2,5901234123457,Acme,AC-2,smart_plug,UK,,,,\n"
		first := e.mustImport(file)
		if counts(first) != "created 2 updated 0 unchanged 0 rejected 0" {
			t.Fatalf("first: %s", counts(first))
		}
		before := e.products()
		clock.Advance(time.Hour) // a product written again would show it
		second := e.mustImport(file)
		if counts(second) != "created 0 updated 0 unchanged 2 rejected 0" {
			t.Fatalf("second: %s", counts(second))
		}
		after := e.products()
		for sku, p := range before {
			q := after[sku]
			if !q.UpdatedAt.Equal(p.UpdatedAt) || *q.BatchID != *p.BatchID || len(q.Labels) != len(p.Labels) {
				t.Errorf("%s was rewritten by an identical upload: %+v -> %+v", sku, p, q)
			}
		}
		if l := after["CAM-1"].Labels; len(l) != 1 || l[0].Scheme != "SG-CLS" || l[0].LabelID != "CSA/300629/00042" {
			t.Errorf("labels = %+v", l)
		}
		if second.SHA256 != first.SHA256 || len(first.SHA256) != 64 {
			t.Errorf("sha256 %s vs %s", first.SHA256, second.SHA256)
		}
	})
}

func TestChangedRowsUpdateAndInvalidRowsLeaveTheStoredProductUntouched(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		e.mustImport(header +
			"CAM-1,4006381333931,Acme,AC-1,smart_camera,UK,unique_per_device,,2029-06-30,SG-CLS:CSA/300629/00042\n" +
			"PLG-2,5901234123457,Acme,AC-2,smart_plug,UK,,,2029-01-31,\n" +
			"SPK-3,0614141000036,Acme,AC-3,smart_speaker,UK,,,2030-01-31,\n" +
			"RTR-4," + gtinFor(4) + ",Acme,AC-4,router,UK,,,2030-01-31,SG-CLS:CSA/300629/00042\n")
		b := e.mustImport(header +
			"CAM-1,4006381333931,Acme,AC-1b,smart_camera,UK EU,unique_per_device,,2029-06-30,\n" + // changed, labels dropped
			"PLG-2,5901234123457,Acme,AC-2,toaster,UK,,,2031-01-31,\n" + // invalid: keeps the stored row
			"SPK-3,0614141000036,Acme,AC-3,smart_speaker,UK,,,2030-01-31,\n" + // same
			"RTR-4," + gtinFor(4) + ",Acme,AC-4,router,UK,,,2030-01-31,SG-CLS:CSA/300629/00043\n") // another label
		if counts(b) != "created 0 updated 2 unchanged 1 rejected 1" {
			t.Fatalf("%s", counts(b))
		}
		p := e.products()
		if p["CAM-1"].Model != "AC-1b" || strings.Join(p["CAM-1"].Markets, " ") != "UK EU" || len(p["CAM-1"].Labels) != 0 {
			t.Errorf("CAM-1 not updated: %+v", p["CAM-1"])
		}
		if l := p["RTR-4"].Labels; len(l) != 1 || l[0].LabelID != "CSA/300629/00043" {
			t.Errorf("RTR-4's label not replaced: %+v", l)
		}
		if p["PLG-2"].Category != "smart_plug" || p["PLG-2"].SupportEnd.String() != "2029-01-31" {
			t.Errorf("rejected row changed the stored product: %+v", p["PLG-2"])
		}
		if codes := e.errorCodes(b.ID); strings.Join(codes["PLG-2"], " ") != "UNKNOWN_CATEGORY" {
			t.Errorf("errors %v", codes)
		}
	})
}

// TestRepeatsAreFoundWhateverTheRowsOrder: a file whose SKUs (or GTINs)
// come in increasing order cannot repeat one, and the commit then skips
// that search (and its index); a repeat on adjacent rows of a sorted file,
// or far apart in an unsorted one, is still rejected on every row, on a
// first import and on a later one.
func TestRepeatsAreFoundWhateverTheRowsOrder(t *testing.T) {
	cases := []struct {
		name   string
		stored string // rows imported first, if any
		rows   [][2]string
		counts string
		codes  map[string]string
	}{
		{name: "sorted, nothing repeated", rows: [][2]string{{"A1", "1"}, {"A2", "2"}, {"A3", "3"}},
			counts: "created 3 updated 0 unchanged 0 rejected 0", codes: map[string]string{}},
		{name: "sorted, a SKU repeated on adjacent rows", rows: [][2]string{{"A1", "1"}, {"A2", "2"}, {"A2", "3"}, {"A3", "4"}},
			counts: "created 2 updated 0 unchanged 0 rejected 2", codes: map[string]string{"A2": "DUPLICATE_SKU_IN_FILE DUPLICATE_SKU_IN_FILE"}},
		{name: "unsorted, a SKU repeated far apart", rows: [][2]string{{"B3", "1"}, {"A1", "2"}, {"C1", "3"}, {"B3", "4"}},
			counts: "created 2 updated 0 unchanged 0 rejected 2", codes: map[string]string{"B3": "DUPLICATE_SKU_IN_FILE DUPLICATE_SKU_IN_FILE"}},
		{name: "sorted, a GTIN repeated on adjacent rows", rows: [][2]string{{"A1", "1"}, {"A2", "2"}, {"A3", "2"}, {"A4", "3"}},
			counts: "created 2 updated 0 unchanged 0 rejected 2", codes: map[string]string{"A2": "GTIN_CONFLICT", "A3": "GTIN_CONFLICT"}},
		{name: "GTINs unsorted, one repeated far apart", rows: [][2]string{{"A1", "3"}, {"A2", "1"}, {"A3", "2"}, {"A4", "3"}},
			counts: "created 2 updated 0 unchanged 0 rejected 2", codes: map[string]string{"A1": "GTIN_CONFLICT", "A4": "GTIN_CONFLICT"}},
		{name: "a later import, sorted", stored: "OLD-1,9", rows: [][2]string{{"A1", "1"}, {"A2", "9"}},
			counts: "created 1 updated 0 unchanged 0 rejected 1", codes: map[string]string{"A2": "GTIN_CONFLICT"}},
		{name: "a later import, a SKU repeated", stored: "OLD-1,9", rows: [][2]string{{"A1", "1"}, {"A1", "2"}, {"OLD-1", "8"}},
			counts: "created 0 updated 1 unchanged 0 rejected 2", codes: map[string]string{"A1": "DUPLICATE_SKU_IN_FILE DUPLICATE_SKU_IN_FILE"}},
	}
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		for i, c := range cases {
			sup, err := vendors.NewStore(db).Create(admin, fmt.Sprintf("Order %d", i))
			if err != nil {
				t.Fatal(err)
			}
			e := &env{t: t, db: db, im: imports.New(db, imports.DefaultLimits), store: imports.NewStore(db), supplier: sup}
			row := func(sku, g string) string {
				n, _ := strconv.Atoi(g)
				return fmt.Sprintf("%s,%s,Acme,M-%s,smart_plug,UK,,,,\n", sku, gtinFor(1000*i+n), sku)
			}
			if c.stored != "" {
				sku, g, _ := strings.Cut(c.stored, ",")
				e.mustImport(header + row(sku, g))
			}
			var file strings.Builder
			file.WriteString(header)
			for _, r := range c.rows {
				file.WriteString(row(r[0], r[1]))
			}
			b := e.mustImport(file.String())
			if counts(b) != c.counts {
				t.Errorf("%s: %s, want %s", c.name, counts(b), c.counts)
			}
			got := map[string]string{}
			for sku, codes := range e.errorCodes(b.ID) {
				got[sku] = strings.Join(codes, " ")
			}
			if !maps.Equal(got, c.codes) {
				t.Errorf("%s: rejected %v, want %v", c.name, got, c.codes)
			}
		}
	})
}

func TestDuplicateSKUsAndGTINConflictsAreRejectedWithEveryRowNamed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		e.mustImport(header + "OLD-1,9501101530003,Acme,AC-0,smart_plug,UK,,,,\n")
		b := e.mustImport(header +
			"DUP-1,4006381333931,Acme,AC-1,smart_camera,UK,,,,\n" +
			"DUP-1,4006381333931,Acme,AC-1,smart_camera,UK,,,,\n" +
			"TWIN-A,5901234123457,Acme,AC-2,smart_plug,UK,,,,\n" +
			"TWIN-B,5901234123457,Acme,AC-3,smart_plug,UK,,,,\n" +
			"NEW-9,9501101530003,Acme,AC-9,smart_plug,UK,,,,\n" + // GTIN of the stored OLD-1
			"OK-1,0614141000036,Acme,AC-4,smart_speaker,UK,,,,\n")
		if counts(b) != "created 1 updated 0 unchanged 0 rejected 5" {
			t.Fatalf("%s", counts(b))
		}
		codes := e.errorCodes(b.ID)
		want := map[string]string{"DUP-1": "DUPLICATE_SKU_IN_FILE DUPLICATE_SKU_IN_FILE", "TWIN-A": "GTIN_CONFLICT", "TWIN-B": "GTIN_CONFLICT", "NEW-9": "GTIN_CONFLICT"}
		for sku, w := range want {
			if got := strings.Join(codes[sku], " "); got != w {
				t.Errorf("%s: %q, want %q", sku, got, w)
			}
		}
		errsList, _ := e.store.Errors(admin, b.ID)
		for _, re := range errsList {
			if re.Code == "DUPLICATE_SKU_IN_FILE" && !strings.Contains(re.Message, "rows 2, 3") {
				t.Errorf("duplicate message does not name the rows: %s", re.Message)
			}
			if re.SKU == "NEW-9" && !strings.Contains(re.Message, "OLD-1") {
				t.Errorf("conflict message does not name the other SKU: %s", re.Message)
			}
		}
		if _, ok := e.products()["DUP-1"]; ok {
			t.Error("a duplicated SKU was stored")
		}
		// The fix workbook shows each rejected row as the supplier wrote it.
		var written []string
		db.Raw("SELECT row_data FROM import_row_errors WHERE batch_id = ? AND sku IN ('TWIN-B', 'NEW-9') ORDER BY row_number", b.ID).Scan(&written)
		want2 := []string{"\x1eTWIN-B\x1f5901234123457\x1fAcme\x1fAC-3\x1fsmart_plug\x1fUK\x1f\x1f\x1f\x1f", "\x1eNEW-9\x1f9501101530003\x1fAcme\x1fAC-9\x1fsmart_plug\x1fUK\x1f\x1f\x1f\x1f"}
		if !slices.Equal(written, want2) {
			t.Errorf("rows as written: %q, want %q", written, want2)
		}
	})
}

func TestAFileMayMoveGTINsBetweenItsOwnSKUs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		e.mustImport(header + "A,4006381333931,Acme,M1,smart_plug,UK,,,,\nB,5901234123457,Acme,M2,smart_plug,UK,,,,\n")
		b := e.mustImport(header + "A,5901234123457,Acme,M1,smart_plug,UK,,,,\nB,4006381333931,Acme,M2,smart_plug,UK,,,,\n")
		if counts(b) != "created 0 updated 2 unchanged 0 rejected 0" {
			t.Fatalf("swap: %s", counts(b))
		}
	})
}

func TestTheLatestDeclaredSupportEndIsRememberedWhenShortened(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		e.mustImport(header + "A,4006381333931,Acme,M1,smart_plug,UK,,,2030-12-31,\n")
		e.mustImport(header + "A,4006381333931,Acme,M1,smart_plug,UK,,,2028-12-31,\n")
		var row struct{ SupportEnd, SupportEndDeclared string }
		db.Raw("SELECT support_end, support_end_declared FROM products WHERE sku = 'A'").Scan(&row)
		if row.SupportEnd != "2028-12-31" || row.SupportEndDeclared != "2030-12-31" {
			t.Fatalf("%+v", row)
		}
	})
}

func TestUnreadableFilesFailTheBatchAndStoreNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		e.mustImport(header + "KEEP,4006381333931,Acme,M1,smart_plug,UK,,,,\n")
		cases := []struct {
			name, content, code string
		}{
			{"no header", "just,some,words\n1,2,3\n", "NO_HEADER_ROW"},
			{"missing required columns", "sku,gtin,brand,model\nA,4006381333931,Acme,M\n", "MISSING_COLUMNS"},
			{"not UTF-8", "sku,gtin,brand,model,category,markets\nCAF\xc9,4006381333931,Caf\xe9,M1,smart_plug,UK\n", "NOT_UTF8"},
			{"late invalid UTF-8", header + strings.Repeat("X,4006381333931,Acme,M1,smart_plug,UK,,,,\n", 3) + "Y\xff,1,2,3,4,5,,,,\n", "NOT_UTF8"},
			{"a PDF", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "UNSUPPORTED_FILE"},
			{"empty", "", "EMPTY_FILE"},
		}
		for _, c := range cases {
			b, err := e.importCSV(c.content)
			if err == nil || errs.CodeOf(err) != c.code {
				t.Errorf("%s: err %v, want %s", c.name, err, c.code)
				continue
			}
			if c.code != "EMPTY_FILE" && (b.Status != imports.StatusFailed || !strings.Contains(b.Error, c.code)) {
				t.Errorf("%s: batch %+v", c.name, b)
			}
		}
		if p := e.products(); len(p) != 1 || p["KEEP"].Model != "M1" {
			t.Fatalf("products changed: %v", p)
		}
	})
}

func TestLimitsAreEnforcedWithClearErrors(t *testing.T) {
	db := dbtest.SQLite(t)
	e := newEnv(t, db)
	e.im = imports.New(db, imports.Limits{MaxFileBytes: 200, MaxUnzippedBytes: 1 << 20, MaxDataRows: 2})
	if _, err := e.importCSV(header + strings.Repeat("x", 300)); errs.CodeOf(err) != "FILE_TOO_LARGE" {
		t.Errorf("size: %v", err)
	}
	rows := header + "A,4006381333931,Acme,M1,smart_plug,UK,,,,\nB,5901234123457,Acme,M2,smart_plug,UK,,,,\nC,0614141000036,Acme,M3,smart_plug,UK,,,,\n"
	e.im = imports.New(db, imports.Limits{MaxFileBytes: 1 << 20, MaxUnzippedBytes: 1 << 20, MaxDataRows: 2})
	if _, err := e.importCSV(rows); errs.CodeOf(err) != "TOO_MANY_ROWS" {
		t.Errorf("rows: %v", err)
	}
	if len(e.products()) != 0 {
		t.Error("a refused file stored products")
	}
}

func TestOneSupplierCannotRunTwoImportsAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		path := filepath.Join(t.TempDir(), "p.csv")
		os.WriteFile(path, []byte(header+"A,4006381333931,Acme,M1,smart_plug,UK,,,,\n"), 0o600)
		req := imports.Request{SupplierID: e.supplier.ID, FileName: "p.csv", Path: path}
		first, err := e.im.Start(admin, req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.im.Start(admin, req); errs.CodeOf(err) != "IMPORT_IN_PROGRESS" {
			t.Fatalf("second start: %v", err)
		}
		other, _ := vendors.NewStore(db).Create(admin, "Other Ltd")
		if _, err := e.im.Start(admin, imports.Request{SupplierID: other.ID, FileName: "p.csv", Path: path}); err != nil {
			t.Fatalf("another supplier is not blocked: %v", err)
		}
		if b, err := e.im.Run(admin, first, req); err != nil || b.Status != imports.StatusCommitted {
			t.Fatalf("run: %v %+v", err, b)
		}
		if _, err := e.im.Import(admin, req); err != nil {
			t.Fatalf("after the first finished: %v", err)
		}
	})
}

func TestAnAbandonedBatchIsFailedAndNoLongerBlocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		host, _ := os.Hostname()
		old := time.Now().Add(-time.Hour)
		// A batch left "running" by a process that no longer exists (pid 2^22 is above Linux's default pid_max).
		err := db.Exec(`INSERT INTO import_batches (supplier_id, file_name, sha256, status, owner, heartbeat_at, started_at)
			VALUES (?, 'crashed.csv', 'x', 'running', ?, ?, ?)`, e.supplier.ID, host+":4194304:dead", old, old).Error
		if err != nil {
			t.Fatal(err)
		}
		b := e.mustImport(header + "A,4006381333931,Acme,M1,smart_plug,UK,,,,\n")
		if b.RowsCreated != 1 {
			t.Fatalf("%s", counts(b))
		}
		var status, msg string
		db.Raw("SELECT status, error FROM import_batches WHERE file_name = 'crashed.csv'").Row().Scan(&status, &msg)
		if status != "failed" || !strings.Contains(msg, "INTERRUPTED") {
			t.Fatalf("abandoned batch: %s %s", status, msg)
		}
	})
}

func TestSupplierUsersImportOnlyForTheirOwnSupplier(t *testing.T) {
	db := dbtest.SQLite(t)
	e := newEnv(t, db)
	other, _ := vendors.NewStore(db).Create(admin, "Other Ltd")
	path := filepath.Join(t.TempDir(), "p.csv")
	os.WriteFile(path, []byte(header+"A,4006381333931,Acme,M1,smart_plug,UK,,,,\n"), 0o600)
	u, err := auth.NewService(db).CreateUser(admin, auth.NewUser{Email: "s@other.example", Role: access.Supplier, SupplierID: other.ID, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	supplierUser := access.With(context.Background(), u.Principal())
	if _, err := e.im.Import(supplierUser, imports.Request{SupplierID: e.supplier.ID, Path: path}); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("cross-supplier import: %v", err)
	}
	b, err := e.im.Import(supplierUser, imports.Request{SupplierID: other.ID, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Batch(access.With(context.Background(), access.Principal{UserID: 6, Role: access.Supplier, SupplierID: e.supplier.ID}), b.ID); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("another supplier read the batch: %v", err)
	}
	manager := access.With(context.Background(), access.Principal{UserID: 7, Role: access.CategoryManager})
	if _, err := e.im.Import(manager, imports.Request{SupplierID: other.ID, Path: path}); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("category manager import: %v", err)
	}
}

// A supplier's first import skips the comparisons with stored products but
// not the checks within the file.
func TestAFirstImportCountsAndChecksItsOwnRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		b := e.mustImport(header +
			"DUP-1,4006381333931,Acme,AC-1,smart_camera,UK,,,,\n" +
			"DUP-1,0614141000036,Acme,AC-1,smart_camera,UK,,,,\n" +
			"TWIN-A,5901234123457,Acme,AC-2,smart_plug,UK,,,,\n" +
			"TWIN-B,5901234123457,Acme,AC-3,smart_plug,UK,,,,\n" +
			"OK-1,9501101530003,Acme,AC-4,smart_speaker,UK,,,,SG-CLS:CSA/300629/00042\n" +
			"OK-2," + gtinFor(2) + ",Acme,AC-5,router,UK,,,,\n")
		if counts(b) != "created 2 updated 0 unchanged 0 rejected 4" {
			t.Fatalf("%s", counts(b))
		}
		p := e.products()
		if len(p) != 2 || len(p["OK-1"].Labels) != 1 {
			t.Fatalf("stored %v", p)
		}
	})
}
