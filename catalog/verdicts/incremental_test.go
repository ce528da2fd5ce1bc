package verdicts_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// CASCADE_SOAK_DAYS makes the incremental property test run longer (make soak).
func soakDays(t *testing.T) int {
	if s := os.Getenv("CASCADE_SOAK_DAYS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("CASCADE_SOAK_DAYS=%q: give a number of days", s)
		}
		return n
	}
	return 90 // make test: a short run; make soak runs 800 days and more seeds
}

// Property: random catalogues, registry snapshots and policy versions, run
// through consecutive simulated days, leave the incremental re-evaluation
// (the nightly run, snapshot and policy use cases through Reevaluate) with
// the same verdicts, change feed and history (and notices of upcoming
// blocks) as a full re-evaluation of
// every product into a second database after every change and every night.
// Evidence is compared without the snapshot it names (a product whose
// claimed entry a snapshot left unchanged keeps naming the older snapshot,
// which holds the same entry), and a stored next check date may be earlier
// than the full run's (it is then evaluated early), never later.
func TestIncrementalReevaluationEqualsAFullOneEveryDay(t *testing.T) {
	days := soakDays(t)
	seeds := []uint64{1}
	if os.Getenv("CASCADE_SOAK_DAYS") != "" {
		seeds = []uint64{1, 2, 3, 4, 5, 6}
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed%d", dialect, seed), func(t *testing.T) {
				open := dbtest.SQLite
				if dialect == "postgres" {
					open = dbtest.Postgres
				}
				s := newSim(t, seed, open(t), open(t))
				s.run(days)
			})
		}
	}
}

// simWorld is one database the simulation drives.
type simWorld struct {
	db       *gorm.DB
	svc      *verdicts.Service
	reg      *registry.Store
	im       *imports.Importer
	supplier int64
	full     bool // re-evaluates every product after every change and every night
}

type sim struct {
	t      *testing.T
	rng    *rand.Rand
	now    time.Time
	dir    string
	worlds [2]*simWorld // incremental, full
	// what the simulation has sent: the catalogue and each scheme's registry
	products map[string]*simProduct
	entries  map[string][]*simEntry
	models   []string
	policies int
	events   int
}

type simProduct struct {
	sku, brand, model, category, markets, password, vuln, statement, ce, labels string
	supportEnd                                                                  civil.Date
}

type simEntry struct {
	id, brand, model, models, level, status string
	issued, expires                         civil.Date
}

var simSchemes = []string{"SG-CLS", "DE-BSI", "KR-CIC", "US-CTM", "FI-TRAFICOM"}

func newSim(t *testing.T, seed uint64, inc, full *gorm.DB) *sim {
	s := &sim{t: t, rng: rand.New(rand.NewPCG(seed, 18)), now: time.Date(2026, 1, 1, 2, 15, 0, 0, time.UTC), dir: t.TempDir(),
		products: map[string]*simProduct{}, entries: map[string][]*simEntry{}}
	clock := func() time.Time { return s.now }
	for i, db := range []*gorm.DB{inc, full} {
		sup, err := vendors.NewStore(db).Create(admin, "Sim Supplier")
		if err != nil {
			t.Fatal(err)
		}
		w := &simWorld{db: db, svc: verdicts.New(db).WithClock(clock), reg: registry.NewStore(db).WithClock(clock), supplier: sup.ID, full: i == 1}
		w.im = imports.New(db, imports.DefaultLimits)
		w.im.OnCommit = func(ctx context.Context, tx *gorm.DB, batchID int64) error {
			return verdicts.New(tx).WithClock(clock).RecomputeBatch(ctx, batchID)
		}
		s.worlds[i] = w
	}
	for _, b := range []string{"Acme", "Northwind"} {
		for i := range 6 {
			s.models = append(s.models, b+"|"+b[:2]+"-"+strconv.Itoa(i))
		}
	}
	for _, scheme := range simSchemes[:4] { // FI-TRAFICOM gets its first snapshot later, if at all
		for range 8 {
			s.entries[scheme] = append(s.entries[scheme], s.randomEntry(scheme))
		}
		s.snapshot(scheme)
	}
	for i := range 30 {
		p := &simProduct{sku: fmt.Sprintf("SIM-%02d", i)}
		s.randomise(p)
		s.products[p.sku] = p
	}
	s.importAll()
	s.compare("start", true)
	return s
}

