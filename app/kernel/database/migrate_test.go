package database_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

func TestOpenMigratesAnEmptyDatabaseToTheLatestVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		v, err := database.Version(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if v != database.LatestVersion() {
			t.Fatalf("version = %d, want %d", v, database.LatestVersion())
		}
		for _, table := range []string{"suppliers", "users", "api_tokens", "sessions", "products", "label_claims",
			"schemes", "registry_sources", "registry_snapshots", "registry_entries", "policies", "verdicts",
			"verdict_changes", "import_batches", "import_row_errors", "purchase_orders", "purchase_order_lines",
			"waivers", "audit_entries", "audit_head"} {
			if !db.Migrator().HasTable(table) {
				t.Errorf("table %s missing", table)
			}
		}
		if err := database.Ping(context.Background(), db); err != nil {
			t.Fatalf("ping: %v", err)
		}
	})
}

func TestReopeningAMigratedDatabaseChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		db2, err := database.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer database.Close(db2)
		var n int64
		db2.Table("schema_migrations").Count(&n)
		if int(n) != database.LatestVersion() {
			t.Fatalf("schema_migrations has %d rows, want %d", n, database.LatestVersion())
		}
	})
}

// Every intermediate schema version, holding data, migrates forward without
// losing that data: what an upgrade from any older build does.
func TestUpgradeFromEveryOlderVersionKeepsData(t *testing.T) {
	for from := 1; from < database.LatestVersion(); from++ {
		t.Run("from "+string(rune('0'+from)), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := database.Connect(path)
			if err != nil {
				t.Fatal(err)
			}
			defer database.Close(db)
			ctx := context.Background()
			if err := database.Migrate(ctx, db, from); err != nil {
				t.Fatal(err)
			}
			if v, _ := database.Version(ctx, db); v != from {
				t.Fatalf("at version %d, want %d", v, from)
			}
			if err := db.Exec("INSERT INTO suppliers (name, name_key, created_at, updated_at) VALUES ('Old Co', 'old co', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)").Error; err != nil {
				t.Fatal(err)
			}
			if err := database.Migrate(ctx, db, 0); err != nil {
				t.Fatal(err)
			}
			var name string
			db.Raw("SELECT name FROM suppliers").Scan(&name)
			if name != "Old Co" {
				t.Fatalf("supplier lost in upgrade: %q", name)
			}
		})
	}
}

// testdata/v4.db was written by the build that introduced schema version 4,
// with a supplier, an admin, a product and audit entries in it. Later builds
// must open it with everything kept and the audit chain intact.
func TestDatabaseFromAnOlderBuildOpensWithNothingLost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v4.db")
	copyFile(t, filepath.Join("testdata", "v4.db"), path)
	db, err := database.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	counts := map[string]int64{"suppliers": 1, "users": 1, "products": 1, "label_claims": 1}
	for table, want := range counts {
		var n int64
		db.Table(table).Count(&n)
		if n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
	var sku string
	db.Raw("SELECT sku FROM products").Scan(&sku)
	if sku != "CAM-100" {
		t.Errorf("product sku = %q", sku)
	}
	var entries int64
	db.Table("audit_entries").Count(&entries)
	if entries < 2 {
		t.Errorf("audit entries = %d, want the fixture's", entries)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMigratingTogetherOnEmptySchemasNeverFails migrates each of 12 empty
// PostgreSQL schemas from two connection pools at once, as two replicas
// starting together do: every migration succeeds and each schema ends at the
// latest version. Creating schema_migrations before taking the migration
// lock failed one of a pair now and then (SQLSTATE 23505 or 42710).
func TestMigratingTogetherOnEmptySchemasNeverFails(t *testing.T) {
	const schemas = 12
	dsns := dbtest.PostgresDSNs(t, schemas)
	errc := make(chan error, 2*schemas)
	start := make(chan struct{})
	for i := range 2 * schemas {
		db, err := database.Connect(dsns[i/2])
		if err != nil {
			t.Fatal(err)
		}
		defer database.Close(db)
		go func() {
			<-start
			errc <- database.Migrate(context.Background(), db, 0)
		}()
	}
	close(start)
	for range 2 * schemas {
		if err := <-errc; err != nil {
			t.Errorf("a migration started together with another failed: %v", err)
		}
	}
	for _, dsn := range dsns {
		db, err := database.Connect(dsn)
		if err != nil {
			t.Fatal(err)
		}
		v, err := database.Version(context.Background(), db)
		database.Close(db)
		if err != nil || v != database.LatestVersion() {
			t.Errorf("schema at version %d (%v), want %d", v, err, database.LatestVersion())
		}
	}
}

// A database that cannot be asked is unavailable, not empty: readiness
// read a PostgreSQL shutting down as "schema at version 0" (the existence
// check swallowed its error) and said SCHEMA_OUTDATED instead of DB_UNAVAILABLE.
func TestAnUnreachableDatabaseHasNoVersionRatherThanVersionZero(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		sqlDB.Close()
		if v, err := database.Version(context.Background(), db); err == nil {
			t.Fatalf("Version of a closed database = %d, nil; want an error", v)
		}
		err = database.Ping(context.Background(), db)
		if e, ok := errs.As(err); !ok || e.Code != "DB_UNAVAILABLE" {
			t.Fatalf("Ping of a closed database = %v, want DB_UNAVAILABLE", err)
		}
	})
}
