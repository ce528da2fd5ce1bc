package procurement_test

import (
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// TestAChangeWithoutAVersionIsRefusedAsVersionRequired: an integrator who
// leaves out the version is told to send it, not that someone else changed
// the order (which nobody did), and nothing is written.
func TestAChangeWithoutAVersionIsRefusedAsVersionRequired(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		draft := w.order(line(w.camera, "2027-01-15"))
		submitted := w.order(line(w.camera, "2027-01-15"))
		submitted, err := w.svc.Submit(w.buyer, submitted.ID, submitted.Version)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			do   func() error
		}{
			{"add a line", func() error { _, err := w.svc.AddLine(w.buyer, draft.ID, 0, line(w.camera, "2027-02-01")); return err }},
			{"remove a line", func() error { _, err := w.svc.RemoveLine(w.buyer, draft.ID, 0, 1); return err }},
			{"submit", func() error { _, err := w.svc.Submit(w.buyer, draft.ID, 0); return err }},
			{"cancel", func() error { _, err := w.svc.Cancel(w.buyer, draft.ID, 0); return err }},
			{"approve", func() error { _, err := w.svc.Approve(w.approver, submitted.ID, 0, "fine"); return err }},
			{"reject", func() error { _, err := w.svc.Reject(w.approver, submitted.ID, 0, "no"); return err }},
		}
		for _, c := range cases {
			if err := c.do(); errs.CodeOf(err) != "VERSION_REQUIRED" || errs.KindOf(err) != errs.Invalid {
				t.Errorf("%s without a version: got %v, want VERSION_REQUIRED", c.name, err)
			}
		}
		for _, o := range []struct {
			id      int64
			version int
		}{{draft.ID, draft.Version}, {submitted.ID, submitted.Version}} {
			got, err := w.svc.Order(w.buyer, o.id)
			if err != nil || got.Version != o.version {
				t.Errorf("order %d moved to version %d (want %d): %v", o.id, got.Version, o.version, err)
			}
		}
	})
}
