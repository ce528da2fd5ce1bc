package web_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// TestUploadedFileNamesNeverPickWhereAFileGoes uploads files named with
// paths that climb out of a directory, through every way a name reaches the
// server: the multipart file name, ?file_name= on a raw body, and the
// supplier page's form. Each import works, the batch keeps the base name
// only, and nothing is written anywhere but the upload directory, which is
// empty again afterwards.
func TestUploadedFileNamesNeverPickWhereAFileGoes(t *testing.T) {
	names := []struct{ sent, stored string }{
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\x.csv`, "x.csv"},
		{"/etc/cron.d/evil.csv", "evil.csv"},
		{`C:\Windows\System32\drivers\etc\hosts`, "hosts"},
		{"../../", "upload"},
	}
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		// Uploads and import spools go to the OS temp dir: make it a directory
		// three levels down in one the test owns, so that a name climbing out
		// of it still lands where the test looks.
		root := t.TempDir()
		uploads := filepath.Join(root, "a", "b", "uploads")
		if err := os.MkdirAll(uploads, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv("TMPDIR", uploads)
		if os.TempDir() != uploads {
			t.Fatalf("the temp dir is %s, not %s", os.TempDir(), uploads)
		}
		cwd, _ := os.Getwd()
		cwdBefore := dirNames(t, cwd)

		i := 0
		sheet := func() string {
			i++
			return fmt.Sprintf("sku,gtin,brand,model,category,markets\nTRAVERSAL-%d,%s,Acme,M-%d,smart_plug,UK\n", i, gtin13(i), i)
		}
		for _, n := range names {
			body, ct := multipartBody(t, map[string]string{"supplier_id": fmt.Sprint(w.supplierA.ID)}, n.sent, sheet())
			rec := w.request("admin", "POST", "/api/v1/imports?wait=true", body, "Content-Type", ct)
			checkStored(t, w, rec, "multipart "+n.sent, n.stored)

			rec = w.request("admin", "POST", fmt.Sprintf("/api/v1/imports?wait=true&supplier_id=%d&file_name=%s", w.supplierA.ID, url.QueryEscape(n.sent)),
				[]byte(sheet()), "Content-Type", "text/csv")
			checkStored(t, w, rec, "file_name="+n.sent, n.stored)
		}

		// The supplier's page takes the same multipart form; its import runs in the background.
		b := w.browse("supplier")
		body, ct := multipartBody(t, nil, "../../etc/passwd", sheet())
		req := httptest.NewRequest("POST", "/supplier/upload?csrf="+url.QueryEscape(b.csrf), strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ct)
		req.AddCookie(b.cookie)
		rec := httptest.NewRecorder()
		w.srv.Handler().ServeHTTP(rec, req)
		var id int64
		if _, err := fmt.Sscanf(rec.Header().Get("Location"), "/supplier/imports/%d", &id); rec.Code != 303 || err != nil {
			t.Fatalf("page upload: %d %q %s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
		}
		var batch struct {
			FileName    string
			Status      string
			RowsCreated int
		}
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			db.Raw("SELECT file_name, status, rows_created FROM import_batches WHERE id = ?", id).Scan(&batch)
			if batch.Status != "running" {
				break
			}
		}
		if batch.FileName != "passwd" || batch.Status != "committed" || batch.RowsCreated != 1 {
			t.Fatalf("page upload batch %+v", batch)
		}
		var stored int64
		db.Raw("SELECT COUNT(*) FROM products WHERE sku LIKE 'TRAVERSAL-%'").Scan(&stored)
		if stored != int64(i) {
			t.Fatalf("%d of %d uploads stored their product", stored, i)
		}

		// Nothing outside the upload directory, and the uploads and spools are
		// gone once the import's goroutine has ended (the batch commits a moment
		// before the goroutine removes the upload, so allow it that moment).
		var written []string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			written = nil
			filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				rel, _ := filepath.Rel(root, path)
				if rel != "." && rel != "a" && rel != filepath.Join("a", "b") && rel != filepath.Join("a", "b", "uploads") {
					written = append(written, rel)
				}
				return err
			})
			if len(written) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(written) != 0 {
			t.Fatalf("files left in the temp tree: %v", written)
		}
		if after := dirNames(t, cwd); after != cwdBefore {
			t.Fatalf("the working directory changed:\n%s\nnow\n%s", cwdBefore, after)
		}
	})
}

// checkStored checks an upload answered 201 with a committed batch that
// created its product and stored the file name as want, and the database agrees.
func checkStored(t *testing.T, w *world, rec *httptest.ResponseRecorder, what, want string) {
	t.Helper()
	var got importBody
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &got) != nil {
		t.Fatalf("%s: %d %s", what, rec.Code, rec.Body.String())
	}
	if got.Import.FileName != want || got.Import.Status != "committed" || got.Import.RowsCreated != 1 {
		t.Errorf("%s: import %+v, want file name %q", what, got.Import, want)
	}
	var stored string
	w.db.Raw("SELECT file_name FROM import_batches WHERE id = ?", got.Import.ID).Scan(&stored)
	if stored != want {
		t.Errorf("%s: stored file name %q, want %q", what, stored, want)
	}
}

// dirNames lists a directory's names, one a line.
func dirNames(t *testing.T, dir string) string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return strings.Join(names, "\n")
}
