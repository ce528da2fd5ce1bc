// Package verdicts computes, stores and serves the decision for every
// product in every market it is offered in and both channels: recomputed
// when a product, a registry or the policy changes and every night, kept
// with its history, and published on a change feed.
package verdicts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// Stored is a verdict as kept in the database.
type Stored struct {
	ID          int64             `json:"-"`
	ProductID   int64             `json:"product_id"`
	Market      string            `json:"market"`
	Channel     string            `json:"channel"`
	Verdict     string            `json:"verdict"`
	Codes       string            `json:"-"`
	Reasons     database.JSONText `json:"reasons"`
	Evidence    database.JSONText `json:"evidence"`
	PolicyID    *int64            `json:"policy_id,omitempty"`
	AsOf        string            `json:"as_of"`
	ContentHash string            `json:"-"`
	EvaluatedAt time.Time         `json:"evaluated_at"`
	BlocksOn    *string           `json:"-"` // allowed, and blocked from this date (duenow.go)
	BlockCodes  *string           `json:"-"`
}

// stored reads Stored verdicts (as v): the rows and their outcomes.
func (s *Service) stored(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("verdicts v").Joins(withOutcome).
		Select("v.id, v.product_id, v.market, v.channel, v.verdict, v.codes, o.reasons, o.evidence, v.policy_id, v.as_of, v.content_hash, v.evaluated_at, v.blocks_on, v.block_codes")
}

// Service computes and reads verdicts.
type Service struct {
	db         *gorm.DB
	registries *registry.Store
	policies   *policy.Store
	now        func() time.Time
	publicURL  string // the deployment's URL as people reach it, for absolute links; "" for paths
	// publicFacts opens the security facts cards of allowed products to
	// anyone (WithPublicFacts); off, cards are behind sign-in.
	publicFacts bool

	// beforeWrite, if set (by tests), runs between a page's first reading
	// and its writing transaction: where another writer can slip in.
	beforeWrite func()
}

// New returns a Service on db.
func New(db *gorm.DB) *Service {
	return &Service{db: db, registries: registry.NewStore(db), policies: policy.NewStore(db), now: func() time.Time { return time.Now().UTC() }}
}

// WithClock returns the service on another clock: what it takes as now
// and today, and when registry snapshots it stores are fetched (a
// simulation of many days, the nightly job's tests).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = func() time.Time { return now().UTC() }
	c.registries = s.registries.WithClock(now)
	return &c
}

// Policies gives access to the policy versions.
func (s *Service) Policies() *policy.Store { return s.policies }

// Row is one verdict with the product it is about, as the CLI and exports print it.
type Row struct {
	ProductID int64           `json:"product_id"`
	Supplier  string          `json:"supplier"`
	SKU       string          `json:"sku"`
	GTIN      string          `json:"gtin"`
	Market    string          `json:"market"`
	Channel   string          `json:"channel"`
	Verdict   string          `json:"verdict"`
	Codes     []string        `json:"reasons"`
	Reasons   []policy.Reason `json:"details"`
	AsOf      civil.Date      `json:"as_of"`
	Cursor    []int64         `json:"-"` // where a page that ends with this row resumes: see Filter.After
}

// Filter narrows verdict listings.
type Filter struct {
	Market     string
	Channel    string
	Verdict    string
	SupplierID int64
	Code       string
	Category   string  // the product's category
	Query      string  // text in the SKU, GTIN, name, brand, model or supplier's name, ignoring case
	After      []int64 // resume after the row of this Cursor (nil: from the start)
}

// Check refuses a filter value no verdict can have (a market, channel,
// verdict or reason code misspelt), which would otherwise list nothing
// and look like an answer.
func (f Filter) Check() error {
	switch {
	case f.Market != "" && !catalog.IsMarket(f.Market):
		return errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", f.Market)
	case f.Channel != "" && f.Channel != "retail" && f.Channel != "procurement":
		return errs.Invalidf("UNKNOWN_CHANNEL", "channel must be retail or procurement")
	case f.Verdict != "" && f.Verdict != policy.Allowed && f.Verdict != policy.Blocked:
		return errs.Invalidf("UNKNOWN_VERDICT", "verdict must be allowed or blocked")
	case f.Code != "" && !codePattern.MatchString(f.Code):
		return errs.Invalidf("UNKNOWN_REASON", "%q is not a reason code", f.Code)
	}
	_, err := database.ContainsPattern(f.Query) // a forecast searches in Go: the same bound
	return err
}

// cursorOf checks that a filter's After fits a listing of n keys.
func (f Filter) cursorOf(n int) ([]int64, error) {
	if f.After != nil && len(f.After) != n {
		return nil, database.ErrBadCursor
	}
	if f.After == nil {
		return make([]int64, n), nil
	}
	return f.After, nil
}

