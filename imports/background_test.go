package imports_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/imports"
)

// A background import runs as its caller after the caller's request ends,
// removes its file when it is done (or at once when it cannot start), and
// Drain waits for it.
func TestBackgroundImportOutlivesItsRequestRemovesItsFileAndIsDrained(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		var mu sync.Mutex
		var failed []error
		bg := imports.NewBackground(e.im, func(_ imports.Batch, _ imports.Request, err error) {
			mu.Lock()
			failed = append(failed, err)
			mu.Unlock()
		})
		write := func(name, content string) string {
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}
		gone := func(path string) bool { _, err := os.Stat(path); return errors.Is(err, os.ErrNotExist) }

		// The request's context ends as soon as Start returns: the import goes on.
		ctx, cancel := context.WithCancel(access.With(context.Background(), access.Principal{Role: access.Supplier, SupplierID: e.supplier.ID}))
		path := write("ok.csv", header+"S-1,4006381333931,Acme,M-1,smart_plug,UK,,,,\n")
		b, err := bg.Start(ctx, imports.Request{SupplierID: e.supplier.ID, FileName: "ok.csv", Path: path})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		bg.Drain(context.Background())
		got, err := imports.NewStore(db).Batch(admin, b.ID)
		if err != nil || got.Status != imports.StatusCommitted || got.RowsCreated != 1 {
			t.Fatalf("batch after drain: %+v %v", got, err)
		}
		if !gone(path) {
			t.Fatal("the uploaded file was left behind after its import")
		}

		// Another supplier's file is refused before any goroutine starts, and removed.
		other := access.With(context.Background(), access.Principal{Role: access.Supplier, SupplierID: e.supplier.ID + 100})
		path = write("other.csv", header)
		if _, err := bg.Start(other, imports.Request{SupplierID: e.supplier.ID, FileName: "other.csv", Path: path}); errs.KindOf(err) != errs.Forbidden {
			t.Fatalf("start for another supplier: %v", err)
		}
		if !gone(path) {
			t.Fatal("a refused upload's file was left behind")
		}
		mu.Lock()
		defer mu.Unlock()
		if len(failed) != 0 {
			t.Fatalf("failures reported: %v", failed)
		}
	})
}

// Run checks its caller too: a started batch does not let another supplier,
// or a role that may not import, run it.
func TestRunRefusesCallersWhoMayNotImportTheBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		path := filepath.Join(t.TempDir(), "p.csv")
		if err := os.WriteFile(path, []byte(header+"S-1,4006381333931,Acme,M-1,smart_plug,UK,,,,\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		req := imports.Request{SupplierID: e.supplier.ID, FileName: "p.csv", Path: path}
		b, err := e.im.Start(admin, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			ctx  context.Context
			want errs.Kind
		}{
			{"anonymous", context.Background(), errs.Unauthenticated},
			{"another supplier", access.With(context.Background(), access.Principal{Role: access.Supplier, SupplierID: e.supplier.ID + 1}), errs.Forbidden},
			{"a category manager", access.With(context.Background(), access.Principal{Role: access.CategoryManager}), errs.Forbidden},
			{"a buyer", access.With(context.Background(), access.Principal{Role: access.Buyer, Organisation: "C"}), errs.Forbidden},
		} {
			if _, err := e.im.Run(c.ctx, b, req); errs.KindOf(err) != c.want {
				t.Errorf("Run as %s: %v, want %v", c.name, err, c.want)
			}
		}
		own := access.With(context.Background(), access.Principal{Role: access.Supplier, SupplierID: e.supplier.ID})
		if got, err := e.im.Run(own, b, req); err != nil || got.Status != imports.StatusCommitted {
			t.Fatalf("Run as the batch's supplier: %+v %v", got, err)
		}
	})
}
