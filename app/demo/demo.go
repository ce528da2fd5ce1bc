// Package demo loads the sample suppliers and users that `cascade serve
// --demo` starts with, so a new user can sign in as every role at once.
package demo

import (
	"context"
	"errors"

	"github.com/cascade-gate/cascade/app/access"
	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/errs"
	"github.com/cascade-gate/cascade/vendors"
)

// Suppliers are the sample companies.
var Suppliers = []string{"Acme Connected Ltd", "Northwind Devices GmbH"}

type demoUser struct {
	Email, Name  string
	Role         access.Role
	Supplier     string
	Organisation string
}

var users = []demoUser{
	{Email: "admin@demo.cascade.test", Name: "Ada Admin", Role: access.Admin},
	{Email: "manager@demo.cascade.test", Name: "Maya Category-Manager", Role: access.CategoryManager},
	{Email: "buyer@demo.cascade.test", Name: "Ben Buyer", Role: access.Buyer, Organisation: "Demo County Council"},
	{Email: "approver@demo.cascade.test", Name: "Aisha Approver", Role: access.Approver, Organisation: "Demo County Council"},
	{Email: "supplier@acme.demo.cascade.test", Name: "Sam Supplier", Role: access.Supplier, Supplier: "Acme Connected Ltd"},
	{Email: "supplier@northwind.demo.cascade.test", Name: "Noor Supplier", Role: access.Supplier, Supplier: "Northwind Devices GmbH"},
}

// Login is a demo account and its password for this run.
type Login struct {
	Email    string
	Role     access.Role
	Supplier string
	Password string
}

// Load makes sure the demo suppliers and users exist. Each run gives every
// demo user a fresh random password and returns them to be printed: a demo
// of a product against universal default passwords should not ship one.
func Load(ctx context.Context, people *auth.Service, suppliers *vendors.Store) ([]Login, error) {
	ctx = access.With(ctx, access.System("demo"))
	ids := map[string]int64{}
	for _, name := range Suppliers {
		sup, err := suppliers.ByName(ctx, name)
		if errs.CodeOf(err) == "UNKNOWN_SUPPLIER" {
			sup, err = suppliers.Create(ctx, name)
		}
		if err != nil {
			return nil, err
		}
		ids[name] = sup.ID
	}
	var logins []Login
	for _, d := range users {
		pw := auth.GeneratePassword()
		u, err := people.UserByEmail(ctx, d.Email)
		switch {
		case errs.CodeOf(err) == "UNKNOWN_USER":
			_, err = people.CreateUser(ctx, auth.NewUser{
				Email: d.Email, Name: d.Name, Role: d.Role, SupplierID: ids[d.Supplier],
				Organisation: d.Organisation, Password: pw,
			})
		case err == nil:
			if u.DisabledAt != nil {
				continue // an admin disabled this demo user: respect that
			}
			err = people.SetPassword(ctx, u.ID, pw)
		}
		if err != nil {
			return nil, errors.Join(errors.New("demo user "+d.Email), err)
		}
		logins = append(logins, Login{Email: d.Email, Role: d.Role, Supplier: d.Supplier, Password: pw})
	}
	return logins, nil
}