// fingerprint identifies what a verdict says without encoding it: the
// verdict, the policy and tier-table versions (which fix every message and
// fix hint), each reason's code, severity and labels, and each label's
// registry snapshot and standing. Snapshots are immutable, so their id
// stands for the registry entries. The evaluation date is left out, so an
// unchanged verdict fingerprints the same every night and is not rewritten.
//
// The parts are appended to one buffer and hashed once: a recompute
// fingerprints every verdict it evaluates (through an encoder, which hashes
// each distinct buffer once).
func fingerprint(v policy.Verdict) string { return hashHex(fingerprintParts(make([]byte, 0, 512), v)) }

// fingerprintParts appends what fingerprint hashes to b.
func fingerprintParts(b []byte, v policy.Verdict) []byte {
	part := func(p string) { b = append(append(b, p...), 0x1f) }
	num := func(n int64) { b = append(strconv.AppendInt(b, n, 10), 0x1f) }
	flag := func(f bool) { b = append(strconv.AppendBool(b, f), 0x1f) }
	end := func() { b = append(b, 0x1e) }
	part(v.Verdict)
	part(v.Evidence.PolicyVersion)
	part(v.Evidence.TierVersion)
	end()
	for _, r := range v.Reasons {
		part("r")
		part(r.Code)
		part(r.Severity)
		part(r.Field)
		for _, l := range r.Labels {
			part(l)
		}
		end()
		for _, c := range r.Recalls {
			part("rc")
			part(c.Ref())
			part(c.Match)
			end()
		}
		if len(r.RecallLists) > 0 {
			part("rl")
			for _, l := range r.RecallLists {
				part(l)
			}
			end()
		}
	}
	for _, l := range v.Evidence.Labels {
		part("l")
		part(l.Scheme)
		part(l.LabelID)
		flag(l.Claimed)
		part(l.Status)
		num(int64(l.Tier))
		flag(l.Stale)
		flag(l.NotRecognised)
		num(l.SnapshotID)
		end()
	}
	for _, c := range v.Evidence.Recalls {
		part("c")
		part(c.Authority)
		part(c.RecallNumber)
		part(c.Match)
		num(c.SnapshotID)
		end()
	}
	for _, l := range v.Evidence.StaleRecallLists {
		part("sl")
		part(l.List)
		num(l.SnapshotID)
		end()
	}
	return b
}

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// encodeVerdict gives a verdict's stored reasons and evidence; the evidence
// leaves out the evaluation date, which the row's as_of column holds.
func encodeVerdict(v policy.Verdict) (reasons, evidence []byte) {
	ev := v.Evidence
	ev.AsOf = civil.Date{}
	reasons, _ = json.Marshal(v.Reasons)
	evidence, _ = json.Marshal(ev)
	return reasons, evidence
}

func codes(v policy.Verdict) string { return strings.Join(v.Codes(), " ") }

// encoded is a verdict as stored: its codes, reasons and evidence, and the
// hash its outcome is stored by (outcomes.go).
type encoded struct{ codes, reasons, evidence, outcome string }

// encoder keeps the encoding of each verdict content a recompute met, by
// fingerprint: the verdicts of a catalogue say one of few things (the bench
// catalogue's 1,000,000 say 10), and marshalling each one's reasons and
// evidence again was a tenth of a first evaluation (#18). Equal
// fingerprints store equal rows already: an unchanged fingerprint is never
// rewritten. It keeps the hashes it computed too, by what they hash: many
// verdicts have the same content and outlook (a catalogue's support ends
// fall on few dates), and two SHA-256 a verdict were a sixth of its
// evaluation. One goroutine uses an encoder.
type encoder struct {
	encodings    map[string]encoded // by fingerprint
	fingerprints map[string]string  // by fingerprintParts
	hashes       map[string]string  // content hashes, by outlookParts
	buf          []byte
}

func newEncoder() *encoder {
	return &encoder{encodings: map[string]encoded{}, fingerprints: map[string]string{}, hashes: map[string]string{}, buf: make([]byte, 0, 512)}
}

// maxEncodings bounds each of an encoder's maps; past it, the map starts again.
const maxEncodings = 4096

// hash returns v's fingerprint and its content hash with outlook o: what
// fingerprint and withOutlook return, each computed once a distinct input.
func (enc *encoder) hash(v policy.Verdict, o policy.Outlook) (fp, content string) {
	enc.buf = fingerprintParts(enc.buf[:0], v)
	fp = remember(enc.fingerprints, enc.buf)
	enc.buf = outlookParts(enc.buf[:0], fp, o)
	return fp, remember(enc.hashes, enc.buf)
}

