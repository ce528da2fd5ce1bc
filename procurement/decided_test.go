package procurement_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/procurement"
	"github.com/cascade-gate/cascade/vendors"
)

// approvedOrder is an approved UK order for the camera (allowed) and the
// speaker (blocked, let through by a covering waiver).
func (w *world) approvedOrder() procurement.Order {
	w.t.Helper()
	o := w.order(line(w.camera, "2027-01-15"), line(w.speaker, "2027-01-15"))
	wv, err := w.svc.RequestWaiver(w.buyer, procurement.NewWaiver{ProductID: o.Lines[1].ProductID, Market: "UK", Codes: []string{"LABEL_REQUIRED", "SUPPORT_TOO_SHORT"},
		Justification: "Replacement speakers for the council chamber PA; no labelled alternative fits.", ExpiresOn: date("2027-06-30")})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.svc.DecideWaiver(w.approver, wv.ID, true, "for this purchase only", civil.Date{}); err != nil {
		w.t.Fatal(err)
	}
	if o, err = w.svc.Submit(w.buyer, o.ID, o.Version); err != nil {
		w.t.Fatal(err)
	}
	if o, err = w.svc.Approve(w.approver, o.ID, o.Version, "fine"); err != nil || o.Status != procurement.Approved {
		w.t.Fatalf("approve: %v %s", err, o.Status)
	}
	return o
}

