package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/web"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// load sends n GET requests to urls (round robin) from workers goroutines
// over keep-alive loopback connections and returns how long they took and
// each one's latency.
func load(b *testing.B, client *http.Client, urls []string, header http.Header, n, workers int) (time.Duration, []time.Duration) {
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				req, _ := http.NewRequest(http.MethodGet, urls[i%len(urls)], nil)
				req.Header = header
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				lat[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	return time.Since(start), lat
}

// loadSeries is many rounds of load on one target, summed.
type loadSeries struct {
	elapsed time.Duration
	lat     []time.Duration
}

func (l *loadSeries) add(elapsed time.Duration, lat []time.Duration) {
	l.elapsed += elapsed
	l.lat = append(l.lat, lat...)
}

func (l *loadSeries) rps() float64 { return float64(len(l.lat)) / l.elapsed.Seconds() }

func (l *loadSeries) percentile(p int) float64 {
	s := slices.Sorted(slices.Values(l.lat))
	return float64(s[len(s)*p/100].Microseconds()) / 1000
}

// gateLookup is the floor's query: the gate's own look-up
// (verdicts.Service.Gate) as one prepared statement, the GTIN's offers by
// products_gtin and each offer's verdict by its unique key. (The floor used
// to INNER JOIN, which let SQLite range-scan verdicts_filter for the market:
// 0.17 ms a look-up at 1k products, 1 s at 1M.)
const gateLookup = `SELECT p.id, p.supplier_id, p.disputed, v.verdict, o.reasons, v.blocks_on, v.block_codes FROM products p
	LEFT JOIN verdicts v ON v.product_id = p.id AND v.market = ? AND v.channel = ?
	LEFT JOIN verdict_outcomes o ON o.id = v.outcome_id
	WHERE p.gtin = ? ORDER BY p.id`

// BenchmarkGate measures GET /api/v1/gate (token authentication, the
// stored-verdict look-up, JSON) on loopback against the floor measured in
// the same run: a bare gin handler doing the gate's own look-up with a
// prepared statement on the same SQLite database. With products=1000000
// the database holds a million products (the imported ones and filler
// written with raw SQL) and two million verdicts: a look-up by key must
// cost about what it costs at 10,000.
func BenchmarkGate(b *testing.B) {
	for _, stored := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("products=%d", stored), func(b *testing.B) { benchmarkGate(b, stored) })
	}
}

