package procurement_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/procurement"
	"github.com/cascade-gate/cascade/vendors"
)

var system = access.With(context.Background(), access.System("test"))

type world struct {
	t                 *testing.T
	db                *gorm.DB
	svc               *procurement.Service
	buyer, approver   context.Context
	approver2, rival  context.Context
	camera, speaker   string // GTINs
	approverPrincipal access.Principal
	orders            int // orders made so far, for unique references
}

func date(s string) civil.Date { d, _ := civil.Parse(s); return d }

// newWorld loads the sample registries and Acme's sample sheet, and a
// council with a buyer and two approvers, and a rival council's buyer.
func newWorld(t *testing.T, db *gorm.DB) *world {
	t.Helper()
	reg := registry.NewStore(db)
	for scheme, raw := range registry.Samples() {
		path := filepath.Join(t.TempDir(), scheme+".csv")
		os.WriteFile(path, raw, 0o600)
		entries, _ := registry.ReadFile(path, scheme, nil)
		if _, err := reg.Import(system, registry.NewSnapshot{Scheme: scheme, Source: "sample", Sample: true, Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	sup, _ := vendors.NewStore(db).Create(system, "Acme Connected Ltd")
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	if _, err := im.Import(system, imports.Request{SupplierID: sup.ID, FileName: "acme.csv", Path: filepath.Join("..", "app", "demo", "samples", "acme.csv")}); err != nil {
		t.Fatal(err)
	}
	people := auth.NewService(db)
	user := func(email string, role access.Role, org string) context.Context {
		u, err := people.CreateUser(system, auth.NewUser{Email: email, Role: role, Organisation: org, Password: "a long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		return access.With(context.Background(), u.Principal())
	}
	w := &world{t: t, db: db, svc: procurement.New(db), camera: "4006381333931", speaker: "9501101530003"}
	w.buyer = user("buyer@council.example", access.Buyer, "County Council")
	w.approver = user("approver@council.example", access.Approver, "County Council")
	w.approver2 = user("approver2@council.example", access.Approver, "County Council")
	w.rival = user("buyer@rival.example", access.Buyer, "Rival Council")
	w.approverPrincipal, _ = access.From(w.approver)
	return w
}

func (w *world) order(lines ...procurement.NewLine) procurement.Order {
	w.t.Helper()
	w.orders++
	o, err := w.svc.CreateOrder(w.buyer, procurement.NewOrder{Reference: fmt.Sprintf("PO-%s-%d", w.t.Name(), w.orders), Market: "UK"})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, l := range lines {
		if o, err = w.svc.AddLine(w.buyer, o.ID, o.Version, l); err != nil {
			w.t.Fatal(err)
		}
	}
	return o
}

func line(gtin, delivery string) procurement.NewLine {
	return procurement.NewLine{GTIN: gtin, Quantity: 10, UnitPrice: "79.99", Currency: "GBP", DeliveryDate: date(delivery)}
}

func blockedLines(t *testing.T, err error) map[int][]string {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Code != "ORDER_BLOCKED" {
		t.Fatalf("want ORDER_BLOCKED, got %v", err)
	}
	out := map[int][]string{}
	for _, l := range e.Details.(map[string]any)["blocked_lines"].([]procurement.LineCheck) {
		for _, r := range l.Reasons {
			if r.Fix == "" {
				t.Errorf("line %d: reason %s without a fix hint", l.LineNo, r.Code)
			}
		}
		out[l.LineNo] = l.Codes
	}
	return out
}

func TestAnInsecureProductOnlyGetsOnAnApprovedOrderThroughACoveringWaiver(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.order(line(w.camera, "2027-01-15"), line(w.speaker, "2027-01-15"))

		_, err := w.svc.Submit(w.buyer, o.ID, o.Version)
		got := blockedLines(t, err)
		if len(got) != 1 || strings.Join(got[2], " ") != "LABEL_REQUIRED SUPPORT_TOO_SHORT" {
			t.Fatalf("blocked lines %v", got)
		}
		o, _ = w.svc.Order(w.buyer, o.ID)
		if o.Status != procurement.Draft || o.Lines[1].GateVerdict != "blocked" || o.Lines[0].GateVerdict != "allowed" {
			t.Fatalf("after a refused submit: %s, lines %s/%s", o.Status, o.Lines[0].GateVerdict, o.Lines[1].GateVerdict)
		}

		// A waiver that covers only one of the two codes does not help.
		speaker := o.Lines[1].ProductID
		narrow, err := w.svc.RequestWaiver(w.buyer, procurement.NewWaiver{ProductID: speaker, Market: "UK", Codes: []string{"LABEL_REQUIRED"},
			Justification: "Replacement speakers for the council chamber PA; no labelled alternative fits.", ExpiresOn: date("2027-06-30")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.DecideWaiver(w.buyer, narrow.ID, true, "", civil.Date{}); errs.KindOf(err) != errs.Forbidden {
			t.Fatalf("a buyer approved a waiver: %v", err)
		}
		if _, err := w.svc.DecideWaiver(w.approver, narrow.ID, true, "ok", civil.Date{}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Submit(w.buyer, o.ID, o.Version); strings.Join(blockedLines(t, err)[2], " ") != "LABEL_REQUIRED SUPPORT_TOO_SHORT" {
			t.Fatal("a waiver for one code waived another")
		}

		// A waiver covering every blocking code lets the line through, marked waived.
		full, _ := w.svc.RequestWaiver(w.buyer, procurement.NewWaiver{ProductID: speaker, Market: "UK", Codes: []string{"label_required", "SUPPORT_TOO_SHORT"},
			Justification: "Replacement speakers for the council chamber PA; no labelled alternative fits.", ExpiresOn: date("2027-06-30")})
		if _, err := w.svc.DecideWaiver(w.approver, full.ID, true, "approved for this purchase only", date("2027-03-31")); err != nil {
			t.Fatal(err)
		}
		o, err = w.svc.Submit(w.buyer, o.ID, o.Version)
		if err != nil || o.Status != procurement.Submitted || o.Lines[1].GateVerdict != "waived" || *o.Lines[1].WaiverID != full.ID {
			t.Fatalf("submit with a covering waiver: %v %+v", err, o.Lines)
		}
		o, err = w.svc.Approve(w.approver, o.ID, o.Version, "fine")
		if err != nil || o.Status != procurement.Approved || o.DecidedBy == nil {
			t.Fatalf("approve: %v %+v", err, o)
		}
		var entries int64
		db.Table("audit_entries").Where("entity IN ('purchase_order', 'waiver')").Count(&entries)
		if entries < 8 {
			t.Fatalf("only %d audit entries for the order and waivers", entries)
		}
	})
}

func TestTheGateRunsAgainAtApproval(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.order(line(w.camera, "2027-01-15"))
		o, err := w.svc.Submit(w.buyer, o.ID, o.Version)
		if err != nil {
			t.Fatal(err)
		}
		// Between submission and approval, CSA revokes the camera's label.
		revoked := strings.Replace(string(registry.Samples()["SG-CLS"]), "2029-06-30,valid,AC-CAM-1S", "2029-06-30,revoked,AC-CAM-1S", 1)
		path := filepath.Join(t.TempDir(), "sg.csv")
		os.WriteFile(path, []byte(revoked), 0o600)
		entries, _ := registry.ReadFile(path, "SG-CLS", nil)
		if _, err := registry.NewStore(db).Import(system, registry.NewSnapshot{Scheme: "SG-CLS", Source: "sg.csv", Entries: entries}); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.Approve(w.approver, o.ID, o.Version, "")
		if got := blockedLines(t, err); !slices.Contains(got[1], "LABEL_REVOKED") {
			t.Fatalf("blocked %v", got)
		}
		o, _ = w.svc.Order(w.approver, o.ID)
		if o.Status != procurement.Submitted {
			t.Fatalf("an order with a blocked line became %s", o.Status)
		}
	})
}

func TestTheGateJudgesEachLineAtItsDeliveryDate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		// The camera's DE-BSI label expires 2027-10-01 and its SG-CLS label 2029; US-CTM never:
		// still fine in 2028. The speaker's support ends 2027-01-31.
		o := w.order(line(w.camera, "2028-01-15"), line(w.speaker, "2027-03-01"))
		checks, err := w.svc.Check(w.buyer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if checks[0].Verdict != "allowed" || !slices.Contains(checks[1].Codes, "SUPPORT_ENDED") {
			t.Fatalf("checks %+v", checks)
		}
	})
}

func TestOrdersAreOptimisticallyLockedAndScopedToTheOrganisation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.order(line(w.camera, "2027-01-15"))
		stale := o.Version
		if _, err := w.svc.AddLine(w.buyer, o.ID, stale, line(w.speaker, "2027-01-15")); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddLine(w.buyer, o.ID, stale, line(w.speaker, "2027-01-15")); errs.CodeOf(err) != "ORDER_CHANGED" {
			t.Fatalf("a stale edit was not refused: %v", err)
		}
		if _, err := w.svc.Order(w.rival, o.ID); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("another organisation read the order: %v", err)
		}
		if _, err := w.svc.AddLine(w.rival, o.ID, o.Version+1, line(w.camera, "2027-01-15")); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("another organisation edited the order: %v", err)
		}
		supplier := access.With(context.Background(), access.Principal{UserID: 99, Role: access.Supplier, SupplierID: 1})
		if _, err := w.svc.Orders(supplier); errs.KindOf(err) != errs.Forbidden {
			t.Fatalf("a supplier listed orders: %v", err)
		}
	})
}

