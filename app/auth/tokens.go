package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// TokenPrefix starts every API token, so leaked tokens are easy to scan for.
const TokenPrefix = "cas_"

// MaxTokenTTL bounds how long a token may live: MaxTokenTTLDays days.
const (
	MaxTokenTTLDays = 730
	MaxTokenTTL     = MaxTokenTTLDays * 24 * time.Hour
)

// TokenTTLDays is the lifetime of a token asked for in days, as the API, the
// admin form and the CLI take it: 1 to MaxTokenTTLDays. Anything else is
// refused before it is multiplied into a time.Duration, where a number of
// days as large as 213504 would wrap round to a few minutes.
func TokenTTLDays(days int64) (time.Duration, error) {
	if days < 1 || days > MaxTokenTTLDays {
		return 0, errs.Invalidf("INVALID_TOKEN_TTL", "a token lives between 1 and %d days", MaxTokenTTLDays).
			WithDetails([]errs.FieldError{{Field: "ttl_days", Message: fmt.Sprintf("must be a whole number of days from 1 to %d", MaxTokenTTLDays)}})
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// Token is an API token's record; the secret itself is returned once, at creation.
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	TokenHash  string     `json:"-"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func (Token) TableName() string { return "api_tokens" }

var (
	ErrTokenInvalid = errs.E(errs.Unauthenticated, "TOKEN_INVALID", "the API token is not valid")
	ErrTokenExpired = errs.E(errs.Unauthenticated, "TOKEN_EXPIRED", "the API token has expired: create a new one")
	ErrTokenRevoked = errs.E(errs.Unauthenticated, "TOKEN_REVOKED", "the API token was revoked")
)

// CreateToken issues a token for userID. Users may create tokens for
// themselves; admins for anyone. ttl 0 means the maximum.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string, ttl time.Duration) (string, Token, error) {
	p, err := access.From(ctx)
	if err != nil {
		return "", Token{}, err
	}
	if !p.Is(access.Admin) && p.UserID != userID {
		return "", Token{}, errs.ErrForbidden
	}
	name = strings.TrimSpace(name)
	if strings.IndexByte(name, 0) >= 0 {
		return "", Token{}, errs.Invalidf("INVALID_CHARACTER", "the token name holds a NUL character, which is not text: remove it")
	}
	if name == "" || len(name) > 100 {
		return "", Token{}, errs.Invalidf("INVALID_TOKEN_NAME", "give the token a name of 1 to 100 characters, e.g. the system that will use it")
	}
	if ttl < 0 || ttl > MaxTokenTTL {
		return "", Token{}, errs.Invalidf("INVALID_TOKEN_TTL", "a token lives between 1 hour and 730 days")
	}
	if ttl == 0 {
		ttl = MaxTokenTTL
	}
	if _, err := s.activeUser(ctx, userID); err != nil {
		return "", Token{}, errs.E(errs.Invalid, "UNKNOWN_USER", "user %d does not exist or is disabled", userID)
	}
	secret := TokenPrefix + newSecret(32)
	expires := s.now().Add(ttl)
	t := Token{UserID: userID, Name: name, Prefix: secret[:len(TokenPrefix)+6], TokenHash: hashSecret(secret), ExpiresAt: &expires, CreatedAt: s.now()}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "token.create", "api_token", t.ID, map[string]any{"user_id": userID, "name": name, "expires_at": expires})
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// TokenPrincipal resolves a bearer token to its user. A token seen in the
// last TokenCacheTTL is answered from the cache, unless the credential
// generation moved since (tokencache.go); expiry is checked every time.
func (s *Service) TokenPrincipal(ctx context.Context, secret string) (access.Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return access.Principal{}, ErrTokenInvalid
	}
	hash := hashSecret(secret)
	epoch := s.tokens.begin()
	generation, err := s.currentGeneration(ctx)
	if err != nil {
		return access.Principal{}, err
	}
	now := s.now()
	e, ok := s.tokens.cached(hash, generation, now)
	if !ok {
		if e, err = s.lookUpToken(ctx, hash); err != nil {
			return access.Principal{}, err
		}
		e.cachedAt, e.generation, e.epoch = now, generation, epoch
	}
	if e.expiresAt != nil && !e.expiresAt.After(now) {
		return access.Principal{}, ErrTokenExpired
	}
	// Recording last use at most once a minute keeps reads from becoming writes.
	if e.lastUsedAt == nil || now.Sub(*e.lastUsedAt) > time.Minute {
		s.prepared.WithContext(ctx).Exec("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", now, e.tokenID)
		e.lastUsedAt = &now
	}
	s.tokens.put(hash, e)
	return e.principal, nil
}

// lookUpToken reads the token with that hash and its user from the database.
func (s *Service) lookUpToken(ctx context.Context, hash string) (cachedToken, error) {
	var t Token
	err := s.prepared.WithContext(ctx).Where("token_hash = ?", hash).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return cachedToken{}, ErrTokenInvalid
	}
	if err != nil {
		return cachedToken{}, err
	}
	if t.RevokedAt != nil {
		return cachedToken{}, ErrTokenRevoked
	}
	u, err := s.activeUser(ctx, t.UserID)
	if err != nil {
		return cachedToken{}, err
	}
	return cachedToken{tokenID: t.ID, principal: u.Principal(), expiresAt: t.ExpiresAt, lastUsedAt: t.LastUsedAt}, nil
}

// ListTokens returns the caller's tokens, or userID's when the caller is an admin.
func (s *Service) ListTokens(ctx context.Context, userID int64) ([]Token, error) {
	p, err := access.From(ctx)
	if err != nil {
		return nil, err
	}
	if userID == 0 {
		userID = p.UserID
	}
	if !p.Is(access.Admin) && p.UserID != userID {
		return nil, errs.ErrForbidden
	}
	var out []Token
	err = s.db.WithContext(ctx).Where("user_id = ?", userID).Order("id").Find(&out).Error
	return out, err
}

// RevokeToken ends a token. Users may revoke their own; admins any.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	p, err := access.From(ctx)
	if err != nil {
		return err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t Token
		q := tx.Where("id = ?", id)
		if !p.Is(access.Admin) {
			q = q.Where("user_id = ?", p.UserID)
		}
		if err := q.First(&t).Error; err != nil {
			return database.Translate(err, "token")
		}
		if t.RevokedAt != nil {
			return nil
		}
		if err := tx.Model(&t).Update("revoked_at", s.now()).Error; err != nil {
			return err
		}
		if err := bumpCredentials(tx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "token.revoke", "api_token", id, map[string]any{"user_id": t.UserID})
	})
	s.tokens.forget() // after the commit, so that no look-up of this replica sees the token as it was
	return err
}
