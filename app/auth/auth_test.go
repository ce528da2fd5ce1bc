package auth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/vendors"
)

var system = access.With(context.Background(), access.System("test"))

func init() { auth.BcryptCost = bcrypt.MinCost }

func TestCreateUserValidation(t *testing.T) {
	db := dbtest.SQLite(t)
	sup, err := vendors.NewStore(db).Create(system, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	good := "a long enough password"
	cases := []struct {
		name string
		in   auth.NewUser
		code string
	}{
		{"valid category manager", auth.NewUser{Email: "m@x.example", Role: access.CategoryManager, Password: good}, ""},
		{"valid supplier user", auth.NewUser{Email: "s@x.example", Role: access.Supplier, SupplierID: sup.ID, Password: good}, ""},
		{"e-mail is case-insensitive", auth.NewUser{Email: "M@X.example", Role: access.CategoryManager, Password: good}, "ALREADY_EXISTS"},
		{"not an e-mail", auth.NewUser{Email: "manager", Role: access.CategoryManager, Password: good}, "INVALID_USER"},
		{"short password", auth.NewUser{Email: "a@x.example", Role: access.Admin, Password: "short"}, "INVALID_USER"},
		{"password over bcrypt's 72 bytes", auth.NewUser{Email: "a@x.example", Role: access.Admin, Password: string(make([]byte, 73))}, "INVALID_USER"},
		{"supplier user without supplier", auth.NewUser{Email: "a@x.example", Role: access.Supplier, Password: good}, "INVALID_USER"},
		{"buyer with a supplier", auth.NewUser{Email: "a@x.example", Role: access.Buyer, Organisation: "O", SupplierID: sup.ID, Password: good}, "INVALID_USER"},
		{"buyer without organisation", auth.NewUser{Email: "a@x.example", Role: access.Buyer, Password: good}, "INVALID_USER"},
		{"supplier that does not exist", auth.NewUser{Email: "a@x.example", Role: access.Supplier, SupplierID: 999, Password: good}, "UNKNOWN_SUPPLIER"},
	}
	svc := auth.NewService(db)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreateUser(system, tc.in)
			if got := codeOrEmpty(err); got != tc.code {
				t.Fatalf("code %q, want %q (%v)", got, tc.code, err)
			}
		})
	}
}

func codeOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return errs.CodeOf(err)
}

func TestOnlyAdminsCreateUsers(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := access.With(context.Background(), access.Principal{UserID: 1, Role: access.CategoryManager})
	_, err := auth.NewService(db).CreateUser(ctx, auth.NewUser{Email: "x@x.example", Role: access.Admin, Password: "a long enough password"})
	if errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("err = %v", err)
	}
	if _, err := auth.NewService(db).CreateUser(context.Background(), auth.NewUser{}); errs.KindOf(err) != errs.Unauthenticated {
		t.Fatalf("anonymous: err = %v", err)
	}
}

func TestBootstrapCreatesOneAdminOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc := auth.NewService(db)
		created, pw, err := svc.Bootstrap(context.Background(), "root@x.example", "")
		if err != nil || !created || len(pw) < auth.MinPasswordLength {
			t.Fatalf("first: %v %q %v", created, pw, err)
		}
		if _, err := svc.Login(context.Background(), "root@x.example", pw, "test"); err != nil {
			t.Fatalf("generated password does not log in: %v", err)
		}
		again, _, err := svc.Bootstrap(context.Background(), "other@x.example", "another long password")
		if err != nil || again {
			t.Fatalf("second bootstrap created a user: %v %v", again, err)
		}
	})
}

