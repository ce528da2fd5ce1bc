package verdicts

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Listing is one product a retailer may list in a market, with its
// security facts (SPEC §7) as its facts card in that market says them, so
// a retailer's product page can show them without another request.
type Listing struct {
	Supplier   string `json:"supplier"`
	SKU        string `json:"sku"`
	GTIN       string `json:"gtin"`
	Brand      string `json:"brand"`
	Model      string `json:"model"`
	Name       string `json:"name"`
	Category   string `json:"category"`
	SupportEnd string `json:"support_end"` // security updates until; "" when not declared
	Price      string `json:"price"`
	Currency   string `json:"currency"`
	Warnings   string `json:"warnings"` // codes of the warnings the verdict carries
	AsOf       string `json:"as_of"`
	// PasswordModel is how passwords work (unique_per_device, user_defined,
	// no_password); Passwords says it in the card's words for shoppers.
	PasswordModel string `json:"password_model"`
	Passwords     string `json:"passwords"`
	// VulnReportContact is how to report a vulnerability: a URL or an e-mail address.
	VulnReportContact string `json:"vuln_report_contact"`
	// Tier is the best valid label's tier on the common 1-4 scale, 0 without one.
	Tier int `json:"tier"`
	// Labels are the valid labels held: scheme, label id, the scheme's own
	// level and the tier (CSV and XLSX: "SCHEME ID level L tier T", "; "-separated).
	Labels []CardLabel `json:"labels"`
	// Recalls are the recalls the verdict cites (a listed product's can only
	// be possible ones: a confirmed recall blocks it; CSV and XLSX:
	// "AUTHORITY NUMBER DATE MATCH URL", "; "-separated).
	Recalls []policy.RecallRef `json:"recalls"`
	// BaselineLaw is the card's baseline law line: the market's baseline
	// law, which every listed product meets.
	BaselineLaw string `json:"baseline_law"`
	// FactsURL is the product's security facts card in the market: the
	// embeddable HTML fragment (the badge is FactsURL's path + /badge.svg),
	// absolute when the deployment's public URL is set.
	FactsURL string `json:"facts_url"`
	Cursor   int64  `json:"-"` // where a page that ends with this listing resumes
}

var listingHeader = []string{"supplier", "sku", "gtin", "brand", "model", "name", "category", "support_end", "price", "currency", "warnings", "as_of",
	"password_model", "passwords", "vuln_report_contact", "tier", "labels", "recalls", "baseline_law", "facts_url"}

func (l Listing) cells() []string {
	labels := make([]string, len(l.Labels))
	for i, c := range l.Labels {
		labels[i] = c.Scheme + " " + c.LabelID
		if c.Level != "" {
			labels[i] += " level " + c.Level
		}
		labels[i] += " tier " + strconv.Itoa(c.Tier)
	}
	recalls := make([]string, len(l.Recalls))
	for i, r := range l.Recalls {
		recalls[i] = strings.TrimSpace(strings.Join([]string{r.Authority, r.RecallNumber, r.Date.String(), r.Match, r.URL}, " "))
	}
	return []string{l.Supplier, l.SKU, l.GTIN, l.Brand, l.Model, l.Name, l.Category, l.SupportEnd, l.Price, l.Currency, l.Warnings, l.AsOf,
		l.PasswordModel, l.Passwords, l.VulnReportContact, strconv.Itoa(l.Tier), strings.Join(labels, "; "), strings.Join(recalls, "; "), l.BaselineLaw, l.FactsURL}
}

// FactsPath is where the security facts card of the product with gtin in
// market is served (SPEC §7): an embeddable HTML fragment.
func FactsPath(gtin, market string) string {
	return "/facts/" + url.PathEscape(gtin) + "?market=" + url.QueryEscape(market)
}

// WithPublicURL returns the service giving links (the listing feed's
// facts_url) absolute, under base: the deployment's URL as people reach
// it, such as https://cascade.example. "" keeps them paths.
func (s *Service) WithPublicURL(base string) *Service {
	c := *s
	c.publicURL = strings.TrimRight(base, "/")
	return &c
}

