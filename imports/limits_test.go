package imports_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/imports"
)

func TestUnknownColumnsAreBoundedPerFileAndPerRow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		// Too many unknown columns: the file is refused whole, nothing stored.
		var many strings.Builder
		many.WriteString(strings.TrimSuffix(header, "\n"))
		for i := range imports.MaxExtraColumns + 1 {
			fmt.Fprintf(&many, ",x%d", i)
		}
		many.WriteString("\nA,4006381333931,Acme,M1,smart_plug,UK,,,,\n")
		b, err := e.importCSV(many.String())
		if e, ok := errs.As(err); !ok || e.Code != "TOO_MANY_COLUMNS" {
			t.Fatalf("%d unknown columns: %v (%s)", imports.MaxExtraColumns+1, err, counts(b))
		}
		// Unknown columns holding too much on one row: that row is rejected, the others stored.
		cell := strings.Repeat("v", 1000)
		row := func(sku, gtin string, n int) string {
			return sku + "," + gtin + ",Acme,M1,smart_plug,UK,,,," + strings.Repeat(","+cell, n) + "\n"
		}
		hdr := strings.TrimSuffix(header, "\n") + ",c1,c2,c3,c4,c5,c6,c7,c8,c9,c10\n"
		b = e.mustImport(hdr + row("SMALL", "4006381333931", 2) + row("LARGE", "5901234123457", 10))
		if b.RowsCreated != 1 || b.RowsRejected != 1 {
			t.Fatalf("%s", counts(b))
		}
		if codes := e.errorCodes(b.ID); strings.Join(codes["LARGE"], " ") != "VALUE_TOO_LONG" {
			t.Fatalf("errors %v", codes)
		}
		if x := e.products()["SMALL"].Extra; len(x) < 2000 || len(x) > imports.MaxExtraBytes {
			t.Fatalf("the small row's extra: %d bytes", len(x))
		}
	})
}

func TestAWorkbookOfThousandsOfUnknownColumnsIsRefusedWhole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		path := zipWith(t, func(w *bytes.Buffer) {
			w.WriteString(`<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`)
			for i, h := range strings.Split(strings.TrimSpace(header), ",") {
				fmt.Fprintf(w, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, col(i)+"1", h)
			}
			for i := 10; i < 4000; i++ {
				fmt.Fprintf(w, `<c r="%s" t="inlineStr"><is><t>x%d</t></is></c>`, col(i)+"1", i)
			}
			w.WriteString(`</row></sheetData></worksheet>`)
		})
		_, err := e.importPath(path)
		if e, ok := errs.As(err); !ok || e.Code != "TOO_MANY_COLUMNS" {
			t.Fatalf("err %v", err)
		}
		if n := len(e.products()); n != 0 {
			t.Fatalf("%d products stored", n)
		}
	})
}

// col is the spreadsheet name of column i (0 = A).
func col(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}