func (s *sim) today() civil.Date { return civil.Of(s.now) }

func (s *sim) pick(list []string) string { return list[s.rng.IntN(len(list))] }

func (s *sim) date(fromDays, toDays int) civil.Date {
	return s.today().AddDays(fromDays + s.rng.IntN(toDays-fromDays))
}

func (s *sim) randomEntry(scheme string) *simEntry {
	bm := strings.Split(s.pick(s.models), "|")
	e := &simEntry{id: fmt.Sprintf("%s-%04d", scheme, s.rng.IntN(10000)), brand: bm[0], model: bm[1], status: "valid",
		issued: s.date(-400, -1), expires: s.date(-30, 700)}
	switch scheme {
	case "SG-CLS":
		e.level = strconv.Itoa(1 + s.rng.IntN(4))
	case "KR-CIC":
		e.level = s.pick([]string{"Lite", "Basic", "Standard"})
	}
	if s.rng.IntN(5) == 0 {
		e.expires = civil.Date{}
	}
	if s.rng.IntN(6) == 0 {
		e.models = strings.Split(s.pick(s.models), "|")[1]
	}
	return e
}

// randomise gives a product new random data: the supplier's next upload of it.
func (s *sim) randomise(p *simProduct) {
	bm := strings.Split(s.pick(s.models), "|")
	p.brand, p.model = bm[0], bm[1]
	p.category = s.pick([]string{"smart_camera", "router", "smart_lock", "smart_speaker", "laptop", "non_connected"})
	var markets []string
	for _, m := range []string{"UK", "EU", "SG", "AU", "US"} {
		if s.rng.IntN(3) == 0 {
			markets = append(markets, m)
		}
	}
	if len(markets) == 0 {
		markets = []string{"UK"}
	}
	p.markets = strings.Join(markets, " ")
	p.password = s.pick([]string{"unique_per_device", "user_defined", "unique_per_device", "universal_default"})
	p.vuln = s.pick([]string{"https://sim.example/security", "https://sim.example/security", ""})
	p.statement = s.pick([]string{"included", "included", ""})
	p.ce = s.pick([]string{"yes", "yes", "no"})
	p.supportEnd = s.date(-60, 1000)
	var labels []string
	for range s.rng.IntN(3) {
		scheme := s.pick(simSchemes)
		list := s.entries[scheme]
		var own []*simEntry // the entries for this model: what a supplier mostly claims
		for _, e := range list {
			if e.brand == p.brand && (e.model == p.model || e.models == p.model) {
				own = append(own, e)
			}
		}
		switch k := s.rng.IntN(5); {
		case len(own) > 0 && k < 3:
			labels = append(labels, scheme+":"+own[s.rng.IntN(len(own))].id)
		case len(list) > 0 && k < 4:
			labels = append(labels, scheme+":"+list[s.rng.IntN(len(list))].id)
		default:
			labels = append(labels, fmt.Sprintf("%s:%s-%04d", scheme, scheme, s.rng.IntN(10000)))
		}
	}
	p.labels = strings.Join(labels, "; ")
}

func (s *sim) run(days int) {
	for day := 1; day <= days; day++ {
		s.now = s.now.AddDate(0, 0, 1)
		changed := false
		if s.rng.IntN(100) < 4 {
			s.upload()
			changed = true
		}
		if s.rng.IntN(100) < 6 {
			s.changeRegistry()
			changed = true
		}
		if s.rng.IntN(100) < 1 {
			s.changePolicy()
			changed = true
		}
		if changed {
			s.compare(fmt.Sprintf("day %d (%s), after the day's changes", day, s.today()), false)
		}
		for _, w := range s.worlds {
			if _, err := w.svc.Reevaluate(admin, w.full); err != nil {
				s.t.Fatalf("day %d: nightly: %v", day, err)
			}
		}
		s.compare(fmt.Sprintf("day %d (%s), after the nightly run", day, s.today()), true)
	}
	s.t.Logf("%d days, %d changes, %d policy versions", days, s.events, s.policies)
}