func TestNobodyDecidesTheirOwnWaiverAndExpiredWaiversDoNotCount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.order(line(w.speaker, "2027-01-15"))
		wv, err := w.svc.RequestWaiver(w.buyer, procurement.NewWaiver{ProductID: o.Lines[0].ProductID, Market: "UK",
			Codes: []string{"LABEL_REQUIRED", "SUPPORT_TOO_SHORT"}, Justification: "Needed for an accessibility project this winter.", ExpiresOn: date("2027-06-30")})
		if err != nil {
			t.Fatal(err)
		}
		// Make the approver the requester, as a user holding both hats would be.
		db.Exec("UPDATE waivers SET requested_by = ? WHERE id = ?", w.approverPrincipal.UserID, wv.ID)
		if _, err := w.svc.DecideWaiver(w.approver, wv.ID, true, "", civil.Date{}); errs.CodeOf(err) != "OWN_WAIVER" {
			t.Fatalf("own waiver: %v", err)
		}
		if _, err := w.svc.DecideWaiver(w.approver2, wv.ID, true, "", civil.Date{}); err != nil {
			t.Fatal(err)
		}
		// The waiver expires before the delivery date: it does not cover the line.
		db.Exec("UPDATE waivers SET expires_on = '2027-01-10' WHERE id = ?", wv.ID)
		if _, err := w.svc.Submit(w.buyer, o.ID, o.Version); errs.CodeOf(err) != "ORDER_BLOCKED" {
			t.Fatalf("an expired waiver was used: %v", err)
		}
		if _, err := w.svc.RequestWaiver(w.buyer, procurement.NewWaiver{ProductID: o.Lines[0].ProductID, Market: "UK", Codes: []string{"X"}, Justification: "short", ExpiresOn: date("2027-06-30")}); errs.CodeOf(err) != "MISSING_JUSTIFICATION" {
			t.Fatalf("unjustified waiver: %v", err)
		}
	})
}
