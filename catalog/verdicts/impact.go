package verdicts

import (
	"context"
	"sort"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Flip is a verdict that a candidate policy or a future date would change.
type Flip struct {
	ProductID int64    `json:"product_id"`
	Supplier  string   `json:"supplier"`
	SKU       string   `json:"sku"`
	GTIN      string   `json:"gtin"`
	Market    string   `json:"market"`
	Channel   string   `json:"channel"`
	From      string   `json:"from"` // the stored verdict; "none" when there is none yet
	To        string   `json:"to"`
	Codes     []string `json:"reasons"`
}

// ImpactCount sums the flips of one market and channel.
type ImpactCount struct {
	Market    string `json:"market"`
	Channel   string `json:"channel"`
	ToBlocked int    `json:"to_blocked"`
	ToAllowed int    `json:"to_allowed"`
	Unchanged int    `json:"unchanged"`
}

// Impact is what would change, before anything is activated.
type Impact struct {
	PolicyVersion string        `json:"policy_version"`
	AsOf          civil.Date    `json:"as_of"`
	Counts        []ImpactCount `json:"counts"`
	Flips         []Flip        `json:"flips"`
	Truncated     bool          `json:"truncated"` // more flips than MaxFlips: the counts are complete, the list is not
}

// MaxFlips bounds the list of flips returned.
const MaxFlips = 10000

// Impact compares the stored verdicts with what a candidate policy (nil:
// the active one) would decide as of a date (zero: today). It stores nothing.
// Admins and category managers may preview.
func (s *Service) Impact(ctx context.Context, candidate *policy.Document, asOf civil.Date) (Impact, error) {
	if _, err := access.Require(ctx, access.Admin, access.CategoryManager); err != nil {
		return Impact{}, err
	}
	ev, err := s.prepare(ctx, asOf, candidate)
	if err != nil {
		return Impact{}, err
	}
	names, err := s.supplierNames(ctx)
	if err != nil {
		return Impact{}, err
	}
	out := Impact{PolicyVersion: ev.doc.Version, AsOf: ev.date}
	counts := map[[2]string]*ImpactCount{}
	err = s.products(ctx, nil, 0, func(batch []catalog.Product) error {
		ids := make([]int64, len(batch))
		for i, p := range batch {
			ids[i] = p.ID
		}
		var old []existing
		if err := s.db.WithContext(ctx).Table("verdicts").Select("product_id, market, channel, verdict").Where("product_id IN ?", ids).Find(&old).Error; err != nil {
			return err
		}
		stored := make(map[string]string, len(old))
		for _, o := range old {
			stored[key(o.ProductID, o.Market, o.Channel)] = o.Verdict
		}
		for i := range batch {
			p := &batch[i]
			for _, v := range ev.doc.Evaluate(p, ev.date, ev.view) {
				k := [2]string{v.Market, v.Channel}
				c := counts[k]
				if c == nil {
					c = &ImpactCount{Market: v.Market, Channel: v.Channel}
					counts[k] = c
				}
				from, ok := stored[key(p.ID, v.Market, v.Channel)]
				if !ok {
					from = "none"
				}
				if from == v.Verdict {
					c.Unchanged++
					continue
				}
				if v.Verdict == policy.Blocked {
					c.ToBlocked++
				} else {
					c.ToAllowed++
				}
				if len(out.Flips) >= MaxFlips {
					out.Truncated = true
					continue
				}
				out.Flips = append(out.Flips, Flip{ProductID: p.ID, Supplier: names[p.SupplierID], SKU: p.SKU, GTIN: p.GTIN,
					Market: v.Market, Channel: v.Channel, From: from, To: v.Verdict, Codes: v.BlockingCodes()})
			}
		}
		return nil
	})
	for _, c := range counts {
		out.Counts = append(out.Counts, *c)
	}
	sort.Slice(out.Counts, func(i, j int) bool {
		return out.Counts[i].Market+out.Counts[i].Channel < out.Counts[j].Market+out.Counts[j].Channel
	})
	return out, err
}
