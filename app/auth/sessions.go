package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/access"
	"github.com/cascade-gate/cascade/app/audit"
	"github.com/cascade-gate/cascade/app/errs"
)

// SessionTTL is how long a browser session lasts after sign-in.
const SessionTTL = 12 * time.Hour

type session struct {
	ID         int64
	UserID     int64
	TokenHash  string
	CSRFToken  string
	ExpiresAt  time.Time
	LastSeenAt time.Time
	CreatedAt  time.Time
}

// Session is a signed-in browser. Token goes in the cookie and is never stored;
// CSRF must accompany every state-changing request made with the cookie.
type Session struct {
	Token     string
	CSRF      string
	ExpiresAt time.Time
	User      User
}

var (
	ErrBadCredentials = errs.E(errs.Unauthenticated, "INVALID_CREDENTIALS", "the e-mail or password is wrong")
	ErrSessionExpired = errs.E(errs.Unauthenticated, "SESSION_EXPIRED", "your session has expired: sign in again")
	ErrSessionInvalid = errs.E(errs.Unauthenticated, "SESSION_INVALID", "your session is not valid: sign in again")
)

// Sign-in throttling: more failures than this within the window, for one
// e-mail or from one address, and sign-in is refused until the window passes.
const (
	MaxFailuresPerEmail  = 10
	MaxFailuresPerRemote = 50
	FailureWindow        = 15 * time.Minute
)

// ErrTooManyAttempts is the answer to a guessing attack.
var ErrTooManyAttempts = errs.E(errs.RateLimited, "TOO_MANY_ATTEMPTS", "too many failed sign-ins: wait 15 minutes and try again")

type loginFailure struct {
	ID     int64
	Email  string
	Remote string
	At     time.Time
}

// throttled reports whether sign-in for email from remote must wait.
func (s *Service) throttled(ctx context.Context, email, remote string) (bool, error) {
	since := s.now().Add(-FailureWindow)
	var byEmail, byRemote int64
	db := s.db.WithContext(ctx).Model(&loginFailure{})
	if err := db.Where("email = ? AND at > ?", email, since).Count(&byEmail).Error; err != nil {
		return false, err
	}
	if err := s.db.WithContext(ctx).Model(&loginFailure{}).Where("remote = ? AND at > ?", remote, since).Count(&byRemote).Error; err != nil {
		return false, err
	}
	return byEmail >= MaxFailuresPerEmail || byRemote >= MaxFailuresPerRemote, nil
}

// Login checks an e-mail and password and starts a new session. Every login
// gets a fresh session id, so a session id planted before login is useless.
// remote is the client's address, for throttling guesses.
func (s *Service) Login(ctx context.Context, email, password, remote string) (Session, error) {
	email = normaliseEmail(email)
	if limited, err := s.throttled(ctx, email, remote); err != nil {
		return Session{}, err
	} else if limited {
		return Session{}, ErrTooManyAttempts
	}
	var u User
	err := s.db.WithContext(ctx).Where("email = ?", email).First(&u).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return Session{}, err
	}
	hash := []byte(u.PasswordHash)
	if u.ID == 0 { // unknown e-mail: the same bcrypt work as a wrong password (see dummyHash)
		if hash, err = dummyHash(); err != nil {
			return Session{}, err
		}
	}
	if s.checkPassword(hash, []byte(password)) != nil || u.ID == 0 || u.DisabledAt != nil {
		if err := s.db.WithContext(ctx).Create(&loginFailure{Email: email, Remote: remote, At: s.now()}).Error; err != nil {
			return Session{}, err
		}
		return Session{}, ErrBadCredentials
	}
	now := s.now()
	token, csrf := newSecret(32), newSecret(32)
	row := session{UserID: u.ID, TokenHash: hashSecret(token), CSRFToken: csrf, ExpiresAt: now.Add(SessionTTL), LastSeenAt: now, CreatedAt: now}
	ctx = access.With(ctx, u.Principal())
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Expired sessions are swept on login rather than by a separate job.
		if err := tx.Where("expires_at < ?", now).Delete(&session{}).Error; err != nil {
			return err
		}
		if err := tx.Where("email = ? OR at < ?", email, now.Add(-FailureWindow)).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "session.login", "user", u.ID, nil)
	})
	if err != nil {
		return Session{}, err
	}
	return Session{Token: token, CSRF: csrf, ExpiresAt: row.ExpiresAt, User: u}, nil
}

// SessionPrincipal resolves a session cookie to its user. It returns the
// session's CSRF token for the caller to check on unsafe requests.
func (s *Service) SessionPrincipal(ctx context.Context, token string) (access.Principal, string, error) {
	if token == "" {
		return access.Principal{}, "", ErrSessionInvalid
	}
	var row session
	err := s.db.WithContext(ctx).Where("token_hash = ?", hashSecret(token)).First(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return access.Principal{}, "", ErrSessionInvalid
	}
	if err != nil {
		return access.Principal{}, "", err
	}
	now := s.now()
	if !row.ExpiresAt.After(now) {
		return access.Principal{}, "", ErrSessionExpired
	}
	u, err := s.activeUser(ctx, row.UserID)
	if err != nil {
		return access.Principal{}, "", err
	}
	return u.Principal(), row.CSRFToken, nil
}

// Logout ends the session with that token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.db.WithContext(ctx).Where("token_hash = ?", hashSecret(token)).Delete(&session{}).Error
}

// CSRFMatches compares a submitted CSRF token in constant time.
func CSRFMatches(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func (s *Service) activeUser(ctx context.Context, id int64) (User, error) {
	var u User
	if err := s.db.WithContext(ctx).First(&u, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return u, ErrSessionInvalid
		}
		return u, err
	}
	if u.DisabledAt != nil {
		return u, errs.E(errs.Unauthenticated, "ACCOUNT_DISABLED", "this account is disabled")
	}
	return u, nil
}
