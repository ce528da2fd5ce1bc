package notify_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/notify"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// A verdict that turns blocked within the notice period is delivered as
// verdict.upcoming_block once per verdict and block date, to its supplier
// and the admin, however many nightly runs see it.
func TestAnUpcomingBlockIsDeliveredOncePerVerdictAndDate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		a, b := supplier(t, db, "Supplier A"), supplier(t, db, "Supplier B")
		admin, _ := subscribe(t, as(access.Admin, 0), db, "https://hooks.example/admin", notify.VerdictUpcomingBlock)
		subA, _ := subscribe(t, as(access.Supplier, a), db, "https://a.example/hook", notify.VerdictUpcomingBlock)
		subB, _ := subscribe(t, as(access.Supplier, b), db, "https://b.example/hook", notify.VerdictUpcomingBlock)
		ends := civil.Of(time.Now().UTC()).AddDays(30)
		upload(t, db, a, "sku,gtin,brand,model,category,markets,password_model,vuln_report_contact,statement_of_compliance,support_end\n"+
			"A-1,0614141000036,Brand,M-1,smart_camera,UK,unique_per_device,https://a.example/security,included,"+ends.String()+"\n")
		svc := verdicts.New(db)
		for range 2 { // two nights: one notice
			if _, err := svc.Reevaluate(system, false); err != nil {
				t.Fatal(err)
			}
			if _, err := notify.NewStore(db).Enqueue(system); err != nil {
				t.Fatal(err)
			}
		}
		for _, sub := range []notify.Subscription{admin, subA} {
			got := deliveries(t, db, sub.ID)
			if len(got) != 1 || got[0].Event != notify.VerdictUpcomingBlock {
				t.Fatalf("subscription %d: %+v", sub.ID, got)
			}
			data := payload(t, []byte(got[0].Payload))["data"].(map[string]any)
			if data["sku"] != "A-1" || data["market"] != "UK" || data["channel"] != "retail" || data["blocks_on"] != ends.AddDays(1).String() ||
				len(data["codes"].([]any)) != 1 || data["codes"].([]any)[0] != "SUPPORT_ENDED" {
				t.Fatalf("payload %s", got[0].Payload)
			}
		}
		if got := deliveries(t, db, subB.ID); len(got) != 0 {
			t.Fatalf("another supplier heard of A's block: %+v", got)
		}
	})
}
