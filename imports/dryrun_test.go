package imports_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// tableDigests is every table of db with its row count and a digest of all
// its rows: a dry run must leave every one of them as it found it (a count
// alone would not see an update).
func tableDigests(t *testing.T, db *gorm.DB) map[string]string {
	t.Helper()
	var tables []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if database.DialectOf(db) == database.Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	if err := db.Raw(q).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables found: %v", len(tables), tables)
	}
	out := map[string]string{}
	for _, table := range tables {
		rows, err := db.Raw(`SELECT * FROM "` + table + `"`).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%q", vals))
		}
		rows.Close()
		sort.Strings(lines)
		sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		out[table] = fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(sum[:8]))
	}
	return out
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "products.csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestADryRunAnswersWhatTheImportWouldAndStoresNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		e.im.OnCommit = verdicts.AfterImport
		e.mustImport(header +
			"CAM-1,4006381333931,Acme,AC-1,smart_camera,UK EU,unique_per_device,https://acme.example/s,2029-06-30,\n" +
			"PLG-2,5901234123457,Acme,AC-2,smart_plug,UK,unique_per_device,https://acme.example/s,2029-06-30,\n")
		// CAM-1 unchanged, PLG-2 changed (universal default password: blocked
		// in the UK), SPK-3 new, BAD-4 rejected while parsing, DUP-5 twice
		// (rejected at the commit's checks).
		next := writeFile(t, header+
			"CAM-1,4006381333931,Acme,AC-1,smart_camera,UK EU,unique_per_device,https://acme.example/s,2029-06-30,\n"+
			"PLG-2,5901234123457,Acme,AC-2,smart_plug,UK,universal_default,https://acme.example/s,2029-06-30,\n"+
			"SPK-3,0614141000036,Acme,AC-3,smart_speaker,UK,user_defined,https://acme.example/s,2030-01-31,\n"+
			"BAD-4,1234,Acme,AC-4,smart_plug,UK,,,,\n"+
			"DUP-5,0012345678905,Acme,AC-5,smart_plug,UK,,,,\n"+
			"DUP-5,0012345678905,Acme,AC-5,smart_plug,UK,,,,\n")
		before := tableDigests(t, db)
		var progressed bool
		dry, err := e.im.DryRun(admin, imports.Request{SupplierID: e.supplier.ID, FileName: "next.csv", Path: next,
			Progress: func(imports.Progress) { progressed = true }})
		if err != nil {
			t.Fatal(err)
		}
		after := tableDigests(t, db)
		for table, was := range before {
			if after[table] != was {
				t.Errorf("the dry run changed table %s: %s -> %s", table, was, after[table])
			}
		}
		if len(after) != len(before) {
			t.Errorf("tables %d -> %d", len(before), len(after))
		}
		if dry.Import.ID != 0 || dry.Import.Status != imports.StatusDryRun || !progressed {
			t.Errorf("batch id %d status %s, progress reported %v", dry.Import.ID, dry.Import.Status, progressed)
		}

		// The real import of the same file answers the same summary, and
		// stores the verdicts the dry run foresaw.
		real, err := e.importPath(next)
		if err != nil {
			t.Fatal(err)
		}
		if counts(dry.Import) != counts(real) || counts(real) != "created 1 updated 1 unchanged 1 rejected 3" {
			t.Fatalf("dry run %s, import %s", counts(dry.Import), counts(real))
		}
		stored, err := e.store.Errors(admin, real.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(stored) != fmt.Sprint(dry.Errors) {
			t.Errorf("row errors:\n dry run %v\n import  %v", dry.Errors, stored)
		}
		var want []string
		err = verdicts.New(db).List(admin, verdicts.Filter{SupplierID: e.supplier.ID}, func(r verdicts.Row) error {
			want = append(want, fmt.Sprintf("%s %s %s %s %v", r.SKU, r.Market, r.Channel, r.Verdict, r.Codes))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		blockedPLG := false
		for _, v := range dry.Verdicts {
			codes := make([]string, len(v.Reasons))
			for i, r := range v.Reasons {
				codes[i] = r.Code
			}
			got = append(got, fmt.Sprintf("%s %s %s %s %v", v.SKU, v.Market, v.Channel, v.Verdict, codes))
			if v.SKU == "PLG-2" && v.Row == 3 && v.Verdict == "blocked" && strings.Contains(fmt.Sprint(codes), "UNIVERSAL_DEFAULT_PASSWORD") {
				blockedPLG = true
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != 3*2+2 {
			t.Errorf("would-be verdicts:\n%s\nstored after the import:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if !blockedPLG {
			t.Errorf("PLG-2's universal default password is not foreseen as blocked: %v", got)
		}
	})
}

func TestADryRunOfAnUnreadableFileIsRefusedAndStoresNothing(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	e := newEnv(t, db)
	e.im.OnCommit = verdicts.AfterImport
	before := tableDigests(t, db)
	for name, content := range map[string]string{
		"no header": "just,some,words\n1,2,3\n",
		"missing":   "sku,gtin\nA,4006381333931\n",
	} {
		_, err := e.im.DryRun(admin, imports.Request{SupplierID: e.supplier.ID, FileName: "f.csv", Path: writeFile(t, content)})
		if errs.KindOf(err) != errs.Invalid {
			t.Errorf("%s: err = %v, want a clear invalid-file error", name, err)
		}
	}
	if after := tableDigests(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("tables changed:\n%v\n%v", before, after)
	}
}

func TestADryRunIsTheSupplierOwnLikeAnImport(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	e := newEnv(t, db)
	e.im.OnCommit = verdicts.AfterImport
	other, err := vendors.NewStore(db).Create(admin, "Other Ltd")
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, header+"CAM-1,4006381333931,Acme,AC-1,smart_camera,UK,,,,\n")
	asOther := access.With(admin, access.Principal{UserID: 9, Role: access.Supplier, SupplierID: other.ID})
	if _, err := e.im.DryRun(asOther, imports.Request{SupplierID: e.supplier.ID, Path: path}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("another supplier's dry run: %v", err)
	}
	asBuyer := access.With(admin, access.Principal{UserID: 9, Role: access.Buyer})
	if _, err := e.im.DryRun(asBuyer, imports.Request{SupplierID: e.supplier.ID, Path: path}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a buyer's dry run: %v", err)
	}
}

func TestADryRunWhileTheSuppliersImportRunsIsRefusedAsAnImportWouldBe(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		e.im.OnCommit = verdicts.AfterImport
		path := writeFile(t, header+"CAM-1,4006381333931,Acme,AC-1,smart_camera,UK,,,,\n")
		running, err := e.im.Start(admin, imports.Request{SupplierID: e.supplier.ID, FileName: "big.csv", Path: path})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.im.DryRun(admin, imports.Request{SupplierID: e.supplier.ID, FileName: "f.csv", Path: path}); !errors.Is(err, imports.ErrInProgress) {
			t.Errorf("dry run during an import: %v", err)
		}
		if _, err := e.im.Run(admin, running, imports.Request{SupplierID: e.supplier.ID, FileName: "big.csv", Path: path}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.im.DryRun(admin, imports.Request{SupplierID: e.supplier.ID, FileName: "f.csv", Path: path}); err != nil {
			t.Errorf("dry run after it: %v", err)
		}
	})
}
