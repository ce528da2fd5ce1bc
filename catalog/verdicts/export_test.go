package verdicts

import (
	"context"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/catalog"
)

// BeforeNextWrite makes fn run once, the next time a page this Service
// recomputes has been read and evaluated and is about to be written: where
// another writer can slip in.
func (s *Service) BeforeNextWrite(fn func()) {
	s.beforeWrite = func() {
		s.beforeWrite = nil // fn may recompute, and must not recurse
		fn()
	}
}

// SearchSQL is the page statement SearchProducts runs for q, for query plans.
func (s *Service) SearchSQL(ctx context.Context, q ProductSearch) (string, error) {
	q, err := q.Normalise()
	if err != nil {
		return "", err
	}
	return s.searchQuery(ctx, q).ToSQL(func(tx *gorm.DB) *gorm.DB {
		return tx.Select(productRowColumns).Order("p.sku, p.id").Limit(q.Limit).Find(&[]productRow{})
	}), nil
}

// SetProductPage makes recomputes read, evaluate and write n products a
// page until the test ends.
func SetProductPage(t interface{ Cleanup(func()) }, n int) {
	was := productPage
	productPage = n
	t.Cleanup(func() { productPage = was })
}

// LoadProducts reads products as a recompute does.
func (s *Service) LoadProducts(ctx context.Context, ids []int64) ([]catalog.Product, error) {
	return loadProducts(ctx, s.db, func(q *gorm.DB) *gorm.DB { return q.Where("id IN ?", ids) })
}

// DueSQL is the statement the nightly run finds due verdicts with, for query plans.
const DueSQL = dueSQL

// LoadProductsAfter reads up to limit products after id after, with their
// label claims, the way a recompute reads its pages: for the benchmark
// floor, which must read them no slower than the service does.
func LoadProductsAfter(ctx context.Context, db *gorm.DB, after int64, limit int) ([]catalog.Product, error) {
	return loadProducts(ctx, db, func(q *gorm.DB) *gorm.DB { return q.Where("id > ?", after).Limit(limit) })
}

// CalendarSQL is the statement UpcomingCalendar runs for f, for query plans.
func (s *Service) CalendarSQL(ctx context.Context, f CalendarFilter) (string, error) {
	q, err := s.upcomingQuery(ctx, UpcomingFilter{WithinDays: 365, Market: f.Market, Channel: f.Channel, SupplierID: f.SupplierID})
	if err != nil {
		return "", err
	}
	return q.ToSQL(func(tx *gorm.DB) *gorm.DB {
		return byMonthAndReasons(tx).Find(&[]struct{ Month string }{})
	}), nil
}
