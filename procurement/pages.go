package procurement

import (
	"context"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
)

// OrdersPage is one page of the caller's organisation's orders, newest first.
func (s *Service) OrdersPage(ctx context.Context, r database.PageRequest) (database.Page[Order], error) {
	p, err := access.Require(ctx, readers...)
	if err != nil {
		return database.Page[Order]{}, err
	}
	q := s.db.WithContext(ctx).Model(&Order{}).Scopes(orgScope(p))
	return database.Paginate(q, r, database.NewestFirst, func(o Order) []int64 { return []int64{o.ID} })
}

// WaiversPage is one page of the organisation's waivers, newest first.
func (s *Service) WaiversPage(ctx context.Context, r database.PageRequest) (database.Page[Waiver], error) {
	p, err := access.Require(ctx, readers...)
	if err != nil {
		return database.Page[Waiver]{}, err
	}
	q := s.db.WithContext(ctx).Model(&Waiver{}).Scopes(orgScope(p))
	return database.Paginate(q, r, database.NewestFirst, func(w Waiver) []int64 { return []int64{w.ID} })
}