// upload re-imports a few products with new data, or adds one.
func (s *sim) upload() {
	s.events++
	for range 1 + s.rng.IntN(4) {
		sku := fmt.Sprintf("SIM-%02d", s.rng.IntN(len(s.products)+1))
		p := s.products[sku]
		if p == nil {
			p = &simProduct{sku: sku}
			s.products[sku] = p
			s.randomise(p)
			continue
		}
		switch s.rng.IntN(3) {
		case 0:
			s.randomise(p)
		case 1:
			p.supportEnd = s.date(-10, 800)
		case 2:
			p.labels = ""
		}
	}
	s.importAll()
}

func (s *sim) importAll() {
	var b strings.Builder
	b.WriteString("sku,gtin,brand,model,name,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,ce_marking,labels,price,currency\n")
	for i := range len(s.products) {
		p := s.products[fmt.Sprintf("SIM-%02d", i)]
		fmt.Fprintf(&b, "%s,%s,%s,%s,Sim product,%s,%s,%s,%s,%s,%s,%s,%s,10.00,GBP\n",
			p.sku, gtin13(i), p.brand, p.model, p.category, p.markets, p.password, p.vuln, p.supportEnd, p.statement, p.ce, p.labels)
	}
	path := filepath.Join(s.dir, "products.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		s.t.Fatal(err)
	}
	for _, w := range s.worlds {
		batch, err := w.im.Import(admin, imports.Request{SupplierID: w.supplier, FileName: "products.csv", Path: path})
		if err != nil || batch.RowsRejected != 0 {
			var problems []string
			w.db.Raw("SELECT column_name || ': ' || code || ' ' || message FROM import_row_errors WHERE batch_id = ? LIMIT 3", batch.ID).Scan(&problems)
			s.t.Fatalf("import: %v, %d rows rejected: %v", err, batch.RowsRejected, problems)
		}
	}
}

// changeRegistry sends a scheme's next snapshot: a few entries added,
// changed or removed, or none (a refresh that only renews the registry).
func (s *sim) changeRegistry() {
	s.events++
	scheme := s.pick(simSchemes)
	list := s.entries[scheme]
	for range s.rng.IntN(4) {
		switch k := s.rng.IntN(6); {
		case k == 0 || len(list) == 0:
			list = append(list, s.randomEntry(scheme))
		case k == 1:
			i := s.rng.IntN(len(list))
			list = append(list[:i:i], list[i+1:]...)
		default:
			i := s.rng.IntN(len(list))
			e := *list[i]
			switch s.rng.IntN(4) {
			case 0:
				e.status = s.pick([]string{"valid", "suspended", "revoked"})
			case 1:
				e.expires = s.date(-5, 400)
			case 2:
				e.model = strings.Split(s.pick(s.models), "|")[1]
			case 3:
				e.level = s.pick([]string{"1", "2", "3", "4", "Basic", "Lite"})
			}
			list = append(list[:i:i], append([]*simEntry{&e}, list[i+1:]...)...)
		}
	}
	if len(list) == 0 {
		list = append(list, s.randomEntry(scheme)) // an empty registry file is refused
	}
	s.entries[scheme] = list
	s.snapshot(scheme)
}

func (s *sim) snapshot(scheme string) {
	var b strings.Builder
	b.WriteString("scheme,label_id,brand,model,product_type,level,issued,expires,status,models,url\n")
	for _, e := range s.entries[scheme] {
		fmt.Fprintf(&b, "%s,%s,%s,%s,,%s,%s,%s,%s,%s,\n", scheme, e.id, e.brand, e.model, e.level, e.issued, e.expires, e.status, e.models)
	}
	path := filepath.Join(s.dir, scheme+".csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		s.t.Fatal(err)
	}
	for _, w := range s.worlds {
		if !w.full {
			ch, err := w.svc.ImportSnapshot(admin, verdicts.SnapshotFile{Scheme: scheme, Path: path})
			if err != nil || ch.Pending != nil {
				s.t.Fatalf("snapshot %s: %v %v", scheme, err, ch.Pending)
			}
			continue
		}
		entries, err := registry.ReadFile(path, scheme, nil)
		if err != nil {
			s.t.Fatal(err)
		}
		if _, err := w.reg.Import(admin, registry.NewSnapshot{Scheme: scheme, Source: scheme + ".csv", Entries: entries}); err != nil {
			s.t.Fatal(err)
		}
		if _, err := w.svc.Reevaluate(admin, true); err != nil {
			s.t.Fatal(err)
		}
	}
}

