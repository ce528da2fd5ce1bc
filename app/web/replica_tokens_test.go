package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
)

// TestARevokedTokenStopsWorkingOnEveryReplicaWithinTheBound runs two
// servers, each with its own connections, on one database (as two
// replicas behind a load balancer). A till's token is cached by both; the
// admin revokes it through one replica, which refuses it at once; the
// other must refuse it within auth.GenerationRecheck (docs/SECURITY.md),
// and so for a user's deactivation.
func TestARevokedTokenStopsWorkingOnEveryReplicaWithinTheBound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		w := newWorld(t, db)
		other, err := database.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { database.Close(other) })
		a := w.srv
		b := web.New(other, slog.New(slog.NewTextHandler(io.Discard, nil)))
		t.Cleanup(func() { b.Drain(context.Background()) })

		get := func(srv *web.Server, token string) (int, string) {
			req := httptest.NewRequest("GET", "/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			checkContract(t, srv.Handler(), req, rec)
			if rec.Code == 200 {
				return 200, ""
			}
			return rec.Code, errorCode(t, rec)
		}
		// refusedWithin polls srv until it refuses token with code and
		// fails if that takes longer than the documented bound (plus the
		// scheduling slack of a loaded machine).
		refusedWithin := func(srv *web.Server, token, code string) {
			t.Helper()
			start := time.Now()
			for {
				status, got := get(srv, token)
				if status == 401 && got == code {
					if took := time.Since(start); took > auth.GenerationRecheck+500*time.Millisecond {
						t.Fatalf("refused after %v, the bound is %v", took, auth.GenerationRecheck)
					}
					return
				}
				if status != 200 || time.Since(start) > 3*auth.GenerationRecheck {
					t.Fatalf("after %v: %d %s, want 401 %s", time.Since(start), status, got, code)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}

		till := w.tokens["category_manager"]
		for _, srv := range []*web.Server{a, b} {
			if status, code := get(srv, till); status != 200 {
				t.Fatalf("before: %d %s", status, code)
			}
		}
		var tokenID int64
		db.Raw("SELECT id FROM api_tokens WHERE user_id = ?", w.users["category_manager"].ID).Scan(&tokenID)
		if rec := w.request("admin", "DELETE", "/api/v1/tokens/"+itoa(tokenID), nil); rec.Code != 204 {
			t.Fatalf("revoke: %d %s", rec.Code, rec.Body.String())
		}
		if status, code := get(a, till); status != 401 || code != "TOKEN_REVOKED" {
			t.Fatalf("the replica that revoked: %d %s, want 401 TOKEN_REVOKED at once", status, code)
		}
		refusedWithin(b, till, "TOKEN_REVOKED")

		buyer := w.tokens["buyer"]
		for _, srv := range []*web.Server{a, b} {
			if status, code := get(srv, buyer); status != 200 {
				t.Fatalf("before: %d %s", status, code)
			}
		}
		if rec := w.request("admin", "DELETE", "/api/v1/users/"+itoa(w.users["buyer"].ID), nil); rec.Code != 204 {
			t.Fatalf("disable: %d %s", rec.Code, rec.Body.String())
		}
		if status, code := get(a, buyer); status != 401 || code != "TOKEN_REVOKED" {
			t.Fatalf("the replica that disabled: %d %s", status, code)
		}
		refusedWithin(b, buyer, "TOKEN_REVOKED")
	})
}
