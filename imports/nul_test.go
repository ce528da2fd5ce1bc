package imports_test

import (
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// TestANULByteAfterTheFirst8KBIsARowError: PostgreSQL refuses a NUL in
// text, so one NUL in one cell used to fail the whole import there (while
// SQLite stored it). Past the first 8 KB, where sniffing refuses a
// binary-looking file whole, it rejects its row (INVALID_CHARACTER, with a
// fix hint) and only that row, on both databases; nothing stored or
// reported holds the NUL.
func TestANULByteAfterTheFirst8KBIsARowError(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("sku,gtin,brand,model,category,markets,colour\n")
	for i := range 200 { // about 10 KB
		fmt.Fprintf(&sb, "OK-%d,%s,Acme,Model %d,smart_plug,UK,white\n", i, gtinFor(i), i)
	}
	sb.WriteString("NUL-MODEL,4006381333931,Acme,M\x001,smart_plug,UK,white\n")
	sb.WriteString("NUL-EXTRA,5901234123457,Acme,M2,smart_plug,UK,wh\x00ite\n")
	sb.WriteString("NUL\x00SKU,9501101530003,Acme,M3,smart_plug,UK,white\n")
	if strings.IndexByte(sb.String(), 0) < 8192 {
		t.Fatal("the first NUL must come after the sniffed 8 KB")
	}
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		b := e.mustImport(sb.String())
		if b.RowsCreated != 200 || b.RowsRejected != 3 {
			t.Fatalf("%s", counts(b))
		}
		list, err := e.store.Errors(admin, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"model": "M␀1", "colour": "wh␀ite", "sku": "NUL␀SKU"}
		if len(list) != 3 {
			t.Fatalf("errors %+v", list)
		}
		for _, r := range list {
			if r.Code != "INVALID_CHARACTER" || want[r.Column] != r.Value || r.Hint == "" || strings.ContainsRune(r.SKU+r.Value+r.Message, 0) {
				t.Errorf("row error %+v", r)
			}
		}
		var stored int64
		db.Raw("SELECT COUNT(*) FROM import_row_errors WHERE row_data LIKE ?", "%␀%").Scan(&stored)
		if stored != 3 {
			t.Errorf("%d rows as written show the NUL as ␀, want 3", stored)
		}
	})
}
