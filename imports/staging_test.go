package imports

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/app/database/dbtest"
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

// An import waiting for a slot keeps its batch alive, then runs when one frees.
func TestAnImportWaitingForASlotKeepsItsHeartbeatAndThenRuns(t *testing.T) {
	db := dbtest.SQLite(t)
	old := staleAfter
	staleAfter = 200 * time.Millisecond
	t.Cleanup(func() { staleAfter = old })
	req := oneRowRequest(t, db)
	im := New(db, DefaultLimits)
	im.slots = make(chan struct{}, 1)
	im.slots <- struct{}{}           // another import runs
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
	time.Sleep(3 * staleAfter)
	var waiting Batch
	if err := db.First(&waiting, b.ID).Error; err != nil {
		t.Fatal(err)
	}
	if waiting.Status != StatusRunning || !waiting.HeartbeatAt.After(*b.HeartbeatAt) || time.Since(*waiting.HeartbeatAt) > staleAfter {
		t.Fatalf("a waiting batch: status %s, heartbeat %v (started %v)", waiting.Status, waiting.HeartbeatAt, b.HeartbeatAt)
	}
	if n, err := RecoverAbandoned(system, db); err != nil || n != 0 {
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
	db := dbtest.SQLite(t)
	old := staleAfter
	staleAfter = 40 * time.Millisecond
	t.Cleanup(func() { staleAfter = old })
	im := New(db, DefaultLimits)
	im.slots = make(chan struct{}, 1)
	im.slots <- struct{}{}
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
	time.Sleep(5 * staleAfter)
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
