package mail

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// UpcomingFromOutlooks finds upcoming blocks where the verdicts keep them:
// each verdict allowed today whose outlook names the day it turns blocked
// (a support end, a label expiring, a rule taking effect), one block per
// code that will block it, with that code's fix from the active policy.
func UpcomingFromOutlooks(ctx context.Context, db *gorm.DB, supplierID int64, today, horizon civil.Date) ([]UpcomingBlock, error) {
	sys := access.With(ctx, access.System("mail"))
	days := int(horizon.Time().Sub(today.Time()).Hours() / 24)
	if days < 1 {
		return nil, nil
	}
	svc := verdicts.New(db).WithClock(func() time.Time { return today.Time() })
	list, err := svc.UpcomingBlocks(sys, verdicts.UpcomingFilter{WithinDays: min(days, verdicts.MaxWithinDays), SupplierID: supplierID})
	if err != nil {
		return nil, err
	}
	fixes := map[string]string{}
	if len(list) > 0 {
		_, doc, err := svc.Policies().Active(sys)
		if err != nil {
			return nil, err
		}
		for _, r := range doc.Rules {
			if _, ok := fixes[r.Code]; !ok {
				fixes[r.Code] = r.Fix
			}
		}
	}
	var out []UpcomingBlock
	for _, u := range list {
		for _, code := range u.Codes {
			out = append(out, UpcomingBlock{SKU: u.SKU, GTIN: u.GTIN, Supplier: u.Supplier, Market: u.Market, Channel: u.Channel,
				On: u.BlocksOn, Code: code, Fix: fixes[code]})
		}
	}
	return out, nil
}
