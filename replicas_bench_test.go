package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog"
)

// The scale-out load: how much, from how many clients, in what mix.
const (
	scaleProducts = 10_000
	scaleRequests = 20_000
	scaleTimeCap  = 60 * time.Second
	scaleClients  = 8
	scaleFeedPct  = 5  // listing-feed requests, in percent
	scaleWritePct = 2  // purchase orders created, in percent
	scaleUKEvery  = 10 // every tenth product is also offered in the UK: the UK feed lists 1,000
)

// BenchmarkReplicasOnPostgreSQL runs 1 and then 2 `cascade serve` processes
// on one PostgreSQL schema each, seeded through the replicas with 10,000
// products (all offered in the EU, every tenth in the UK too), and drives
// them from 8 keep-alive clients spread round-robin over the replicas: EU
// gate look-ups (93%), the UK listing feed as JSON (5%, 1,000 products) and
// purchase orders created with a session cookie signed in on the first
// replica (2%). The feed is kept to a tenth of the catalogue so that it does
// not take the whole machine: the full 8,000-product feed at 5% of requests
// left the gate waiting on it. It reports
// throughput, latency percentiles and each replica's share, fails on any
// failed or non-2xx request, and afterwards checks that every product still
// has exactly its verdicts, that every acknowledged order is stored (with its
// audit entry) and that the audit chain the replicas appended to together
// verifies.
func BenchmarkReplicasOnPostgreSQL(b *testing.B) {
	if os.Getenv(dbtest.EnvPostgres) == "" {
		b.Skipf("skipped: set %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable", dbtest.EnvPostgres)
	}
	bin := buildBinary(b, b.TempDir())
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			s := seedScaleOut(b, bin, n)
			for b.Loop() {
				r := s.drive(b)
				s.verify(b, r)
				r.report(b)
			}
		})
	}
}

// scaleOut is a seeded deployment: n replicas on one fresh schema.
type scaleOut struct {
	dsn        string
	urls       []string
	gtins      []string
	adminToken string
	buyerToken string
	pids       []int  // the replicas' processes, for their CPU time
	cookie     string // the buyer's session, signed in on the first replica
	csrf       string
	run        atomic.Int64 // numbers the iterations, for unique order references
}

