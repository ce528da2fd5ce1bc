package verdicts_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// A stored verdict allowed until a date its own inputs name (a support
// end) is served as blocked from that date, before any re-evaluation has
// run: the nightly run comes hours after midnight, or not at all while it
// fails, and until then the gate, the listing feed and the facts card
// answered allowed (found by a hostile supplier's trial).
func TestAnAllowedVerdictIsServedAsBlockedFromTheDateItAnnouncedABlock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		var due struct {
			SKU, GTIN, Market, BlocksOn, BlockCodes string
		}
		err := db.Raw(`SELECT p.sku, p.gtin, v.market, v.blocks_on, v.block_codes FROM verdicts v JOIN products p ON p.id = v.product_id
			WHERE v.verdict = 'allowed' AND v.channel = 'retail' AND v.blocks_on IS NOT NULL AND NOT p.disputed
			ORDER BY v.blocks_on, p.sku LIMIT 1`).Scan(&due).Error
		if err != nil || due.SKU == "" || due.BlockCodes == "" {
			t.Fatalf("no allowed retail verdict with a block date and its codes in the fixture: %+v %v", due, err)
		}
		day, err := time.Parse(time.DateOnly, due.BlocksOn)
		if err != nil {
			t.Fatal(err)
		}
		at := func(when time.Time) *verdicts.Service { return svc.WithClock(func() time.Time { return when }) }
		served := func(s *verdicts.Service) (gate string, gateCodes []string, listed bool, card string) {
			t.Helper()
			ans, err := s.Gate(admin, verdicts.GateQuery{GTIN: due.GTIN, Market: due.Market, Channel: "retail"})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range ans.Reasons {
				gateCodes = append(gateCodes, r.Code)
			}
			if err := s.Listings(admin, due.Market, "retail", func(l verdicts.Listing) error {
				listed = listed || l.SKU == due.SKU
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			c, err := s.Facts(admin, due.GTIN, due.Market)
			if err != nil {
				t.Fatal(err)
			}
			return ans.Verdict, gateCodes, listed, c.Verdict
		}

		if gate, _, listed, card := served(at(day.Add(-time.Minute))); gate != "allowed" || !listed || card != "allowed" {
			t.Fatalf("the minute before %s: gate %s, listed %v, card %s; want allowed, listed, allowed", due.BlocksOn, gate, listed, card)
		}
		gate, codes, listed, card := served(at(day.Add(30 * time.Minute))) // 00:30, before the nightly run
		if gate != "blocked" || listed || card != "blocked" {
			t.Errorf("on %s before any re-evaluation: gate %s, listed %v, card %s; want blocked, not listed, blocked", due.BlocksOn, gate, listed, card)
		}
		if len(codes) == 0 || codes[0] != strings.Fields(due.BlockCodes)[0] {
			t.Errorf("the gate's reasons %v, want the announced %q", codes, due.BlockCodes)
		}
		var stored string
		db.Raw("SELECT v.verdict FROM verdicts v JOIN products p ON p.id = v.product_id WHERE p.sku = ? AND v.market = ? AND v.channel = 'retail'", due.SKU, due.Market).Scan(&stored)
		if stored != "allowed" {
			t.Fatalf("the stored verdict is %q: something re-evaluated it, and the test no longer shows what is served before that", stored)
		}
	})
}
