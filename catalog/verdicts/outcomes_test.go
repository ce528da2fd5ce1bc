package verdicts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// Verdicts that say the same thing share one stored outcome, and each
// verdict reads back the reasons and evidence it was evaluated with. A
// later recompute (a new Service, as another replica would be) that needs
// an outcome already stored refers to that one rather than storing it again.
func TestVerdictsSayingTheSameThingShareOneStoredOutcome(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		var verdictCount, outcomes, distinct int64
		db.Table("verdicts").Count(&verdictCount)
		db.Table("verdict_outcomes").Count(&outcomes)
		db.Raw("SELECT COUNT(DISTINCT outcome_id) FROM verdicts").Scan(&distinct)
		if outcomes != distinct || outcomes >= verdictCount {
			t.Fatalf("%d outcomes for %d verdicts saying %d things", outcomes, verdictCount, distinct)
		}
		var dup int64
		db.Raw("SELECT COUNT(*) FROM (SELECT reasons, evidence FROM verdict_outcomes GROUP BY reasons, evidence HAVING COUNT(*) > 1) x").Scan(&dup)
		if dup != 0 {
			t.Fatalf("%d outcomes stored twice", dup)
		}

		// What each verdict reads back is what evaluating it says now.
		var ids []int64
		db.Table("products").Order("id").Pluck("id", &ids)
		for _, id := range ids {
			stored, err := svc.ProductVerdicts(admin, id)
			if err != nil || len(stored) == 0 {
				t.Fatalf("product %d: %v %v", id, stored, err)
			}
			for _, v := range stored {
				var reasons []map[string]any
				if err := json.Unmarshal(v.Reasons, &reasons); err != nil {
					t.Fatalf("product %d %s %s: reasons %q: %v", id, v.Market, v.Channel, v.Reasons, err)
				}
				var codes []string
				for _, r := range reasons {
					codes = append(codes, r["code"].(string))
				}
				if got := strings.Join(codes, " "); got != v.Codes {
					t.Errorf("product %d %s %s: reasons say %q, the row %q", id, v.Market, v.Channel, got, v.Codes)
				}
				if len(v.Evidence) < 2 || v.Evidence[0] != '{' {
					t.Errorf("product %d %s %s: evidence %q", id, v.Market, v.Channel, v.Evidence)
				}
			}
		}

		// Two products made to say what two others say: rewritten, and
		// referring to the outcomes already stored.
		if err := db.Exec(`UPDATE verdicts SET content_hash = 'stale' WHERE product_id IN (?, ?)`, ids[0], ids[1]).Error; err != nil {
			t.Fatal(err)
		}
		var before []int64
		db.Table("verdicts").Where("product_id IN ?", ids[:2]).Order("id").Pluck("outcome_id", &before)
		if err := db.Exec(`DELETE FROM verdicts WHERE product_id = ?`, ids[0]).Error; err != nil {
			t.Fatal(err)
		}
		st, err := verdicts.New(db).Recompute(admin, nil)
		if err != nil || st.Written == 0 {
			t.Fatalf("recompute: %+v %v", st, err)
		}
		var after []int64
		db.Table("verdicts").Where("product_id IN ?", ids[:2]).Order("id").Pluck("outcome_id", &after)
		var now int64
		db.Table("verdict_outcomes").Count(&now)
		if now != outcomes || len(after) != len(before) {
			t.Fatalf("%d outcomes after a recompute that needed no new one (%d before); outcomes %v, were %v", now, outcomes, after, before)
		}
		for i := range after {
			if !slices.Contains(before, after[i]) {
				t.Errorf("verdict %d refers to outcome %d, not one of %v stored before", i, after[i], before)
			}
		}
	})
}

