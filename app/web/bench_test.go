package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

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
// over keep-alive loopback connections and returns throughput and latencies.
func load(b *testing.B, urls []string, header http.Header, n, workers int) (rps float64, p50, p99 time.Duration) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
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
	elapsed := time.Since(start)
	slices.Sort(lat)
	return float64(n) / elapsed.Seconds(), lat[n/2], lat[n*99/100]
}

// BenchmarkGate measures GET /api/v1/gate (token authentication, the
// stored-verdict look-up, JSON) on loopback against the floor measured in
// the same run: a bare gin handler doing the same point look-up on the
// same SQLite database.
func BenchmarkGate(b *testing.B) {
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
	people := auth.NewService(db)
	u, _ := people.CreateUser(ctx, auth.NewUser{Email: "till@bench.example", Role: access.CategoryManager, Password: "a long enough password"})
	token, _, _ := people.CreateToken(ctx, u.ID, "till", 0)

	srv := httptest.NewServer(web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()
	floorEngine := gin.New()
	sqlDB, _ := db.DB()
	stmt, err := sqlDB.Prepare(`SELECT v.verdict, v.reasons FROM products p JOIN verdicts v ON v.product_id = p.id AND v.market = ? AND v.channel = ? WHERE p.gtin = ?`)
	if err != nil {
		b.Fatal(err)
	}
	floorEngine.GET("/gate", func(c *gin.Context) {
		var verdict, reasons string
		err := stmt.QueryRowContext(c.Request.Context(), c.Query("market"), c.Query("channel"), "0"+c.Query("gtin")).Scan(&verdict, &reasons)
		if err != nil && err != sql.ErrNoRows {
			c.Status(500)
			return
		}
		c.JSON(200, gin.H{"verdict": verdict, "reasons": reasons})
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
	const requests, workers = 20_000, 4
	load(b, floorURLs, http.Header{}, 2000, workers) // warm both: page cache, connections, statement caches
	load(b, gateURLs, hdr, 2000, workers)
	for b.Loop() {
		fRPS, fP50, fP99 := load(b, floorURLs, http.Header{}, requests, workers)
		gRPS, gP50, gP99 := load(b, gateURLs, hdr, requests, workers)
		b.ReportMetric(fRPS, "floor-req/s")
		b.ReportMetric(gRPS, "gate-req/s")
		b.ReportMetric(gRPS/fRPS, "gate/floor")
		b.ReportMetric(float64(fP50.Microseconds())/1000, "floor-p50-ms")
		b.ReportMetric(float64(fP99.Microseconds())/1000, "floor-p99-ms")
		b.ReportMetric(float64(gP50.Microseconds())/1000, "gate-p50-ms")
		b.ReportMetric(float64(gP99.Microseconds())/1000, "gate-p99-ms")
	}
}
