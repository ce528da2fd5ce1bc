package database

import (
	"context"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
)

// SupplierScope limits a query to rows of the caller's supplier when the
// caller is a supplier user; column names the supplier id column. Other
// roles see every supplier. Without a principal the query fails. Stores
// apply it themselves, so a handler cannot forget it.
func SupplierScope(ctx context.Context, column string) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		id, only, err := access.SupplierOnly(ctx)
		switch {
		case err != nil:
			_ = db.AddError(err)
		case only:
			return db.Where(column+" = ?", id)
		}
		return db
	}
}
