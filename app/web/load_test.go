package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/access"
	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/app/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

func loadSheet(t testing.TB, dir string, from, n int) string {
	path := filepath.Join(dir, fmt.Sprintf("sheet-%d.csv", from))
	var b strings.Builder
	b.WriteString("sku,gtin,brand,model,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,ce_marking\n")
	for i := from; i < from+n; i++ {
		pw := "unique_per_device"
		if i%5 == 0 {
			pw = "universal_default"
		}
		fmt.Fprintf(&b, "L-%d,%s,Load,M-%d,smart_plug,UK EU,%s,https://l.example/s,2030-01-31,included,yes\n", i, gtin13(i), i, pw)
	}
	os.WriteFile(path, []byte(b.String()), 0o600)
	return path
}

// BenchmarkLoadDuringImportAndReevaluation drives the gate (90%) and the
// listing feed (10%) from 4 concurrent clients over loopback while a 5,000-row
// import and a full re-evaluation run, on SQLite and on PostgreSQL (when
// CASCADE_TEST_POSTGRES is set). It reports throughput and latency
// percentiles, fails on any failed request, and checks afterwards that every
// product has exactly its verdicts.
func BenchmarkLoadDuringImportAndReevaluation(b *testing.B) {
	backends := map[string]string{"sqlite": filepath.Join(b.TempDir(), "load.db")}
	if pg := os.Getenv(dbtest.EnvPostgres); pg != "" {
		t := &testing.T{}
		backends["postgres"] = dbtest.PostgresDSN(t)
	}
	for _, name := range []string{"sqlite", "postgres"} {
		dsn, ok := backends[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				loadRun(b, dsn)
			}
		})
	}
}

func loadRun(b *testing.B, dsn string) {
	ctx := access.With(context.Background(), access.System("load"))
	db, err := database.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer database.Close(db)
	db.Exec("DELETE FROM verdict_changes")
	sup, err := vendors.NewStore(db).Create(ctx, fmt.Sprintf("Load %d", time.Now().UnixNano()))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	if _, err := im.Import(ctx, imports.Request{SupplierID: sup.ID, FileName: "seed.csv", Path: loadSheet(b, dir, 0, 5000)}); err != nil {
		b.Fatal(err)
	}
	people := auth.NewService(db)
	u, _ := people.CreateUser(ctx, auth.NewUser{Email: fmt.Sprintf("load%d@x.example", time.Now().UnixNano()), Role: access.Admin, Password: "a long enough password"})
	token, _, _ := people.CreateToken(ctx, u.ID, "load", 0)
	srv := httptest.NewServer(web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 30 * time.Second}
	get := func(url string) (int, error) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	var failures atomic.Int64
	var mu sync.Mutex
	var lat, feedLat []time.Duration
	stop := make(chan struct{})
	var load sync.WaitGroup
	for w := range 4 {
		load.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				url := fmt.Sprintf("%s/api/v1/gate?gtin=%s&market=UK&channel=retail", srv.URL, gtin13(rng.IntN(5000)))
				feed := rng.IntN(10) == 0
				if feed {
					url = srv.URL + "/api/v1/listings?market=EU&format=json"
				}
				start := time.Now()
				code, err := get(url)
				d := time.Since(start)
				if err != nil || code != 200 {
					failures.Add(1)
				}
				mu.Lock()
				if feed {
					feedLat = append(feedLat, d)
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	// The work the load runs against: a 5,000-row import, then a full re-evaluation.
	sheet, _ := os.ReadFile(loadSheet(b, dir, 5000, 5000))
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/imports?wait=true&supplier_id=%d", srv.URL, sup.ID), strings.NewReader(string(sheet)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 201 {
		b.Fatalf("import under load: %v %v", err, resp)
	}
	resp.Body.Close()
	req, _ = http.NewRequest("POST", srv.URL+"/api/v1/evaluate", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err = client.Do(req); err != nil || resp.StatusCode != 200 {
		b.Fatalf("re-evaluation under load: %v %v", err, resp)
	}
	resp.Body.Close()
	close(stop)
	load.Wait()
	elapsed := time.Since(start)

	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed", n, len(lat)+len(feedLat))
	}
	assertVerdictsWhole(b, db, sup.ID, 10_000)
	slices.Sort(lat)
	slices.Sort(feedLat)
	pct := func(l []time.Duration, p float64) float64 {
		return float64(l[int(float64(len(l)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(lat)+len(feedLat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(len(lat)+len(feedLat)), "requests")
	b.ReportMetric(pct(lat, 0.50), "gate-p50-ms")
	b.ReportMetric(pct(lat, 0.99), "gate-p99-ms")
	b.ReportMetric(pct(lat, 0.999), "gate-p99.9-ms")
	b.ReportMetric(pct(feedLat, 0.50), "feed-p50-ms")
	b.ReportMetric(pct(feedLat, 0.99), "feed-p99-ms")
	b.ReportMetric(elapsed.Seconds(), "work-s")
}

// assertVerdictsWhole checks that each of the supplier's products has
// exactly one verdict per market and channel: none lost, none twice.
func assertVerdictsWhole(b testing.TB, db *gorm.DB, supplierID int64, products int) {
	var rows []struct {
		ProductID int64
		N         int
	}
	db.Raw(`SELECT p.id AS product_id, COUNT(v.id) AS n FROM products p LEFT JOIN verdicts v ON v.product_id = p.id
		WHERE p.supplier_id = ? GROUP BY p.id`, supplierID).Scan(&rows)
	if len(rows) != products {
		b.Fatalf("%d products, want %d", len(rows), products)
	}
	for _, r := range rows {
		if r.N != 4 { // UK and EU, retail and procurement
			b.Fatalf("product %d has %d verdicts, want 4", r.ProductID, r.N)
		}
	}
}
