package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/web"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/procurement"
	"github.com/cascade-gate/cascade/vendors"
)

func TestMain(m *testing.M) {
	auth.BcryptCost = bcrypt.MinCost // tests create many users; production keeps the default cost
	os.Exit(m.Run())
}

// world is a server with two suppliers, a user and an API token for every
// role, and one product per supplier.
type world struct {
	t             *testing.T
	db            *gorm.DB
	srv           *web.Server
	people        *auth.Service
	tokens        map[string]string // role name -> bearer token; "supplier" belongs to supplier A
	users         map[string]auth.User
	supplierA     vendors.Supplier
	supplierB     vendors.Supplier
	productA      int64
	productB      int64
	batchB        int64 // an import of supplier B
	snapshot      int64 // an SG-CLS registry snapshot
	orderA        int64 // the buyer's draft orders: A to edit, B with a blocked line, C to cancel
	orderB        int64
	orderC        int64
	waiverA       int64 // requested waivers: A to approve, B to refuse
	waiverB       int64
	source        int64 // a registry source whose URL does not answer
	dispute       int64 // supplier A's offer of supplier B's GTIN with other data
	policyVersion string
	passwords     map[string]string
}

const password = "correct horse battery"

func newWorld(t *testing.T, db *gorm.DB) *world {
	t.Helper()
	ctx := access.With(context.Background(), access.System("test"))
	w := &world{t: t, db: db, people: auth.NewService(db), tokens: map[string]string{}, users: map[string]auth.User{}, passwords: map[string]string{}}
	w.srv = web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { w.srv.Drain(context.Background()) }) // background imports finish before the database closes
	var err error
	store := vendors.NewStore(db)
	if w.supplierA, err = store.Create(ctx, "Supplier A"); err != nil {
		t.Fatal(err)
	}
	if w.supplierB, err = store.Create(ctx, "Supplier B"); err != nil {
		t.Fatal(err)
	}
	for _, role := range access.Roles {
		n := auth.NewUser{Email: string(role) + "@test.example", Role: role, Password: password}
		if role == access.Supplier {
			n.SupplierID = w.supplierA.ID
		}
		if role.NeedsOrganisation() {
			n.Organisation = "Test Council"
		}
		u, err := w.people.CreateUser(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := w.people.CreateToken(ctx, u.ID, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		w.users[string(role)] = u
		w.tokens[string(role)] = secret
	}
	w.productA = w.insertProduct(w.supplierA.ID, "A-1", "04006381333931")
	w.productB = w.insertProduct(w.supplierB.ID, "B-1", "00012345600012")
	path := filepath.Join(t.TempDir(), "b.csv")
	if err := os.WriteFile(path, []byte("sku,gtin,brand,model,category,markets\nB-2,4006381333931,Brand,M,toaster,UK\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := imports.New(db, imports.DefaultLimits).Import(ctx, imports.Request{SupplierID: w.supplierB.ID, FileName: "b.csv", Path: path})
	if err != nil {
		t.Fatal(err)
	}
	w.batchB = b.ID
	reg := registry.NewStore(db)
	snap, err := reg.Import(ctx, registry.NewSnapshot{Scheme: "SG-CLS", Source: "test", Entries: []registry.Entry{
		{LabelID: "CSA/300629/00042", LabelKey: "csa/300629/00042", Brand: "Brand", Model: "M-1", Level: "2", Status: "valid"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.snapshot = snap.ID
	src, err := reg.AddSource(ctx, registry.NewSource{Scheme: "DE-BSI", URL: "http://127.0.0.1:1/unreachable.csv"})
	if err != nil {
		t.Fatal(err)
	}
	w.source = src.ID
	svc := verdicts.New(db)
	if _, err := svc.Recompute(ctx, nil); err != nil {
		t.Fatal(err)
	}
	v, _, err := svc.Policies().Active(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.policyVersion = v.Version
	w.procurementFixtures(t)
	return w
}

// openDispute has supplier A upload, with a universal default password,
// a GTIN supplier B offers: a dispute for category managers (w.dispute).
func (w *world) openDispute(t *testing.T) int64 {
	t.Helper()
	w.insertProduct(w.supplierB.ID, "B-9", "00614141000036")
	path := filepath.Join(t.TempDir(), "a.csv")
	csv := "sku,gtin,brand,model,category,markets,password_model\nA-9,0614141000036,Brand,M-1,smart_camera,UK,universal_default\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := access.With(context.Background(), access.System("test"))
	if _, err := imports.New(w.db, imports.DefaultLimits).Import(ctx, imports.Request{SupplierID: w.supplierA.ID, FileName: "a.csv", Path: path}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := w.db.Raw("SELECT id FROM gtin_disputes WHERE gtin = ?", "00614141000036").Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("no dispute opened: %v", err)
	}
	w.dispute = id
	return id
}

func (w *world) insertProduct(supplierID int64, sku, gtin string) int64 {
	w.t.Helper()
	err := w.db.Exec(`INSERT INTO products (supplier_id, sku, gtin, brand, model, match_key, category, markets, content_hash, created_at, updated_at)
		VALUES (?, ?, ?, 'Brand', 'M-1', 'brandm1', 'smart_camera', 'UK', 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`, supplierID, sku, gtin).Error
	if err != nil {
		w.t.Fatal(err)
	}
	var id int64
	w.db.Raw("SELECT id FROM products WHERE supplier_id = ? AND sku = ?", supplierID, sku).Scan(&id)
	return id
}

// request sends a request as role ("" = anonymous) and returns the recorder.
func (w *world) request(role, method, path string, body any, headers ...string) *httptest.ResponseRecorder {
	w.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			w.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+w.tokens[role])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	w.srv.Handler().ServeHTTP(rec, req)
	checkContract(w.t, w.srv.Handler(), req, rec) // every answer of the API as its OpenAPI document says
	return rec
}

// errorCode decodes the API's one error shape.
func errorCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body is not JSON: %q", rec.Body.String())
	}
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("error body lacks code or message: %s", rec.Body.String())
	}
	return body.Error.Code
}

func count(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func (w *world) procurementFixtures(t *testing.T) {
	t.Helper()
	buyer := access.With(context.Background(), w.users["buyer"].Principal())
	svc := procurement.New(w.db)
	delivery, _ := civil.Parse("2030-01-15")
	for _, id := range []*int64{&w.orderA, &w.orderB, &w.orderC} {
		o, err := svc.CreateOrder(buyer, procurement.NewOrder{Reference: fmt.Sprintf("PO-%p", id), Market: "UK"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddLine(buyer, o.ID, o.Version, procurement.NewLine{GTIN: "00012345600012", Quantity: 1, DeliveryDate: delivery}); err != nil {
			t.Fatal(err)
		}
		*id = o.ID
	}
	expires := civil.Today().AddDays(30)
	for _, id := range []*int64{&w.waiverA, &w.waiverB} {
		wv, err := svc.RequestWaiver(buyer, procurement.NewWaiver{ProductID: w.productB, Market: "UK", Codes: []string{"LABEL_REQUIRED"},
			Justification: "A fixture waiver long enough to be justified.", ExpiresOn: expires})
		if err != nil {
			t.Fatal(err)
		}
		*id = wv.ID
	}
}
