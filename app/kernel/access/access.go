// Package access knows who is asking: the principal carried in a context and
// the rules that limit what each role may see. Stores call these helpers so
// that a supplier's scope is enforced in the data layer, whatever the caller.
package access

import (
	"context"
	"fmt"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Role is what a user does in Cascade.
type Role string

const (
	Admin           Role = "admin"
	CategoryManager Role = "category_manager"
	Buyer           Role = "buyer"
	Approver        Role = "approver"
	Supplier        Role = "supplier"
)

// Roles lists every role, in the order the product describes them.
var Roles = []Role{Admin, CategoryManager, Buyer, Approver, Supplier}

// ParseRole accepts the role names of SPEC §1.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", errs.Invalidf("UNKNOWN_ROLE", "unknown role %q: use one of admin, category_manager, buyer, approver, supplier", s)
}

// Principal is the authenticated caller.
type Principal struct {
	UserID       int64
	Email        string
	Role         Role
	SupplierID   int64  // set exactly when Role is Supplier
	Organisation string // a buyer's or approver's organisation
	system       bool
}

// System is the principal of the CLI and scheduled jobs: an operator with
// shell access to the database, acting as admin.
func System(name string) Principal {
	return Principal{Email: name, Role: Admin, system: true}
}

// IsSystem reports whether p is a CLI or job principal rather than a user.
func (p Principal) IsSystem() bool { return p.system }

// Is reports whether p has one of roles.
func (p Principal) Is(roles ...Role) bool {
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

// Actor names p in the audit log.
func (p Principal) Actor() string {
	if p.system {
		return "system:" + p.Email
	}
	return fmt.Sprintf("user:%d:%s", p.UserID, p.Email)
}

type ctxKey struct{}

// With returns a context carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal in ctx. A context without one is unauthenticated:
// stores fail closed rather than assume a role.
func From(ctx context.Context) (Principal, error) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	if !ok {
		return Principal{}, errs.ErrUnauthenticated
	}
	return p, nil
}

// Require returns the principal in ctx if it has one of roles.
func Require(ctx context.Context, roles ...Role) (Principal, error) {
	p, err := From(ctx)
	if err != nil {
		return p, err
	}
	if !p.Is(roles...) {
		return p, errs.ErrForbidden
	}
	return p, nil
}

// SupplierOnly reports which supplier's rows alone the caller may see: a
// supplier user's own supplier (ok true), or every supplier (ok false).
// Without a principal it fails, so a store fails closed.
func SupplierOnly(ctx context.Context) (supplierID int64, ok bool, err error) {
	p, err := From(ctx)
	if err != nil {
		return 0, false, err
	}
	return p.SupplierID, p.Role == Supplier, nil
}

// NeedsOrganisation reports whether users of r act for a buying organisation.
func (r Role) NeedsOrganisation() bool { return r == Buyer || r == Approver }
