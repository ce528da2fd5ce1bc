package verdicts

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// The dashboard counts products, never verdicts, and every figure carries
// the ProductSearch that lists exactly the products it counts: the number
// a manager clicks is the total of the list it opens. (Its calendar of
// upcoming blocks, UpcomingCalendar, counts verdicts, as the list of
// upcoming blocks it opens does.)

// Count is a number of products with a label and the search behind it.
type Count struct {
	Label  string
	N      int
	Search ProductSearch
}

// MarketCount is the products of one market and channel, by verdict.
type MarketCount struct {
	Market, Channel  string
	Allowed, Blocked int
}

// Searches are the lists behind the market's two figures.
func (m MarketCount) Searches() (allowed, blocked ProductSearch) {
	q := ProductSearch{Market: m.Market, Channel: m.Channel}
	allowed, blocked = q, q
	allowed.Verdict, blocked.Verdict = policy.Allowed, policy.Blocked
	return allowed, blocked
}

// Scorecard is a supplier's retail standing, in products: a product is
// blocked when a retail verdict of it is, allowed when all of them are.
type Scorecard struct {
	SupplierID       int64
	Supplier         string
	Allowed, Blocked int
	// NewlyAllowed and NewlyBlocked are the products allowed (blocked) now
	// whose retail verdict changed to that in the last 30 days: a part of
	// Allowed (Blocked), never more.
	NewlyAllowed, NewlyBlocked int
	Since                      time.Time // the start of those 30 days
}

// Search is the list behind one of the scorecard's figures: verdict
// "allowed" or "blocked", newly or not.
func (s Scorecard) Search(verdict string, newly bool) ProductSearch {
	q := ProductSearch{SupplierID: s.SupplierID, Channel: "retail", Verdict: verdict}
	if newly {
		q.ChangedSince = s.Since
	}
	return q
}

// Dashboard is what a category manager looks at first.
type Dashboard struct {
	Markets    []MarketCount
	TopReasons []Count // products blocked by each blocking code, most first
	Suppliers  []Scorecard
}

// Dashboard sums the stored verdicts. Admins and category managers may read it.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	if _, err := access.Require(ctx, access.Admin, access.CategoryManager); err != nil {
		return Dashboard{}, err
	}
	db := s.db.WithContext(ctx)
	var d Dashboard
	// A product has one verdict per market and channel, so verdicts counted
	// here are products.
	var byMarket []struct {
		Market, Channel, Verdict string
		N                        int
	}
	if err := db.Table("verdicts").Select("market, channel, verdict, COUNT(*) AS n").Group("market, channel, verdict").Find(&byMarket).Error; err != nil {
		return d, err
	}
	idx := map[string]int{}
	for _, r := range byMarket {
		k := r.Market + " " + r.Channel
		i, ok := idx[k]
		if !ok {
			i = len(d.Markets)
			idx[k] = i
			d.Markets = append(d.Markets, MarketCount{Market: r.Market, Channel: r.Channel})
		}
		if r.Verdict == policy.Allowed {
			d.Markets[i].Allowed += r.N
		} else {
			d.Markets[i].Blocked += r.N
		}
	}
	rank := marketRank()
	sort.Slice(d.Markets, func(i, j int) bool {
		a, b := d.Markets[i], d.Markets[j]
		if rank[a.Market] != rank[b.Market] {
			return rank[a.Market] < rank[b.Market]
		}
		return a.Channel > b.Channel // retail first
	})

	if err := s.topReasons(ctx, &d); err != nil {
		return d, err
	}

	today := civil.Today()
	since := today.AddDays(-30).Time()
	var cards []Scorecard
	err := db.Raw(`SELECT p.supplier_id, s.name AS supplier,
			SUM(1 - x.blocked) AS allowed, SUM(x.blocked) AS blocked,
			SUM(CASE WHEN x.blocked = 0 AND EXISTS (SELECT 1 FROM verdict_changes c WHERE c.product_id = x.id
				AND c.channel = 'retail' AND c.verdict = 'allowed' AND c.changed_at >= ?) THEN 1 ELSE 0 END) AS newly_allowed,
			SUM(CASE WHEN x.blocked = 1 AND EXISTS (SELECT 1 FROM verdict_changes c WHERE c.product_id = x.id
				AND c.channel = 'retail' AND c.verdict = 'blocked' AND c.changed_at >= ?) THEN 1 ELSE 0 END) AS newly_blocked
		FROM (SELECT v.product_id AS id, MAX(CASE WHEN v.verdict = 'blocked' THEN 1 ELSE 0 END) AS blocked
			FROM verdicts v WHERE v.channel = 'retail' GROUP BY v.product_id) x
		JOIN products p ON p.id = x.id JOIN suppliers s ON s.id = p.supplier_id
		GROUP BY p.supplier_id, s.name ORDER BY s.name`, since, since).Scan(&cards).Error
	if err != nil {
		return d, err
	}
	for i := range cards {
		cards[i].Since = since
	}
	d.Suppliers = cards
	return d, nil
}

// topReasons counts, for each code that blocks under the active policy,
// the products a blocked verdict of which carries it: a product blocked
// by one code in four markets counts once.
func (s *Service) topReasons(ctx context.Context, d *Dashboard) error {
	codes, err := s.BlockingCodes(ctx)
	if err != nil {
		return err
	}
	blocking := map[string]bool{}
	for _, c := range codes {
		blocking[c] = true
	}
	var rows []struct {
		ProductID int64
		Codes     string
	}
	if err := s.db.WithContext(ctx).Table("verdicts").Select("product_id, codes").Where("verdict = ?", policy.Blocked).
		Order("product_id").Find(&rows).Error; err != nil {
		return err
	}
	tally := map[string]int{}
	for i := 0; i < len(rows); {
		j, seen := i, map[string]bool{}
		for ; j < len(rows) && rows[j].ProductID == rows[i].ProductID; j++ {
			for _, code := range strings.Fields(rows[j].Codes) {
				if blocking[code] && !seen[code] {
					seen[code] = true
					tally[code]++
				}
			}
		}
		i = j
	}
	for code, n := range tally {
		d.TopReasons = append(d.TopReasons, Count{Label: code, N: n, Search: ProductSearch{Verdict: policy.Blocked, Code: code}})
	}
	sort.Slice(d.TopReasons, func(i, j int) bool {
		if d.TopReasons[i].N != d.TopReasons[j].N {
			return d.TopReasons[i].N > d.TopReasons[j].N
		}
		return d.TopReasons[i].Label < d.TopReasons[j].Label
	})
	if len(d.TopReasons) > 10 {
		d.TopReasons = d.TopReasons[:10]
	}
	return nil
}
