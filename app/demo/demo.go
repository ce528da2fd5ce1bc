// Package demo loads what `cascade serve --demo` starts with: sample
// suppliers and their product sheets, the sample label registries, and a
// user for every role, so a new user can try each role's work at once.
package demo

import (
	"context"
	"embed"
	"errors"
	"os"
	"path/filepath"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// sheets are the sample suppliers' product spreadsheets.
//
//go:embed samples/*.csv
var sheets embed.FS

var sheetOf = map[string]string{"Acme Connected Ltd": "samples/acme.csv", "Northwind Devices GmbH": "samples/northwind.csv"}

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

// Load makes sure the demo data exists: suppliers, their products (imported
// from the sample sheets when they have none), sample registry snapshots
// (refreshed when older than a day, so the demo's registries do not go
// stale), verdicts, and users. Each run gives every demo user a fresh random
// password and returns them to be printed: a demo of a gate against
// universal default passwords should not ship one.
func Load(ctx context.Context, db *gorm.DB) ([]Login, error) {
	ctx = access.With(ctx, access.System("demo"))
	if err := policy.InstallDefault(ctx, db); err != nil {
		return nil, err
	}
	people, suppliers := auth.NewService(db), vendors.NewStore(db)
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
	if err := loadRegistries(ctx, db); err != nil {
		return nil, err
	}
	svc := verdicts.New(db)
	if err := loadProducts(ctx, db, svc, ids); err != nil {
		return nil, err
	}
	if _, err := svc.Reevaluate(ctx, true); err != nil {
		return nil, err
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

func loadRegistries(ctx context.Context, db *gorm.DB) error {
	store := registry.NewStore(db)
	dir, err := os.MkdirTemp("", "cascade-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for scheme, raw := range registry.Samples() {
		list, err := store.Snapshots(ctx, scheme)
		if err != nil {
			return err
		}
		if len(list) > 0 && (!list[0].Sample || time.Since(list[0].FetchedAt) < 24*time.Hour) {
			continue // a real registry was loaded, or the sample is fresh
		}
		path := filepath.Join(dir, scheme+".csv")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			return err
		}
		entries, err := registry.ReadFile(path, scheme, nil)
		if err != nil {
			return err
		}
		if _, err := store.Import(ctx, registry.NewSnapshot{Scheme: scheme, Source: "sample " + scheme + ".csv", Sample: true, Entries: entries}); err != nil {
			return err
		}
	}
	return loadRecallLists(ctx, store, dir)
}

// loadRecallLists loads the sample recall lists like the sample registries:
// unless a real list was loaded or the sample is fresh.
func loadRecallLists(ctx context.Context, store *registry.Store, dir string) error {
	for _, s := range registry.RecallSamples() {
		list, err := store.Snapshots(ctx, s.List)
		if err != nil {
			return err
		}
		if len(list) > 0 && (!list[0].Sample || time.Since(list[0].FetchedAt) < 24*time.Hour) {
			continue
		}
		sc, err := store.Scheme(ctx, s.List)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, s.File)
		if err := os.WriteFile(path, s.Data, 0o600); err != nil {
			return err
		}
		entries, err := registry.ReadSource(path, sc, s.Format, nil)
		if err != nil {
			return err
		}
		if _, err := store.Import(ctx, registry.NewSnapshot{Scheme: s.List, Source: "sample " + s.File, Sample: true, Entries: entries}); err != nil {
			return err
		}
	}
	return nil
}

func loadProducts(ctx context.Context, db *gorm.DB, svc *verdicts.Service, ids map[string]int64) error {
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	dir, err := os.MkdirTemp("", "cascade-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for name, file := range sheetOf {
		var n int64
		if err := db.WithContext(ctx).Table("products").Where("supplier_id = ?", ids[name]).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		raw, err := sheets.ReadFile(file)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.Base(file))
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			return err
		}
		if _, err := im.Import(ctx, imports.Request{SupplierID: ids[name], FileName: filepath.Base(file), Path: path}); err != nil {
			return err
		}
	}
	return nil
}
