package verdicts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// FactLine is one line of a security facts card, with the outcomes it evidences.
type FactLine struct {
	Key    string   `json:"key"`
	Label  string   `json:"label"`
	Value  string   `json:"value"`
	ETSI   []string `json:"etsi_en_303_645"`
	NISTIR []string `json:"nistir_8425"`
}

// CardLabel is a valid label the product holds: its tier on the common 1-4
// scale (0: not recognised for the product) and the scheme's own level.
type CardLabel struct {
	Scheme  string `json:"scheme"`
	LabelID string `json:"label_id"`
	Level   string `json:"level"`
	Tier    int    `json:"tier"`
}

// Card is a product's security facts in one market (SPEC §7): what a
// shopper can read in ten seconds, from its retail verdict there.
type Card struct {
	GTIN       string             `json:"gtin"`
	Market     string             `json:"market"`
	Brand      string             `json:"brand"`
	Model      string             `json:"model"`
	Name       string             `json:"name"`
	Verdict    string             `json:"verdict"` // the retail verdict: a blocked product's card says so
	SupportEnd civil.Date         `json:"support_end"`
	MonthsLeft int                `json:"support_months_left"` // whole months from today; negative once ended
	Tier       int                `json:"tier"`                // the best valid label's tier, 0 without one
	Labels     []CardLabel        `json:"labels"`
	Recalls    []policy.RecallRef `json:"recalls"`
	Law        string             `json:"law"`
	LawMet     bool               `json:"law_met"`
	Lines      []FactLine         `json:"lines"`
	AsOf       civil.Date         `json:"as_of"`
	Map        string             `json:"facts_map_version"`
	// Public is set on a card given under the public cards setting: the
	// same to everyone, so a shared cache may keep it (WithPublicFacts).
	Public bool `json:"-"`
}

// Blocked reports whether the product's retail verdict blocks it.
func (c Card) Blocked() bool { return c.Verdict != policy.Allowed }

// WithPublicFacts returns the service with the deployment's public cards
// setting (cascade serve --public-facts): on, anyone may read the card of a
// product the gate allows in a market's retail channel, signed in or not.
func (s *Service) WithPublicFacts(on bool) *Service {
	c := *s
	c.publicFacts = on
	return &c
}

// Facts builds the security facts card of the product with gtin in market,
// from its stored retail verdict, for whoever asks (SPEC §7: cards are
// behind sign-in by default; the public cards setting opens those of
// allowed products, never of blocked ones):
//
//   - A signed-in user reads every card (a supplier only its own products'),
//     a blocked product's saying so; with public cards on, a supplier also
//     reads the public cards of other suppliers' products.
//   - Nobody signed in, with public cards on: the card of a GTIN the gate
//     allows in the market's retail channel, asked without a supplier (every
//     undisputed offer allowed), marked Public. A blocked, disputed,
//     unknown, not offered or not yet evaluated GTIN gets UNKNOWN_PRODUCT, the
//     very answer a GTIN nobody offers gets: nothing tells it exists.
//   - Nobody signed in, public cards off: UNAUTHENTICATED.
//
// For a signed-in user, an unknown GTIN, or one not offered or not yet
// evaluated in the market, is UNKNOWN_PRODUCT: there is no card to show.
func (s *Service) Facts(ctx context.Context, gtin, market string) (Card, error) {
	_, err := access.From(ctx)
	signedIn := err == nil
	if !signedIn && !s.publicFacts {
		return Card{}, err
	}
	g, ok := catalog.NormaliseGTIN(gtin)
	if !ok {
		return Card{}, errs.Invalidf("INVALID_GTIN", "%q is not a GTIN", gtin)
	}
	market = strings.ToUpper(market)
	if !catalog.IsMarket(market) {
		return Card{}, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", market)
	}
	if signedIn {
		c, err := s.signedInCard(ctx, g, market)
		if !s.publicFacts || errs.CodeOf(err) != codeUnknownProduct {
			return c, err
		}
		// Not one of a supplier's own: what anyone may read, it may too.
	}
	return s.publicCard(ctx, g, market)
}

// noCard is the answer for a GTIN with no card to show the caller.
func noCard(gtin, market string) error {
	return errs.E(errs.NotFound, codeUnknownProduct, "no product with GTIN %s is offered and evaluated in %s", gtin, market)
}

// signedInCard is the card of the caller's first offer of gtin with a
// retail verdict in market, an undisputed one first: its data is the one
// the gate trusts.
func (s *Service) signedInCard(ctx context.Context, gtin, market string) (Card, error) {
	var p catalog.Product
	err := s.db.WithContext(ctx).Scopes(database.SupplierScope(ctx, "supplier_id")).Omit("extra").
		Where("gtin = ? AND id IN (SELECT product_id FROM verdicts WHERE market = ? AND channel = ?)", gtin, market, "retail").
		Order("disputed, id").First(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Card{}, noCard(gtin, market)
	}
	if err != nil {
		return Card{}, err
	}
	return s.cardOf(ctx, p, market)
}

