package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

func multipartBody(t *testing.T, fields map[string]string, fileName, content string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", fileName)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

type importBody struct {
	Import struct {
		ID            int64  `json:"id"`
		SupplierID    int64  `json:"supplier_id"`
		FileName      string `json:"file_name"`
		Status        string `json:"status"`
		RowsProcessed int    `json:"rows_processed"`
		RowsCreated   int    `json:"rows_created"`
		RowsRejected  int    `json:"rows_rejected"`
	} `json:"import"`
}

func TestUploadRunsInTheBackgroundAndReportsProgressErrorsAndFixWorkbook(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		var csv strings.Builder
		csv.WriteString("sku,gtin,brand,model,category,markets\n")
		for i := range 2500 {
			fmt.Fprintf(&csv, "S-%d,%s,Acme,M,smart_plug,UK\n", i, gtin13(i))
		}
		csv.WriteString("BAD,123,Acme,M,toaster,UK\n")
		body, ct := multipartBody(t, map[string]string{"supplier_id": fmt.Sprint(w.supplierB.ID)}, `..\..\secret\products.csv`, csv.String())
		// A supplier user uploads for their own supplier, whatever supplier_id says.
		rec := w.request("supplier", "POST", "/api/v1/imports", body, "Content-Type", ct)
		if rec.Code != 202 || rec.Header().Get("Location") == "" {
			t.Fatalf("upload: %d %s", rec.Code, rec.Body.String())
		}
		var started importBody
		json.Unmarshal(rec.Body.Bytes(), &started)
		if started.Import.SupplierID != w.supplierA.ID || started.Import.FileName != "products.csv" {
			t.Fatalf("started %+v", started.Import)
		}
		var done importBody
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			rec := w.request("supplier", "GET", fmt.Sprintf("/api/v1/imports/%d", started.Import.ID), nil)
			json.Unmarshal(rec.Body.Bytes(), &done)
			if done.Import.Status != "running" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if done.Import.Status != "committed" || done.Import.RowsCreated != 2500 || done.Import.RowsRejected != 1 || done.Import.RowsProcessed != 2502 {
			t.Fatalf("finished %+v", done.Import)
		}
		rec = w.request("supplier", "GET", fmt.Sprintf("/api/v1/imports/%d/errors", started.Import.ID), nil)
		if !strings.Contains(rec.Body.String(), `"code":"INVALID_GTIN"`) || !strings.Contains(rec.Body.String(), `"code":"UNKNOWN_CATEGORY"`) || !strings.Contains(rec.Body.String(), `"row":2502`) {
			t.Fatalf("errors: %s", rec.Body.String())
		}
		rec = w.request("supplier", "GET", fmt.Sprintf("/api/v1/imports/%d/fix.xlsx", started.Import.ID), nil)
		f, err := excelize.OpenReader(rec.Body)
		if err != nil {
			t.Fatalf("fix workbook: %v", err)
		}
		rows, _ := f.GetRows("Products")
		f.Close()
		// The rejected row first, then the products this file stored that are blocked: the 2,500 imported
		// (the sheet gave no security fields), not the fixture's A-1, which another upload stored.
		if len(rows) != 2502 || rows[1][0] != "BAD" || !strings.Contains(rows[2][len(rows[0])-2], "PASSWORD_MODEL_UNKNOWN") {
			t.Fatalf("fix workbook has %d rows; first %v", len(rows), rows[:min(3, len(rows))])
		}
		// Supplier B's user cannot see supplier A's import.
		other := w.request("admin", "GET", fmt.Sprintf("/api/v1/imports/%d", started.Import.ID), nil)
		if other.Code != 200 {
			t.Fatalf("admin: %d", other.Code)
		}
	})
}

func TestUploadRefusals(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	cases := []struct {
		name, role string
		body       []byte
		headers    []string
		path       string
		status     int
		code       string
	}{
		{"admin without supplier", "admin", []byte("sku,gtin\n"), []string{"Content-Type", "text/csv"}, "/api/v1/imports", 400, "MISSING_SUPPLIER"},
		{"empty upload", "supplier", nil, []string{"Content-Type", "text/csv"}, "/api/v1/imports", 400, "EMPTY_FILE"},
		{"multipart without file", "supplier", []byte("--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nv\r\n--x--\r\n"), []string{"Content-Type", "multipart/form-data; boundary=x"}, "/api/v1/imports", 400, "MISSING_FILE"},
		{"old xls", "supplier", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), []string{"Content-Type", "application/vnd.ms-excel"}, "/api/v1/imports?wait=true", 400, "UNSUPPORTED_FILE"},
		{"unknown supplier", "admin", []byte("sku\n"), []string{"Content-Type", "text/csv"}, "/api/v1/imports?supplier_id=999", 404, "UNKNOWN_SUPPLIER"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != nil {
				body = c.body
			}
			rec := w.request(c.role, "POST", c.path, body, c.headers...)
			if rec.Code != c.status || errorCode(t, rec) != c.code {
				t.Fatalf("%d %s", rec.Code, rec.Body.String())
			}
		})
	}
}

func gtin13(i int) string {
	body := fmt.Sprintf("30%010d", i)
	sum := 0
	for j, c := range body {
		d := int(c - '0')
		if j%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return body + fmt.Sprint((10-sum%10)%10)
}
