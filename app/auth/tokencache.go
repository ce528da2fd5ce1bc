package auth

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
)

// The token cache spares a till's every gate request the token and user
// look-ups (half the handler's CPU). Its bounds are the security promise of
// docs/SECURITY.md: whatever takes a token's rights away (a revocation, a
// user's deactivation) adds one to credential_generation in its own
// transaction; each replica rereads that counter at least every
// GenerationRecheck and forgets every cached token when it moved. So a
// revoked token stops working on every replica within GenerationRecheck
// (at once on the replica that revoked it), and no cached answer is older
// than TokenCacheTTL whatever happened to the database behind Cascade's back.
const (
	GenerationRecheck = time.Second
	TokenCacheTTL     = 5 * time.Second
	tokenCacheMax     = 10_000 // entries; one a token in use, so a till fleet fits
)

// cachedToken is what a token look-up found: enough to answer the next
// look-up of the same secret without the database.
type cachedToken struct {
	tokenID    int64
	principal  access.Principal
	expiresAt  *time.Time
	lastUsedAt *time.Time
	cachedAt   time.Time
	generation int64
	epoch      uint64 // the cache's epoch when the look-up began
}

type tokenCache struct {
	mu         sync.Mutex
	entries    map[string]cachedToken // by token hash, never the secret
	generation int64                  // the counter as last read
	checkedAt  time.Time              // when it was read; zero: read it before trusting anything
	// epoch counts forget calls. A read or a look-up that began in an
	// earlier epoch may have raced the change that called forget: its
	// answer is not kept.
	epoch uint64
}

func newTokenCache() *tokenCache { return &tokenCache{entries: map[string]cachedToken{}} }

// currentGeneration returns the credential generation, rereading it when the
// last read is GenerationRecheck old, and drops every entry when it moved.
// A failed read is returned: without knowing the generation nothing cached
// is trusted (fail closed).
func (s *Service) currentGeneration(ctx context.Context) (int64, error) {
	c, now := s.tokens, s.now()
	c.mu.Lock()
	if !c.checkedAt.IsZero() && now.Sub(c.checkedAt) < GenerationRecheck && !now.Before(c.checkedAt) {
		g := c.generation
		c.mu.Unlock()
		return g, nil
	}
	epoch := c.epoch
	c.mu.Unlock()
	var g int64
	if err := s.prepared.WithContext(ctx).Raw("SELECT generation FROM credential_generation WHERE id = 1").Scan(&g).Error; err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return g, nil // raced a local change: used once, not kept
	}
	if now.Before(c.checkedAt) {
		// A read that began later landed first: its answer is the newer one.
		return c.generation, nil
	}
	if g != c.generation {
		clear(c.entries)
		c.generation = g
	}
	c.checkedAt = now
	return g, nil
}

// cached returns the entry for hash if it is of generation and young enough.
func (c *tokenCache) cached(hash string, generation int64, now time.Time) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || e.generation != generation || now.Sub(e.cachedAt) >= TokenCacheTTL || now.Before(e.cachedAt) {
		return cachedToken{}, false
	}
	return e, true
}

// put remembers e, unless the generation moved since e's look-up began:
// that look-up may have raced a revocation.
func (c *tokenCache) put(hash string, e cachedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.generation != c.generation || e.epoch != c.epoch {
		return
	}
	if _, ok := c.entries[hash]; !ok && len(c.entries) >= tokenCacheMax {
		for k := range c.entries { // bounded: one arbitrary entry makes room
			delete(c.entries, k)
			break
		}
	}
	c.entries[hash] = e
}

// forget drops every entry and makes the next look-up reread the generation;
// the replica that takes rights away calls it after its commit.
func (c *tokenCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.checkedAt = time.Time{}
	c.epoch++
}

// begin returns the epoch a look-up starts in.
func (c *tokenCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// bumpCredentials adds one to the credential generation inside tx. Every
// change that takes a token's or a user's rights away must call it in its
// transaction, and forget the local cache after the commit.
func bumpCredentials(tx *gorm.DB) error {
	return tx.Exec("UPDATE credential_generation SET generation = generation + 1 WHERE id = 1").Error
}