// publicCard is the card anyone may read: the GTIN's, exactly when the
// gate, asked without a supplier over every supplier's offers, allows it in
// the market's retail channel; from the first undisputed offer, as
// signedInCard takes it. Anything else is noCard, whatever the reason.
func (s *Service) publicCard(ctx context.Context, gtin, market string) (Card, error) {
	ans, err := s.gate(ctx, GateQuery{GTIN: gtin, Market: market, Channel: "retail"}, 0, false)
	if err != nil {
		return Card{}, err
	}
	if ans.Verdict != policy.Allowed {
		return Card{}, noCard(gtin, market)
	}
	var id int64
	for _, o := range ans.Offers {
		if !o.Disputed {
			id = o.ProductID
			break
		}
	}
	var p catalog.Product
	if err := s.db.WithContext(ctx).Omit("extra").First(&p, id).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return Card{}, noCard(gtin, market) // deleted since the gate read it
	} else if err != nil {
		return Card{}, err
	}
	c, err := s.cardOf(ctx, p, market)
	if errs.CodeOf(err) == codeUnknownProduct || err == nil && c.Blocked() {
		return Card{}, noCard(gtin, market) // re-evaluated since: never a blocked card
	}
	c.Public = true
	return c, err
}

// cardOf builds p's card from its stored retail verdict in market.
func (s *Service) cardOf(ctx context.Context, p catalog.Product, market string) (Card, error) {
	var v Stored
	err := s.stored(ctx).Where("v.product_id = ? AND v.market = ? AND v.channel = ?", p.ID, market, "retail").Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Card{}, noCard(p.GTIN, market)
	}
	if err != nil {
		return Card{}, err
	}
	var reasons []policy.Reason
	var ev policy.Evidence
	if err := json.Unmarshal(v.Reasons, &reasons); err != nil {
		return Card{}, err
	}
	if err := json.Unmarshal(v.Evidence, &ev); err != nil {
		return Card{}, err
	}
	today := civil.Of(s.now())
	if blocked, due := blockedByNow(v.Verdict, v.BlocksOn, v.BlockCodes, today); blocked {
		v.Verdict, reasons = policy.Blocked, due
	}
	return buildCard(p, market, v.Verdict, reasons, ev, today, policy.Facts()), nil
}

// buildCard writes the card's lines from the product, its verdict and the facts map.
func buildCard(p catalog.Product, market, verdict string, reasons []policy.Reason, ev policy.Evidence, today civil.Date, m *policy.FactsMap) Card {
	c := Card{GTIN: p.GTIN, Market: market, Brand: p.Brand, Model: p.Model, Name: p.Name, Verdict: verdict, SupportEnd: p.SupportEnd,
		Labels: []CardLabel{}, Recalls: []policy.RecallRef{}, Law: m.Laws[market], LawMet: verdict == policy.Allowed, AsOf: today, Map: m.Version}
	line := func(key, value string) {
		l := m.Lines[key]
		c.Lines = append(c.Lines, FactLine{Key: key, Label: l.Label, Value: value, ETSI: l.ETSI, NISTIR: l.NISTIR})
	}
	support := "not declared"
	if !p.SupportEnd.IsZero() {
		c.MonthsLeft = monthsBetween(today, p.SupportEnd)
		switch {
		case p.SupportEnd.Before(today):
			support = fmt.Sprintf("%s (ended)", p.SupportEnd)
		default:
			support = fmt.Sprintf("%s (ends in %d months)", p.SupportEnd, c.MonthsLeft)
		}
	}
	line("support", support)
	pw := m.Passwords[p.PasswordModel]
	if pw == "" {
		pw = "not declared"
	}
	line("passwords", pw)
	vuln := p.VulnReportContact
	if vuln == "" {
		vuln = "not declared"
	}
	line("vulnerability_reports", vuln)
	var held []string
	for _, l := range ev.Labels {
		if !l.Claimed || l.Status != registry.StatusValid {
			continue
		}
		cl := CardLabel{Scheme: l.Scheme, LabelID: l.LabelID, Tier: l.Tier}
		if l.Entry != nil {
			cl.Level = l.Entry.Level
		}
		c.Labels = append(c.Labels, cl)
		c.Tier = max(c.Tier, l.Tier)
		text := l.Scheme
		if cl.Level != "" {
			text += " level " + cl.Level
		}
		if cl.Tier > 0 {
			text += fmt.Sprintf(" (tier %d of 4)", cl.Tier)
		} else {
			text += " (no tier for this product)"
		}
		held = append(held, text)
	}
	if len(held) == 0 {
		held = []string{"none"}
	}
	line("labels", strings.Join(held, "; "))
	var recalls []string
	for _, r := range reasons {
		for _, rc := range r.Recalls {
			c.Recalls = append(c.Recalls, rc)
			recalls = append(recalls, fmt.Sprintf("%s %s (%s): %s", rc.Authority, rc.RecallNumber, rc.Date, rc.Hazard))
		}
	}
	if len(recalls) == 0 {
		recalls = []string{"none known"}
	}
	// A stale list is said, not passed over: "none known" is only as good
	// as the lists behind it (RECALL_LIST_STALE).
	for _, l := range ev.StaleRecallLists {
		recalls = append(recalls, fmt.Sprintf("the %s recall list has not been refreshed since %s", l.List, civil.Of(l.FetchedAt)))
	}
	line("recalls", strings.Join(recalls, "; "))
	law := c.Law
	if c.LawMet {
		law = "meets " + law
	} else {
		law = "does not meet " + law + ": not for sale here"
	}
	line("law", law)
	return c
}

// monthsBetween counts the whole calendar months from a to b (negative when b is before a).
func monthsBetween(a, b civil.Date) int {
	n := (b.Year-a.Year)*12 + int(b.Month) - int(a.Month)
	if b.Day < a.Day {
		n--
	}
	return n
}