// seedScaleOut creates a schema, a supplier and the users with the CLI,
// starts n replicas, imports the products through the last one (its commit
// computes the verdicts) and signs the buyer in on the first one.
func seedScaleOut(b *testing.B, bin string, n int) *scaleOut {
	s := &scaleOut{dsn: dbtest.PostgresDSN(b)}
	cli := func(stdin string, args ...string) string {
		cmd := exec.Command(bin, append([]string{"--db", s.dsn}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	cli("", "supplier", "add", "Scale Ltd")
	cli("", "user", "add", "--email", "ops@scale.example", "--role", "admin")
	cli("a long enough buyer password\n", "user", "add", "--email", "buyer@scale.example", "--role", "buyer",
		"--organisation", "Scale Council", "--password-stdin")
	firstLine := func(s string) string { return strings.TrimSpace(strings.Split(s, "\n")[0]) }
	s.adminToken = firstLine(cli("", "token", "create", "--user", "ops@scale.example", "--name", "seed"))
	s.buyerToken = firstLine(cli("", "token", "create", "--user", "buyer@scale.example", "--name", "till"))

	for range n {
		r := startReplica(b, bin, s.dsn)
		s.urls, s.pids = append(s.urls, r.url), append(s.pids, r.cmd.Process.Pid)
	}
	for _, u := range s.urls {
		if code, body := call(b, "GET", u+"/readyz", "", "", nil); code != 200 {
			b.Fatalf("%s/readyz: %d %v", u, code, body)
		}
	}

	var csv bytes.Buffer
	csv.WriteString("sku,gtin,brand,model,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,ce_marking\n")
	for i := range scaleProducts {
		body := fmt.Sprintf("5%012d", i)
		g := body + string(catalog.GTINCheckDigit(body))
		s.gtins = append(s.gtins, g)
		markets := "EU"
		if i%scaleUKEvery == 0 {
			markets = "UK EU"
		}
		pw := "unique_per_device"
		if i%5 == 1 { // a fifth is blocked: the gate answers both ways
			pw = "universal_default"
		}
		fmt.Fprintf(&csv, "S-%d,%s,Scale,M-%d,smart_plug,%s,%s,https://scale.example/security,2030-01-31,included,yes\n", i, g, i, markets, pw)
	}
	code, body := call(b, "POST", s.urls[n-1]+"/api/v1/imports?wait=true&supplier_id=1", s.adminToken, "text/csv", csv.Bytes())
	if imp, _ := body["import"].(map[string]any); code != 201 || imp["rows_created"] != float64(scaleProducts) {
		b.Fatalf("seed import: %d %v", code, body)
	}
	// Planner statistics, as autovacuum gives them in production: this test
	// server runs without autovacuum, and the gate planned on an empty
	// table's statistics is 20 times slower.
	db, err := database.Connect(s.dsn)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	database.Close(db)
	// Every replica answers the gate from the verdicts the import stored.
	for i, u := range s.urls {
		for _, c := range []struct {
			product      int
			market, want string
		}{{0, "UK", "allowed"}, {0, "EU", "allowed"}, {1, "EU", "blocked"}} {
			code, ans := call(b, "GET", fmt.Sprintf("%s/api/v1/gate?gtin=%s&market=%s&channel=retail", u, s.gtins[c.product], c.market), s.buyerToken, "", nil)
			if code != 200 || ans["verdict"] != c.want || len(ans["product_ids"].([]any)) != 1 || strings.Contains(fmt.Sprint(ans["reasons"]), "NOT_OFFERED") {
				b.Fatalf("gate on replica %d for product %d in %s: %d %v, want %s from a stored verdict", i, c.product, c.market, code, ans, c.want)
			}
		}
	}

	login, _ := json.Marshal(map[string]string{"email": "buyer@scale.example", "password": "a long enough buyer password"})
	resp, err := http.Post(s.urls[0]+"/api/v1/session", "application/json", bytes.NewReader(login))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	json.NewDecoder(resp.Body).Decode(&sess)
	for _, c := range resp.Cookies() {
		if c.Name == "cascade_session" {
			s.cookie = c.Value
		}
	}
	if resp.StatusCode != 200 || s.cookie == "" || sess.CSRF == "" {
		b.Fatalf("buyer sign-in on replica 0: %d, cookie %q, csrf %q", resp.StatusCode, s.cookie, sess.CSRF)
	}
	s.csrf = sess.CSRF
	return s
}

// scaleResult is what one load run measured.
type scaleResult struct {
	replicas          int
	elapsed           time.Duration
	gate, feed, write []time.Duration
	served            []int64 // 2xx answers per replica
	failed            int64
	firstFailure      string
	acked             []string // references of the orders answered 201
	cpuKnown          bool
	serverCPU         time.Duration // used by all the replicas during the load
	clientCPU         time.Duration // used by the load generator (this process)
}

// drive sends up to scaleRequests requests, for at most scaleTimeCap, from
// scaleClients clients, each with its own keep-alive connections; request i
// goes to replica i mod n.
func (s *scaleOut) drive(b *testing.B) *scaleResult {
	run := s.run.Add(1)
	r := &scaleResult{replicas: len(s.urls), served: make([]int64, len(s.urls))}
	served := make([]atomic.Int64, len(s.urls))
	var next, failed atomic.Int64
	var mu sync.Mutex
	fail := func(msg string) {
		if failed.Add(1) == 1 {
			mu.Lock()
			r.firstFailure = msg
			mu.Unlock()
		}
	}
	// The machine is shared, so CPU time per request says more than latency
	// about what a replica costs: the replicas' own, then the load generator's.
	cpuBefore := make([]time.Duration, len(s.pids)+1)
	for i, pid := range append(s.pids, os.Getpid()) {
		cpuBefore[i], _ = cpuTime(pid)
	}
	start := time.Now()
	deadline := start.Add(scaleTimeCap)
	var wg sync.WaitGroup
	for w := range scaleClients {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 30 * time.Second}
			defer client.CloseIdleConnections()
			rng := rand.New(rand.NewPCG(uint64(run), uint64(w)))
			var gate, feed, write []time.Duration
			var acked []string
			for {
				i := next.Add(1) - 1
				if i >= scaleRequests || time.Now().After(deadline) {
					break
				}
				rep := int(i) % len(s.urls)
				u := s.urls[rep]
				var req *http.Request
				var ref string
				kind := rng.IntN(100)
				switch {
				case kind < scaleWritePct:
					ref = fmt.Sprintf("LOAD-%d-%d", run, i)
					body := fmt.Sprintf(`{"reference":%q,"market":"UK"}`, ref)
					req, _ = http.NewRequest("POST", u+"/api/v1/purchase-orders", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Cookie", "cascade_session="+s.cookie)
					req.Header.Set("X-CSRF-Token", s.csrf)
				case kind < scaleWritePct+scaleFeedPct:
					req, _ = http.NewRequest("GET", u+"/api/v1/listings?market=UK&channel=retail&format=json&limit=1000", nil)
					req.Header.Set("Authorization", "Bearer "+s.buyerToken)
				default:
					g := s.gtins[rng.IntN(len(s.gtins))]
					req, _ = http.NewRequest("GET", u+"/api/v1/gate?gtin="+g+"&market=EU&channel=retail", nil)
					req.Header.Set("Authorization", "Bearer "+s.buyerToken)
				}
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					fail(fmt.Sprintf("%s %s: %v", req.Method, req.URL, err))
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				d := time.Since(t)
				switch {
				case err != nil:
					fail(fmt.Sprintf("%s %s: reading the answer: %v", req.Method, req.URL, err))
				case resp.StatusCode/100 != 2:
					fail(fmt.Sprintf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, body))
				case ref != "":
					if !bytes.Contains(body, []byte(ref)) {
						fail(fmt.Sprintf("order %s: %d %s", ref, resp.StatusCode, body))
						continue
					}
					acked = append(acked, ref)
					write = append(write, d)
					served[rep].Add(1)
				case kind < scaleWritePct+scaleFeedPct:
					// The status went out before the rows: a feed cut short is still a 200.
					if !bytes.HasSuffix(body, []byte("]}\n")) || bytes.Count(body, []byte(`"gtin"`)) != scaleProducts/scaleUKEvery {
						fail(fmt.Sprintf("feed from replica %d is not whole: %d bytes, ends %q", rep, len(body), body[max(0, len(body)-80):]))
						continue
					}
					feed = append(feed, d)
					served[rep].Add(1)
				default:
					if !bytes.Contains(body, []byte(`"verdict":"allowed"`)) && !bytes.Contains(body, []byte(`"verdict":"blocked"`)) {
						fail(fmt.Sprintf("gate from replica %d: %s", rep, body))
						continue
					}
					gate = append(gate, d)
					served[rep].Add(1)
				}
			}
			mu.Lock()
			r.gate, r.feed, r.write = append(r.gate, gate...), append(r.feed, feed...), append(r.write, write...)
			r.acked = append(r.acked, acked...)
			mu.Unlock()
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.cpuKnown = true
	for i, pid := range append(s.pids, os.Getpid()) {
		after, ok := cpuTime(pid)
		r.cpuKnown = r.cpuKnown && ok
		if i < len(s.pids) {
			r.serverCPU += after - cpuBefore[i]
		} else {
			r.clientCPU = after - cpuBefore[i]
		}
	}
	r.failed = failed.Load()
	for i := range served {
		r.served[i] = served[i].Load()
	}
	if r.failed > 0 {
		b.Fatalf("%d requests failed; the first: %s", r.failed, r.firstFailure)
	}
	for i, n := range r.served {
		if n == 0 {
			b.Fatalf("replica %d served no request", i)
		}
	}
	if len(r.gate) == 0 || len(r.feed) == 0 || len(r.acked) == 0 {
		b.Fatalf("the mix was not served: %d gate, %d feed, %d writes", len(r.gate), len(r.feed), len(r.acked))
	}
	return r
}

// verify checks the database after the load: every product has exactly its
// verdicts, every acknowledged order exists with its audit entry, and the
// audit chain appended to by every replica is whole.
func (s *scaleOut) verify(b *testing.B, r *scaleResult) {
	db, err := database.Connect(s.dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer database.Close(db)
	var perProduct []struct {
		SKU string
		N   int
	}
	if err := db.Raw(`SELECT p.sku, COUNT(v.id) AS n FROM products p LEFT JOIN verdicts v ON v.product_id = p.id
		GROUP BY p.id, p.sku`).Scan(&perProduct).Error; err != nil {
		b.Fatal(err)
	}
	if len(perProduct) != scaleProducts {
		b.Fatalf("%d products, want %d", len(perProduct), scaleProducts)
	}
	for _, p := range perProduct {
		var i int
		fmt.Sscanf(p.SKU, "S-%d", &i)
		want := 2 // EU, retail and procurement
		if i%scaleUKEvery == 0 {
			want = 4 // and the UK
		}
		if p.N != want {
			b.Fatalf("product %s has %d verdicts, want %d (one per market and channel)", p.SKU, p.N, want)
		}
	}
	var twice int64
	db.Raw(`SELECT COUNT(*) FROM (SELECT product_id, market, channel FROM verdicts
		GROUP BY product_id, market, channel HAVING COUNT(*) <> 1) d`).Scan(&twice)
	if twice != 0 {
		b.Fatalf("%d product × market × channel have more than one verdict", twice)
	}

	prefix := fmt.Sprintf("LOAD-%d-%%", s.run.Load())
	var stored []string
	db.Raw("SELECT reference FROM purchase_orders WHERE reference LIKE ?", prefix).Scan(&stored)
	var audited int64
	db.Raw(`SELECT COUNT(*) FROM audit_entries WHERE action = 'order.create' AND data LIKE ?`, `%"reference":"`+prefix+`"%`).Scan(&audited)
	slices.Sort(stored)
	want := slices.Clone(r.acked)
	slices.Sort(want)
	if !slices.Equal(stored, want) || audited != int64(len(want)) {
		b.Fatalf("%d orders acknowledged, %d stored, %d audited", len(want), len(stored), audited)
	}
	code, body := call(b, "GET", s.urls[len(s.urls)-1]+"/api/v1/audit/verify", s.adminToken, "", nil)
	if rep, _ := body["report"].(map[string]any); code != 200 || rep["ok"] != true {
		b.Fatalf("audit chain after the load: %d %v", code, body)
	}
}

func (r *scaleResult) report(b *testing.B) {
	ms := func(l []time.Duration, p float64) float64 {
		slices.Sort(l)
		return float64(l[int(float64(len(l)-1)*p)].Microseconds()) / 1000
	}
	total := len(r.gate) + len(r.feed) + len(r.write)
	b.ReportMetric(float64(total)/r.elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(total), "requests")
	b.ReportMetric(ms(r.gate, 0.50), "gate-p50-ms")
	b.ReportMetric(ms(r.gate, 0.99), "gate-p99-ms")
	b.ReportMetric(ms(r.gate, 0.999), "gate-p99.9-ms")
	b.ReportMetric(ms(r.feed, 0.50), "feed-p50-ms")
	b.ReportMetric(ms(r.feed, 0.99), "feed-p99-ms")
	b.ReportMetric(ms(r.write, 0.50), "write-p50-ms")
	b.ReportMetric(ms(r.write, 0.99), "write-p99-ms")
	b.ReportMetric(float64(r.failed), "failed")
	if r.cpuKnown {
		b.ReportMetric(float64(r.serverCPU.Microseconds())/1000/float64(total), "server-cpu-ms/req")
		b.ReportMetric(float64(r.clientCPU.Microseconds())/1000/float64(total), "client-cpu-ms/req")
	}
	for i, n := range r.served {
		b.ReportMetric(float64(n), fmt.Sprintf("replica%d-reqs", i))
	}
}

// cpuTime is the user and system CPU time a process has used, read from
// /proc (Linux); false elsewhere.
func cpuTime(pid int) (time.Duration, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name (which may hold spaces), from field 3: utime and stime are 14 and 15.
	_, rest, ok := bytes.Cut(stat, []byte(") "))
	f := strings.Fields(string(rest))
	if !ok || len(f) < 13 {
		return 0, false
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, true
}
