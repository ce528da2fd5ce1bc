package web_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// breakActivePolicy makes every recompute fail (the active policy no longer
// parses) while snapshots and activations still store.
func breakActivePolicy(t *testing.T, db *gorm.DB) {
	t.Helper()
	if err := db.Exec("UPDATE policies SET document = '{' WHERE active = ?", true).Error; err != nil {
		t.Fatal(err)
	}
}

// postPageFile posts a multipart file to a page form as role.
func (w *world) postPageFile(role, path, field, name, content string) *httptest.ResponseRecorder {
	w.t.Helper()
	b := w.browse(role)
	body, ct := multipartBody(w.t, nil, name, content)
	if field != "file" {
		body = []byte(strings.Replace(string(body), `name="file"`, `name="`+field+`"`, 1))
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	req := httptest.NewRequest("POST", path+sep+"csrf="+url.QueryEscape(b.csrf), strings.NewReader(string(body)))
	req.Header.Set("Content-Type", ct)
	req.AddCookie(b.cookie)
	rec := httptest.NewRecorder()
	w.srv.Handler().ServeHTTP(rec, req)
	return rec
}

const ctmSnapshot = "label_id,brand,model,status\nCTM-1,Brand,M-1,valid\n"

// A snapshot that was stored stays stored when the recompute after it
// fails: the API answers 202 with VERDICTS_NOT_RECOMPUTED (not a 500 that
// a client would retry, storing it again), the page says so in its banner.
func TestSnapshotStoredWithoutRecomputeIsAPartialSuccessOnAPIAndPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		breakActivePolicy(t, db)
		before := count(t, db, "registry_snapshots")

		rec := w.request("admin", "POST", "/api/v1/schemes/US-CTM/snapshots", []byte(ctmSnapshot), "Content-Type", "text/csv")
		var body struct {
			Snapshot struct {
				ID int64 `json:"id"`
			} `json:"snapshot"`
			Recomputed any `json:"recomputed"`
			Warning    struct {
				Code string `json:"code"`
			} `json:"warning"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); rec.Code != 202 || err != nil || body.Snapshot.ID == 0 ||
			body.Warning.Code != "VERDICTS_NOT_RECOMPUTED" || body.Recomputed != nil {
			t.Fatalf("API upload with a failing recompute: %d %s", rec.Code, rec.Body.String())
		}
		rec = w.postPageFile("admin", "/admin/registries/upload?scheme=US-CTM", "file", "ctm.csv", ctmSnapshot)
		if rec.Code != 303 || rec.Header().Get("Location") != "/admin/registries?notice=verdicts-not-recomputed" {
			t.Fatalf("page upload with a failing recompute: %d %q", rec.Code, rec.Header().Get("Location"))
		}
		if n := count(t, db, "registry_snapshots"); n != before+2 {
			t.Fatalf("%d snapshots stored, want 2", n-before)
		}
		page := w.browse("admin").get("/admin/registries?notice=verdicts-not-recomputed")
		if !strings.Contains(page.Body.String(), "VERDICTS_NOT_RECOMPUTED") {
			t.Fatalf("the registries page does not say the verdicts were not recomputed")
		}
	})
}

// Activating a policy whose recompute then fails: the activation stays and
// both the API and the page report the partial success the same way.
func TestPolicyActivatedWithoutRecomputeIsAPartialSuccessOnAPIAndPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		for _, v := range []string{"api-broken", "page-broken"} {
			if rec := w.request("admin", "POST", "/api/v1/policies", policyVersion(v)); rec.Code != 201 {
				t.Fatalf("upload %s: %d", v, rec.Code)
			}
			if err := db.Exec("UPDATE policies SET document = '{' WHERE version = ?", v).Error; err != nil {
				t.Fatal(err)
			}
		}
		rec := w.request("admin", "POST", "/api/v1/policies/api-broken/activate", nil)
		if rec.Code != 202 || !strings.Contains(rec.Body.String(), `"code":"VERDICTS_NOT_RECOMPUTED"`) || !strings.Contains(rec.Body.String(), `"version":"api-broken"`) {
			t.Fatalf("API activation: %d %s", rec.Code, rec.Body.String())
		}
		b := w.browse("admin")
		rec = b.post("/admin/policies/page-broken/activate", url.Values{"csrf": {b.csrf}, "confirm": {"page-broken"}})
		if rec.Code != 303 || rec.Header().Get("Location") != "/admin/policies?notice=verdicts-not-recomputed" {
			t.Fatalf("page activation: %d %q", rec.Code, rec.Header().Get("Location"))
		}
		var active string
		db.Raw("SELECT version FROM policies WHERE active = ?", true).Scan(&active)
		if active != "page-broken" {
			t.Fatalf("active policy %q: the activation did not stay", active)
		}
	})
}

// The admin page checks the scheme before it reads the file, as the API
// does: an unknown scheme is UNKNOWN_SCHEME (404), not a complaint about
// the file's rows.
func TestRegistryPageUploadChecksTheSchemeLikeTheAPI(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	file := "scheme,label_id,brand,model,status\nUS-CTM,CTM-1,Brand,M-1,valid\n"
	api := w.request("admin", "POST", "/api/v1/schemes/XX-NONE/snapshots", []byte(file), "Content-Type", "text/csv")
	page := w.postPageFile("admin", "/admin/registries/upload?scheme=XX-NONE", "file", "x.csv", file)
	if api.Code != 404 || errorCode(t, api) != "UNKNOWN_SCHEME" {
		t.Fatalf("API: %d %s", api.Code, api.Body.String())
	}
	if page.Code != 404 || !strings.Contains(page.Body.String(), "XX-NONE") {
		t.Fatalf("page: %d %s", page.Code, page.Body.String())
	}
	// A scheme written in lower case is the scheme, on both.
	if rec := w.postPageFile("admin", "/admin/registries/upload?scheme=us-ctm", "file", "x.csv", file); rec.Code != 303 ||
		rec.Header().Get("Location") != "/admin/registries?notice=snapshot-stored" {
		t.Fatalf("page, lower-case scheme: %d %q %s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
}

// The waiver page resolves the GTIN in procurement, as the buyer: a role
// that may not request waivers is refused before any product is looked up,
// so the page no longer tells it which GTINs the catalogue holds.
func TestWaiverPageResolvesTheGTINAsTheBuyer(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	for _, role := range []string{"category_manager", "approver", "supplier"} {
		b := w.browse(role)
		for _, gtin := range []string{"00012345600012", "4006381333931", "96385074"} { // product B's, product A's, none
			rec := b.post("/waivers", url.Values{"csrf": {b.csrf}, "gtin": {gtin}, "market": {"UK"}, "codes": {"LABEL_REQUIRED"},
				"justification": {"A justification long enough to be read."}, "expires_on": {"2099-01-01"}})
			if rec.Code != 403 {
				t.Errorf("%s asking a waiver for GTIN %s: %d, want 403", role, gtin, rec.Code)
			}
		}
	}
	b := w.browse("buyer")
	form := func(gtin string) url.Values {
		return url.Values{"csrf": {b.csrf}, "gtin": {gtin}, "market": {"UK"}, "codes": {"LABEL_REQUIRED"},
			"justification": {"A justification long enough to be read."}, "expires_on": {time.Now().AddDate(0, 1, 0).Format("2006-01-02")}}
	}
	if rec := b.post("/waivers", form("12345600012")); rec.Code != 303 {
		t.Fatalf("buyer, product B's GTIN without its leading zeros: %d %s", rec.Code, rec.Body.String())
	}
	if rec := b.post("/waivers", form("96385074")); rec.Code != 404 {
		t.Fatalf("buyer, an unknown GTIN: %d", rec.Code)
	}
	if rec := w.request("buyer", "POST", "/api/v1/waivers", map[string]any{"gtin": "00012345600012", "market": "UK", "codes": []string{"LABEL_REQUIRED"},
		"justification": "A justification long enough to be read.", "expires_on": time.Now().AddDate(0, 1, 0).Format("2006-01-02")}); rec.Code != 201 {
		t.Fatalf("API waiver by GTIN: %d %s", rec.Code, rec.Body.String())
	}
}
