// Package auth knows Cascade's people: users with a role, their passwords
// (bcrypt), browser sessions and API tokens (stored hashed, shown once).
package auth

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// User is a person who signs in to Cascade.
type User struct {
	ID           int64       `json:"id"`
	Email        string      `json:"email"`
	Name         string      `json:"name"`
	Role         access.Role `json:"role"`
	SupplierID   *int64      `json:"supplier_id,omitempty"`
	Organisation string      `json:"organisation,omitempty"`
	PasswordHash string      `json:"-"`
	DisabledAt   *time.Time  `json:"disabled_at,omitempty"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

// Principal is the identity a request of u acts with.
func (u User) Principal() access.Principal {
	p := access.Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Organisation: u.Organisation}
	if u.SupplierID != nil {
		p.SupplierID = *u.SupplierID
	}
	return p
}

// Password rules: long enough to resist guessing, short enough for bcrypt (72 bytes).
const (
	MinPasswordLength = 12
	MaxPasswordBytes  = 72
)

// BcryptCost is the work factor for new password hashes.
var BcryptCost = bcrypt.DefaultCost

// NewUser is what an admin supplies to create a user.
type NewUser struct {
	Email        string
	Name         string
	Role         access.Role
	SupplierID   int64 // required for, and only for, supplier users
	Organisation string
	Password     string
}

// Service manages users, sessions and tokens.
type Service struct {
	db *gorm.DB
	// prepared runs the per-request look-ups (tokens, their users, the
	// credential generation) as statements prepared once, not per call.
	prepared *gorm.DB
	tokens   *tokenCache
	now      func() time.Time
	// checkPassword is bcrypt's comparison; a field so that a test can count
	// the comparisons a sign-in makes.
	checkPassword func(hash, password []byte) error
}

// NewService returns a Service on db.
func NewService(db *gorm.DB) *Service {
	_, _ = dummyHash() // made now, so that the first unknown e-mail is not slower than the rest (Login reports an error)
	return &Service{db: db, prepared: db.Session(&gorm.Session{PrepareStmt: true}), tokens: newTokenCache(),
		now: func() time.Time { return time.Now().UTC() }, checkPassword: bcrypt.CompareHashAndPassword}
}

func normaliseEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (n NewUser) validate() error {
	var fields []errs.FieldError
	if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != strings.TrimSpace(n.Email) {
		fields = append(fields, errs.FieldError{Field: "email", Message: "must be an e-mail address such as name@example.org"})
	}
	if strings.IndexByte(n.Organisation, 0) >= 0 {
		fields = append(fields, errs.FieldError{Field: "organisation", Message: "holds a NUL character, which is not text"})
	}
	if _, err := access.ParseRole(string(n.Role)); err != nil {
		fields = append(fields, errs.FieldError{Field: "role", Message: "must be one of admin, category_manager, buyer, approver, supplier"})
	}
	if n.Role == access.Supplier && n.SupplierID == 0 {
		fields = append(fields, errs.FieldError{Field: "supplier", Message: "a supplier user must belong to a supplier"})
	}
	if n.Role != access.Supplier && n.SupplierID != 0 {
		fields = append(fields, errs.FieldError{Field: "supplier", Message: "only supplier users belong to a supplier"})
	}
	if n.Role.NeedsOrganisation() && strings.TrimSpace(n.Organisation) == "" {
		fields = append(fields, errs.FieldError{Field: "organisation", Message: "buyers and approvers belong to an organisation"})
	}
	if msg := passwordProblem(n.Password); msg != "" {
		fields = append(fields, errs.FieldError{Field: "password", Message: msg})
	}
	if utf8.RuneCountInString(n.Name) > 200 {
		fields = append(fields, errs.FieldError{Field: "name", Message: "at most 200 characters"})
	}
	if len(fields) > 0 {
		return errs.Invalidf("INVALID_USER", "the user cannot be created as given").WithDetails(fields)
	}
	return nil
}

func passwordProblem(pw string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return "at least 12 characters"
	case len(pw) > MaxPasswordBytes:
		return "at most 72 bytes"
	}
	return ""
}

// CreateUser adds a user. Only admins may.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (User, error) {
	return s.createUser(ctx, n, false)
}

// errNotFirst is createUser's answer when the first user was asked for and
// there already is one.
var errNotFirst = errors.New("the database already has users")

// createUser adds a user; with first, only if there is no user yet, which is
// decided under LockUsers so that replicas starting together make one.
func (s *Service) createUser(ctx context.Context, n NewUser, first bool) (User, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return User{}, err
	}
	if err := n.validate(); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), BcryptCost)
	if err != nil {
		return User{}, err
	}
	u := User{
		Email:        normaliseEmail(n.Email),
		Name:         strings.TrimSpace(n.Name),
		Role:         n.Role,
		Organisation: strings.TrimSpace(n.Organisation),
		PasswordHash: string(hash),
	}
	if n.SupplierID != 0 {
		id := n.SupplierID
		u.SupplierID = &id
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if first {
			if err := database.Lock(tx, database.LockUsers); err != nil {
				return err
			}
			var n int64
			if err := tx.Model(&User{}).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return errNotFirst
			}
		}
		if u.SupplierID != nil {
			var n int64
			if err := tx.Table("suppliers").Where("id = ?", *u.SupplierID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return errs.E(errs.Invalid, "UNKNOWN_SUPPLIER", "supplier %d does not exist", *u.SupplierID)
			}
		}
		if err := tx.Create(&u).Error; err != nil {
			return database.Translate(err, "a user with e-mail "+u.Email)
		}
		return audit.Record(ctx, tx, "user.create", "user", u.ID, map[string]any{
			"email": u.Email, "role": u.Role, "supplier_id": u.SupplierID, "organisation": u.Organisation,
		})
	})
	return u, err
}

// SetPassword replaces a user's password. Admins may set anyone's; a user their own.
func (s *Service) SetPassword(ctx context.Context, userID int64, password string) error {
	p, err := access.From(ctx)
	if err != nil {
		return err
	}
	if !p.Is(access.Admin) && p.UserID != userID {
		return errs.ErrForbidden
	}
	if msg := passwordProblem(password); msg != "" {
		return errs.Invalidf("WEAK_PASSWORD", "the password must be %s", msg)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"password_hash": string(hash), "updated_at": s.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.NotFoundf("user not found")
		}
		// A new password ends every session signed in with the old one.
		if err := tx.Where("user_id = ?", userID).Delete(&session{}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "user.password", "user", userID, nil)
	})
}

// ListUsers returns every user. Only admins may.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return nil, err
	}
	var out []User
	err := s.db.WithContext(ctx).Order("email").Find(&out).Error
	return out, err
}

// GetUser returns one user: admins may read anyone, others only themselves.
func (s *Service) GetUser(ctx context.Context, id int64) (User, error) {
	p, err := access.From(ctx)
	if err != nil {
		return User{}, err
	}
	if !p.Is(access.Admin) && p.UserID != id {
		return User{}, errs.NotFoundf("user not found")
	}
	var u User
	err = s.db.WithContext(ctx).First(&u, id).Error
	return u, database.Translate(err, "user")
}

// UserByEmail returns the user with that e-mail. Only admins may look up others.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return User{}, err
	}
	var u User
	err := s.db.WithContext(ctx).Where("email = ?", normaliseEmail(email)).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, errs.E(errs.NotFound, "UNKNOWN_USER", "no user has the e-mail %q", email)
	}
	return u, err
}

// ErrLastAdmin refuses to disable the only active admin: someone must always
// be able to manage users.
var ErrLastAdmin = errs.E(errs.Conflict, "LAST_ADMIN", "this is the last active admin: make another user an admin first")

// DisableUser stops a user signing in and ends their sessions and tokens.
// Admins may not disable themselves, and nobody may disable the last active
// admin, so that one admin always remains. That is decided under LockUsers,
// inside the transaction that disables: two admins disabling each other at
// once were both active when they asked, and only one of them may succeed.
func (s *Service) DisableUser(ctx context.Context, id int64) error {
	p, err := access.Require(ctx, access.Admin)
	if err != nil {
		return err
	}
	if p.UserID == id {
		return errs.Invalidf("CANNOT_DISABLE_SELF", "you cannot disable your own account")
	}
	now := s.now()
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := database.Lock(tx, database.LockUsers); err != nil {
			return err
		}
		var target User
		if err := tx.Where("id = ? AND disabled_at IS NULL", id).First(&target).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return errs.NotFoundf("no enabled user %d", id)
			}
			return err
		}
		if target.Role == access.Admin {
			var others int64
			if err := tx.Model(&User{}).Where("role = ? AND disabled_at IS NULL AND id <> ?", access.Admin, id).Count(&others).Error; err != nil {
				return err
			}
			if others == 0 {
				return ErrLastAdmin
			}
		}
		res := tx.Model(&User{}).Where("id = ? AND disabled_at IS NULL", id).Updates(map[string]any{"disabled_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.NotFoundf("no enabled user %d", id)
		}
		if err := tx.Where("user_id = ?", id).Delete(&session{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&Token{}).Where("user_id = ? AND revoked_at IS NULL", id).Update("revoked_at", now).Error; err != nil {
			return err
		}
		if err := bumpCredentials(tx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "user.disable", "user", id, nil)
	})
	s.tokens.forget()
	return err
}

// HasUsers reports whether any user exists (false on a brand-new database).
func (s *Service) HasUsers(ctx context.Context) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&User{}).Limit(1).Count(&n).Error
	return n > 0, err
}
