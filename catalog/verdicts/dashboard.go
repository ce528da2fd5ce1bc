package verdicts

import (
	"context"
	"sort"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Count is a number with a label.
type Count struct {
	Label string `json:"label"`
	N     int    `json:"n"`
}

// MarketCount is the verdicts of one market and channel.
type MarketCount struct {
	Market, Channel  string
	Allowed, Blocked int
}

// Scorecard is a supplier's standing.
type Scorecard struct {
	Supplier         string
	Allowed, Blocked int // retail verdicts
	NewlyAllowed     int // changes to allowed in the last 30 days
	NewlyBlocked     int
}

// Share is the percentage of allowed retail verdicts.
func (s Scorecard) Share() int {
	if s.Allowed+s.Blocked == 0 {
		return 0
	}
	return s.Allowed * 100 / (s.Allowed + s.Blocked)
}

// Dashboard is what a category manager looks at first.
type Dashboard struct {
	Markets    []MarketCount
	TopReasons []Count // blocking codes by number of blocked verdicts
	Sunset     []Count // allowed products whose support ends, by month, next 24 months
	Suppliers  []Scorecard
}

// Dashboard sums the stored verdicts. Admins and category managers may read it.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	if _, err := access.Require(ctx, access.Admin, access.CategoryManager); err != nil {
		return Dashboard{}, err
	}
	db := s.db.WithContext(ctx)
	var d Dashboard
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
	sort.Slice(d.Markets, func(i, j int) bool {
		return d.Markets[i].Market+d.Markets[i].Channel < d.Markets[j].Market+d.Markets[j].Channel
	})

	_, doc, err := s.policies.Active(ctx)
	if err != nil {
		return d, err
	}
	blocking := map[string]bool{}
	for _, r := range doc.Rules {
		if r.Severity == policy.Block {
			blocking[r.Code] = true
			if r.LowCode != "" {
				blocking[r.LowCode] = true
			}
		}
	}
	var codes []string
	if err := db.Table("verdicts").Where("verdict = ?", policy.Blocked).Pluck("codes", &codes).Error; err != nil {
		return d, err
	}
	tally := map[string]int{}
	for _, c := range codes {
		for _, code := range strings.Fields(c) {
			if blocking[code] {
				tally[code]++
			}
		}
	}
	for code, n := range tally {
		d.TopReasons = append(d.TopReasons, Count{Label: code, N: n})
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

	today := civil.Today()
	var ends []string
	err = db.Table("products p").
		Where("p.support_end >= ? AND p.support_end < ?", today.String(), today.AddMonths(24).String()).
		Where("EXISTS (SELECT 1 FROM verdicts v WHERE v.product_id = p.id AND v.channel = 'retail' AND v.verdict = ?)", policy.Allowed).
		Pluck("p.support_end", &ends).Error
	if err != nil {
		return d, err
	}
	months := map[string]int{}
	for _, e := range ends {
		if len(e) >= 7 {
			months[e[:7]]++
		}
	}
	for m := range 24 {
		month := today.AddMonths(m).String()[:7]
		d.Sunset = append(d.Sunset, Count{Label: month, N: months[month]})
	}

	var cards []struct {
		Supplier         string
		Allowed, Blocked int
	}
	err = db.Table("verdicts v").Select("s.name AS supplier, SUM(CASE WHEN v.verdict = 'allowed' THEN 1 ELSE 0 END) AS allowed, SUM(CASE WHEN v.verdict = 'blocked' THEN 1 ELSE 0 END) AS blocked").
		Joins("JOIN products p ON p.id = v.product_id").Joins("JOIN suppliers s ON s.id = p.supplier_id").
		Where("v.channel = 'retail'").Group("s.name").Order("s.name").Find(&cards).Error
	if err != nil {
		return d, err
	}
	var trend []struct {
		Supplier string
		Verdict  string
		N        int
	}
	err = db.Table("verdict_changes c").Select("s.name AS supplier, c.verdict, COUNT(*) AS n").
		Joins("JOIN products p ON p.id = c.product_id").Joins("JOIN suppliers s ON s.id = p.supplier_id").
		Where("c.channel = 'retail' AND c.changed_at >= ?", today.AddDays(-30).Time()).Group("s.name, c.verdict").Find(&trend).Error
	if err != nil {
		return d, err
	}
	for _, c := range cards {
		sc := Scorecard{Supplier: c.Supplier, Allowed: c.Allowed, Blocked: c.Blocked}
		for _, t := range trend {
			if t.Supplier == c.Supplier && t.Verdict == policy.Allowed {
				sc.NewlyAllowed = t.N
			} else if t.Supplier == c.Supplier && t.Verdict == policy.Blocked {
				sc.NewlyBlocked = t.N
			}
		}
		d.Suppliers = append(d.Suppliers, sc)
	}
	return d, nil
}
