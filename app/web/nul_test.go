package web_test

import (
	"net/url"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// TestANULCharacterInInputIsA400OnBothDatabases: PostgreSQL refuses a NUL
// in text, so a NUL in an order reference, an e-mail, a token name or a
// query filter used to be a 500 there (and stored or searched on SQLite).
// Whether it comes in a JSON string, a query parameter or a form field, it
// is a 400 INVALID_CHARACTER naming where it was, and changes nothing.
func TestANULCharacterInInputIsA400OnBothDatabases(t *testing.T) {
	api := []struct {
		name, role, method, path, body string
	}{
		{"order reference", "buyer", "POST", "/api/v1/purchase-orders", `{"reference":"PO-\u00001","market":"UK"}`},
		{"user e-mail", "admin", "POST", "/api/v1/users", `{"email":"x\u0000@test.example","role":"buyer","organisation":"O","password":"a long enough password"}`},
		{"sign-in e-mail", "", "POST", "/api/v1/session", `{"email":"admin@test.example\u0000","password":"whatever it is"}`},
		{"token name", "admin", "POST", "/api/v1/tokens", `{"name":"ci\u0000"}`},
		{"supplier name", "admin", "POST", "/api/v1/suppliers", `{"name":"Evil\u0000 Ltd"}`},
		{"product search", "admin", "GET", "/api/v1/products?q=cam%00", ""},
		{"product GTIN filter", "admin", "GET", "/api/v1/products?gtin=%00", ""},
		{"audit actor filter", "admin", "GET", "/api/v1/audit?actor=a%00", ""},
		{"gate GTIN", "admin", "GET", "/api/v1/gate?gtin=%00&market=UK&channel=retail", ""},
		{"dispute GTIN filter", "category_manager", "GET", "/api/v1/disputes?gtin=%00", ""},
	}
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		sessions := map[string]*webSession{"buyer": w.browse("buyer"), "admin": w.browse("admin")}
		before := snapshotCounts(t, db)
		orders, tokens := count(t, db, "purchase_orders"), count(t, db, "api_tokens")
		for _, c := range api {
			t.Run(c.name, func(t *testing.T) {
				var body any
				if c.body != "" {
					body = []byte(c.body)
				}
				rec := w.request(c.role, c.method, c.path, body)
				if rec.Code != 400 || errorCode(t, rec) != "INVALID_CHARACTER" {
					t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
			})
		}
		pages := []struct {
			name, role, path string
			form             url.Values
		}{
			{"order form", "buyer", "/orders", url.Values{"reference": {"PO\x00"}, "market": {"UK"}}},
			{"token form", "admin", "/admin/tokens", url.Values{"name": {"ci\x00"}}},
			{"catalogue search", "admin", "/products?q=cam%00", nil},
		}
		for _, c := range pages {
			t.Run(c.name, func(t *testing.T) {
				b := sessions[c.role]
				var code int
				var text string
				if c.form == nil {
					rec := b.get(c.path)
					code, text = rec.Code, rec.Body.String()
				} else {
					c.form.Set("csrf", b.csrf)
					rec := b.post(c.path, c.form)
					code, text = rec.Code, rec.Body.String()
				}
				if code != 400 || !strings.Contains(text, "INVALID_CHARACTER") {
					t.Fatalf("status %d: %.300s", code, text)
				}
			})
		}
		if rec := w.formLogin("admin@test.example\x00", password, ""); rec.Code != 400 {
			t.Errorf("sign-in form with a NUL: %d", rec.Code)
		}
		if count(t, db, "purchase_orders") != orders || count(t, db, "api_tokens") != tokens {
			t.Fatal("an order or a token was stored")
		}
		if after := snapshotCounts(t, db); after != before {
			t.Fatalf("the requests changed the database: before %v, after %v", before, after)
		}
	})
}
