package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
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

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// loadSize bounds one run of the load scenario in products, requests and time.
type loadSize struct {
	seed, imported int           // products before the load, and in the upload imported under it
	minGate        int           // gate requests sent at least, even when the work ends sooner
	minFeed        int           // and listing feeds
	timeLimit      time.Duration // the load stops here whatever happens; unfinished work fails the run
}

var (
	// Small enough for every `make test` on both databases.
	loadTestSize = loadSize{seed: 1000, imported: 1000, minGate: 1000, minFeed: 10, timeLimit: 40 * time.Second}
	// Enough requests for a p99.9 that is not the single slowest one.
	loadBenchSize = loadSize{seed: 20_000, imported: 10_000, minGate: 20_000, minFeed: 300, timeLimit: 10 * time.Minute}
)

// Gate clients and feed clients are separate, so that a slow feed does not
// hold back the gate's request rate: each rate is what its clients got.
const gateClients, feedClients = 3, 1

// loadFigures is what one run measured; latencies are sorted.
type loadFigures struct {
	gate, feed             []time.Duration
	gateDuring, feedDuring []time.Duration // the requests answered while the import or re-evaluation ran
	elapsed                time.Duration   // from the first request to the last
	work                   time.Duration   // the import and the re-evaluation
}

// TestLoadDuringImportAndReevaluation drives the gate and the listing feed
// over loopback while an import and a full re-evaluation that rewrites every
// stored verdict run, and requires that no request failed or got a wrong
// answer, and that afterwards every product has exactly its verdicts and
// change-feed entries: none lost, none twice.
func TestLoadDuringImportAndReevaluation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		f := runLoad(t, db, loadTestSize)
		t.Logf("%d gate requests (p99 %v), %d feed requests (p99 %v) in %v; import and re-evaluation took %v",
			len(f.gate), percentile(f.gate, 0.99), len(f.feed), percentile(f.feed, 0.99), f.elapsed.Round(time.Millisecond), f.work.Round(time.Millisecond))
	})
}

// BenchmarkLoadDuringImportAndReevaluation is the same scenario at the size
// of the figures in the README: at least 20,000 gate requests and 300
// listing feeds, or as many as the import and the re-evaluation last, within
// ten minutes.
//
//	go test -run '^$' -bench LoadDuring -benchtime 1x ./app/web
func BenchmarkLoadDuringImportAndReevaluation(b *testing.B) {
	for _, backend := range []struct {
		name string
		dsn  func(*testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "load.db") }},
		{"postgres", func(b *testing.B) string { return dbtest.PostgresDSN(b) }},
	} {
		b.Run(backend.name, func(b *testing.B) {
			for b.Loop() {
				db, err := database.Open(context.Background(), backend.dsn(b))
				if err != nil {
					b.Fatal(err)
				}
				if err := policy.InstallDefault(context.Background(), db); err != nil { // as start-up does
					b.Fatal(err)
				}
				f := runLoad(b, db, loadBenchSize)
				database.Close(db)
				secs := f.elapsed.Seconds()
				b.ReportMetric(float64(len(f.gate))/secs, "gate-req/s")
				b.ReportMetric(float64(len(f.feed))/secs, "feed-req/s")
				b.ReportMetric(float64(len(f.gate)), "gate-requests")
				b.ReportMetric(float64(len(f.feed)), "feed-requests")
				for _, p := range []struct {
					rank  float64
					label string
				}{{0.50, "p50"}, {0.99, "p99"}, {0.999, "p99.9"}} {
					b.ReportMetric(ms(percentile(f.gate, p.rank)), "gate-"+p.label+"-ms")
					b.ReportMetric(ms(percentile(f.feed, p.rank)), "feed-"+p.label+"-ms")
				}
				b.ReportMetric(f.work.Seconds(), "work-s")
				// The same figures for the requests answered while the import and re-evaluation ran.
				b.ReportMetric(float64(len(f.gateDuring))/f.work.Seconds(), "during-gate-req/s")
				b.ReportMetric(float64(len(f.feedDuring))/f.work.Seconds(), "during-feed-req/s")
				for _, p := range []struct {
					rank  float64
					label string
				}{{0.50, "p50"}, {0.99, "p99"}, {0.999, "p99.9"}} {
					b.ReportMetric(ms(percentile(f.gateDuring, p.rank)), "during-gate-"+p.label+"-ms")
					b.ReportMetric(ms(percentile(f.feedDuring, p.rank)), "during-feed-"+p.label+"-ms")
				}
			}
		})
	}
}

