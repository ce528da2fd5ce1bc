package auth_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/vendors"
)

// TestANULInANameOrEMailIsRefusedByTheDomain: whatever calls them (the
// API refuses NUL before, the CLI cannot pass one), the stores refuse a NUL
// in a token name, a sign-in e-mail, a user's organisation and a supplier
// name with a 400 code, instead of storing it (SQLite) or failing with the
// driver's error (PostgreSQL).
func TestANULInANameOrEMailIsRefusedByTheDomain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc := auth.NewService(db)
		u, err := svc.CreateUser(system, auth.NewUser{Email: "u@x.example", Role: access.CategoryManager, Password: "the first password"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.CreateToken(system, u.ID, "ci\x00", 0); errs.CodeOf(err) != "INVALID_CHARACTER" {
			t.Errorf("token name: %v", err)
		}
		if _, err := svc.Login(context.Background(), "u@x.example\x00", "the first password", "test"); errs.CodeOf(err) != "INVALID_CHARACTER" {
			t.Errorf("sign-in e-mail: %v", err)
		}
		if _, err := svc.CreateUser(system, auth.NewUser{Email: "b@x.example", Role: access.Buyer, Organisation: "Council\x00", Password: "the first password"}); errs.KindOf(err) != errs.Invalid {
			t.Errorf("organisation: %v", err)
		}
		if _, err := vendors.NewStore(db).Create(system, "Evil\x00 Ltd"); errs.CodeOf(err) != "INVALID_CHARACTER" {
			t.Errorf("supplier name: %v", err)
		}
	})
}
