package verdicts

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// ProductSearch selects products, one row each, by what they are and by
// their stored verdicts. Market, Channel and Code pick the verdicts the
// search looks at (all of a product's when empty); Verdict then says what
// they must be: "blocked" is blocked in at least one of them, "allowed" is
// allowed in every one of them. The two split the products that have such
// verdicts, so the dashboard's allowed and blocked figures add up.
type ProductSearch struct {
	Text            string // part of the name, brand, model, SKU or GTIN, any case
	SupplierID      int64
	Category        string
	Market          string
	Channel         string
	Verdict         string // "", "allowed" or "blocked"
	Code            string // a reason code, any case
	BatchID         int64  // the products this import batch created or updated
	SupportEndMonth string // YYYY-MM: security support ends in that month
	// ChangedSince, with Verdict: a verdict in the selected market and
	// channel changed to Verdict at or after it.
	ChangedSince time.Time
	Offset       int
	Limit        int // 1 to MaxPage; 0 is DefaultPage
}

// Page sizes of a product search.
const (
	DefaultPage = 50
	MaxPage     = 1000
)

var (
	monthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
	codePattern  = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
)

// Normalise checks and tidies a search: codes and markets are upper case,
// a channel and a verdict must be known, the page within bounds.
func (q ProductSearch) Normalise() (ProductSearch, error) {
	q.Text = strings.TrimSpace(q.Text)
	q.Market = strings.ToUpper(strings.TrimSpace(q.Market))
	q.Channel = strings.ToLower(strings.TrimSpace(q.Channel))
	q.Verdict = strings.ToLower(strings.TrimSpace(q.Verdict))
	q.Code = strings.ToUpper(strings.TrimSpace(q.Code))
	switch {
	case q.Market != "" && !catalog.IsMarket(q.Market):
		return q, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", q.Market)
	case q.Channel != "" && q.Channel != "retail" && q.Channel != "procurement":
		return q, errs.Invalidf("UNKNOWN_CHANNEL", "channel must be retail or procurement")
	case q.Verdict != "" && q.Verdict != policy.Allowed && q.Verdict != policy.Blocked:
		return q, errs.Invalidf("UNKNOWN_VERDICT", "verdict must be allowed or blocked")
	case q.Code != "" && !codePattern.MatchString(q.Code):
		return q, errs.Invalidf("UNKNOWN_REASON", "%q is not a reason code", q.Code)
	case q.SupportEndMonth != "" && !monthPattern.MatchString(q.SupportEndMonth):
		return q, errs.Invalidf("INVALID_MONTH", "support_end_month must be a month such as 2027-01")
	case q.Offset < 0:
		return q, errs.Invalidf("INVALID_OFFSET", "offset must be 0 or more")
	case q.Limit < 0 || q.Limit > MaxPage:
		return q, errs.Invalidf("INVALID_LIMIT", "limit must be between 1 and %d", MaxPage)
	}
	if q.Limit == 0 {
		q.Limit = DefaultPage
	}
	return q, nil
}

// ProductVerdicts is one product with every stored verdict and its blocking
// reasons, each once, with where it blocks.
type ProductVerdicts struct {
	ProductID  int64            `json:"product_id"`
	SupplierID int64            `json:"supplier_id"`
	Supplier   string           `json:"supplier"`
	SKU        string           `json:"sku"`
	GTIN       string           `json:"gtin"`
	Brand      string           `json:"brand"`
	Model      string           `json:"model"`
	Name       string           `json:"name"`
	Category   string           `json:"category"`
	SupportEnd string           `json:"support_end,omitempty"`
	Verdicts   []MarketVerdict  `json:"verdicts"`
	Blocking   []BlockingReason `json:"blocking"`
	// Unclaimed are labels registries list for the model that the supplier
	// did not claim: claiming one may lift a block.
	Unclaimed []string `json:"unclaimed_labels,omitempty"`
}

// Blocked says whether any verdict of the product is blocked.
func (p ProductVerdicts) Blocked() bool { return len(p.Blocking) > 0 }

// Verdict is the product's verdict in a market and channel, "" if none.
func (p ProductVerdicts) Verdict(market, channel string) string {
	for _, v := range p.Verdicts {
		if v.Market == market && v.Channel == channel {
			return v.Verdict
		}
	}
	return ""
}

// MarketVerdict is a product's verdict in one market and channel.
type MarketVerdict struct {
	Market  string   `json:"market"`
	Channel string   `json:"channel"`
	Verdict string   `json:"verdict"`
	Codes   []string `json:"codes"`
}

// BlockingReason is a blocking reason with the markets and channels it blocks in.
type BlockingReason struct {
	policy.Reason
	Where []string `json:"where"` // "UK retail", in market then channel order
}

// ProductPage is one page of a search and the number of products it selects.
type ProductPage struct {
	Total    int64             `json:"total"`
	Offset   int               `json:"offset"`
	Limit    int               `json:"limit"`
	Products []ProductVerdicts `json:"products"`
}

