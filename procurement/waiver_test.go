package procurement_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/procurement"
)

func TestAWaiverNamesCodesOnlyWhenItListsEveryOne(t *testing.T) {
	w := procurement.Waiver{Codes: "LABEL_REQUIRED SUPPORT_TOO_SHORT"}
	for _, c := range []struct {
		codes []string
		want  bool
	}{
		{[]string{"LABEL_REQUIRED"}, true},
		{[]string{"SUPPORT_TOO_SHORT", "LABEL_REQUIRED"}, true},
		{[]string{"LABEL_REQUIRED", "PASSWORD_MODEL_UNKNOWN"}, false},
		{nil, true},
	} {
		if got := w.Names(c.codes); got != c.want {
			t.Errorf("Names(%v) = %v, want %v", c.codes, got, c.want)
		}
	}
}

func TestAnApproverMayShortenAWaiversExpiryButNeverExtendIt(t *testing.T) {
	today, requested := date("2027-01-10"), date("2027-06-30")
	cases := []struct {
		name     string
		proposed civil.Date
		want     bool
	}{
		{"no day keeps the requested one", civil.Date{}, true},
		{"the requested day", requested, true},
		{"a day earlier", date("2027-06-29"), true},
		{"today", today, true},
		{"a day later", date("2027-07-01"), false},
		{"yesterday", date("2027-01-09"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := procurement.ShortensExpiry(requested, c.proposed, today); got != c.want {
				t.Errorf("ShortensExpiry(%s, %s, %s) = %v, want %v", requested, c.proposed, today, got, c.want)
			}
		})
	}
}

// A refusal says why (the buyer reads it); an approval may shorten the
// expiry; what goes wrong names the field a form shows it next to; and a
// waiver names its product and people, not their ids.
func TestWaiverDecisionsNeedAReasonToRefuseAndNameThePeople(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.order(line(w.speaker, civil.Today().AddDays(30).String()))
		request := func() procurement.Waiver {
			t.Helper()
			wv, err := w.svc.RequestWaiver(w.buyer, procurement.NewWaiver{ProductID: o.Lines[0].ProductID, Market: "UK",
				Codes: []string{"LABEL_REQUIRED"}, Justification: "Needed for an accessibility project this winter.", ExpiresOn: civil.Today().AddDays(90)})
			if err != nil {
				t.Fatal(err)
			}
			return wv
		}
		wv := request()
		pending, err := w.svc.PendingWaivers(w.buyer, o)
		if err != nil || len(pending[o.Lines[0].ProductID]) != 1 || pending[o.Lines[0].ProductID][0].ID != wv.ID {
			t.Fatalf("the line's pending waiver: %v %+v", err, pending)
		}
		field := func(err error) string {
			e, _ := errs.As(err)
			f, _ := e.Details.([]errs.FieldError)
			if len(f) != 1 {
				return ""
			}
			return f[0].Field
		}
		refusals := []struct {
			name, note, code string
		}{
			{"no reason", "", "MISSING_REASON"},
			{"blank reason", "   ", "MISSING_REASON"},
			{"a reason too long", string(make([]byte, procurement.MaxNoteLength+1)), "NOTE_TOO_LONG"},
		}
		for _, c := range refusals {
			if _, err := w.svc.DecideWaiver(w.approver, wv.ID, false, c.note, civil.Date{}); errs.CodeOf(err) != c.code || field(err) != "note" {
				t.Errorf("%s: %v, want %s on the note", c.name, err, c.code)
			}
		}
		if _, err := w.svc.DecideWaiver(w.approver, wv.ID, true, "", civil.Today().AddDays(91)); errs.CodeOf(err) != "INVALID_EXPIRY" || field(err) != "expires_on" {
			t.Errorf("extended: %v", err)
		}
		shorter := civil.Today().AddDays(30)
		got, err := w.svc.DecideWaiver(w.approver, wv.ID, true, "for this project only", shorter)
		if err != nil || got.ExpiresOn != shorter || got.Status != procurement.WaiverApproved {
			t.Fatalf("shortened approval: %v %+v", err, got)
		}
		if got.RequesterName != "buyer@council.example" || got.DeciderName != "approver@council.example" || got.Product == "" || got.GTIN != "0"+w.speaker {
			t.Errorf("names: requester %q decider %q product %q gtin %q", got.RequesterName, got.DeciderName, got.Product, got.GTIN)
		}
		if pending, _ := w.svc.PendingWaivers(w.buyer, o); len(pending) != 0 {
			t.Errorf("a decided waiver is still pending: %+v", pending)
		}
		refused, err := w.svc.DecideWaiver(w.approver, request().ID, false, "  a labelled speaker is on the framework  ", civil.Date{})
		if err != nil || refused.Status != procurement.WaiverRefused || refused.DecisionNote != "a labelled speaker is on the framework" {
			t.Fatalf("refusal: %v %+v", err, refused)
		}
		_, err = w.svc.RequestWaiver(w.buyer, procurement.NewWaiver{ProductID: o.Lines[0].ProductID, Market: "UK", Codes: []string{"LABEL_REQUIRED"},
			Justification: "Needed for an accessibility project this winter.", ExpiresOn: civil.Today().AddDays(procurement.MaxWaiverDays + 1)})
		if errs.CodeOf(err) != "INVALID_EXPIRY" || field(err) != "expires_on" {
			t.Errorf("too long an expiry: %v", err)
		}
	})
}

