package web_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

func TestReadyzReportsAnUnreachableDatabaseAs503(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		if rec := w.request("", "GET", "/readyz", nil); rec.Code != 200 {
			t.Fatalf("ready: %d", rec.Code)
		}
		database.Close(db)
		rec := w.request("", "GET", "/readyz", nil)
		if rec.Code != 503 || errorCode(t, rec) != "DB_UNAVAILABLE" {
			t.Fatalf("closed db: %d %s", rec.Code, rec.Body.String())
		}
		if rec := w.request("", "GET", "/healthz", nil); rec.Code != 200 {
			t.Fatalf("healthz must not depend on the database: %d", rec.Code)
		}
	})
}

func TestResponsesCarrySecurityHeaders(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	for _, path := range []string{"/", "/api/v1/me", "/api/v1/nowhere"} {
		rec := w.request("", "GET", path, nil)
		for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy", "X-Request-Id"} {
			if rec.Header().Get(h) == "" {
				t.Errorf("%s: missing %s", path, h)
			}
		}
	}
	rec := w.request("", "GET", "/", nil, "X-Forwarded-Proto", "https")
	if rec.Header().Get("Strict-Transport-Security") == "" {
		t.Error("HSTS missing behind TLS")
	}
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	w.request("admin", "GET", "/api/v1/products/1", nil)
	w.request("admin", "GET", "/api/v1/products/2", nil)
	body := w.request("", "GET", "/metrics", nil).Body.String()
	want := `cascade_http_requests_total{method="GET",route="/api/v1/products/:id",status="200"} 2`
	if !strings.Contains(body, want) {
		t.Fatalf("metrics lack %s", want)
	}
	if strings.Contains(body, `route="/api/v1/products/1"`) {
		t.Fatal("metrics are labelled by raw path")
	}
}

func TestHomePageRendersHTML(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	rec := w.request("", "GET", "/", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(rec.Body.String(), "<h1>Cascade</h1>") {
		t.Fatalf("home: %d %s", rec.Code, rec.Body.String())
	}
}
