package database_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
)

var writeFixture = flag.Bool("write-fixture", false, "write testdata/vN.db for the current schema version N")

// TestWriteFixture writes the database an older build leaves behind, for
// TestDatabaseFromAnOlderBuildOpensWithNothingLost in later builds. Run it
// once when a migration is added: go test ./app/database -run TestWriteFixture -write-fixture
func TestWriteFixture(t *testing.T) {
	if !*writeFixture {
		t.Skip("writes a fixture only with -write-fixture")
	}
	v := database.LatestVersion()
	path := filepath.Join("testdata", "v"+string(rune('0'+v))+".db")
	_ = os.Remove(path)
	db, err := database.Open(context.Background(), path+"?_journal_mode=DELETE")
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	ctx := access.With(context.Background(), access.System("fixture"))
	err = db.Transaction(func(tx *gorm.DB) error {
		stmts := []string{
			`INSERT INTO suppliers (id, name, name_key, created_at, updated_at) VALUES (1, 'Fixture Devices Ltd', 'fixture devices ltd', '2026-11-24 12:00:00', '2026-11-24 12:00:00')`,
			`INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES (1, 'admin@fixture.test', 'Admin', 'admin', '$2a$10$abcdefghijklmnopqrstuuFgUQ9RrWkZx6Sj0U6yuD1b1V8b8a8a', '2026-11-24 12:00:00', '2026-11-24 12:00:00')`,
			`INSERT INTO products (id, supplier_id, sku, gtin, brand, model, match_key, category, markets, password_model, support_end, content_hash, created_at, updated_at) VALUES (1, 1, 'CAM-100', '04006381333931', 'Fixture', 'FX-CAM-1', 'fixturefxcam1', 'smart_camera', 'UK EU', 'unique_per_device', '2029-06-30', 'h', '2026-11-24 12:00:00', '2026-11-24 12:00:00')`,
			`INSERT INTO label_claims (product_id, scheme, label_id, label_key) VALUES (1, 'SG-CLS', 'CSA/300629/00042', 'csa/300629/00042')`,
		}
		for _, s := range stmts {
			if err := tx.Exec(s).Error; err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, "supplier.create", "supplier", 1, map[string]any{"name": "Fixture Devices Ltd"}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "user.create", "user", 1, map[string]any{"email": "admin@fixture.test"})
	})
	if err != nil {
		t.Fatal(err)
	}
}