// runLoad seeds a supplier's catalogue, marks every stored verdict stale (as
// a new policy would), then sends gate look-ups and EU listing feeds back to
// back from gateClients and feedClients clients while it uploads a second
// file with ?wait=true and runs POST /evaluate. Every gate answer must be the
// verdict stored before the load, and every feed a complete JSON document
// holding at least the listings it held before.
func runLoad(tb testing.TB, db *gorm.DB, size loadSize) loadFigures {
	tb.Helper()
	if size.imported > size.seed || size.seed%5 != 0 {
		tb.Fatalf("load size %+v: the imported rows mirror the seed rows, five at a time", size)
	}
	ctx := access.With(context.Background(), access.System("load"))
	sup, err := vendors.NewStore(db).Create(ctx, "Load Ltd")
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	if _, err := im.Import(ctx, imports.Request{SupplierID: sup.ID, FileName: "seed.csv", Path: loadSheet(tb, dir, 0, size.seed)}); err != nil {
		tb.Fatal(err)
	}
	if database.DialectOf(db) == database.Postgres {
		// The catalogue the load starts from has planner statistics, as
		// autovacuum gives it in production; this test server runs without
		// autovacuum, and the gate planned on an empty table's is 20 times slower.
		if err := db.Exec("ANALYZE").Error; err != nil {
			tb.Fatal(err)
		}
	}
	want := storedVerdicts(tb, db, sup.ID)
	if len(want) != 4*size.seed {
		tb.Fatalf("%d verdicts after the seed import, want %d", len(want), 4*size.seed)
	}
	// The re-evaluation under load must rewrite every verdict, not skip them as unchanged.
	if err := db.Exec("UPDATE verdicts SET content_hash = 'stale'").Error; err != nil {
		tb.Fatal(err)
	}

	people := auth.NewService(db)
	u, err := people.CreateUser(ctx, auth.NewUser{Email: "load@load.example", Role: access.Admin, Password: "a long enough password"})
	if err != nil {
		tb.Fatal(err)
	}
	token, _, err := people.CreateToken(ctx, u.ID, "load", 0)
	if err != nil {
		tb.Fatal(err)
	}
	srv := web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	defer srv.Drain(context.Background())
	defer ts.Close()
	c := loadClient{http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: gateClients + feedClients + 2}, Timeout: time.Minute}, base: ts.URL, token: token}

	feedURL := "/api/v1/listings?market=EU&channel=retail&format=json&limit=1000"
	code, body, _, err := c.get(context.Background(), feedURL)
	listed, ferr := feedListings(body)
	if err != nil || code != 200 || ferr != nil || listed == 0 {
		tb.Fatalf("feed before the load: %v %d %v, %d listings", err, code, ferr, listed)
	}

	var (
		mu                     sync.Mutex
		gate, feed             []time.Duration
		gateDuring, feedDuring []time.Duration
		workDone               atomic.Bool
		failures               []string
		failed                 atomic.Int64
		gateCount              atomic.Int64
		feedCount              atomic.Int64
		stop                   = make(chan struct{})
		workers                sync.WaitGroup
	)
	// record keeps a request's latency, and among those answered while the
	// work still ran.
	record := func(all, during *[]time.Duration, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		*all = append(*all, d)
		if !workDone.Load() {
			*during = append(*during, d)
		}
	}
	fail := func(format string, args ...any) {
		if failed.Add(1) <= 5 {
			mu.Lock()
			failures = append(failures, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
	}
	// The bound cuts the work short (a failure); the load's requests end on their own.
	deadline := time.Now().Add(size.timeLimit)
	workCtx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	for w := range gateClients + feedClients {
		isFeed := w >= gateClients
		workers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if isFeed {
					code, body, d, err := c.get(context.Background(), feedURL)
					n, ferr := feedListings(body)
					switch {
					case err != nil || code != 200:
						fail("feed: %v %d %.200s", err, code, body)
					case ferr != nil:
						fail("feed: not one whole JSON document: %v", ferr)
					case n < listed:
						fail("feed: %d listings, %d before the load", n, listed)
					}
					feedCount.Add(1)
					record(&feed, &feedDuring, d)
					continue
				}
				i, market, channel := rng.IntN(size.seed), []string{"UK", "EU"}[rng.IntN(2)], []string{"retail", "procurement"}[rng.IntN(2)]
				code, body, d, err := c.get(context.Background(), fmt.Sprintf("/api/v1/gate?gtin=%s&market=%s&channel=%s", gtin13(i), market, channel))
				k := verdictKey{fmt.Sprintf("L-%d", i), market, channel}
				var ans verdicts.GateAnswer
				switch {
				case err != nil || code != 200:
					fail("gate: %v %d %.200s", err, code, body)
				case json.Unmarshal(body, &ans) != nil:
					fail("gate: %.200s", body)
				case ans.Verdict != want[k]:
					fail("gate: %v is %s, stored before the load as %s", k, ans.Verdict, want[k])
				}
				gateCount.Add(1)
				record(&gate, &gateDuring, d)
			}
		})
	}
	work, workErr := loadWork(workCtx, c, sup.ID, loadSheet(tb, dir, size.seed, size.imported), size)
	workDone.Store(true)
	workTime, duringWork := time.Since(start), gateCount.Load()
	for workErr == nil && (gateCount.Load() < int64(size.minGate) || feedCount.Load() < int64(size.minFeed)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	workers.Wait()
	elapsed := time.Since(start)

	if n := failed.Load(); n > 0 || workErr != nil {
		tb.Fatalf("under load: work: %v; %d of %d requests failed, first: %s", workErr, n, len(gate)+len(feed), strings.Join(failures, "; "))
	}
	if len(gate) < size.minGate || len(feed) < size.minFeed {
		// The time bound comes first: the figures are those of fewer requests.
		tb.Logf("%d gate and %d feed requests in the %v bound, fewer than the %d and %d asked for", len(gate), len(feed), size.timeLimit, size.minGate, size.minFeed)
	}
	if duringWork < gateClients {
		tb.Fatalf("only %d gate answers while the import and re-evaluation ran: the load did not overlap the work", duringWork)
	}
	if work.Written < 4*size.seed {
		tb.Fatalf("the re-evaluation rewrote %d verdicts, want the %d stale ones", work.Written, 4*size.seed)
	}
	assertVerdictsWhole(tb, db, sup.ID, want, size)
	for _, l := range [][]time.Duration{gate, feed, gateDuring, feedDuring} {
		slices.Sort(l)
	}
	return loadFigures{gate: gate, feed: feed, gateDuring: gateDuring, feedDuring: feedDuring, elapsed: elapsed, work: workTime}
}

