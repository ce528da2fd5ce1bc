package auth

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// clock is a test's time, shared by the replicas of one test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// replicas returns n services on db, as n processes on one database would
// each have, all on clk.
func replicas(db *gorm.DB, clk *clock, n int) []*Service {
	out := make([]*Service, n)
	for i := range out {
		out[i] = NewService(db)
		out[i].now = clk.Now
	}
	return out
}

func tokenFor(t *testing.T, svc *Service, email string, ttl time.Duration) (string, int64) {
	t.Helper()
	system := access.With(context.Background(), access.System("test"))
	u, err := svc.CreateUser(system, NewUser{Email: email, Role: access.CategoryManager, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.CreateToken(system, u.ID, "till", ttl)
	if err != nil {
		t.Fatal(err)
	}
	return secret, u.ID
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := errs.CodeOf(err); (err == nil && code != "") || (err != nil && got != code) {
		t.Fatalf("%s: err = %v (code %q), want code %q", what, err, got, code)
	}
}

// TestTheTokenCacheKeepsItsDocumentedBounds walks the promises of
// docs/SECURITY.md with a test clock, on both databases: a cached token is
// answered without the database for at most TokenCacheTTL; a revocation is
// seen at once on its replica and within GenerationRecheck on another;
// expiry is checked on every use; and nothing cached is trusted when the
// generation cannot be read.
func TestTheTokenCacheKeepsItsDocumentedBounds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		clk := &clock{now: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)}
		rs := replicas(db, clk, 2)
		a, b := rs[0], rs[1]
		ctx := context.Background()

		t.Run("a cached token is answered without the database, for TokenCacheTTL at most", func(t *testing.T) {
			secret, _ := tokenFor(t, a, "cached@x.example", 0)
			if _, err := a.TokenPrincipal(ctx, secret); err != nil {
				t.Fatal(err)
			}
			// Behind Cascade's back (no generation change): only the TTL bounds this.
			if err := db.Exec("DELETE FROM api_tokens WHERE token_hash = ?", hashSecret(secret)).Error; err != nil {
				t.Fatal(err)
			}
			clk.Add(TokenCacheTTL - time.Millisecond)
			if _, err := a.TokenPrincipal(ctx, secret); err != nil {
				t.Fatalf("within the TTL the cached answer stands: %v", err)
			}
			clk.Add(time.Millisecond)
			_, err := a.TokenPrincipal(ctx, secret)
			wantCode(t, "after the TTL", err, "TOKEN_INVALID")
		})

		t.Run("a revocation is seen at once on its replica and within GenerationRecheck on the other", func(t *testing.T) {
			secret, _ := tokenFor(t, a, "revoked@x.example", 0)
			for _, r := range rs {
				if _, err := r.TokenPrincipal(ctx, secret); err != nil {
					t.Fatal(err)
				}
			}
			var id int64
			db.Raw("SELECT id FROM api_tokens WHERE token_hash = ?", hashSecret(secret)).Scan(&id)
			if err := a.RevokeToken(access.With(ctx, access.System("test")), id); err != nil {
				t.Fatal(err)
			}
			_, err := a.TokenPrincipal(ctx, secret)
			wantCode(t, "the revoking replica", err, "TOKEN_REVOKED")
			// b read the generation less than GenerationRecheck ago: its
			// cached answer may stand until then, and no longer.
			clk.Add(GenerationRecheck)
			_, err = b.TokenPrincipal(ctx, secret)
			wantCode(t, "the other replica after GenerationRecheck", err, "TOKEN_REVOKED")
		})

		t.Run("disabling a user ends its cached tokens everywhere within GenerationRecheck", func(t *testing.T) {
			secret, userID := tokenFor(t, a, "disabled@x.example", 0)
			for _, r := range rs {
				if _, err := r.TokenPrincipal(ctx, secret); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.DisableUser(access.With(ctx, access.System("test")), userID); err != nil {
				t.Fatal(err)
			}
			_, err := b.TokenPrincipal(ctx, secret)
			wantCode(t, "the disabling replica", err, "TOKEN_REVOKED")
			clk.Add(GenerationRecheck)
			_, err = a.TokenPrincipal(ctx, secret)
			wantCode(t, "the other replica", err, "TOKEN_REVOKED")
		})

		t.Run("expiry is checked on every use, cached or not", func(t *testing.T) {
			secret, _ := tokenFor(t, a, "expiring@x.example", 2*time.Second)
			if _, err := a.TokenPrincipal(ctx, secret); err != nil {
				t.Fatal(err)
			}
			// Gone from the database: only the cached entry can answer now.
			if err := db.Exec("DELETE FROM api_tokens WHERE token_hash = ?", hashSecret(secret)).Error; err != nil {
				t.Fatal(err)
			}
			clk.Add(2 * time.Second)
			_, err := a.TokenPrincipal(ctx, secret)
			wantCode(t, "the cached token at its expiry", err, "TOKEN_EXPIRED")
		})

		t.Run("without the generation nothing cached is trusted", func(t *testing.T) {
			secret, _ := tokenFor(t, a, "outage@x.example", 0)
			if _, err := a.TokenPrincipal(ctx, secret); err != nil {
				t.Fatal(err)
			}
			clk.Add(GenerationRecheck)
			gone, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := a.TokenPrincipal(gone, secret); err == nil {
				t.Fatal("a token was accepted although the credential generation could not be read")
			}
		})
	})
}

// TestTheTokenCacheIsBounded: a flood of distinct tokens cannot grow a
// replica's memory past tokenCacheMax entries.
func TestTheTokenCacheIsBounded(t *testing.T) {
	c := newTokenCache()
	for i := range tokenCacheMax + 100 {
		c.put(fmt.Sprintf("hash-%d", i), cachedToken{tokenID: int64(i)})
	}
	if n := len(c.entries); n != tokenCacheMax {
		t.Fatalf("%d entries, want at most %d", n, tokenCacheMax)
	}
	if _, ok := c.entries[fmt.Sprintf("hash-%d", tokenCacheMax+99)]; !ok {
		t.Fatal("the newest entry was not kept")
	}
}

// TestALookUpThatRacedARevocationIsNotCached: a look-up that began before
// this replica's revocation committed may have read the token as it was; it
// answers that once (it was in flight) but must not be cached.
func TestALookUpThatRacedARevocationIsNotCached(t *testing.T) {
	c := newTokenCache()
	epoch := c.begin()
	c.forget() // the revocation commits while the look-up runs
	c.put("h", cachedToken{epoch: epoch})
	if len(c.entries) != 0 {
		t.Fatal("an answer from before the revocation was cached")
	}
	c.put("h", cachedToken{epoch: c.begin()})
	if len(c.entries) != 1 {
		t.Fatal("an answer from after it was not cached")
	}
}
