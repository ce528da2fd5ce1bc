package offers_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/offers"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// TestTheGateAndTheListingFeedNeverDisagree uploads random offers of a few
// GTINs from a few suppliers and decides random disputes; after every step
// the listing feed must list a GTIN exactly when the gate allows it, list an
// offer only when the gate allows that supplier's offer, and an upload must
// leave every other supplier's stored verdicts as they were.
func TestTheGateAndTheListingFeedNeverDisagree(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		suppliers := []string{"S1", "S2", "S3"}
		gtins := []string{"04006381333931", "05901234123457", "00614141000036", "09501101530003"}
		m := newMarket(t, db, suppliers...)
		rng := rand.New(rand.NewPCG(20261201, 14))
		for step := range 30 {
			var open []offers.Dispute
			all, _ := m.disputes.List(m.manager, offers.Filter{})
			for _, d := range all {
				if d.Resolution == "" {
					open = append(open, d)
				}
			}
			if len(open) > 0 && rng.IntN(3) == 0 {
				d := open[rng.IntN(len(open))]
				var err error
				if rng.IntN(2) == 0 {
					_, err = m.disputes.Accept(m.manager, d.ID, "")
				} else {
					_, err = m.disputes.Reject(m.manager, d.ID, "")
				}
				t.Logf("step %d: decide dispute %d (%s): %v", step, d.ID, d.Status, err)
			} else {
				s := suppliers[rng.IntN(len(suppliers))]
				others := map[string][]string{}
				for _, o := range suppliers {
					if o != s {
						others[o] = m.storedVerdicts(o)
					}
				}
				var rows []string
				for i, g := range gtins {
					if rng.IntN(2) == 0 {
						continue
					}
					password := []string{"unique_per_device", "unique_per_device", "universal_default"}[rng.IntN(3)]
					support := []string{"2030-06-30", "2031-06-30"}[rng.IntN(2)]
					markets := []string{"UK EU", "UK", "EU"}[rng.IntN(3)]
					rows = append(rows, fmt.Sprintf("%s-%d,%s,Plugco,PL-%d,Plug,smart_plug,%s,%s,https://p.example/s,%s,included,yes,,1,GBP\n", s, i, g, i, markets, password, support))
				}
				if len(rows) == 0 {
					continue
				}
				b := m.upload(s, rows...)
				t.Logf("step %d: %s uploads %d rows, %d warnings", step, s, len(rows), len(b.Warnings))
				for o, before := range others {
					if after := m.storedVerdicts(o); !slices.Equal(before, after) {
						t.Fatalf("step %d: %s's upload changed %s's verdicts:\n%v\n%v", step, s, o, before, after)
					}
				}
			}
			m.checkGateAgreesWithFeed(t, step, gtins, suppliers)
		}
	})
}

func (m *market) checkGateAgreesWithFeed(t *testing.T, step int, gtins, suppliers []string) {
	t.Helper()
	for _, mkt := range []string{"UK", "EU"} {
		for _, ch := range []string{"retail", "procurement"} {
			feed := map[string][]string{}
			err := m.verdicts.Listings(system, mkt, ch, func(l verdicts.Listing) error {
				feed[l.GTIN] = append(feed[l.GTIN], l.Supplier)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range gtins {
				all, err := m.verdicts.Gate(system, verdicts.GateQuery{GTIN: g, Market: mkt, Channel: ch})
				if err != nil {
					t.Fatal(err)
				}
				if (all.Verdict == "allowed") != (len(feed[g]) > 0) {
					t.Fatalf("step %d %s %s %s: gate says %s, feed lists %v; offers %+v", step, mkt, ch, g, all.Verdict, feed[g], all.Offers)
				}
				for _, s := range suppliers {
					one, err := m.verdicts.Gate(system, verdicts.GateQuery{GTIN: g, Market: mkt, Channel: ch, SupplierID: m.suppliers[s]})
					if err != nil {
						t.Fatal(err)
					}
					wantListed := one.Verdict == "allowed" && all.Verdict == "allowed"
					if slices.Contains(feed[g], s) != wantListed || one.GTINVerdict != all.Verdict {
						t.Fatalf("step %d %s %s %s: %s's offer is %s (GTIN %s), feed lists %v", step, mkt, ch, g, s, one.Verdict, all.Verdict, feed[g])
					}
				}
			}
		}
	}
}
