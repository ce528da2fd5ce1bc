package verdicts

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/cascade-gate/cascade/app/access"
	"github.com/cascade-gate/cascade/app/civil"
	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/app/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// supplierNames maps supplier ids to names for output rows.
func (s *Service) supplierNames(ctx context.Context) (map[int64]string, error) {
	var rows []struct {
		ID   int64
		Name string
	}
	if err := s.db.WithContext(ctx).Table("suppliers").Scopes(access.SupplierScope(ctx, "id")).Find(&rows).Error; err != nil {
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
	return s.products(ctx, nil, f.SupplierID, func(batch []catalog.Product) error {
		for i := range batch {
			p := &batch[i]
			for _, v := range ev.doc.Evaluate(p, ev.date, ev.view) {
				if !f.keep(v.Market, v.Channel, v.Verdict, v.Codes()) {
					continue
				}
				if err := fn(Row{ProductID: p.ID, Supplier: names[p.SupplierID], SKU: p.SKU, GTIN: p.GTIN, Market: v.Market, Channel: v.Channel,
					Verdict: v.Verdict, Codes: v.Codes(), Reasons: v.Reasons, AsOf: ev.date}); err != nil {
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
	const page = 2000
	after := int64(0)
	for {
		q := s.db.WithContext(ctx).Table("verdicts v").
			Select("v.id, v.product_id, s.name AS supplier, p.sku, p.gtin, v.market, v.channel, v.verdict, v.reasons, v.as_of").
			Joins("JOIN products p ON p.id = v.product_id").Joins("JOIN suppliers s ON s.id = p.supplier_id").
			Scopes(access.SupplierScope(ctx, "p.supplier_id")).Where("v.id > ?", after).Order("v.id").Limit(page)
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
	return Row{ProductID: r.ProductID, Supplier: r.Supplier, SKU: r.SKU, GTIN: r.GTIN, Market: r.Market, Channel: r.Channel, Verdict: r.Verdict, Codes: codes, Reasons: reasons, AsOf: asOf}, nil
}

// ProductVerdicts returns a product's stored verdicts, NOT_FOUND if the caller may not see it.
func (s *Service) ProductVerdicts(ctx context.Context, productID int64) ([]Stored, error) {
	if _, err := catalog.NewStore(s.db).Product(ctx, productID); err != nil {
		return nil, err
	}
	var out []Stored
	err := s.db.WithContext(ctx).Where("product_id = ?", productID).Order("market, channel").Find(&out).Error
	return out, err
}

// Change is one entry of the verdict change feed.
type Change struct {
	ID        int64             `json:"id"`
	ProductID int64             `json:"product_id"`
	GTIN      string            `json:"gtin"`
	SKU       string            `json:"sku"`
	Market    string            `json:"market"`
	Channel   string            `json:"channel"`
	Previous  string            `json:"previous"`
	Verdict   string            `json:"verdict"`
	Codes     string            `json:"-"`
	Reasons   database.JSONText `json:"reasons"`
	ChangedAt time.Time         `json:"changed_at"`
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
		Joins("JOIN products p ON p.id = c.product_id").Scopes(access.SupplierScope(ctx, "p.supplier_id")).
		Where("c.id > ?", cursor).Order("c.id").Limit(limit).Find(&out).Error
	return out, err
}

// GateAnswer is the point check a till or a listing system asks.
type GateAnswer struct {
	GTIN     string          `json:"gtin"`
	Market   string          `json:"market"`
	Channel  string          `json:"channel"`
	Verdict  string          `json:"verdict"`
	Reasons  []policy.Reason `json:"reasons"`
	Products []int64         `json:"product_ids"`
}

// ErrUnknownProduct is the gate's reason for a GTIN nobody supplies.
const codeUnknownProduct = "UNKNOWN_PRODUCT"

// Gate answers allowed or blocked for a GTIN in a market and channel from
// the stored verdicts. An unknown GTIN, or one with no verdict in that
// market, is blocked. When several suppliers offer the GTIN, it is allowed
// only if every one of their verdicts is.
func (s *Service) Gate(ctx context.Context, rawGTIN, market, channel string) (GateAnswer, error) {
	if _, err := access.From(ctx); err != nil {
		return GateAnswer{}, err
	}
	gtin, ok := catalog.NormaliseGTIN(rawGTIN)
	if !ok {
		return GateAnswer{}, errs.Invalidf("INVALID_GTIN", "%q is not a GTIN", rawGTIN)
	}
	market, channel = strings.ToUpper(market), strings.ToLower(channel)
	if !catalog.IsMarket(market) {
		return GateAnswer{}, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", market)
	}
	if channel != "retail" && channel != "procurement" {
		return GateAnswer{}, errs.Invalidf("UNKNOWN_CHANNEL", "channel must be retail or procurement")
	}
	ans := GateAnswer{GTIN: gtin, Market: market, Channel: channel, Verdict: policy.Blocked}
	var rows []struct {
		ProductID int64
		Verdict   *string
		Reasons   *string
	}
	err := s.db.WithContext(ctx).Table("products p").Select("p.id AS product_id, v.verdict, v.reasons").
		Joins("LEFT JOIN verdicts v ON v.product_id = p.id AND v.market = ? AND v.channel = ?", market, channel).
		Scopes(access.SupplierScope(ctx, "p.supplier_id")).Where("p.gtin = ?", gtin).Order("p.id").Find(&rows).Error
	if err != nil {
		return ans, err
	}
	if len(rows) == 0 {
		ans.Reasons = []policy.Reason{{Code: codeUnknownProduct, Severity: policy.Block, Message: "No supplier has listed this GTIN.", Fix: "The supplier must upload the product first."}}
		return ans, nil
	}
	allowed := true
	seen := map[string]bool{}
	for _, r := range rows {
		ans.Products = append(ans.Products, r.ProductID)
		if r.Verdict == nil {
			allowed = false
			if !seen["NOT_OFFERED"] {
				seen["NOT_OFFERED"] = true
				ans.Reasons = append(ans.Reasons, policy.Reason{Code: "NOT_OFFERED", Severity: policy.Block,
					Message: "The product is not offered in this market, or has not been evaluated yet.", Fix: "The supplier must list this market for the product."})
			}
			continue
		}
		if *r.Verdict != policy.Allowed {
			allowed = false
		}
		var reasons []policy.Reason
		_ = json.Unmarshal([]byte(*r.Reasons), &reasons)
		for _, x := range reasons {
			if !seen[x.Code] {
				seen[x.Code] = true
				ans.Reasons = append(ans.Reasons, x)
			}
		}
	}
	if allowed {
		ans.Verdict = policy.Allowed
	}
	return ans, nil
}

// Evaluator decides many products with one policy and one registry view,
// loaded once: the procurement gate checks every line of an order with it.
type Evaluator struct{ ev evaluation }

// NewEvaluator loads the active policy and the latest registries.
func (s *Service) NewEvaluator(ctx context.Context) (*Evaluator, error) {
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