func TestNewPasswordEndsOldSessions(t *testing.T) {
	db := dbtest.SQLite(t)
	svc := auth.NewService(db)
	u, err := svc.CreateUser(system, auth.NewUser{Email: "u@x.example", Role: access.CategoryManager, Password: "the first password"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.Login(context.Background(), "u@x.example", "the first password", "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetPassword(system, u.ID, "the second password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SessionPrincipal(context.Background(), sess.Token); err == nil {
		t.Fatal("session survived a password change")
	}
	if _, err := svc.Login(context.Background(), "u@x.example", "the first password", "test"); err == nil {
		t.Fatal("old password still logs in")
	}
}

func TestTokenLifetimeIsBounded(t *testing.T) {
	db := dbtest.SQLite(t)
	svc := auth.NewService(db)
	u, err := svc.CreateUser(system, auth.NewUser{Email: "u@x.example", Role: access.CategoryManager, Password: "the first password"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateToken(system, u.ID, "x", 3*365*24*time.Hour); errs.CodeOf(err) != "INVALID_TOKEN_TTL" {
		t.Fatalf("3-year token: %v", err)
	}
	if _, _, err := svc.CreateToken(system, u.ID, "", 0); errs.CodeOf(err) != "INVALID_TOKEN_NAME" {
		t.Fatalf("unnamed token: %v", err)
	}
	other := access.With(context.Background(), access.Principal{UserID: u.ID + 100, Role: access.Buyer})
	if _, _, err := svc.CreateToken(other, u.ID, "x", 0); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("token for someone else: %v", err)
	}
}

func TestGuessingPasswordsIsThrottledPerEmailAndPerAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc := auth.NewService(db)
		if _, err := svc.CreateUser(system, auth.NewUser{Email: "v@x.example", Role: access.CategoryManager, Password: "the real password"}); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for i := range auth.MaxFailuresPerEmail {
			if _, err := svc.Login(ctx, "v@x.example", fmt.Sprintf("guess %d", i), fmt.Sprintf("10.0.0.%d", i)); errs.CodeOf(err) != "INVALID_CREDENTIALS" {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		// Even the right password waits now: the attacker must not learn it was right.
		if _, err := svc.Login(ctx, "v@x.example", "the real password", "192.0.2.7"); errs.CodeOf(err) != "TOO_MANY_ATTEMPTS" {
			t.Fatalf("after %d failures: %v", auth.MaxFailuresPerEmail, err)
		}
		// Another account from a fresh address is not affected.
		if _, err := svc.CreateUser(system, auth.NewUser{Email: "w@x.example", Role: access.Buyer, Organisation: "O", Password: "another password"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Login(ctx, "w@x.example", "another password", "192.0.2.8"); err != nil {
			t.Fatalf("an unrelated login was throttled: %v", err)
		}
		// Spraying many accounts from one address is throttled too.
		for i := range auth.MaxFailuresPerRemote {
			svc.Login(ctx, fmt.Sprintf("nobody%d@x.example", i), "guess", "198.51.100.1")
		}
		if _, err := svc.Login(ctx, "w@x.example", "another password", "198.51.100.1"); errs.CodeOf(err) != "TOO_MANY_ATTEMPTS" {
			t.Fatalf("password spraying from one address: %v", err)
		}
	})
}

// Replicas started together on an empty database all bootstrap at once:
// one creates the admin, the others start without an error, even when each
// was given another e-mail for it.
func TestReplicasBootstrappingTogetherCreateOneAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		const replicas = 4
		type result struct {
			created bool
			err     error
		}
		results := make(chan result, replicas)
		start := make(chan struct{})
		for i := range replicas {
			go func() {
				<-start
				created, _, err := auth.NewService(db).Bootstrap(context.Background(), fmt.Sprintf("root%d@x.example", i), "the same long password")
				results <- result{created, err}
			}()
		}
		close(start)
		created := 0
		for range replicas {
			r := <-results
			if r.err != nil {
				t.Fatalf("a replica failed to start: %v", r.err)
			}
			if r.created {
				created++
			}
		}
		var admins int64
		db.Table("users").Where("role = ?", access.Admin).Count(&admins)
		if created != 1 || admins != 1 {
			t.Fatalf("%d replicas say they created the admin, %d admins stored", created, admins)
		}
	})
}

// TestTwoAdminsDisablingEachOtherAtOnceLeaveOneActive has the only two
// admins disable each other at the same instant, round after round: one of
// them succeeds, the other is refused with LAST_ADMIN, and an active admin
// is always left. Each request's caller was an admin when it began, so only
// a check made inside the writing transaction, under a lock, can see the
// other one's change.
func TestTwoAdminsDisablingEachOtherAtOnceLeaveOneActive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc := auth.NewService(db)
		rounds := 8
		if db.Dialector.Name() == "postgres" {
			rounds = 30
		}
		for round := range rounds {
			// Only the two admins of this round are active.
			if err := db.Exec("UPDATE users SET disabled_at = CURRENT_TIMESTAMP WHERE disabled_at IS NULL").Error; err != nil {
				t.Fatal(err)
			}
			var admins [2]auth.User
			for i := range admins {
				u, err := svc.CreateUser(system, auth.NewUser{Email: fmt.Sprintf("admin%d-%d@x.example", round, i), Role: access.Admin, Password: "an admin's password"})
				if err != nil {
					t.Fatal(err)
				}
				admins[i] = u
			}
			start := make(chan struct{})
			results := make(chan error, 2)
			for i, me := range admins {
				other := admins[1-i]
				go func() {
					<-start
					results <- svc.DisableUser(access.With(context.Background(), me.Principal()), other.ID)
				}()
			}
			close(start)
			codes := []string{codeOrEmpty(<-results), codeOrEmpty(<-results)}
			var active int64
			db.Table("users").Where("role = ? AND disabled_at IS NULL", access.Admin).Count(&active)
			if active != 1 || !(codes[0] == "" && codes[1] == "LAST_ADMIN" || codes[0] == "LAST_ADMIN" && codes[1] == "") {
				t.Fatalf("round %d: the two disables answered %q; %d active admins left, want one success, one LAST_ADMIN and one admin", round, codes, active)
			}
		}
		// Nobody, not even the system (the CLI), disables the last active admin.
		var last auth.User
		if err := db.Where("role = ? AND disabled_at IS NULL", access.Admin).First(&last).Error; err != nil {
			t.Fatal(err)
		}
		if err := svc.DisableUser(system, last.ID); errs.CodeOf(err) != "LAST_ADMIN" || errs.KindOf(err) != errs.Conflict {
			t.Fatalf("disabling the last admin: %v, want a LAST_ADMIN conflict", err)
		}
	})
}