// changePolicy activates a new version of the default policy with a
// random change: a rule that starts or ends on a date in the simulation,
// another window, a rule switched off, a tier that takes effect later.
func (s *sim) changePolicy() {
	s.events++
	s.policies++
	doc, err := policy.Parse(policy.Default())
	if err != nil {
		s.t.Fatal(err)
	}
	doc.Version = fmt.Sprintf("sim-%d", s.policies)
	doc.Tiers.Version = doc.Version
	for range 1 + s.rng.IntN(3) {
		r := &doc.Rules[s.rng.IntN(len(doc.Rules))]
		switch s.rng.IntN(5) {
		case 0:
			d := s.date(1, 200)
			r.EffectiveFrom = &d
			r.EffectiveUntil = nil
		case 1:
			d := s.date(1, 200)
			r.EffectiveUntil, r.EffectiveFrom = &d, nil
		case 2:
			if r.Window != nil {
				r.Window = &policy.Window{Days: 10 + s.rng.IntN(200)}
			}
		case 3:
			off := false
			r.Enabled = &off
		case 4:
			st := doc.Tiers.Schemes["SG-CLS"]
			d := s.date(1, 300)
			st.EffectiveFrom = &d
			doc.Tiers.Schemes["SG-CLS"] = st
		}
	}
	doc.Rules = append(doc.Rules, policy.Rule{Code: "SIM_LABEL_EXPIRES_SOON", Kind: policy.KindLabelStatus, Status: "expires_soon",
		Window: &policy.Window{Months: 1 + s.rng.IntN(4)}, Severity: s.pick([]string{policy.Block, policy.Warn}), Message: "m", Fix: "f", Basis: "b"})
	raw, err := json.Marshal(doc)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, w := range s.worlds {
		if _, err := w.svc.Policies().Upload(admin, raw); err != nil {
			s.t.Fatal(err)
		}
		if !w.full {
			ch, err := w.svc.ActivatePolicy(admin, doc.Version)
			if err != nil || ch.Pending != nil {
				s.t.Fatalf("activate: %v %v", err, ch.Pending)
			}
			continue
		}
		if _, err := w.svc.Policies().Activate(admin, doc.Version); err != nil {
			s.t.Fatal(err)
		}
		if _, err := w.svc.Reevaluate(admin, true); err != nil {
			s.t.Fatal(err)
		}
	}
}

type storedVerdict struct {
	SKU, Market, Channel, Verdict, Codes, Reasons, Evidence string
	PolicyID                                                *int64
	NextCheckOn, BlocksOn                                   *string
	BlockCodes                                              string
}

type feedEntry struct {
	SKU, Market, Channel, Previous, Verdict, Codes string
	PolicyID                                       *int64
	ChangedAt                                      time.Time
}

