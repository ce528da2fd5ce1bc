package imports

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/vendors"
)

// An import works on one connection of the pool and gives it back closed:
// with a pool of one connection it neither deadlocks nor leaves its staging
// tables to the next user of the pool.
func TestAnImportHoldsOneConnectionAndLeavesNoStagingBehind(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		sup, err := vendors.NewStore(db).Create(system, "Acme")
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, _ := db.DB()
		sqlDB.SetMaxOpenConns(1)
		ctx, cancel := context.WithTimeout(system, 30*time.Second)
		defer cancel()
		im := New(db, DefaultLimits)
		for i, csv := range []string{
			"sku,gtin,brand,model,category,markets,labels\nA,4006381333931,Acme,M1,smart_plug,UK,SG-CLS:CSA/300629/00042\n",
			"sku,gtin,brand,model,category,markets,labels\nA,4006381333931,Acme,M2,smart_plug,UK,\nB,5901234123457,Acme,M3,router,UK,\n",
		} {
			path := filepath.Join(t.TempDir(), "p.csv")
			if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
				t.Fatal(err)
			}
			b, err := im.Import(ctx, Request{SupplierID: sup.ID, FileName: "p.csv", Path: path})
			if err != nil || b.Status != StatusCommitted || b.RowsCreated+b.RowsUpdated != i+1 {
				t.Fatalf("import %d: %v %+v", i+1, err, b)
			}
			if inUse := sqlDB.Stats().InUse; inUse != 0 {
				t.Fatalf("import %d left %d connections in use", i+1, inUse)
			}
		}
		var temp int64
		q := "SELECT COUNT(*) FROM sqlite_temp_master"
		if database.DialectOf(db) == database.Postgres {
			q = "SELECT COUNT(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()"
		}
		if err := db.Raw(q).Row().Scan(&temp); err != nil || temp != 0 {
			t.Fatalf("%d temporary tables on the pool's connection (%v)", temp, err)
		}
	})
}

func TestRowDataKeepsTheCellsAsWritten(t *testing.T) {
	for _, cells := range [][]string{
		{"SKU-1", "", "two words", ""},
		{"a\x1fb", "c"},
		{"\x1e", ""},
		{"🙂", "=1+1", "line\nbreak", `"quoted", comma`},
	} {
		if got := decodeRowData(rowData(cells)); !slices.Equal(got, cells) {
			t.Errorf("%q came back as %q", cells, got)
		}
	}
}

// takeTheOnlySlot leaves im one import slot, held by another import until
// the test frees it (<-im.slots).
func takeTheOnlySlot(im *Importer) {
	im.slots = make(chan struct{}, 1)
	im.slots <- struct{}{}
}

// An import waiting for a slot keeps its batch alive, then runs when one frees.
func TestAnImportWaitingForASlotKeepsItsHeartbeatAndThenRuns(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	req := oneRowRequest(t, db)
	clock := NewTestClock()
	im := New(db, DefaultLimits, WithClock(clock.Now), WithHeartbeatEvery(10*time.Millisecond))
	takeTheOnlySlot(im)
	im.owner = "another-host:1:0000" // so that only its heartbeat tells the recovery it is alive
	b, err := im.Start(system, req)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Batch)
	go func() {
		b, _ := im.Run(system, b, req)
		done <- b
	}()
	// Three stale-after times pass while the import waits: only the
	// heartbeats it sends meanwhile keep it from being taken for abandoned.
	clock.Advance(3 * StaleAfter)
	var waiting Batch
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if err := db.First(&waiting, b.ID).Error; err != nil {
			t.Fatal(err)
		}
		if waiting.HeartbeatAt.Equal(clock.Now()) || time.Now().After(deadline) {
			break
		}
	}
	if waiting.Status != StatusRunning || !waiting.HeartbeatAt.Equal(clock.Now()) {
		t.Fatalf("a waiting batch: status %s, heartbeat %v (started %v, now %v)", waiting.Status, waiting.HeartbeatAt, b.HeartbeatAt, clock.Now())
	}
	if n, err := RecoverAbandoned(system, db, WithClock(clock.Now)); err != nil || n != 0 {
		t.Fatalf("recovery failed %d waiting batches: %v", n, err)
	}
	<-im.slots // the other import ends
	select {
	case b = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the import did not run when the slot freed")
	}
	if b.Status != StatusCommitted || b.RowsCreated != 1 {
		t.Fatalf("%+v", b)
	}
}

// A file without some optional columns stages only the columns it has; the
// products still get the defaults of the missing ones (empty text, no date).
func TestColumnsAFileLacksAreNotStagedAndStoreTheirDefaults(t *testing.T) {
	l, err := findLayout(1, []string{"sku", "gtin", "brand", "model", "category", "markets"})
	if err != nil {
		t.Fatal(err)
	}
	_, names := stagedFor(l)
	want := []string{"row_number", "sku", "gtin", "brand", "model", "match_key", "category", "markets", "content_hash"}
	if !slices.Equal(names, want) {
		t.Fatalf("staged %v, want %v", names, want)
	}
	l, _ = findLayout(1, []string{"sku", "gtin", "brand", "model", "category", "markets", "currency", "colour"})
	if _, names = stagedFor(l); !slices.Contains(names, "currency") || !slices.Contains(names, "extra") || slices.Contains(names, "price") {
		t.Fatalf("staged %v", names)
	}

	db := dbtest.SQLite(t)
	if b, err := New(db, DefaultLimits).Import(system, oneRowRequest(t, db)); err != nil || b.RowsCreated != 1 {
		t.Fatalf("import: %v %+v", err, b)
	}
	var p struct {
		Name, Currency, Extra string
		SupportEnd            *string
	}
	db.Raw("SELECT name, currency, extra, support_end FROM products WHERE sku = 'A'").Scan(&p)
	if p.Name != "" || p.Currency != "" || p.Extra != "{}" || p.SupportEnd != nil {
		t.Fatalf("defaults: %+v", p)
	}
}

