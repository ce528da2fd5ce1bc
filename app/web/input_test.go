package web_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// Bad requests each get their own clear JSON error and change nothing.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	cases := []struct {
		name    string
		role    string
		method  string
		path    string
		body    any
		headers []string
		status  int
		code    string
	}{
		{"malformed JSON", "admin", "POST", "/api/v1/suppliers", `{"name": "X"`, nil, 400, "MALFORMED_JSON"},
		{"not JSON at all", "admin", "POST", "/api/v1/suppliers", `name=X`, nil, 400, "MALFORMED_JSON"},
		{"two JSON values", "admin", "POST", "/api/v1/suppliers", `{"name":"X"} {"name":"Y"}`, nil, 400, "MALFORMED_JSON"},
		{"empty body", "admin", "POST", "/api/v1/suppliers", ``, nil, 400, "EMPTY_BODY"},
		{"unknown field", "admin", "POST", "/api/v1/suppliers", `{"name":"X","owner":"me"}`, nil, 400, "UNKNOWN_FIELD"},
		{"wrong field type", "admin", "POST", "/api/v1/suppliers", `{"name":42}`, nil, 400, "INVALID_FIELD_TYPE"},
		{"oversize body", "admin", "POST", "/api/v1/suppliers", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, nil, 413, "BODY_TOO_LARGE"},
		{"wrong content type", "admin", "POST", "/api/v1/suppliers", `{"name":"X"}`, []string{"Content-Type", "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"blank supplier name", "admin", "POST", "/api/v1/suppliers", `{"name":"   "}`, nil, 400, "MISSING_NAME"},
		{"duplicate supplier, other case", "admin", "POST", "/api/v1/suppliers", `{"name":"supplier a"}`, nil, 409, "ALREADY_EXISTS"},
		{"user with weak password", "admin", "POST", "/api/v1/users", `{"email":"x@test.example","role":"buyer","organisation":"O","password":"short"}`, nil, 400, "INVALID_USER"},
		{"user with unknown role", "admin", "POST", "/api/v1/users", `{"email":"x@test.example","role":"root","password":"a long enough password"}`, nil, 400, "INVALID_USER"},
		{"supplier user without supplier", "admin", "POST", "/api/v1/users", `{"email":"x@test.example","role":"supplier","password":"a long enough password"}`, nil, 400, "INVALID_USER"},
		{"bad token", "", "GET", "/api/v1/me", nil, []string{"Authorization", "Bearer cas_notarealtoken"}, 401, "TOKEN_INVALID"},
		{"not a bearer token", "", "GET", "/api/v1/me", nil, []string{"Authorization", "Basic YWRtaW46YWRtaW4="}, 401, "TOKEN_INVALID"},
		{"expired session cookie", "", "GET", "/api/v1/me", nil, []string{"Cookie", "cascade_session=nosuchsession"}, 401, "SESSION_INVALID"},
		{"non-numeric id", "admin", "GET", "/api/v1/products/abc", nil, nil, 404, "NOT_FOUND"},
		{"negative query number", "admin", "GET", "/api/v1/products?supplier_id=-1", nil, nil, 400, "INVALID_PARAMETER"},
		{"negative page size", "admin", "GET", "/api/v1/products?limit=-1", nil, nil, 400, "INVALID_LIMIT"},
		{"unknown API route", "admin", "GET", "/api/v1/nothing-here", nil, nil, 404, "NO_SUCH_ROUTE"},
		{"wrong method", "admin", "PUT", "/api/v1/suppliers", nil, nil, 405, "METHOD_NOT_ALLOWED"},
		{"trailing slash", "admin", "GET", "/api/v1/suppliers/", nil, nil, 404, "NO_SUCH_ROUTE"},
		{"trailing slash on a post", "admin", "POST", "/api/v1/suppliers/", `{"name":"X"}`, nil, 404, "NO_SUCH_ROUTE"},
		// A flag that is not true or false is refused, not read as false:
		// ?dry_run=1 was a real import, stored, audited and announced.
		{"dry run spelled 1", "supplier", "POST", "/api/v1/imports?dry_run=1&file_name=p.csv", oneProductCSV, []string{"Content-Type", "text/csv"}, 400, "INVALID_PARAMETER"},
		{"dry run spelled yes", "supplier", "POST", "/api/v1/imports?dry_run=yes&wait=true&file_name=p.csv", oneProductCSV, []string{"Content-Type", "text/csv"}, 400, "INVALID_PARAMETER"},
		{"dry run with no value", "supplier", "POST", "/api/v1/imports?file_name=p.csv&dry_run", oneProductCSV, []string{"Content-Type", "text/csv"}, 400, "INVALID_PARAMETER"},
		{"dry run with an empty value", "supplier", "POST", "/api/v1/imports?file_name=p.csv&dry_run=", oneProductCSV, []string{"Content-Type", "text/csv"}, 400, "INVALID_PARAMETER"},
		{"dry run twice", "supplier", "POST", "/api/v1/imports?file_name=p.csv&dry_run=false&dry_run=true", oneProductCSV, []string{"Content-Type", "text/csv"}, 400, "INVALID_PARAMETER"},
		{"dry run misspelt", "supplier", "POST", "/api/v1/imports?file_name=p.csv&dryrun=true", oneProductCSV, []string{"Content-Type", "text/csv"}, 400, "INVALID_PARAMETER"},
		{"wait spelled 1", "supplier", "POST", "/api/v1/imports?wait=1&file_name=p.csv", oneProductCSV, []string{"Content-Type", "text/csv"}, 400, "INVALID_PARAMETER"},
		// A search past any name's length is the caller's mistake, not a
		// 500: SQLite refuses LIKE patterns past 50,000 bytes.
		{"search too long", "admin", "GET", "/api/v1/products?q=" + strings.Repeat("a", 50001), nil, nil, 400, "SEARCH_TOO_LONG"},
		{"product search too long", "category_manager", "GET", "/api/v1/product-verdicts?q=" + strings.Repeat("a", 50001), nil, nil, 400, "SEARCH_TOO_LONG"},
		{"verdict search too long", "category_manager", "GET", "/api/v1/verdicts?q=" + strings.Repeat("a", 201), nil, nil, 400, "SEARCH_TOO_LONG"},
		{"forecast search too long", "category_manager", "GET", "/api/v1/verdicts?as_of=2027-01-04&q=" + strings.Repeat("a", 201), nil, nil, 400, "SEARCH_TOO_LONG"},
		{"catalogue search too long", "buyer", "GET", "/api/v1/procurement/catalogue?market=UK&q=" + strings.Repeat("a", 50001), nil, nil, 400, "SEARCH_TOO_LONG"},
		// A misspelt filter lists nothing and looked like an answer.
		{"verdicts of no market", "category_manager", "GET", "/api/v1/verdicts?market=XX", nil, nil, 400, "UNKNOWN_MARKET"},
		{"verdicts of no channel", "category_manager", "GET", "/api/v1/verdicts?channel=x", nil, nil, 400, "UNKNOWN_CHANNEL"},
		{"verdicts of no verdict", "category_manager", "GET", "/api/v1/verdicts?verdict=nope", nil, nil, 400, "UNKNOWN_VERDICT"},
		{"verdicts of no reason", "category_manager", "GET", "/api/v1/verdicts?code=no-such!", nil, nil, 400, "UNKNOWN_REASON"},
		{"catalogue flag spelled 1", "buyer", "GET", "/api/v1/procurement/catalogue?market=UK&all=1", nil, nil, 400, "INVALID_PARAMETER"},
	}
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		before := snapshotCounts(t, db)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var body any
				if tc.body != nil {
					body = []byte(tc.body.(string))
				}
				rec := w.request(tc.role, tc.method, tc.path, body, tc.headers...)
				if rec.Code != tc.status {
					t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body.String())
				}
				if got := errorCode(t, rec); got != tc.code {
					t.Fatalf("code %s, want %s", got, tc.code)
				}
			})
		}
		if after := snapshotCounts(t, db); after != before {
			t.Fatalf("bad requests changed the database: before %v, after %v", before, after)
		}
	})
}

