package verdicts

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// supplierNames maps supplier ids to names for output rows.
func (s *Service) supplierNames(ctx context.Context) (map[int64]string, error) {
	var rows []struct {
		ID   int64
		Name string
	}
	if err := s.db.WithContext(ctx).Table("suppliers").Scopes(database.SupplierScope(ctx, "id")).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

func (f Filter) keep(market, channel, verdict string, codes []string) bool {
	switch {
	case f.Market != "" && f.Market != market:
		return false
	case f.Channel != "" && f.Channel != channel:
		return false
	case f.Verdict != "" && f.Verdict != verdict:
		return false
	case f.Code != "":
		for _, c := range codes {
			if c == f.Code {
				return true
			}
		}
		return false
	}
	return true
}

// Forecast evaluates the products the caller may see as of a date, with
// the active policy (or doc, a candidate), and stores nothing.
func (s *Service) Forecast(ctx context.Context, asOf civil.Date, doc *policy.Document, f Filter, fn func(Row) error) error {
	if _, err := access.From(ctx); err != nil {
		return err
	}
	ev, err := s.prepare(ctx, asOf, doc)
	if err != nil {
		return err
	}
	names, err := s.supplierNames(ctx)
	if err != nil {
		return err
	}
	after, err := f.cursorOf(2) // the product, and the row of its verdicts
	if err != nil {
		return err
	}
	text := strings.ToLower(strings.TrimSpace(f.Query))
	return s.productsFrom(ctx, nil, f.SupplierID, max(after[0]-1, 0), func(batch []catalog.Product) error {
		for i := range batch {
			p := &batch[i]
			if (f.Category != "" && p.Category != f.Category) ||
				(text != "" && !slices.ContainsFunc([]string{p.SKU, p.GTIN, names[p.SupplierID], p.Name, p.Brand, p.Model}, func(f string) bool {
					return strings.Contains(strings.ToLower(f), text)
				})) {
				continue // List's SQL filter, on the products read
			}
			for n, v := range ev.doc.Evaluate(p, ev.date, ev.view) {
				if !f.keep(v.Market, v.Channel, v.Verdict, v.Codes()) || p.ID == after[0] && int64(n) <= after[1] {
					continue
				}
				if err := fn(Row{ProductID: p.ID, Supplier: names[p.SupplierID], SKU: p.SKU, GTIN: p.GTIN, Market: v.Market, Channel: v.Channel,
					Verdict: v.Verdict, Codes: v.Codes(), Reasons: v.Reasons, AsOf: ev.date, Cursor: []int64{p.ID, int64(n)}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// storedRow is a stored verdict joined with its product and supplier.
type storedRow struct {
	ID        int64
	ProductID int64
	Supplier  string
	SKU       string
	GTIN      string
	Market    string
	Channel   string
	Verdict   string
	Reasons   string
	AsOf      string
}

// List streams the stored verdicts the caller may see.
func (s *Service) List(ctx context.Context, f Filter, fn func(Row) error) error {
	if _, err := access.From(ctx); err != nil {
		return err
	}
	cursor, err := f.cursorOf(1)
	if err != nil {
		return err
	}
	const page = 2000
	after := cursor[0]
	for {
		q := s.db.WithContext(ctx).Table("verdicts v").
			Select("v.id, v.product_id, s.name AS supplier, p.sku, p.gtin, v.market, v.channel, v.verdict, o.reasons, v.as_of").
			Joins("JOIN products p ON p.id = v.product_id").Joins(withOutcome).Joins("JOIN suppliers s ON s.id = p.supplier_id").
			Scopes(database.SupplierScope(ctx, "p.supplier_id")).Where("v.id > ?", after).Order("v.id").Limit(page)
		if f.Market != "" {
			q = q.Where("v.market = ?", f.Market)
		}
		if f.Channel != "" {
			q = q.Where("v.channel = ?", f.Channel)
		}
		if f.Verdict != "" {
			q = q.Where("v.verdict = ?", f.Verdict)
		}
		if f.SupplierID > 0 {
			q = q.Where("p.supplier_id = ?", f.SupplierID)
		}
		if f.Category != "" {
			q = q.Where("p.category = ?", f.Category)
		}
		if t := strings.TrimSpace(f.Query); t != "" {
			like, err := database.ContainsPattern(t)
			if err != nil {
				q.AddError(err)
			}
			q = q.Where(`(LOWER(p.sku) LIKE ? ESCAPE '\' OR p.gtin LIKE ? ESCAPE '\' OR LOWER(s.name) LIKE ? ESCAPE '\'
				OR LOWER(p.name) LIKE ? ESCAPE '\' OR LOWER(p.brand) LIKE ? ESCAPE '\' OR LOWER(p.model) LIKE ? ESCAPE '\')`, like, like, like, like, like, like)
		}
		var rows []storedRow
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			row, err := r.row()
			if err != nil {
				return err
			}
			if f.keep(row.Market, row.Channel, row.Verdict, row.Codes) {
				if err := fn(row); err != nil {
					return err
				}
			}
		}
		if len(rows) < page {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

func (r storedRow) row() (Row, error) {
	var reasons []policy.Reason
	if err := json.Unmarshal([]byte(r.Reasons), &reasons); err != nil {
		return Row{}, err
	}
	codes := make([]string, len(reasons))
	for i, x := range reasons {
		codes[i] = x.Code
	}
	asOf, _ := civil.Parse(r.AsOf)
	return Row{ProductID: r.ProductID, Supplier: r.Supplier, SKU: r.SKU, GTIN: r.GTIN, Market: r.Market, Channel: r.Channel, Verdict: r.Verdict, Codes: codes, Reasons: reasons, AsOf: asOf,
		Cursor: []int64{r.ID}}, nil
}

// ProductVerdicts returns a product's stored verdicts, NOT_FOUND if the caller may not see it.
func (s *Service) ProductVerdicts(ctx context.Context, productID int64) ([]Stored, error) {
	if _, err := catalog.NewStore(s.db).Product(ctx, productID); err != nil {
		return nil, err
	}
	var out []Stored
	err := s.stored(ctx).Where("v.product_id = ?", productID).Order("v.market, v.channel").Find(&out).Error
	return out, err
}

// Change is one entry of the verdict change feed: a verdict, or its
// reason codes, changed. The feed keeps the codes, not the reasons' text
// (a verdict's full reasons are on the verdict).
type Change struct {
	ID        int64     `json:"id"`
	ProductID int64     `json:"product_id"`
	GTIN      string    `json:"gtin"`
	SKU       string    `json:"sku"`
	Market    string    `json:"market"`
	Channel   string    `json:"channel"`
	Previous  string    `json:"previous"`
	Verdict   string    `json:"verdict"`
	CodesText string    `json:"-" gorm:"column:codes"` // as stored: space-separated
	Codes     []string  `json:"codes" gorm:"-"`        // the reason codes of the verdict after the change; none when withdrawn
	ChangedAt time.Time `json:"changed_at"`
}

// Changes returns feed entries after cursor, oldest first: a listing system
// polls with the last id it saw and delists what became blocked.
func (s *Service) Changes(ctx context.Context, cursor int64, limit int) ([]Change, error) {
	if _, err := access.From(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 500
	}
	var out []Change
	err := s.db.WithContext(ctx).Table("verdict_changes c").
		Select("c.id, c.product_id, p.gtin, p.sku, c.market, c.channel, c.previous, c.verdict, c.codes, c.changed_at").
		Joins("JOIN products p ON p.id = c.product_id").Scopes(database.SupplierScope(ctx, "p.supplier_id")).
		Where("c.id > ?", cursor).Order("c.id").Limit(limit).Find(&out).Error
	for i := range out {
		out[i].Codes = strings.Fields(out[i].CodesText)
	}
	return out, err
}

// GateQuery is the point check a till or a listing system asks: may this
// GTIN be sold (retail) or bought (procurement) in this market, and, when
// SupplierID is set, from this supplier.
type GateQuery struct {
	GTIN, Market, Channel string
	SupplierID            int64
}

// GateAnswer is the gate's answer. Without a supplier, Verdict and Reasons
// are the GTIN's: the undisputed offers decide. With one, they are that
// supplier's offer's. Offers lists every offer of the GTIN in the market
// and channel the caller may see, each with its own verdict.
type GateAnswer struct {
	GTIN       string          `json:"gtin"`
	Market     string          `json:"market"`
	Channel    string          `json:"channel"`
	SupplierID int64           `json:"supplier_id,omitempty"`
	Verdict    string          `json:"verdict"`
	Reasons    []policy.Reason `json:"reasons"`
	// GTINVerdict is the GTIN's own verdict, the one without a supplier,
	// shown beside a supplier's: the listing feed lists the GTIN exactly
	// when it is allowed.
	GTINVerdict string      `json:"gtin_verdict"`
	Products    []int64     `json:"product_ids"`
	Offers      []GateOffer `json:"offers"`
}

// GateOffer is one supplier's offer of a GTIN at the gate.
type GateOffer struct {
	SupplierID int64  `json:"supplier_id"`
	ProductID  int64  `json:"product_id"`
	Verdict    string `json:"verdict"`
	Disputed   bool   `json:"disputed"`
}

const codeUnknownProduct = "UNKNOWN_PRODUCT"

var (
	reasonUnknownProduct = policy.Reason{Code: codeUnknownProduct, Severity: policy.Block,
		Message: "No supplier has listed this GTIN.", Fix: "The supplier must upload the product first."}
	reasonUnknownOffer = policy.Reason{Code: codeUnknownProduct, Severity: policy.Block,
		Message: "This supplier has not listed this GTIN.", Fix: "Ask this supplier to upload the product, or choose another supplier."}
	reasonNotOffered = policy.Reason{Code: "NOT_OFFERED", Severity: policy.Block,
		Message: "The product is not offered in this market, or has not been evaluated yet.", Fix: "The supplier must list this market for the product."}
	reasonAllDisputed = policy.Reason{Code: policy.Disputed, Severity: policy.Block,
		Message: "Every supplier's data for this GTIN is in dispute.", Fix: "A category manager must resolve the dispute."}
)

// Gate answers allowed or blocked for a GTIN in a market and channel from
// the stored verdicts, failing closed: an unknown GTIN, one no supplier
// offers in that market, and one whose every offer is disputed are
// blocked. Without a supplier the undisputed offers decide: allowed only
// if every one of them is (they agree, so they normally share a verdict),
// which is exactly when the listing feed lists the GTIN. A disputed offer
// never decides for the GTIN, so one supplier's upload cannot block or
// unblock another's product.
func (s *Service) Gate(ctx context.Context, q GateQuery) (GateAnswer, error) {
	supplier, only, err := access.SupplierOnly(ctx)
	if err != nil {
		return GateAnswer{}, err
	}
	return s.gate(ctx, q, supplier, only)
}

// gate is Gate over the offers of one supplier (only) or of every supplier.
func (s *Service) gate(ctx context.Context, q GateQuery, supplier int64, only bool) (GateAnswer, error) {
	gtin, ok := catalog.NormaliseGTIN(q.GTIN)
	if !ok {
		return GateAnswer{}, errs.Invalidf("INVALID_GTIN", "%q is not a GTIN", q.GTIN)
	}
	market, channel := strings.ToUpper(q.Market), strings.ToLower(q.Channel)
	if !catalog.IsMarket(market) {
		return GateAnswer{}, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", market)
	}
	if channel != "retail" && channel != "procurement" {
		return GateAnswer{}, errs.Invalidf("UNKNOWN_CHANNEL", "channel must be retail or procurement")
	}
	ans := GateAnswer{GTIN: gtin, Market: market, Channel: channel, SupplierID: q.SupplierID, Verdict: policy.Blocked, Offers: []GateOffer{}}
	rows, err := s.gateOffers(ctx, gtin, market, channel, supplier, only)
	if err != nil {
		return ans, err
	}
	var all, own []offerAnswer
	known, today := false, civil.Of(s.now())
	for _, r := range rows {
		mine := q.SupplierID == 0 || r.SupplierID == q.SupplierID
		if mine {
			known = true
			ans.Products = append(ans.Products, r.ProductID)
		}
		if r.Verdict == nil {
			continue // not offered in this market
		}
		if r.Reasons == nil { // a verdict without its outcome: never read as allowed
			return ans, fmt.Errorf("verdict of product %d: its outcome is missing", r.ProductID)
		}
		verdict := *r.Verdict
		blocked, dueReasons := blockedByNow(verdict, r.BlocksOn, r.BlockCodes, today)
		if blocked {
			verdict = policy.Blocked
		}
		o := offerAnswer{GateOffer: GateOffer{SupplierID: r.SupplierID, ProductID: r.ProductID, Verdict: gateVerdict(verdict, r.Disputed), Disputed: r.Disputed}}
		if blocked {
			o.reasons = dueReasons
		} else if err := json.Unmarshal([]byte(*r.Reasons), &o.reasons); err != nil {
			return ans, fmt.Errorf("verdict of product %d: %w", r.ProductID, err)
		}
		if r.Disputed && !hasCode(o.reasons, policy.Disputed) {
			o.reasons = append([]policy.Reason{policy.DisputedReason()}, o.reasons...)
		}
		ans.Offers = append(ans.Offers, o.GateOffer)
		all = append(all, o)
		if mine {
			own = append(own, o)
		}
	}
	overall, overallReasons := decide(len(rows) > 0, all, false)
	ans.GTINVerdict = overall
	if q.SupplierID == 0 {
		ans.Verdict, ans.Reasons = overall, overallReasons
	} else {
		ans.Verdict, ans.Reasons = decide(known, own, true)
	}
	return ans, nil
}

// gateRow is one offer of a GTIN with its verdict in a market and channel,
// if it has one there.
type gateRow struct {
	ProductID  int64
	SupplierID int64
	Disputed   bool
	Verdict    *string
	Reasons    *string
	BlocksOn   *string // the date the verdict, if allowed, turns blocked
	BlockCodes *string
}

// gateQuery finds a GTIN's offers by products_gtin and each one's verdict by
// the verdicts' unique key (a LEFT JOIN: an inner one lets SQLite scan the
// market's verdicts instead).
const gateQuery = `SELECT p.id, p.supplier_id, p.disputed, v.verdict, o.reasons, v.blocks_on, v.block_codes FROM products p
	LEFT JOIN verdicts v ON v.product_id = p.id AND v.market = ? AND v.channel = ?
	LEFT JOIN verdict_outcomes o ON o.id = v.outcome_id
	WHERE p.gtin = ?`

// gateOffers reads the offers of gtin: one supplier's (only) or every
// supplier's. It runs for every till's request, so its statement text is
// fixed (prepared once when s is on a prepared-statement session) and its
// rows are scanned by hand rather than by gorm's reflection, which cost
// more than the look-up itself.
func (s *Service) gateOffers(ctx context.Context, gtin, market, channel string, supplier int64, only bool) ([]gateRow, error) {
	q, args := gateQuery, []any{market, channel, gtin}
	if only {
		q, args = q+" AND p.supplier_id = ?", append(args, supplier)
	}
	rows, err := s.db.WithContext(ctx).Raw(q+" ORDER BY p.id", args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []gateRow
	for rows.Next() {
		var r gateRow
		if err := rows.Scan(&r.ProductID, &r.SupplierID, &r.Disputed, &r.Verdict, &r.Reasons, &r.BlocksOn, &r.BlockCodes); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// decide is the gate's verdict over some offers of a GTIN in one market and
// channel: the undisputed ones decide (or, for one supplier's, its own).
func decide(known bool, offers []offerAnswer, oneSupplier bool) (string, []policy.Reason) {
	switch {
	case !known && oneSupplier:
		return policy.Blocked, []policy.Reason{reasonUnknownOffer}
	case !known:
		return policy.Blocked, []policy.Reason{reasonUnknownProduct}
	case len(offers) == 0:
		return policy.Blocked, []policy.Reason{reasonNotOffered}
	}
	verdict, reasons, deciding := policy.Allowed, []policy.Reason{}, 0
	seen := map[string]bool{}
	for _, o := range offers {
		if o.Disputed && !oneSupplier {
			continue
		}
		deciding++
		if o.Verdict != policy.Allowed {
			verdict = policy.Blocked
		}
		for _, x := range o.reasons {
			if !seen[x.Code] {
				seen[x.Code] = true
				reasons = append(reasons, x)
			}
		}
	}
	if deciding == 0 {
		return policy.Blocked, []policy.Reason{reasonAllDisputed}
	}
	return verdict, reasons
}

type offerAnswer struct {
	GateOffer
	reasons []policy.Reason
}

// gateVerdict is a stored verdict as the gate reports it: a disputed offer
// is blocked whatever was stored.
func gateVerdict(stored string, disputed bool) string {
	if disputed {
		return policy.Blocked
	}
	return stored
}

func hasCode(reasons []policy.Reason, code string) bool {
	for _, r := range reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

// Evaluator decides many products with one policy and one registry view,
// loaded once: the procurement gate checks every line of an order with it.
type Evaluator struct{ ev evaluation }

// NewEvaluator loads the active policy and the latest registries.
func (s *Service) NewEvaluator(ctx context.Context) (*Evaluator, error) {
	if _, err := access.From(ctx); err != nil {
		return nil, err
	}
	ev, err := s.prepare(ctx, civil.Date{}, nil)
	if err != nil {
		return nil, err
	}
	return &Evaluator{ev: ev}, nil
}

// PolicyID is the stored id of the policy the evaluator applies.
func (e *Evaluator) PolicyID() int64 { return e.ev.policyID }

// Decide evaluates p in one market and channel as of a date, storing
// nothing. A market the product is not offered in is blocked (NOT_OFFERED).
func (e *Evaluator) Decide(p *catalog.Product, market, channel string, asOf civil.Date) policy.Verdict {
	v := e.ev.doc.EvaluateOne(p, market, channel, asOf, e.ev.view)
	if !slices.Contains(p.Markets, market) {
		v.Verdict = policy.Blocked
		v.Reasons = append(v.Reasons, policy.Reason{Code: "NOT_OFFERED", Severity: policy.Block,
			Message: "The supplier does not offer this product in this market.", Fix: "Choose a product offered in the order's market."})
	}
	return v
}