// compare checks the two worlds hold the same; after a nightly run (night)
// no verdict is left due.
func (s *sim) compare(when string, night bool) {
	s.t.Helper()
	var got [2][]storedVerdict
	var feed [2][]feedEntry
	var notices [2][]string
	for i, w := range s.worlds {
		if err := w.db.Raw(`SELECT p.sku || ' ' || u.market || ' ' || u.channel || ' ' || u.blocks_on || ' ' || u.codes
			FROM upcoming_blocks u JOIN products p ON p.id = u.product_id ORDER BY 1`).Scan(&notices[i]).Error; err != nil {
			s.t.Fatal(err)
		}
		if err := w.db.Raw(`SELECT p.sku, v.market, v.channel, v.verdict, v.codes, o.reasons, o.evidence, v.policy_id, v.next_check_on, v.blocks_on, v.block_codes
			FROM verdicts v JOIN products p ON p.id = v.product_id JOIN verdict_outcomes o ON o.id = v.outcome_id ORDER BY p.sku, v.market, v.channel`).Scan(&got[i]).Error; err != nil {
			s.t.Fatal(err)
		}
		if err := w.db.Raw(`SELECT p.sku, c.market, c.channel, c.previous, c.verdict, c.codes, c.policy_id, c.changed_at
			FROM verdict_changes c JOIN products p ON p.id = c.product_id ORDER BY c.id`).Scan(&feed[i]).Error; err != nil {
			s.t.Fatal(err)
		}
	}
	if !slices.Equal(notices[0], notices[1]) {
		s.t.Fatalf("%s: notices of upcoming blocks differ:\nincremental %v\nfull        %v", when, notices[0], notices[1])
	}
	inc, full := got[0], got[1]
	if len(inc) != len(full) {
		s.t.Fatalf("%s: %d verdicts stored incrementally, %d by a full re-evaluation", when, len(inc), len(full))
	}
	for i := range inc {
		a, b := inc[i], full[i]
		ea, eb := projectEvidence(s.t, a.Evidence), projectEvidence(s.t, b.Evidence)
		a.Evidence, b.Evidence = "", ""
		nextA, nextB := a.NextCheckOn, b.NextCheckOn
		a.NextCheckOn, b.NextCheckOn = nil, nil
		if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(ea, eb) {
			s.t.Fatalf("%s: %s %s %s differs:\nincremental %+v\n%v\nfull        %+v\n%v", when, a.SKU, a.Market, a.Channel, a, ea, b, eb)
		}
		if nextB != nil && (nextA == nil || *nextA > *nextB) {
			s.t.Fatalf("%s: %s %s %s: next check %v incrementally, after the full run's %s", when, a.SKU, a.Market, a.Channel, deref(nextA), *nextB)
		}
		if night && nextA != nil && *nextA <= s.today().String() {
			s.t.Fatalf("%s: %s %s %s: next check %s is not after today, %s", when, a.SKU, a.Market, a.Channel, *nextA, s.today())
		}
	}
	// One run lists the withdrawals of a page in no set order: compare each
	// instant's entries by product, market and channel, each key's entries
	// in the order they were written.
	for _, f := range feed {
		slices.SortStableFunc(f, func(a, b feedEntry) int {
			return cmp.Or(a.ChangedAt.Compare(b.ChangedAt), cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Market, b.Market), cmp.Compare(a.Channel, b.Channel))
		})
	}
	if len(feed[0]) != len(feed[1]) {
		s.t.Fatalf("%s: change feed has %d entries incrementally, %d after full re-evaluations", when, len(feed[0]), len(feed[1]))
	}
	for i := range feed[0] {
		a, b := feed[0][i], feed[1][i]
		a.ChangedAt, b.ChangedAt = a.ChangedAt.UTC(), b.ChangedAt.UTC()
		if !reflect.DeepEqual(a, b) {
			s.t.Fatalf("%s: change feed entry %d differs:\nincremental %+v %s\nfull        %+v %s", when, i, a, deref64(a.PolicyID), b, deref64(b.PolicyID))
		}
	}
}

// gtin13 is the i-th GTIN-13 of a made-up company prefix, with its check digit.
func gtin13(i int) string {
	base := fmt.Sprintf("400999%06d", i)
	sum := 0
	for j, c := range base {
		d := int(c - '0')
		if j%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return base + strconv.Itoa((10-sum%10)%10)
}

func deref64(n *int64) string {
	if n == nil {
		return "none"
	}
	return strconv.FormatInt(*n, 10)
}

func deref(s *string) string {
	if s == nil {
		return "none"
	}
	return *s
}

// projectEvidence is a verdict's evidence without the snapshot it names.
func projectEvidence(t *testing.T, raw string) map[string]any {
	var ev map[string]any
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatal(err)
	}
	labels, _ := ev["labels"].([]any)
	for _, l := range labels {
		m := l.(map[string]any)
		delete(m, "snapshot_id")
		delete(m, "snapshot_sha256")
		delete(m, "snapshot_fetched_at")
		if e, ok := m["entry"].(map[string]any); ok {
			delete(e, "id")
			delete(e, "snapshot_id")
		}
	}
	return ev
}
