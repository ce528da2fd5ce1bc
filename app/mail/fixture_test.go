package mail_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

var system = access.With(context.Background(), access.System("test"))

// shop is two suppliers with users and uploads: Acme has a rejected row, a
// product blocked for its universal default password and one whose support
// ends in 30 days; Other has a blocked product of its own.
type shop struct {
	db          *gorm.DB
	acme, other int64
	acmeUser    auth.User
	manager     auth.User
	supportEnd  civil.Date
	acmeBatch   int64
}

func newShop(t *testing.T, db *gorm.DB) *shop {
	t.Helper()
	s := &shop{db: db, supportEnd: civil.Today().AddDays(30)}
	for _, name := range []string{"Acme Ltd", "Other Ltd"} {
		sup, err := vendors.NewStore(db).Create(system, name)
		if err != nil {
			t.Fatal(err)
		}
		if s.acme == 0 {
			s.acme = sup.ID
		} else {
			s.other = sup.ID
		}
	}
	people := auth.NewService(db)
	var err error
	if s.acmeUser, err = people.CreateUser(system, auth.NewUser{Email: "ops@acme.example", Role: access.Supplier, SupplierID: s.acme, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	if _, err = people.CreateUser(system, auth.NewUser{Email: "ops@other.example", Role: access.Supplier, SupplierID: s.other, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	if s.manager, err = people.CreateUser(system, auth.NewUser{Email: "cm@retail.example", Role: access.CategoryManager, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	const head = "sku,gtin,brand,model,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance\n"
	s.acmeBatch = upload(t, db, s.acme, head+
		"PW-1,5901234123457,Acme,M1,smart_plug,UK,universal_default,https://acme.example/s,2031-01-31,included\n"+
		fmt.Sprintf("SOON-2,4006381333931,Acme,M2,smart_plug,UK,unique_per_device,https://acme.example/s,%s,included\n", s.supportEnd)+
		"BAD-3,123,Acme,M3,smart_plug,UK,,,,\n")
	upload(t, db, s.other, head+"OTH-1,0614141000036,Other,O1,smart_plug,UK,universal_default,https://other.example/s,2031-01-31,included\n")
	return s
}

func upload(t *testing.T, db *gorm.DB, supplierID int64, csv string) int64 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "products.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	b, err := im.Import(system, imports.Request{SupplierID: supplierID, FileName: "products.csv", Path: path})
	if err != nil || b.Status != imports.StatusCommitted {
		t.Fatalf("import: %v %+v", err, b)
	}
	return b.ID
}

const hour = time.Hour