// revokeCameraLabel imports an SG-CLS snapshot in which CSA revoked the
// camera's label: the gate now blocks the camera.
func (w *world) revokeCameraLabel() {
	w.t.Helper()
	revoked := strings.Replace(string(registry.Samples()["SG-CLS"]), "2029-06-30,valid,AC-CAM-1S", "2029-06-30,revoked,AC-CAM-1S", 1)
	path := filepath.Join(w.t.TempDir(), "sg-revoked.csv")
	if err := os.WriteFile(path, []byte(revoked), 0o600); err != nil {
		w.t.Fatal(err)
	}
	entries, err := registry.ReadFile(path, "SG-CLS", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := registry.NewStore(w.db).Import(system, registry.NewSnapshot{Scheme: "SG-CLS", Source: "sg-revoked.csv", Entries: entries}); err != nil {
		w.t.Fatal(err)
	}
}

// reuploadCamera has Acme re-upload the camera as another brand and model,
// with another support end.
func (w *world) reuploadCamera() {
	w.t.Helper()
	sup, err := vendors.NewStore(w.db).ByName(system, "Acme Connected Ltd")
	if err != nil {
		w.t.Fatal(err)
	}
	path := filepath.Join(w.t.TempDir(), "acme-again.csv")
	sheet := "sku,gtin,brand,model,name,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,ce_marking\n" +
		"ACM-CAM-1,4006381333931,Other Brand,OB-9,Renamed camera,smart_camera,UK,universal_default,,2026-12-31,,no\n"
	if err := os.WriteFile(path, []byte(sheet), 0o600); err != nil {
		w.t.Fatal(err)
	}
	im := imports.New(w.db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	if b, err := im.Import(system, imports.Request{SupplierID: sup.ID, FileName: "acme-again.csv", Path: path}); err != nil || b.RowsUpdated != 1 {
		w.t.Fatalf("re-upload: %v %+v", err, b)
	}
}

// orderRows is every column of the order and of its lines, as stored.
func orderRows(t *testing.T, db *gorm.DB, id int64) []map[string]any {
	t.Helper()
	var order, lines []map[string]any
	if err := db.Table("purchase_orders").Where("id = ?", id).Find(&order).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Table("purchase_order_lines").Where("order_id = ?", id).Order("line_no").Find(&lines).Error; err != nil {
		t.Fatal(err)
	}
	if len(order) != 1 || len(lines) == 0 {
		t.Fatalf("order %d: %d rows, %d lines", id, len(order), len(lines))
	}
	return append(order, lines...)
}

func auditLength(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Table("audit_entries").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestADecidedOrderIsNeverRewritten tries every transition on an approved
// order whose lines the gate would now block, with its version and with a
// stale one: each is refused with the state or version error, and not one
// column of the order or its lines, nor the audit log, changes.
func TestADecidedOrderIsNeverRewritten(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.approvedOrder()
		w.revokeCameraLabel()
		w.reuploadCamera()
		stale := o.Version - 1
		cases := []struct {
			name string
			do   func() error
			code string
		}{
			{"submit", func() error { _, err := w.svc.Submit(w.buyer, o.ID, o.Version); return err }, "ORDER_NOT_DRAFT"},
			{"submit, stale version", func() error { _, err := w.svc.Submit(w.buyer, o.ID, stale); return err }, "ORDER_CHANGED"},
			{"approve", func() error { _, err := w.svc.Approve(w.approver2, o.ID, o.Version, "again"); return err }, "ORDER_NOT_SUBMITTED"},
			{"approve, stale version", func() error { _, err := w.svc.Approve(w.approver2, o.ID, stale, "again"); return err }, "ORDER_CHANGED"},
			{"reject", func() error { _, err := w.svc.Reject(w.approver2, o.ID, o.Version, "no"); return err }, "ORDER_NOT_SUBMITTED"},
			{"reject, stale version", func() error { _, err := w.svc.Reject(w.approver2, o.ID, stale, "no"); return err }, "ORDER_CHANGED"},
			{"cancel", func() error { _, err := w.svc.Cancel(w.buyer, o.ID, o.Version); return err }, "ORDER_NOT_DRAFT"},
			{"add a line", func() error {
				_, err := w.svc.AddLine(w.buyer, o.ID, o.Version, line(w.camera, "2027-02-01"))
				return err
			}, "ORDER_NOT_DRAFT"},
			{"remove a line", func() error { _, err := w.svc.RemoveLine(w.buyer, o.ID, o.Version, 1); return err }, "ORDER_NOT_DRAFT"},
			{"check", func() error { _, err := w.svc.Check(w.buyer, o.ID); return err }, ""},
		}
		for _, c := range cases {
			before, entries := orderRows(t, db, o.ID), auditLength(t, db)
			err := c.do()
			if c.code == "" && err != nil || c.code != "" && errs.CodeOf(err) != c.code {
				t.Errorf("%s: got %v, want %s", c.name, err, c.code)
			}
			if after := orderRows(t, db, o.ID); !reflect.DeepEqual(before, after) {
				t.Errorf("%s changed the approved order:\nbefore %v\nafter  %v", c.name, before, after)
			}
			if n := auditLength(t, db); n != entries {
				t.Errorf("%s: audit log went from %d to %d entries", c.name, entries, n)
			}
		}
	})
}

// TestAStaleSubmitWritesNothing: a submit with a stale version on a draft
// whose line is blocked is refused for the version before the gate's
// decisions are stored.
func TestAStaleSubmitWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.order(line(w.speaker, "2027-01-15"))
		before := orderRows(t, db, o.ID)
		if _, err := w.svc.Submit(w.buyer, o.ID, o.Version+1); errs.CodeOf(err) != "ORDER_CHANGED" {
			t.Fatalf("stale submit: %v", err)
		}
		if after := orderRows(t, db, o.ID); !reflect.DeepEqual(before, after) {
			t.Fatalf("a stale submit wrote:\nbefore %v\nafter  %v", before, after)
		}
		// With its version, the refused submit stores the blocked decision (shown inline) and says so in the audit log.
		entries := auditLength(t, db)
		if _, err := w.svc.Submit(w.buyer, o.ID, o.Version); errs.CodeOf(err) != "ORDER_BLOCKED" {
			t.Fatalf("submit: %v", err)
		}
		o, _ = w.svc.Order(w.buyer, o.ID)
		if o.Status != procurement.Draft || o.Lines[0].GateVerdict != procurement.LineBlocked || auditLength(t, db) != entries+1 {
			t.Fatalf("after a blocked submit: %s %s, audit %d -> %d", o.Status, o.Lines[0].GateVerdict, entries, auditLength(t, db))
		}
	})
}

