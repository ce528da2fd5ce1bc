package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/errs"
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

// Sign-in throttling: more attempts than this within the window that did not
// sign in (failed, refused, or still being checked), for one e-mail or from
// one address, and sign-in is refused until the window passes.
const (
	MaxFailuresPerEmail  = 10
	MaxFailuresPerRemote = 50
	FailureWindow        = 15 * time.Minute
)

// ErrTooManyAttempts is the answer to a guessing attack.
var ErrTooManyAttempts = errs.E(errs.RateLimited, "TOO_MANY_ATTEMPTS", "too many failed sign-ins: wait 15 minutes and try again")

// loginFailure is one sign-in attempt that has not succeeded: it is stored
// before the password is compared, so it counts while bcrypt is still at
// work, and it is removed only by a successful sign-in for its e-mail or
// once it is older than the window. An attempt refused by the throttle is
// kept too: it was a guess the attacker wanted to make.
type loginFailure struct {
	ID     int64
	Email  string
	Remote string
	At     time.Time
}

// countAttempt records a sign-in attempt for email from remote, then
// reports whether it must wait: whether more attempts than allowed, this one
// included, were made within the window for that e-mail or from that
// address. Recording first is what makes parallel guesses safe: each one is
// stored before it is counted, so of any number made at once, the ones that
// come out within the allowance are at most the allowance.
func (s *Service) countAttempt(ctx context.Context, email, remote string) (bool, error) {
	now := s.now()
	if err := s.db.WithContext(ctx).Create(&loginFailure{Email: email, Remote: remote, At: now}).Error; err != nil {
		return false, err
	}
	since := now.Add(-FailureWindow)
	byEmail, err := s.recentAttempts(ctx, "email", email, since, MaxFailuresPerEmail)
	if err != nil {
		return false, err
	}
	byRemote, err := s.recentAttempts(ctx, "remote", remote, since, MaxFailuresPerRemote)
	if err != nil {
		return false, err
	}
	return byEmail > MaxFailuresPerEmail || byRemote > MaxFailuresPerRemote, nil
}

// recentAttempts counts the attempts since then with column = value, up to
// one more than max: a flood of refused attempts must not make every count
// slower.
func (s *Service) recentAttempts(ctx context.Context, column, value string, since time.Time, max int) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM (SELECT 1 FROM login_failures WHERE "+column+" = ? AND at > ? LIMIT ?) recent",
		value, since, max+1).Scan(&n).Error
	return n, err
}

// Login checks an e-mail and password and starts a new session. Every login
// gets a fresh session id, so a session id planted before login is useless.
// remote is the client's address, for throttling guesses.
func (s *Service) Login(ctx context.Context, email, password, remote string) (Session, error) {
	email = normaliseEmail(email)
	if strings.IndexByte(email, 0) >= 0 { // no account has one; PostgreSQL cannot even count it
		return Session{}, errs.Invalidf("INVALID_CHARACTER", "the e-mail holds a NUL character, which is not text: remove it")
	}
	if limited, err := s.countAttempt(ctx, email, remote); err != nil {
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
		return Session{}, ErrBadCredentials // the attempt is already counted
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
		// Success clears the e-mail's attempts, this one included, and sweeps old ones.
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