// Verdicts stored before outcomes were (schema version 26, reasons and
// evidence on every row) keep what they say through the migration: each
// refers to one outcome a distinct content, the gate and the product's
// verdicts read them as before, and new verdicts take ids above every id
// given before, a deleted one's too.
func TestVerdictsStoredBeforeOutcomesKeepWhatTheySay(t *testing.T) {
	for _, c := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", dbtest.SQLiteDSN}, {"postgres", dbtest.PostgresDSN}} {
		t.Run(c.name, func(t *testing.T) {
			db, err := database.Connect(c.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer database.Close(db)
			ctx := context.Background()
			if err := database.Migrate(ctx, db, 26); err != nil {
				t.Fatal(err)
			}
			blocked := `[{"code":"UNIVERSAL_DEFAULT_PASSWORD","severity":"block","message":"m","fix":"f"}]`
			for _, stmt := range []string{
				`INSERT INTO suppliers (name, name_key, created_at, updated_at) VALUES ('Old Co', 'old co', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
				`INSERT INTO products (supplier_id, sku, gtin, brand, model, match_key, category, markets, content_hash, created_at, updated_at)
					VALUES (1, 'A', '04006381333931', 'Old', 'A', 'old a', 'smart_plug', 'UK', 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
					(1, 'B', '05012345678900', 'Old', 'B', 'old b', 'smart_plug', 'UK', 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
				`INSERT INTO verdicts (product_id, market, channel, verdict, codes, reasons, evidence, as_of, content_hash, evaluated_at) VALUES
					(1, 'UK', 'retail', 'blocked', 'UNIVERSAL_DEFAULT_PASSWORD', '` + blocked + `', '{"policy_version":"1"}', '2026-12-01', 'h1', CURRENT_TIMESTAMP),
					(2, 'UK', 'retail', 'blocked', 'UNIVERSAL_DEFAULT_PASSWORD', '` + blocked + `', '{"policy_version":"1"}', '2026-12-01', 'h2', CURRENT_TIMESTAMP),
					(1, 'UK', 'procurement', 'allowed', '', '[]', '{"policy_version":"1"}', '2026-12-01', 'h3', CURRENT_TIMESTAMP),
					(2, 'UK', 'procurement', 'allowed', '', '[]', '{"policy_version":"2"}', '2026-12-01', 'h4', CURRENT_TIMESTAMP)`,
				`DELETE FROM verdicts WHERE content_hash = 'h4'`,
				`INSERT INTO verdicts (product_id, market, channel, verdict, codes, reasons, evidence, as_of, content_hash, evaluated_at) VALUES
					(2, 'UK', 'procurement', 'allowed', '', '[]', '{"policy_version":"1"}', '2026-12-01', 'h5', CURRENT_TIMESTAMP)`,
				`DELETE FROM verdicts WHERE content_hash = 'h5'`,
			} {
				if err := db.Exec(stmt).Error; err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if err := database.Migrate(ctx, db, 0); err != nil {
				t.Fatal(err)
			}
			var outcomes int64
			db.Table("verdict_outcomes").Count(&outcomes)
			if outcomes != 2 {
				t.Errorf("%d outcomes for 3 verdicts saying 2 things", outcomes)
			}
			svc := verdicts.New(db)
			for id, want := range map[int64]map[string]string{1: {"retail": blocked, "procurement": "[]"}, 2: {"retail": blocked}} {
				stored, err := svc.ProductVerdicts(admin, id)
				if err != nil || len(stored) != len(want) {
					t.Fatalf("product %d: %+v %v", id, stored, err)
				}
				for _, v := range stored {
					if string(v.Reasons) != want[v.Channel] || string(v.Evidence) != `{"policy_version":"1"}` {
						t.Errorf("product %d %s: reasons %s evidence %s", id, v.Channel, v.Reasons, v.Evidence)
					}
				}
			}
			ans, err := svc.Gate(admin, verdicts.GateQuery{GTIN: "04006381333931", Market: "UK", Channel: "retail"})
			if err != nil || ans.Verdict != "blocked" || len(ans.Reasons) != 1 || ans.Reasons[0].Code != "UNIVERSAL_DEFAULT_PASSWORD" {
				t.Errorf("gate after the migration: %+v %v", ans, err)
			}
			var outcome int64
			db.Raw("SELECT outcome_id FROM verdicts WHERE content_hash = 'h1'").Scan(&outcome)
			if err := db.Exec(`INSERT INTO verdicts (product_id, market, channel, verdict, codes, outcome_id, as_of, content_hash, evaluated_at)
				VALUES (2, 'UK', 'procurement', 'allowed', '', ?, '2026-12-01', 'h6', CURRENT_TIMESTAMP)`, outcome).Error; err != nil {
				t.Fatal(err)
			}
			var newest int64
			db.Raw("SELECT id FROM verdicts WHERE content_hash = 'h6'").Scan(&newest)
			if newest <= 5 {
				t.Errorf("a new verdict took id %d, at or below the deleted verdict 5's", newest)
			}
			if err := db.Exec(`INSERT INTO verdicts (product_id, market, channel, verdict, codes, as_of, content_hash, evaluated_at)
				VALUES (1, 'EU', 'retail', 'allowed', '', '2026-12-01', 'h7', CURRENT_TIMESTAMP)`).Error; err == nil {
				t.Error("a verdict without an outcome was stored")
			}
		})
	}
}

// A product's evidence names its labels' registry snapshot, so a new
// snapshot gives its verdicts new outcomes; the ones they referred to
// before, which no verdict refers to now, are deleted by the same write,
// as are those of verdicts withdrawn from a market. Without that, every
// snapshot would leave its labelled products' old outcomes behind.
func TestAnOutcomeNoVerdictRefersToIsDeletedByTheWriteThatReleasedIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		orphans := func() int64 {
			var n int64
			db.Raw("SELECT COUNT(*) FROM verdict_outcomes o WHERE NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.outcome_id = o.id)").Scan(&n)
			return n
		}
		var before []int64
		db.Table("verdict_outcomes").Order("id").Pluck("id", &before)
		if n := orphans(); n != 0 {
			t.Fatalf("%d outcomes no verdict refers to after the first evaluation", n)
		}

		// Every SG-CLS label revoked in a new snapshot.
		path := filepath.Join(t.TempDir(), "sg.csv")
		os.WriteFile(path, registry.Samples()["SG-CLS"], 0o600)
		entries, err := registry.ReadFile(path, "SG-CLS", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range entries {
			entries[i].Status = "revoked"
		}
		if _, err := registry.NewStore(db).Import(admin, registry.NewSnapshot{Scheme: "SG-CLS", Source: "sg.csv", Entries: entries}); err != nil {
			t.Fatal(err)
		}
		st, err := svc.Recompute(admin, nil)
		if err != nil || st.Written == 0 {
			t.Fatalf("recompute after the snapshot: %+v %v", st, err)
		}
		// And a product withdrawn from its markets but one.
		if err := db.Exec("UPDATE products SET markets = 'UK', content_hash = 'moved' WHERE sku = 'ACM-CAM-1'").Error; err != nil {
			t.Fatal(err)
		}
		if st, err = svc.Recompute(admin, nil); err != nil || st.Withdrawn == 0 {
			t.Fatalf("recompute after the markets changed: %+v %v", st, err)
		}
		if n := orphans(); n != 0 {
			t.Errorf("%d outcomes no verdict refers to are left", n)
		}
		var after []int64
		db.Table("verdict_outcomes").Order("id").Pluck("id", &after)
		released := 0
		for _, id := range before {
			if !slices.Contains(after, id) {
				released++
			}
		}
		if released == 0 {
			t.Errorf("no outcome of the first evaluation was released (%v, now %v): the test tests nothing", before, after)
		}
	})
}

// A product that leaves a market takes its verdicts there away, and with
// them the outcomes only they referred to: the bulb is the only product
// blocked in the EU for its four faults, so its EU outcomes are its own.
func TestAnOutcomeOnlyAWithdrawnVerdictReferredToIsDeleted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		var own []int64
		db.Raw(`SELECT DISTINCT v.outcome_id FROM verdicts v JOIN products p ON p.id = v.product_id
			WHERE p.sku = 'ACM-BLB-6' AND v.market = 'EU'
			AND NOT EXISTS (SELECT 1 FROM verdicts o WHERE o.outcome_id = v.outcome_id AND o.product_id <> v.product_id)
			AND NOT EXISTS (SELECT 1 FROM verdicts o WHERE o.outcome_id = v.outcome_id AND o.market <> 'EU')`).Scan(&own)
		if len(own) == 0 {
			t.Fatal("the bulb's EU verdicts share every outcome with other verdicts: the test tests nothing")
		}
		if err := db.Exec("UPDATE products SET markets = 'UK', content_hash = 'moved' WHERE sku = 'ACM-BLB-6'").Error; err != nil {
			t.Fatal(err)
		}
		if st, err := svc.Recompute(admin, nil); err != nil || st.Withdrawn != 2 || st.Written != 0 {
			t.Fatalf("recompute after the bulb left the EU: %+v %v", st, err)
		}
		var left []int64
		db.Table("verdict_outcomes").Where("id IN ?", own).Pluck("id", &left)
		if len(left) != 0 {
			t.Errorf("outcomes %v only the bulb's withdrawn EU verdicts referred to are still stored", left)
		}
	})
}