// remember returns the hash of b, from seen if it is there (looking it up
// allocates nothing), else computed and kept.
func remember(seen map[string]string, b []byte) string {
	if h, ok := seen[string(b)]; ok {
		return h
	}
	if len(seen) >= maxEncodings {
		clear(seen)
	}
	h := hashHex(b)
	seen[string(b)] = h
	return h
}

func (enc *encoder) encode(hash string, v policy.Verdict) encoded {
	if e, ok := enc.encodings[hash]; ok {
		return e
	}
	if len(enc.encodings) >= maxEncodings {
		clear(enc.encodings)
	}
	reasons, evidence := encodeVerdict(v)
	e := encoded{codes: codes(v), reasons: string(reasons), evidence: string(evidence)}
	e.outcome = outcomeHash(e.reasons, e.evidence)
	enc.encodings[hash] = e
	return e
}

// context carries what one evaluation needs.
type evaluation struct {
	policyID int64
	doc      *policy.Document
	view     *registry.View
	date     civil.Date
	inputs   inputs // with the active policy: what a newer evaluation would differ in
}

// inputs are what stored verdicts rest on besides the products: the active
// policy and the registry snapshots, the newest of which stands for all
// (a new snapshot always takes a higher id).
type inputs struct{ PolicyID, SnapshotID int64 }

func currentInputs(ctx context.Context, db *gorm.DB) (inputs, error) {
	var in inputs
	err := db.WithContext(ctx).Raw(`SELECT
		(SELECT COALESCE(MAX(id), 0) FROM policies WHERE active = ?) AS policy_id,
		(SELECT COALESCE(MAX(id), 0) FROM registry_snapshots) AS snapshot_id`, true).Scan(&in).Error
	return in, err
}

func (s *Service) prepare(ctx context.Context, asOf civil.Date, doc *policy.Document) (evaluation, error) {
	now := s.now()
	var e evaluation
	if doc == nil {
		// Read before the policy and registries: a change landing meanwhile
		// makes them look newer than recorded, never older.
		in, err := currentInputs(ctx, s.db)
		if err != nil {
			return e, err
		}
		v, active, err := s.policies.Active(ctx)
		if err != nil {
			return e, err
		}
		e.policyID, doc, e.inputs = v.ID, active, in
	}
	view, err := s.registries.LoadView(ctx, now)
	if err != nil {
		return e, err
	}
	e.doc, e.view, e.date = doc, view, asOf
	if e.date.IsZero() {
		e.date = civil.Of(now)
	}
	return e, nil
}

// products streams the products the caller may see, a page at a time, with
// their labels: all of them (of one supplier if supplierID > 0), or those in ids.
func (s *Service) products(ctx context.Context, ids []int64, supplierID int64, fn func([]catalog.Product) error) error {
	return s.productsFrom(ctx, ids, supplierID, 0, fn)
}

// productsFrom is products, starting after the product with id from.
func (s *Service) productsFrom(ctx context.Context, ids []int64, supplierID, from int64, fn func([]catalog.Product) error) error {
	pages := productPages(ctx, s.db, ids, supplierID, from)
	for {
		batch, err := pages()
		if err != nil || batch == nil {
			return err
		}
		if err := fn(batch); err != nil {
			return err
		}
	}
}

// productPage is how many products are read, evaluated and written
// together (tests make it smaller to have many pages).
var productPage = 2500

// productPages returns a function that reads the next page of products on
// each call (in id order), nil when there are no more.
func productPages(ctx context.Context, db *gorm.DB, ids []int64, supplierID, from int64) func() ([]catalog.Product, error) {
	bySupplier := func(q *gorm.DB) *gorm.DB {
		if supplierID > 0 {
			q = q.Where("supplier_id = ?", supplierID)
		}
		return q
	}
	if ids != nil {
		start := 0
		return func() ([]catalog.Product, error) {
			for start < len(ids) {
				page := ids[start:min(start+productPage, len(ids))]
				start += len(page)
				batch, err := loadProducts(ctx, db, func(q *gorm.DB) *gorm.DB { return bySupplier(q).Where("id IN ?", page) })
				if err != nil || len(batch) > 0 {
					return batch, err
				}
			}
			return nil, nil
		}
	}
	after, done := from, false
	return func() ([]catalog.Product, error) {
		if done {
			return nil, nil
		}
		batch, err := loadProducts(ctx, db, func(q *gorm.DB) *gorm.DB { return bySupplier(q).Where("id > ?", after).Limit(productPage) })
		if err != nil {
			return nil, err
		}
		if len(batch) < productPage {
			done = true
		}
		if len(batch) == 0 {
			return nil, nil
		}
		after = batch[len(batch)-1].ID
		return batch, nil
	}
}