func snapshotCounts(t *testing.T, db *gorm.DB) [5]int64 {
	return [5]int64{count(t, db, "suppliers"), count(t, db, "users"), count(t, db, "audit_entries"), count(t, db, "products"), count(t, db, "import_batches")}
}

// oneProductCSV is a supplier file that would store one product.
const oneProductCSV = "sku,gtin,brand,model,category,markets,password_model\nX-1,4006381333931,Acme,M1,smart_plug,UK,unique_per_device\n"

func TestExpiredAndRevokedTokensAreRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		if err := db.Exec("UPDATE api_tokens SET expires_at = ? WHERE user_id = ?", time.Now().Add(-time.Minute), w.users["buyer"].ID).Error; err != nil {
			t.Fatal(err)
		}
		rec := w.request("buyer", "GET", "/api/v1/me", nil)
		if rec.Code != 401 || errorCode(t, rec) != "TOKEN_EXPIRED" {
			t.Fatalf("expired token: %d %s", rec.Code, rec.Body.String())
		}
		if err := db.Exec("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ?", time.Now(), w.users["approver"].ID).Error; err != nil {
			t.Fatal(err)
		}
		rec = w.request("approver", "GET", "/api/v1/me", nil)
		if rec.Code != 401 || errorCode(t, rec) != "TOKEN_REVOKED" {
			t.Fatalf("revoked token: %d %s", rec.Code, rec.Body.String())
		}
	})
}

func TestDisabledUsersTokensStopWorking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		if rec := w.request("category_manager", "GET", "/api/v1/me", nil); rec.Code != 200 {
			t.Fatalf("before: %d", rec.Code)
		}
		path := "/api/v1/users/" + itoa(w.users["category_manager"].ID)
		if rec := w.request("admin", "DELETE", path, nil); rec.Code != 204 {
			t.Fatalf("disable: %d %s", rec.Code, rec.Body.String())
		}
		if rec := w.request("category_manager", "GET", "/api/v1/me", nil); rec.Code != 401 {
			t.Fatalf("after disable: %d", rec.Code)
		}
		// An admin cannot lock themselves out.
		if rec := w.request("admin", "DELETE", "/api/v1/users/"+itoa(w.users["admin"].ID), nil); rec.Code != 400 {
			t.Fatalf("self-disable: %d", rec.Code)
		}
	})
}