// loadWork uploads the second file and waits for it, then re-evaluates every product.
func loadWork(ctx context.Context, c loadClient, supplierID int64, sheet string, size loadSize) (verdicts.Stats, error) {
	raw, err := os.ReadFile(sheet)
	if err != nil {
		return verdicts.Stats{}, err
	}
	code, body, err := c.post(ctx, fmt.Sprintf("/api/v1/imports?wait=true&supplier_id=%d&file_name=more.csv", supplierID), "text/csv", raw)
	var imported struct{ Import imports.Batch }
	if err != nil || code != 201 || json.Unmarshal(body, &imported) != nil {
		return verdicts.Stats{}, fmt.Errorf("import: %v %d %.300s", err, code, body)
	}
	if imported.Import.RowsCreated != size.imported {
		return verdicts.Stats{}, fmt.Errorf("import created %d products, want %d: %s", imported.Import.RowsCreated, size.imported, body)
	}
	code, body, err = c.post(ctx, "/api/v1/evaluate", "", nil)
	var evaluated struct{ Recomputed verdicts.Stats }
	if err != nil || code != 200 || json.Unmarshal(body, &evaluated) != nil {
		return verdicts.Stats{}, fmt.Errorf("re-evaluation: %v %d %.300s", err, code, body)
	}
	return evaluated.Recomputed, nil
}

type verdictKey struct{ sku, market, channel string }