// Listings streams the allowed products of a market and channel, from the
// stored verdicts: only what the gate allows ever reaches a listing feed.
func (s *Service) Listings(ctx context.Context, market, channel string, fn func(Listing) error) error {
	return s.ListingsAfter(ctx, market, channel, 0, fn)
}

// listingRow is what one page's query reads of a listed verdict: the
// product's own facts and the verdict's reasons and evidence, so its facts
// card is built without another query.
type listingRow struct {
	ID                int64
	Supplier          string
	SKU               string
	GTIN              string
	Brand             string
	Model             string
	Name              string
	Category          string
	SupportEnd        civil.Date
	Price             string
	Currency          string
	PasswordModel     string
	VulnReportContact string
	Reasons           string
	Evidence          string
	AsOf              string
}

// ListingsAfter is Listings resuming after the listing whose Cursor is after.
func (s *Service) ListingsAfter(ctx context.Context, market, channel string, after int64, fn func(Listing) error) error {
	if _, err := access.From(ctx); err != nil {
		return err
	}
	market, channel, err := ListingScope(market, channel)
	if err != nil {
		return err
	}
	facts, today := policy.Facts(), civil.Of(s.now())
	gtinAllowed, gtinScope, err := gtinAllowedWhere(ctx, market, channel, today)
	if err != nil {
		return err
	}
	const page = 2000
	for {
		var rows []listingRow
		err := s.db.WithContext(ctx).Table("verdicts v").
			Select("v.id, s.name AS supplier, p.sku, p.gtin, p.brand, p.model, p.name, p.category, p.support_end, p.price, p.currency, "+
				"p.password_model, p.vuln_report_contact, o.reasons, o.evidence, v.as_of").
			Joins("JOIN products p ON p.id = v.product_id").Joins(withOutcome).Joins("JOIN suppliers s ON s.id = p.supplier_id").
			Scopes(database.SupplierScope(ctx, "p.supplier_id")).
			Where("v.market = ? AND v.channel = ? AND v.id > ? AND NOT p.disputed", market, channel, after).
			Where(allowedToday, policy.Allowed, today.String()).
			Where(gtinAllowed, gtinScope...).
			Order("v.id").Limit(page).Find(&rows).Error
		if err != nil {
			return err
		}
		// Verdicts that say the same share their encoding (most products
		// without labels or recalls): each is decoded once a page.
		decoded := map[string]policy.Evidence{}
		for _, r := range rows {
			var reasons []policy.Reason
			if err := json.Unmarshal([]byte(r.Reasons), &reasons); err != nil {
				return fmt.Errorf("listing %s: stored reasons: %w", r.SKU, err)
			}
			ev, ok := decoded[r.Evidence]
			if !ok {
				if err := json.Unmarshal([]byte(r.Evidence), &ev); err != nil {
					return fmt.Errorf("listing %s: stored evidence: %w", r.SKU, err)
				}
				decoded[r.Evidence] = ev
			}
			if err := fn(s.listing(r, market, reasons, ev, today, facts)); err != nil {
				return err
			}
		}
		if len(rows) < page {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// listing is one listed verdict with its security facts, from the facts
// card the product has in the market (buildCard), so the feed and the card
// never say different things.
func (s *Service) listing(r listingRow, market string, reasons []policy.Reason, ev policy.Evidence, today civil.Date, m *policy.FactsMap) Listing {
	var warns []string
	for _, x := range reasons {
		if x.Severity == policy.Warn {
			warns = append(warns, x.Code)
		}
	}
	p := catalog.Product{GTIN: r.GTIN, Brand: r.Brand, Model: r.Model, Name: r.Name, SupportEnd: r.SupportEnd,
		PasswordModel: r.PasswordModel, VulnReportContact: r.VulnReportContact}
	card := buildCard(p, market, policy.Allowed, reasons, ev, today, m)
	l := Listing{Supplier: r.Supplier, SKU: r.SKU, GTIN: r.GTIN, Brand: r.Brand, Model: r.Model, Name: r.Name, Category: r.Category,
		Price: r.Price, Currency: r.Currency, Warnings: strings.Join(warns, " "), AsOf: r.AsOf, Cursor: r.ID,
		PasswordModel: r.PasswordModel, VulnReportContact: r.VulnReportContact, Tier: card.Tier, Labels: card.Labels, Recalls: card.Recalls,
		FactsURL: s.publicURL + FactsPath(r.GTIN, market)}
	if !r.SupportEnd.IsZero() {
		l.SupportEnd = r.SupportEnd.String()
	}
	if r.PasswordModel != "" {
		l.Passwords = m.Passwords[r.PasswordModel]
	}
	for _, line := range card.Lines {
		if line.Key == "law" {
			l.BaselineLaw = line.Value
		}
	}
	return l
}

// gtinAllowedWhere is the condition that keeps the feed and the gate in
// step: an allowed offer is listed only while no other undisputed offer of
// its GTIN in the same market and channel is blocked, which is when the
// gate, asked without a supplier, allows the GTIN. Like the gate, it
// considers only the offers the caller may see.
//
// The other offers are found by GTIN first and their verdict by its unique
// key (products_gtin, then verdicts' own key): correlating the verdicts by
// market and channel instead lets SQLite scan the market's verdicts for
// every row listed.
func gtinAllowedWhere(ctx context.Context, market, channel string, today civil.Date) (string, []any, error) {
	p, err := access.From(ctx)
	if err != nil {
		return "", nil, err
	}
	cond := `NOT EXISTS (SELECT 1 FROM products o WHERE o.gtin = p.gtin AND o.id <> p.id AND NOT o.disputed%s
		AND EXISTS (SELECT 1 FROM verdicts ov WHERE ov.product_id = o.id AND ov.market = ? AND ov.channel = ?
			AND (ov.verdict <> ? OR ov.blocks_on <= ?)))`
	if p.Role == access.Supplier {
		return fmt.Sprintf(cond, " AND o.supplier_id = ?"), []any{p.SupplierID, market, channel, policy.Allowed, today.String()}, nil
	}
	return fmt.Sprintf(cond, ""), []any{market, channel, policy.Allowed, today.String()}, nil
}

// ListingScope checks and normalises a listing feed's market and channel
// (retail when empty).
func ListingScope(market, channel string) (string, string, error) {
	market, channel = strings.ToUpper(market), strings.ToLower(channel)
	if !catalog.IsMarket(market) {
		return market, channel, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", market)
	}
	if channel == "" {
		channel = "retail"
	}
	if channel != "retail" && channel != "procurement" {
		return market, channel, errs.Invalidf("UNKNOWN_CHANNEL", "channel must be retail or procurement")
	}
	return market, channel, nil
}

// Listing feed formats.
var ListingFormats = []string{"csv", "xlsx", "json"}

// WriteListings writes the listing feed of a market and channel to w as CSV,
// XLSX or JSON, a row at a time. Supplier text never becomes a formula: CSV
// cells are neutralised, XLSX cells are written as strings.
func (s *Service) WriteListings(ctx context.Context, w io.Writer, market, channel, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(listingHeader)
		err := s.Listings(ctx, market, channel, func(l Listing) error {
			cells := l.cells()
			for i := range cells {
				cells[i] = tabular.SafeText(cells[i])
			}
			return cw.Write(cells)
		})
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	case "json":
		if _, err := io.WriteString(w, `{"listings":[`); err != nil {
			return err
		}
		first := true
		err := s.Listings(ctx, market, channel, func(l Listing) error {
			if !first {
				if _, err := io.WriteString(w, ","); err != nil {
					return err
				}
			}
			first = false
			b, err := json.Marshal(l)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		})
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, "]}\n")
		return err
	case "xlsx":
		wb := tabular.NewWorkbook()
		defer wb.Close()
		sheet, err := wb.AddStreamSheet("Listings " + strings.ToUpper(market))
		if err != nil {
			return err
		}
		if err := sheet.WriteRow(listingHeader); err != nil {
			return err
		}
		if err := s.Listings(ctx, market, channel, func(l Listing) error { return sheet.WriteRow(l.cells()) }); err != nil {
			return err
		}
		_, err = wb.WriteTo(w)
		return err
	}
	return errs.Invalidf("INVALID_FORMAT", "format must be one of %s", strings.Join(ListingFormats, ", "))
}