// searchers may search products: a supplier's user its own.
var searchers = []access.Role{access.Admin, access.CategoryManager, access.Supplier}

// SearchProducts returns a page of the products the caller may see that q
// selects, in SKU order, and their true total.
func (s *Service) SearchProducts(ctx context.Context, q ProductSearch) (ProductPage, error) {
	if _, err := access.Require(ctx, searchers...); err != nil {
		return ProductPage{}, err
	}
	q, err := q.Normalise()
	if err != nil {
		return ProductPage{}, err
	}
	page := ProductPage{Offset: q.Offset, Limit: q.Limit, Products: []ProductVerdicts{}}
	if err := s.searchQuery(ctx, q).Count(&page.Total).Error; err != nil {
		return page, err
	}
	if page.Total == 0 || int64(q.Offset) >= page.Total {
		return page, nil
	}
	var rows []productRow
	if err := s.searchQuery(ctx, q).Select(productRowColumns).Order("p.sku, p.id").Offset(q.Offset).Limit(q.Limit).Find(&rows).Error; err != nil {
		return page, err
	}
	page.Products, err = s.withVerdicts(ctx, rows)
	return page, err
}

// EachProduct streams every product q selects (ignoring its page), in id
// order, a page at a time: for exports of a whole filter.
func (s *Service) EachProduct(ctx context.Context, q ProductSearch, fn func(ProductVerdicts) error) error {
	if _, err := access.Require(ctx, searchers...); err != nil {
		return err
	}
	q, err := q.Normalise()
	if err != nil {
		return err
	}
	const page = 1000
	after := int64(0)
	for {
		var rows []productRow
		if err := s.searchQuery(ctx, q).Select(productRowColumns).Where("p.id > ?", after).Order("p.id").Limit(page).Find(&rows).Error; err != nil {
			return err
		}
		products, err := s.withVerdicts(ctx, rows)
		if err != nil {
			return err
		}
		for _, p := range products {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(rows) < page {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

type productRow struct {
	ID, SupplierID                                 int64
	Supplier, SKU, GTIN, Brand, Model, Name, Categ string
	SupportEnd                                     *string
}

const productRowColumns = "p.id, p.supplier_id, (SELECT s.name FROM suppliers s WHERE s.id = p.supplier_id) AS supplier, p.sku, p.gtin, p.brand, p.model, p.name, p.category AS categ, p.support_end"

// searchQuery is the products q selects, as SQL filters: the verdict
// conditions are EXISTS subqueries on the (product_id, market, channel) key.
func (s *Service) searchQuery(ctx context.Context, q ProductSearch) *gorm.DB {
	// No join: the count needs none, and a join leads SQLite to walk the
	// products through an index (a random read per row) instead of in order.
	db := s.db.WithContext(ctx).Table("products p").Scopes(database.SupplierScope(ctx, "p.supplier_id"))
	if q.SupplierID > 0 {
		db = db.Where("p.supplier_id = ?", q.SupplierID)
	}
	if q.BatchID > 0 {
		db = db.Where("p.batch_id = ?", q.BatchID)
	}
	if q.Category != "" {
		db = db.Where("p.category = ?", q.Category)
	}
	if q.SupportEndMonth != "" {
		db = db.Where("p.support_end >= ? AND p.support_end < ?", q.SupportEndMonth+"-01", nextMonth(q.SupportEndMonth)+"-01")
	}
	if q.Text != "" {
		like, err := database.ContainsPattern(q.Text)
		if err != nil {
			db.AddError(err)
		}
		db = db.Where(`(LOWER(p.name) LIKE ? ESCAPE '\' OR LOWER(p.brand) LIKE ? ESCAPE '\' OR LOWER(p.model) LIKE ? ESCAPE '\'
			OR LOWER(p.sku) LIKE ? ESCAPE '\' OR p.gtin LIKE ? ESCAPE '\')`, like, like, like, like, like)
	}
	// which verdicts the search looks at
	where, args := "v.product_id = p.id", []any{}
	if q.Market != "" {
		where, args = where+" AND v.market = ?", append(args, q.Market)
	}
	if q.Channel != "" {
		where, args = where+" AND v.channel = ?", append(args, q.Channel)
	}
	picked, pickedArgs := where, args
	if q.Code != "" {
		// codes is space-separated: a code matches whole, never a part of another.
		picked, pickedArgs = where+` AND (' ' || v.codes || ' ') LIKE ? ESCAPE '\'`, append(append([]any{}, args...), "% "+database.EscapeLike(q.Code)+" %")
	}
	switch q.Verdict {
	case policy.Blocked:
		db = db.Where("EXISTS (SELECT 1 FROM verdicts v WHERE "+picked+" AND v.verdict = 'blocked')", pickedArgs...)
	case policy.Allowed:
		db = db.Where("EXISTS (SELECT 1 FROM verdicts v WHERE "+picked+")", pickedArgs...).
			Where("NOT EXISTS (SELECT 1 FROM verdicts v WHERE "+where+" AND v.verdict = 'blocked')", args...)
	default:
		if q.Market != "" || q.Channel != "" || q.Code != "" {
			db = db.Where("EXISTS (SELECT 1 FROM verdicts v WHERE "+picked+")", pickedArgs...)
		}
	}
	if q.Verdict != "" && !q.ChangedSince.IsZero() {
		cw, cargs := "c.product_id = p.id AND c.verdict = ? AND c.changed_at >= ?", []any{q.Verdict, q.ChangedSince}
		if q.Market != "" {
			cw, cargs = cw+" AND c.market = ?", append(cargs, q.Market)
		}
		if q.Channel != "" {
			cw, cargs = cw+" AND c.channel = ?", append(cargs, q.Channel)
		}
		db = db.Where("EXISTS (SELECT 1 FROM verdict_changes c WHERE "+cw+")", cargs...)
	}
	return db
}

// nextMonth is the month after a YYYY-MM month.
func nextMonth(m string) string {
	t, _ := time.Parse("2006-01", m)
	return t.AddDate(0, 1, 0).Format("2006-01")
}

// withVerdicts reads the stored verdicts of a page of products.
func (s *Service) withVerdicts(ctx context.Context, rows []productRow) ([]ProductVerdicts, error) {
	out := make([]ProductVerdicts, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	at := make(map[int64]int, len(rows))
	for i, r := range rows {
		ids[i], at[r.ID] = r.ID, i
		out[i] = ProductVerdicts{ProductID: r.ID, SupplierID: r.SupplierID, Supplier: r.Supplier, SKU: r.SKU, GTIN: r.GTIN,
			Brand: r.Brand, Model: r.Model, Name: r.Name, Category: r.Categ, Verdicts: []MarketVerdict{}, Blocking: []BlockingReason{}}
		if r.SupportEnd != nil {
			out[i].SupportEnd = *r.SupportEnd
		}
	}
	var stored []struct {
		ProductID                         int64
		Market, Channel, Verdict, Reasons string
	}
	if err := s.db.WithContext(ctx).Table("verdicts v").Joins(withOutcome).Select("v.product_id, v.market, v.channel, v.verdict, o.reasons").
		Where("v.product_id IN ?", ids).Find(&stored).Error; err != nil {
		return nil, err
	}
	rank := marketRank()
	sort.Slice(stored, func(i, j int) bool {
		a, b := stored[i], stored[j]
		if a.ProductID != b.ProductID {
			return a.ProductID < b.ProductID
		}
		if rank[a.Market] != rank[b.Market] {
			return rank[a.Market] < rank[b.Market]
		}
		return a.Channel > b.Channel // retail before procurement
	})
	for _, v := range stored {
		p := &out[at[v.ProductID]]
		var reasons []policy.Reason
		if err := json.Unmarshal([]byte(v.Reasons), &reasons); err != nil {
			return nil, fmt.Errorf("verdict of product %d: %w", v.ProductID, err)
		}
		mv := MarketVerdict{Market: v.Market, Channel: v.Channel, Verdict: v.Verdict, Codes: make([]string, len(reasons))}
		for i, r := range reasons {
			mv.Codes[i] = r.Code
			if r.Code == "LABEL_AVAILABLE_UNCLAIMED" && len(p.Unclaimed) == 0 {
				p.Unclaimed = r.Labels
			}
			if r.Severity != policy.Block {
				continue
			}
			where := v.Market + " " + v.Channel
			found := false
			for k := range p.Blocking {
				if p.Blocking[k].Code == r.Code {
					p.Blocking[k].Where, found = append(p.Blocking[k].Where, where), true
				}
			}
			if !found {
				p.Blocking = append(p.Blocking, BlockingReason{Reason: r, Where: []string{where}})
			}
		}
		p.Verdicts = append(p.Verdicts, mv)
	}
	return out, nil
}

// marketRank orders markets as catalog.MarketCodes lists them.
func marketRank() map[string]int {
	r := make(map[string]int, len(catalog.MarketCodes))
	for i, m := range catalog.MarketCodes {
		r[m] = i
	}
	return r
}

// BlockingCodes are the reason codes that can block a product under the
// active policy, and the gate's own, sorted: what a reason filter offers.
func (s *Service) BlockingCodes(ctx context.Context) ([]string, error) {
	if _, err := access.From(ctx); err != nil {
		return nil, err
	}
	_, doc, err := s.policies.Active(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{policy.Disputed: true}
	for _, r := range doc.Rules {
		if r.Severity == policy.Block {
			seen[r.Code] = true
			if r.LowCode != "" {
				seen[r.LowCode] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out, nil
}