// An approved waiver is for the product the buyer asked for and the
// approver read: when its supplier re-uses the SKU for another product
// (another GTIN, brand and model, the same blocking codes), the waiver
// neither lets that product through nor reads as if it had been approved
// for it (found by a hostile supplier's trial: the line was "waived").
func TestAnApprovedWaiverDoesNotFollowItsSKUToAnotherProduct(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.order(line(w.speaker, "2027-01-15"))
		speaker := o.Lines[0].ProductID
		waiver, err := w.svc.RequestWaiver(w.buyer, procurement.NewWaiver{ProductID: speaker, Market: "UK", Codes: []string{"LABEL_REQUIRED", "SUPPORT_TOO_SHORT"},
			Justification: "Replacement speakers for the council chamber PA; no labelled alternative fits.", ExpiresOn: date("2027-06-30")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.DecideWaiver(w.approver, waiver.ID, true, "approved for the chamber speakers", civil.Date{}); err != nil {
			t.Fatal(err)
		}
		if o, err = w.svc.Submit(w.buyer, o.ID, o.Version); err != nil || o.Lines[0].GateVerdict != "waived" {
			t.Fatalf("the speaker with its waiver: %v %+v", err, o.Lines)
		}

		// A second request, still undecided when the SKU is re-used.
		pending, err := w.svc.RequestWaiver(w.buyer, procurement.NewWaiver{ProductID: speaker, Market: "UK", Codes: []string{"LABEL_REQUIRED", "SUPPORT_TOO_SHORT"},
			Justification: "Spare speakers for the committee rooms; no labelled alternative fits.", ExpiresOn: date("2027-06-30")})
		if err != nil {
			t.Fatal(err)
		}

		// The supplier re-uses the speaker's SKU for a camera.
		var supplier int64
		db.Raw("SELECT id FROM suppliers WHERE name = 'Acme Connected Ltd'").Scan(&supplier)
		path := filepath.Join(t.TempDir(), "reused.csv")
		os.WriteFile(path, []byte("sku,gtin,brand,model,name,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,ce_marking,labels,price,currency\n"+
			"ACM-SPK-5,5901234123471,Otherbrand,OB-CAM-9,Other camera,smart_speaker,UK US,unique_per_device,https://acme.example/security,2027-01-31,included,yes,,59.00,GBP\n"), 0o600)
		im := imports.New(db, imports.DefaultLimits)
		im.OnCommit = verdicts.AfterImport
		if b, err := im.Import(system, imports.Request{SupplierID: supplier, FileName: "reused.csv", Path: path}); err != nil || b.RowsUpdated != 1 {
			t.Fatalf("re-using the SKU: %v %+v", err, b)
		}

		other := w.order(line("5901234123471", "2027-01-15"))
		if other.Lines[0].ProductID != speaker {
			t.Fatalf("the re-used SKU is product %d, not the speaker's %d: the test tests nothing", other.Lines[0].ProductID, speaker)
		}
		_, err = w.svc.Submit(w.buyer, other.ID, other.Version)
		if got := blockedLines(t, err); strings.Join(got[1], " ") != "LABEL_REQUIRED SUPPORT_TOO_SHORT" {
			t.Fatalf("the camera under the speaker's SKU: blocked lines %v (the waiver must not cover it)", got)
		}
		// The pending request was for the speaker: an approver cannot approve
		// it for what the SKU is now, and the camera's line does not show it.
		if _, err := w.svc.DecideWaiver(w.approver, pending.ID, true, "fine", civil.Date{}); errs.CodeOf(err) != "PRODUCT_CHANGED" {
			t.Errorf("approving a request for the speaker once its SKU is a camera: %v, want PRODUCT_CHANGED", err)
		}
		other, _ = w.svc.Order(w.buyer, other.ID)
		if shown, err := w.svc.PendingWaivers(w.buyer, other); err != nil || len(shown[speaker]) != 0 {
			t.Errorf("the camera's line shows the speaker's pending requests: %+v %v", shown, err)
		}
		if _, err := w.svc.DecideWaiver(w.approver, pending.ID, false, "the SKU is another product now", civil.Date{}); err != nil {
			t.Errorf("refusing it: %v", err)
		}
		read, err := w.svc.Waiver(w.approver, waiver.ID)
		if err != nil {
			t.Fatal(err)
		}
		if read.GTIN != "09501101530003" || !strings.Contains(read.Product, "AC-SPK-5") {
			t.Errorf("the waiver reads as approved for %q (%s), not the speaker it was approved for", read.Product, read.GTIN)
		}
	})
}
