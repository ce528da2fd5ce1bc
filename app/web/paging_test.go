package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// listRoutes are every JSON list of the API, each asked as a role that sees
// at least two items of it in the world fixture, and whether it counts its
// total.
var listRoutes = []struct {
	role, path string
	total      bool
}{
	{"admin", "/api/v1/users", true},
	{"admin", "/api/v1/tokens?user_id=0", true},
	{"admin", "/api/v1/suppliers", true},
	{"admin", "/api/v1/products", true},
	{"admin", "/api/v1/imports", true},
	{"admin", "/api/v1/schemes", true},
	{"admin", "/api/v1/schemes/SG-CLS/snapshots", true},
	{"admin", "/api/v1/policies", true},
	{"admin", "/api/v1/sources", true},
	{"admin", "/api/v1/verdicts", false},
	{"admin", "/api/v1/verdicts?as_of=2031-01-01", false},
	{"admin", "/api/v1/verdicts/changes", false},
	{"admin", "/api/v1/listings?market=UK", false},
	{"buyer", "/api/v1/procurement/catalogue?market=UK&all=true", false},
	{"buyer", "/api/v1/purchase-orders", true},
	{"buyer", "/api/v1/waivers", true},
	{"admin", "/api/v1/audit", false},
}

type listBody struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor *string           `json:"next_cursor"`
	Total      *int64            `json:"total"`
}

// TestEveryJSONListPagesOneWay walks each list one item a page: every page
// answers {"items","next_cursor","total"} and a Link to the next, the pages
// together are the whole list without a repeat, and a bad limit or cursor
// is refused with its code.
func TestEveryJSONListPagesOneWay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		// Second items where the fixture holds one.
		if rec := w.request("admin", "POST", "/api/v1/tokens", map[string]any{"name": "second"}); rec.Code != 201 {
			t.Fatalf("second token: %d %s", rec.Code, rec.Body.String())
		}
		if rec := w.request("admin", "POST", "/api/v1/schemes/US-CTM/sources", map[string]any{"url": "http://127.0.0.1:1/other.csv"}); rec.Code != 201 {
			t.Fatalf("second source: %d %s", rec.Code, rec.Body.String())
		}
		upload := fmt.Sprintf("/api/v1/imports?wait=true&file_name=a.csv&supplier_id=%d", w.supplierA.ID)
		acme, err := os.ReadFile(filepath.Join("..", "demo", "samples", "acme.csv")) // compliant products: the feeds list them
		if err != nil {
			t.Fatal(err)
		}
		if rec := w.request("admin", "POST", upload, acme, "Content-Type", "text/csv"); rec.Code != 201 {
			t.Fatalf("second import: %d %s", rec.Code, rec.Body.String())
		}
		if rec := w.request("admin", "POST", "/api/v1/schemes/SG-CLS/snapshots", []byte(registryCSV), "Content-Type", "text/csv"); rec.Code != 201 {
			t.Fatalf("second snapshot: %d %s", rec.Code, rec.Body.String())
		}
		var active struct {
			Document map[string]any `json:"document"`
		}
		if err := json.Unmarshal(w.request("admin", "GET", "/api/v1/policies/"+w.policyVersion, nil).Body.Bytes(), &active); err != nil || active.Document == nil {
			t.Fatalf("active policy: %v", err)
		}
		active.Document["version"] = w.policyVersion + "-paging"
		if rec := w.request("admin", "POST", "/api/v1/policies", active.Document); rec.Code != 201 {
			t.Fatalf("second policy: %d %s", rec.Code, rec.Body.String())
		}
		for _, l := range listRoutes {
			whole := w.page(t, l.role, l.path, "")
			if len(whole.Items) < 2 {
				t.Fatalf("%s: the fixture has %d items, the walk needs two", l.path, len(whole.Items))
			}
			if (whole.Total != nil) != l.total || l.total && *whole.Total != int64(len(whole.Items)) {
				t.Errorf("%s: total %v for %d items (counted: %v)", l.path, whole.Total, len(whole.Items), l.total)
			}
			seen := map[string]bool{}
			cursor, pages := "", 0
			for {
				p := w.page(t, l.role, l.path, "limit=1"+cursor)
				if len(p.Items) > 1 {
					t.Fatalf("%s: %d items on a page of 1", l.path, len(p.Items))
				}
				for _, it := range p.Items {
					if seen[string(it)] {
						t.Fatalf("%s: item repeated on page %d: %s", l.path, pages, it)
					}
					seen[string(it)] = true
				}
				pages++
				if p.NextCursor == nil || len(p.Items) == 0 || pages > len(whole.Items)+1 {
					break
				}
				cursor = "&cursor=" + url.QueryEscape(*p.NextCursor)
			}
			if len(seen) != len(whole.Items) {
				t.Errorf("%s: one item a page walked %d items, the whole list has %d", l.path, len(seen), len(whole.Items))
			}
			for _, bad := range []struct{ query, code string }{{"limit=0", "INVALID_LIMIT"}, {"limit=x", "INVALID_LIMIT"}, {"cursor=%21%21", "INVALID_CURSOR"}, {"cursor=MS4yLjM", "INVALID_CURSOR"}} {
				rec := w.request(l.role, "GET", join(l.path, bad.query), nil)
				if rec.Code != 400 || errorCode(t, rec) != bad.code {
					t.Errorf("%s?%s: %d %s, want 400 %s", l.path, bad.query, rec.Code, rec.Body.String(), bad.code)
				}
			}
		}
	})
}

// TestALargeLimitIsClampedNotRefused: ?limit=5000 answers a page of at most
// 1,000 rather than an error or everything.
func TestALargeLimitIsClampedNotRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		for i := range 1005 {
			w.insertProduct(w.supplierA.ID, fmt.Sprintf("BULK-%04d", i), fmt.Sprintf("%014d", 90000000+i))
		}
		p := w.page(t, "admin", "/api/v1/products", "limit=5000")
		if len(p.Items) != 1000 || p.NextCursor == nil || p.Total == nil || *p.Total < 1005 {
			t.Fatalf("limit=5000: %d items, next %v, total %v", len(p.Items), p.NextCursor, p.Total)
		}
	})
}

// page asks for one page and checks its shape and its Link header.
func (w *world) page(t *testing.T, role, path, query string) listBody {
	t.Helper()
	rec := w.request(role, "GET", join(path, query), nil)
	if rec.Code != 200 {
		t.Fatalf("%s?%s: %d %s", path, query, rec.Code, rec.Body.String())
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for k := range raw {
		if k != "items" && k != "next_cursor" && k != "total" {
			t.Errorf("%s: unexpected member %q in a list", path, k)
		}
	}
	var b listBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Items == nil {
		t.Fatalf("%s: not a list page: %s", path, rec.Body.String())
	}
	link := rec.Header().Get("Link")
	switch {
	case b.NextCursor != nil && len(b.Items) > 0 && !strings.HasSuffix(path, "/changes") && !strings.Contains(link, "cursor="+url.QueryEscape(*b.NextCursor)):
		t.Errorf("%s: next_cursor %q but Link %q", path, *b.NextCursor, link)
	case b.NextCursor == nil && link != "":
		t.Errorf("%s: last page with a Link %q", path, link)
	}
	return b
}

func join(path, query string) string {
	if query == "" {
		return path
	}
	if strings.Contains(path, "?") {
		return path + "&" + query
	}
	return path + "?" + query
}