// storedVerdicts reads a supplier's verdicts, failing on any stored twice.
func storedVerdicts(tb testing.TB, db *gorm.DB, supplierID int64) map[verdictKey]string {
	tb.Helper()
	var rows []struct{ SKU, Market, Channel, Verdict string }
	err := db.Raw(`SELECT p.sku AS sku, v.market, v.channel, v.verdict FROM verdicts v JOIN products p ON p.id = v.product_id
		WHERE p.supplier_id = ?`, supplierID).Scan(&rows).Error
	if err != nil {
		tb.Fatal(err)
	}
	out := make(map[verdictKey]string, len(rows))
	for _, r := range rows {
		k := verdictKey{r.SKU, r.Market, r.Channel}
		if _, twice := out[k]; twice {
			tb.Fatalf("%v has two verdicts", k)
		}
		out[k] = r.Verdict
	}
	return out
}

// assertVerdictsWhole checks that each of the supplier's products has
// exactly one verdict and one change-feed entry per market and channel, and
// that the verdicts are the ones stored before the load (the seed rows) or
// those of the seed row the imported row mirrors.
func assertVerdictsWhole(tb testing.TB, db *gorm.DB, supplierID int64, before map[verdictKey]string, size loadSize) {
	tb.Helper()
	after := storedVerdicts(tb, db, supplierID)
	blocked := 0
	for i := range size.seed + size.imported {
		for _, market := range []string{"UK", "EU"} {
			for _, channel := range []string{"retail", "procurement"} {
				k := verdictKey{fmt.Sprintf("L-%d", i), market, channel}
				mirror := verdictKey{fmt.Sprintf("L-%d", i%size.seed), market, channel}
				got, ok := after[k]
				switch {
				case !ok:
					tb.Fatalf("%v has no verdict after the load", k)
				case got != before[mirror]:
					tb.Fatalf("%v is %s after the load, want %s", k, got, before[mirror])
				}
				if got == "blocked" {
					blocked++
				}
			}
		}
	}
	if len(after) != 4*(size.seed+size.imported) {
		tb.Fatalf("%d verdicts after the load, want %d", len(after), 4*(size.seed+size.imported))
	}
	if blocked == 0 || blocked == len(after) {
		tb.Fatalf("%d of %d verdicts blocked: the scenario must have both answers", blocked, len(after))
	}
	var changes []struct {
		ProductID       int64
		Market, Channel string
		N               int
	}
	err := db.Raw(`SELECT c.product_id, c.market, c.channel, COUNT(*) AS n FROM verdict_changes c JOIN products p ON p.id = c.product_id
		WHERE p.supplier_id = ? GROUP BY c.product_id, c.market, c.channel`, supplierID).Scan(&changes).Error
	if err != nil {
		tb.Fatal(err)
	}
	if len(changes) != len(after) {
		tb.Fatalf("%d verdicts on the change feed, want %d", len(changes), len(after))
	}
	for _, c := range changes {
		if c.N != 1 { // the first verdict; rewriting it unchanged must not announce it again
			tb.Fatalf("product %d in %s %s is %d times on the change feed", c.ProductID, c.Market, c.Channel, c.N)
		}
	}
}

// loadClient sends the scenario's requests as the admin over loopback.
type loadClient struct {
	http        *http.Client
	base, token string
}

// get returns the status, the whole body and the time until its last byte.
func (c loadClient) get(ctx context.Context, path string) (int, []byte, time.Duration, error) {
	start := time.Now()
	code, body, err := c.do(ctx, http.MethodGet, path, "", nil)
	return code, body, time.Since(start), err
}

func (c loadClient) post(ctx context.Context, path, contentType string, body []byte) (int, []byte, error) {
	return c.do(ctx, http.MethodPost, path, contentType, body)
}

func (c loadClient) do(ctx context.Context, method, path, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// feedListings decodes a JSON listing feed whole: a stream cut by a failure
// after its 200 is a failed request too.
func feedListings(body []byte) (int, error) {
	var feed struct {
		Listings []json.RawMessage `json:"items"`
		Error    any               `json:"error"`
	}
	if err := json.Unmarshal(body, &feed); err != nil {
		return 0, err
	}
	if feed.Error != nil {
		return 0, fmt.Errorf("the feed ended with an error: %v", feed.Error)
	}
	return len(feed.Listings), nil
}

// loadSheet writes rows L-from … L-(from+n-1); every fifth has a universal
// default password, so the gate answers both allowed and blocked.
func loadSheet(tb testing.TB, dir string, from, n int) string {
	tb.Helper()
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
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max(0, int(math.Ceil(p*float64(len(sorted))))-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