// A verdict whose outcome is gone (the database edited by hand, past its
// references: SQLite's foreign keys switched off, PostgreSQL's triggers
// skipped) is never read as allowed: the gate fails rather than answer
// from half a verdict.
func TestTheGateRefusesToAnswerFromAVerdictWhoseOutcomeIsGone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		q := verdicts.GateQuery{GTIN: "4006381333931", Market: "UK", Channel: "retail"}
		if ans, err := svc.Gate(admin, q); err != nil || ans.Verdict != "allowed" {
			t.Fatalf("before the edit the camera is allowed in UK retail: %+v %v", ans, err)
		}
		var outcome int64
		db.Raw(`SELECT v.outcome_id FROM verdicts v JOIN products p ON p.id = v.product_id
			WHERE p.gtin = '04006381333931' AND v.market = 'UK' AND v.channel = 'retail'`).Scan(&outcome)
		bypass, restore := "PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON"
		if database.DialectOf(db) == database.Postgres {
			bypass, restore = "SET session_replication_role = replica", "SET session_replication_role = DEFAULT"
		}
		err := db.Connection(func(c *gorm.DB) error {
			if err := c.Exec(bypass).Error; err != nil {
				return err
			}
			defer c.Exec(restore)
			res := c.Exec("DELETE FROM verdict_outcomes WHERE id = ?", outcome)
			if res.Error == nil && res.RowsAffected != 1 {
				return fmt.Errorf("deleted %d outcomes", res.RowsAffected)
			}
			return res.Error
		})
		if err != nil {
			t.Fatalf("editing the database by hand: %v", err)
		}
		ans, err := svc.Gate(admin, q)
		if err == nil {
			t.Fatalf("the gate answered %+v from a verdict without its outcome", ans)
		}
		if ans.Verdict == "allowed" {
			t.Errorf("the gate's failed answer says allowed: %+v", ans)
		}
	})
}