// TestAnApprovedOrdersEvidenceIsWhatWasTrueAtApproval approves an order,
// then the supplier re-uploads the product as another brand and model with
// another support end and the registry revokes its label: the evidence pack
// is byte for byte what it was, and the order shows the product as approved.
func TestAnApprovedOrdersEvidenceIsWhatWasTrueAtApproval(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.approvedOrder()
		pack := func() []byte {
			t.Helper()
			ev, err := w.svc.EvidencePack(w.approver, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		before := pack()
		for _, want := range []string{`"brand":"Acme"`, `"model":"AC-CAM-1"`, `"support_end":"2030-06-30"`, `"snapshot_sha256":"`, `"justification":"Replacement speakers`} {
			if !strings.Contains(string(before), want) {
				t.Fatalf("the evidence pack lacks %s: %s", want, before)
			}
		}
		w.reuploadCamera()
		w.revokeCameraLabel()
		if after := pack(); string(after) != string(before) {
			t.Fatalf("the evidence pack changed after approval:\nbefore %s\nafter  %s", before, after)
		}
		got, err := w.svc.Order(w.buyer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p := got.Lines[0].Product; p == nil || p.Brand != "Acme" || p.Model != "AC-CAM-1" || p.SupportEnd.String() != "2030-06-30" {
			t.Fatalf("the approved order shows the product as it is now: %+v", p)
		}
	})
}

// TestTheDatabaseRefusesToChangeADecidedOrder runs raw SQL against an
// approved and a rejected order: updating or deleting a line, adding one,
// or changing the order fails; the same statements on a draft work.
func TestTheDatabaseRefusesToChangeADecidedOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		approved := w.approvedOrder()
		rejected := w.order(line(w.camera, "2027-01-15"))
		var err error
		if rejected, err = w.svc.Submit(w.buyer, rejected.ID, rejected.Version); err != nil {
			t.Fatal(err)
		}
		if rejected, err = w.svc.Reject(w.approver, rejected.ID, rejected.Version, "not this year"); err != nil {
			t.Fatal(err)
		}
		statements := []string{
			"UPDATE purchase_order_lines SET gate_verdict = 'allowed', gate_reasons = '[]', waiver_id = NULL WHERE order_id = %d",
			"UPDATE purchase_order_lines SET quantity = 999 WHERE order_id = %d",
			"DELETE FROM purchase_order_lines WHERE order_id = %d",
			"INSERT INTO purchase_order_lines (order_id, line_no, product_id, quantity, delivery_date) SELECT %d, 99, product_id, 1, '2027-01-15' FROM purchase_order_lines WHERE line_no = 1 LIMIT 1",
			"UPDATE purchase_orders SET status = 'draft' WHERE id = %d",
			"UPDATE purchase_orders SET decision_note = 'rewritten' WHERE id = %d",
			"DELETE FROM purchase_orders WHERE id = %d",
		}
		for _, o := range []procurement.Order{approved, rejected} {
			before := orderRows(t, db, o.ID)
			for _, stmt := range statements {
				sql := fmt.Sprintf(stmt, o.ID)
				if err := db.Exec(sql).Error; err == nil {
					t.Errorf("%s order: the database accepted %s", o.Status, sql)
				}
			}
			if after := orderRows(t, db, o.ID); !reflect.DeepEqual(before, after) {
				t.Errorf("the %s order changed:\nbefore %v\nafter  %v", o.Status, before, after)
			}
		}
		// The triggers stop decided orders only: a draft's line can be changed.
		draft := w.order(line(w.camera, "2027-01-15"))
		if err := db.Exec("UPDATE purchase_order_lines SET quantity = 3 WHERE order_id = ?", draft.ID).Error; err != nil {
			t.Fatalf("a draft's line: %v", err)
		}
	})
}