// A heartbeat the database cannot take while an import waits (another
// import's commit holding the lock, say) does not fail the waiting import.
func TestAWaitingImportOutlastsHeartbeatsTheDatabaseRefuses(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	clock := NewTestClock() // each heartbeat reads it once
	im := New(db, DefaultLimits, WithClock(clock.Now), WithHeartbeatEvery(10*time.Millisecond))
	takeTheOnlySlot(im)
	sqlDB, _ := db.DB()
	sqlDB.Close() // every heartbeat now fails
	got := make(chan error, 1)
	go func() {
		release, err := im.waitForSlot(system, 1)
		if err == nil {
			release()
		}
		got <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); clock.Reads() < 5 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond) // until five heartbeats have failed
	}
	if n := clock.Reads(); n < 5 {
		t.Fatalf("%d heartbeats in 10 s", n)
	}
	<-im.slots
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("the wait failed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the import never got its slot")
	}
}

// The staging lives in temporary tables of one connection: on the pool,
// where the next statement may run on another connection, it is refused.
func TestStagingRefusesThePool(t *testing.T) {
	db := dbtest.SQLite(t)
	if _, err := openStaging(context.Background(), db); err == nil {
		t.Fatal("staging opened on the pool")
	}
}

// While an import runs, its progress is stored on the batch (what
// GET /api/v1/imports/:id shows) before it is handed to the caller's
// Progress function (the CLI's bar), rising to the whole file.
func TestProgressIsStoredAndReportedWhileTheImportRuns(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	sup, err := vendors.NewStore(db).Create(system, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("sku,gtin,brand,model,category,markets\n")
	for i := range 2000 {
		body := fmt.Sprintf("20%010d", i)
		fmt.Fprintf(&csv, "S-%d,%s%c,Acme,M,smart_plug,UK\n", i, body, catalog.GTINCheckDigit("0"+body))
	}
	path := filepath.Join(t.TempDir(), "p.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	im := New(db, DefaultLimits, WithProgressEvery(0)) // a record with every chunk
	req := Request{SupplierID: sup.ID, FileName: "p.csv", Path: path}
	b, err := im.Start(system, req)
	if err != nil {
		t.Fatal(err)
	}
	var seen []Progress
	req.Progress = func(p Progress) {
		var stored Batch
		db.First(&stored, b.ID)
		if stored.Status != StatusRunning || stored.RowsProcessed != p.Rows {
			t.Errorf("reported %d rows while the batch says %s, %d rows", p.Rows, stored.Status, stored.RowsProcessed)
		}
		seen = append(seen, p)
	}
	if b, err = im.Run(system, b, req); err != nil || b.RowsCreated != 2000 {
		t.Fatalf("import: %v %+v", err, b)
	}
	if len(seen) < 2000/chunkRows {
		t.Fatalf("progress reported %d times for %d chunks", len(seen), 2000/chunkRows)
	}
	for i, p := range seen {
		if (i > 0 && p.Rows < seen[i-1].Rows) || p.Estimated < p.Rows {
			t.Fatalf("report %d: %+v after %+v", i, p, seen[max(i-1, 0)])
		}
	}
	if last := seen[len(seen)-1]; last.Rows != 2001 || last.Estimated != 2001 {
		t.Fatalf("last report %+v, want the header and 2,000 rows", last)
	}
}

// Rejected rows do not pile up in memory until the time comes to record
// the progress: once flushRows of them wait, they are stored with it.
func TestRejectedRowsAreStoredAsTheyPileUpNotOnlyAtTheEnd(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	sup, err := vendors.NewStore(db).Create(system, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	const rows = 2500
	var csv strings.Builder
	csv.WriteString("sku,gtin,brand,model,category,markets\n")
	for i := range rows {
		fmt.Fprintf(&csv, "S-%d,4006381333930,Acme,M,smart_plug,UK\n", i) // a wrong check digit
	}
	path := filepath.Join(t.TempDir(), "p.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	im := New(db, DefaultLimits, WithProgressEvery(time.Hour)) // only the rejected rows call for a record
	req := Request{SupplierID: sup.ID, FileName: "p.csv", Path: path}
	b, err := im.Start(system, req)
	if err != nil {
		t.Fatal(err)
	}
	var stored []int64 // rejected rows stored at each progress record
	req.Progress = func(Progress) {
		stored = append(stored, countRows(t, db, "SELECT COUNT(*) FROM import_row_errors WHERE batch_id = ?", b.ID))
	}
	if b, err = im.Run(system, b, req); err != nil || b.RowsRejected != rows {
		t.Fatalf("import: %v %+v", err, b)
	}
	want := []int64{flushRows, 2 * flushRows, rows}
	if !slices.Equal(stored, want) {
		t.Fatalf("rejected rows stored at each record: %v, want %v", stored, want)
	}
}
