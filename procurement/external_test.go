package procurement_test

import (
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/procurement"
)

// An e-procurement system asks the gate about an order it has not issued
// yet: each line gets its decision with reasons, a covering waiver of the
// caller's own organisation counts, and nothing is stored but the audit entry.
func TestAnOrderRaisedElsewhereGetsEachLinesDecisionAndNothingIsStored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		external := procurement.ExternalOrder{Market: "uk", Lines: []procurement.NewLine{
			{GTIN: w.camera, Quantity: 3, DeliveryDate: date("2027-01-15")},
			{GTIN: w.speaker, Quantity: 5, DeliveryDate: date("2027-01-15")},
			{GTIN: "5012345678900", Quantity: 1, DeliveryDate: date("2027-01-15")}, // nobody lists it
		}}
		orders, audits := count(t, db, "purchase_orders"), count(t, db, "audit_entries")
		got, err := w.svc.CheckExternal(w.buyer, external)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ decision, code string }{{"allowed", ""}, {"blocked", "LABEL_REQUIRED"}, {"blocked", "UNKNOWN_PRODUCT"}}
		for i, d := range got {
			if d.Line != i+1 || d.Decision != want[i].decision || (want[i].code != "" && !hasReason(d, want[i].code)) {
				t.Fatalf("line %d: %+v", i+1, d)
			}
			for _, r := range d.Reasons {
				if r.Severity == "block" && r.Fix == "" {
					t.Errorf("line %d: %s has no fix", i+1, r.Code)
				}
			}
		}
		if count(t, db, "purchase_orders") != orders || count(t, db, "audit_entries") != audits+1 {
			t.Fatalf("a check stored more than its audit entry")
		}

		// A waiver of the buyer's organisation covering the speaker's codes waives it; another council's buyer gets no such waiver.
		var speaker int64
		db.Raw("SELECT id FROM products WHERE gtin = ?", "0"+w.speaker).Scan(&speaker)
		wv, err := w.svc.RequestWaiver(w.buyer, procurement.NewWaiver{ProductID: speaker, Market: "UK", Codes: []string{"LABEL_REQUIRED", "SUPPORT_TOO_SHORT"},
			Justification: "Replacement speakers for the council chamber PA; no labelled alternative fits.", ExpiresOn: date("2027-06-30")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.DecideWaiver(w.approver, wv.ID, true, "ok", civil.Date{}); err != nil {
			t.Fatal(err)
		}
		got, _ = w.svc.CheckExternal(w.buyer, external)
		if got[1].Decision != "waived" || got[1].WaiverID == nil || *got[1].WaiverID != wv.ID {
			t.Fatalf("with the waiver: %+v", got[1])
		}
		if rival, _ := w.svc.CheckExternal(w.rival, external); rival[1].Decision != "blocked" {
			t.Fatalf("another council used the waiver: %+v", rival[1])
		}
	})
}

func TestAnExternalOrderIsCheckedOnlyWhenWellFormedAndByBuyers(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	ok := procurement.NewLine{GTIN: w.camera, Quantity: 1, DeliveryDate: date("2027-01-15")}
	for _, c := range []struct {
		name  string
		ctx   bool // as the buyer
		order procurement.ExternalOrder
		code  string
	}{
		{"unknown market", true, procurement.ExternalOrder{Market: "XX", Lines: []procurement.NewLine{ok}}, "UNKNOWN_MARKET"},
		{"no lines", true, procurement.ExternalOrder{Market: "UK"}, "EMPTY_ORDER"},
		{"no quantity", true, procurement.ExternalOrder{Market: "UK", Lines: []procurement.NewLine{ok, {GTIN: w.camera, DeliveryDate: date("2027-01-15")}}}, "INVALID_QUANTITY"},
		{"no delivery date", true, procurement.ExternalOrder{Market: "UK", Lines: []procurement.NewLine{{GTIN: w.camera, Quantity: 1}}}, "MISSING_DELIVERY_DATE"},
		{"a supplier asks", false, procurement.ExternalOrder{Market: "UK", Lines: []procurement.NewLine{ok}}, "FORBIDDEN"},
	} {
		ctx := w.buyer
		if !c.ctx {
			ctx = access.With(ctx, access.Principal{Email: "s@x.example", Role: access.Supplier, SupplierID: 1})
		}
		_, err := w.svc.CheckExternal(ctx, c.order)
		if errs.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func hasReason(d procurement.LineDecision, code string) bool {
	for _, r := range d.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

func count(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
