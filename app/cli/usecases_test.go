package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// A registry snapshot stored while the recompute after it fails is a
// partial success, as on the API and the pages: the snapshot stays, the
// command names VERDICTS_NOT_RECOMPUTED and exits 3 (not 1, which means
// nothing was stored).
func TestRegistryImportWithoutRecomputeExitsThreeWithTheCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		if r := run(t, dsn, "", "evaluate"); r.code != 0 {
			t.Fatalf("evaluate: %+v", r)
		}
		if err := db.Exec("UPDATE policies SET document = '{' WHERE active = ?", true).Error; err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "ctm.csv")
		if err := os.WriteFile(path, []byte("label_id,brand,model,status\nCTM-1,Brand,M-1,valid\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, dsn, "", "registry", "import", "--scheme", "us-ctm", path)
		if r.code != 3 || !strings.Contains(r.stderr, "VERDICTS_NOT_RECOMPUTED") || !strings.Contains(r.stdout, "snapshot ") {
			t.Fatalf("registry import with a failing recompute: %+v", r)
		}
		var n int64
		db.Raw("SELECT COUNT(*) FROM registry_snapshots").Scan(&n)
		if n != 1 {
			t.Fatalf("%d snapshots stored, want 1", n)
		}
	})
}
