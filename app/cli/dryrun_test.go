package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cascade-gate/cascade/app/kernel/database"
)

func TestImportDryRunPrintsThePreviewAndStoresNothing(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "dry.db")
	run(t, dsn, "", "supplier", "add", "Acme")
	file := filepath.Join(dir, "products.csv")
	os.WriteFile(file, []byte("sku,gtin,brand,model,category,markets,password_model\n"+
		"A,4006381333931,Acme,M1,smart_plug,UK,universal_default\nB,4006381333932,Acme,M2,smart_plug,UK,\n"), 0o600)

	r := run(t, dsn, "", "import", "--supplier", "acme", "--dry-run", file)
	for _, want := range []string{"nothing stored", "would create 1, update 0, leave unchanged 0, reject 1", "row 3, gtin", "row 2 A UK retail: blocked", "UNIVERSAL_DEFAULT_PASSWORD"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("dry run output lacks %q: %+v", want, r)
		}
	}
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	var batches, products int64
	db.Table("import_batches").Count(&batches)
	db.Table("products").Count(&products)
	database.Close(db)
	if batches != 0 || products != 0 {
		t.Errorf("the dry run stored %d batches, %d products", batches, products)
	}
	if r := run(t, dsn, "", "import", "--supplier", "acme", "--dry-run", "--report", filepath.Join(dir, "f.xlsx"), file); r.code == 0 {
		t.Errorf("--dry-run with --report must be refused: %+v", r)
	}
	// The real import afterwards answers what the dry run said.
	if r := run(t, dsn, "", "import", "--supplier", "acme", file); r.code != 0 || !strings.Contains(r.stdout, "created 1, updated 0, unchanged 0, rejected 1") {
		t.Errorf("import: %+v", r)
	}
}