func benchmarkGate(b *testing.B, stored int) {
	gin.SetMode(gin.ReleaseMode)
	ctx := access.With(context.Background(), access.System("bench"))
	dir := b.TempDir()
	db, err := database.Open(ctx, filepath.Join(dir, "gate.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer database.Close(db)
	if err := policy.InstallDefault(ctx, db); err != nil { // as start-up does
		b.Fatal(err)
	}
	sup, _ := vendors.NewStore(db).Create(ctx, "Bench Ltd")
	const products = 10_000
	path := filepath.Join(dir, "p.csv")
	f, _ := os.Create(path)
	fmt.Fprintln(f, "sku,gtin,brand,model,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,ce_marking")
	var gtins []string
	for i := range products {
		g := gtin13(i)
		gtins = append(gtins, g)
		fmt.Fprintf(f, "S-%d,%s,Bench,M-%d,smart_plug,UK EU,unique_per_device,https://b.example/s,2030-01-31,included,yes\n", i, g, i)
	}
	f.Close()
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	if _, err := im.Import(ctx, imports.Request{SupplierID: sup.ID, FileName: "p.csv", Path: path}); err != nil {
		b.Fatal(err)
	}
	if stored > products {
		seedFillerProducts(b, db, sup.ID, stored-products)
	}
	checkGatePlan(b, db)
	people := auth.NewService(db)
	u, _ := people.CreateUser(ctx, auth.NewUser{Email: "till@bench.example", Role: access.CategoryManager, Password: "a long enough password"})
	token, _, _ := people.CreateToken(ctx, u.ID, "till", 0)

	srv := httptest.NewServer(web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()
	floorEngine := gin.New()
	sqlDB, _ := db.DB()
	stmt, err := sqlDB.Prepare(gateLookup)
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	type offer struct {
		ProductID, SupplierID int64
		Disputed              bool
		Verdict               *string
		Reasons               *json.RawMessage
	}
	floorEngine.GET("/gate", func(c *gin.Context) {
		rows, err := stmt.QueryContext(c.Request.Context(), c.Query("market"), c.Query("channel"), "0"+c.Query("gtin"))
		if err != nil {
			c.Status(500)
			return
		}
		defer rows.Close()
		var offers []offer
		for rows.Next() {
			var o offer
			var reasons, blocksOn, blockCodes *string
			if err := rows.Scan(&o.ProductID, &o.SupplierID, &o.Disputed, &o.Verdict, &reasons, &blocksOn, &blockCodes); err != nil {
				c.Status(500)
				return
			}
			if reasons != nil {
				raw := json.RawMessage(*reasons)
				o.Reasons = &raw
			}
			offers = append(offers, o)
		}
		if rows.Err() != nil || len(offers) == 0 {
			c.Status(500) // every GTIN asked for is stored
			return
		}
		c.JSON(200, gin.H{"offers": offers})
	})
	floor := httptest.NewServer(floorEngine)
	defer floor.Close()

	var gateURLs, floorURLs []string
	for i, g := range gtins[:1000] {
		market := []string{"UK", "EU"}[i%2]
		gateURLs = append(gateURLs, fmt.Sprintf("%s/api/v1/gate?gtin=%s&market=%s&channel=retail", srv.URL, g, market))
		floorURLs = append(floorURLs, fmt.Sprintf("%s/gate?gtin=%s&market=%s&channel=retail", floor.URL, g, market))
	}
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	const rounds, perRound, workers = 10, 2000, 4
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	load(b, client, floorURLs, http.Header{}, 2000, workers) // warm both: page cache, connections, statement caches
	load(b, client, gateURLs, hdr, 2000, workers)
	for b.Loop() {
		// Floor and gate take turns in short rounds, so that a change in
		// the machine's load (it is shared) falls on both alike.
		var fl, gt loadSeries
		for range rounds {
			fl.add(load(b, client, floorURLs, http.Header{}, perRound, workers))
			gt.add(load(b, client, gateURLs, hdr, perRound, workers))
		}
		b.ReportMetric(fl.rps(), "floor-req/s")
		b.ReportMetric(gt.rps(), "gate-req/s")
		b.ReportMetric(gt.rps()/fl.rps(), "gate/floor")
		b.ReportMetric(fl.percentile(50), "floor-p50-ms")
		b.ReportMetric(fl.percentile(99), "floor-p99-ms")
		b.ReportMetric(gt.percentile(50), "gate-p50-ms")
		b.ReportMetric(gt.percentile(99), "gate-p99-ms")
	}
}

// seedFillerProducts stores n more products of supplier, each with a retail
// verdict in UK and EU, written by SQL inside the database (an import of a
// million rows would take minutes): they are there to make the indexes as
// deep as a large catalogue's. Their GTINs start with 9, which no bench
// GTIN does.
func seedFillerProducts(b *testing.B, db *gorm.DB, supplierID int64, n int) {
	start := time.Now()
	var policyID int64
	if err := db.Raw("SELECT id FROM policies WHERE active").Scan(&policyID).Error; err != nil {
		b.Fatal(err)
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		for _, stmt := range []string{
			fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d)
			INSERT INTO products (supplier_id, sku, gtin, brand, model, match_key, category, markets, content_hash, created_at, updated_at)
			SELECT %d, 'F-' || i, '9' || substr('0000000000000' || i, -13), 'Filler', 'F-' || i, 'filler f-' || i,
				'smart_plug', 'UK EU', 'h' || i, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM seq`, n, supplierID),
			`INSERT INTO verdict_outcomes (hash, reasons, evidence) VALUES ('filler', '[]', '{}')`,
			fmt.Sprintf(`INSERT INTO verdicts (product_id, market, channel, verdict, outcome_id, policy_id, as_of, content_hash, evaluated_at)
			SELECT p.id, m.market, 'retail', 'allowed', (SELECT id FROM verdict_outcomes WHERE hash = 'filler'), %d, '2026-12-02', 'h', CURRENT_TIMESTAMP
			FROM products p CROSS JOIN (SELECT 'UK' AS market UNION ALL SELECT 'EU') m WHERE p.sku LIKE 'F-%%'`, policyID),
		} {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d filler products and %d verdicts in %v", n, 2*n, time.Since(start).Round(time.Millisecond))
}

// checkGatePlan fails the benchmark unless SQLite answers the gate's
// look-up by keys: the GTIN's products by products_gtin and each verdict by
// the unique (product_id, market, channel) index, never a scan.
func checkGatePlan(b *testing.B, db *gorm.DB) {
	var plan []struct{ Detail string }
	if err := db.Raw("EXPLAIN QUERY PLAN "+gateLookup, "UK", "retail", "03000000000012").Scan(&plan).Error; err != nil {
		b.Fatal(err)
	}
	var steps []string
	for _, p := range plan {
		steps = append(steps, p.Detail)
	}
	text := strings.Join(steps, "; ")
	for _, want := range []string{"SEARCH p USING INDEX products_gtin (gtin=?)", "SEARCH v USING INDEX sqlite_autoindex_verdicts_1 (product_id=? AND market=? AND channel=?)"} {
		if !strings.Contains(text, want) {
			b.Fatalf("the gate look-up's plan is %q, want a step %q", text, want)
		}
	}
}
