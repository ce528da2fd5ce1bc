package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// countComparisons makes svc record the bcrypt cost of every hash a sign-in
// compares a password against. The work a comparison does is set by that
// cost alone, so equal lists mean equal work, without timing anything.
func countComparisons(svc *Service) *[]int {
	var costs []int
	svc.checkPassword = func(hash, password []byte) error {
		cost, err := bcrypt.Cost(hash)
		if err != nil {
			cost = -1 // not a bcrypt hash: no work was done
		}
		costs = append(costs, cost)
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	return &costs
}

// TestUnknownEmailCostsOneBcryptComparisonLikeAWrongPassword proves that
// sign-in does not reveal who has an account: an unknown e-mail, a wrong
// password and a disabled account each cost exactly one bcrypt comparison
// at the cost real hashes have, and fail with the one same error.
func TestUnknownEmailCostsOneBcryptComparisonLikeAWrongPassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		system := access.With(context.Background(), access.System("test"))
		svc := NewService(db)
		const pw = "the real password"
		u, err := svc.CreateUser(system, NewUser{Email: "real@x.example", Role: access.CategoryManager, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		off, err := svc.CreateUser(system, NewUser{Email: "off@x.example", Role: access.CategoryManager, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DisableUser(access.With(context.Background(), access.Principal{UserID: u.ID, Role: access.Admin}), off.ID); err != nil {
			t.Fatal(err)
		}
		realCost, err := bcrypt.Cost([]byte(u.PasswordHash))
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, email, password string
		}{
			{"wrong password", "real@x.example", "not the password"},
			{"unknown e-mail", "nobody@x.example", "not the password"},
			{"unknown e-mail with a real user's password", "nobody@x.example", pw},
			{"disabled account, right password", "off@x.example", pw},
			{"disabled account, wrong password", "off@x.example", "not the password"},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				costs := countComparisons(svc)
				// A fresh address each time: throttling is not what this test is about.
				_, err := svc.Login(context.Background(), tc.email, tc.password, fmt.Sprintf("192.0.2.%d", i+1))
				if !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("err = %v, want %v", err, ErrBadCredentials)
				}
				if e, _ := errs.As(err); e.Code != "INVALID_CREDENTIALS" || e.Message != ErrBadCredentials.Message || e.Kind != errs.Unauthenticated {
					t.Fatalf("error = %+v: the failure must not say which part was wrong", e)
				}
				if len(*costs) != 1 || (*costs)[0] != realCost {
					t.Fatalf("bcrypt comparisons at costs %v, want exactly one at cost %d, as for a wrong password", *costs, realCost)
				}
			})
		}
		// The right password costs the same single comparison, and signs in.
		costs := countComparisons(svc)
		if _, err := svc.Login(context.Background(), "real@x.example", pw, "192.0.2.99"); err != nil || len(*costs) != 1 {
			t.Fatalf("right password: %v after comparisons %v", err, *costs)
		}
	})
}

// TestDummyHashFollowsTheBcryptCost guards the equality above against a cost
// change: with a dummy hash of fixed cost, raising BcryptCost would make an
// unknown e-mail the cheap case again.
func TestDummyHashFollowsTheBcryptCost(t *testing.T) {
	defer func(c int) { BcryptCost = c }(BcryptCost)
	db := dbtest.SQLite(t)
	svc := NewService(db)
	system := access.With(context.Background(), access.System("test"))
	for _, cost := range []int{bcrypt.MinCost, bcrypt.MinCost + 1} {
		BcryptCost = cost
		email := fmt.Sprintf("cost%d@x.example", cost)
		if _, err := svc.CreateUser(system, NewUser{Email: email, Role: access.CategoryManager, Password: "a long enough password"}); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{email, "nobody@x.example"} {
			costs := countComparisons(svc)
			if _, err := svc.Login(context.Background(), who, "not the password", fmt.Sprintf("198.51.100.%d", cost)); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("%s at cost %d: %v", who, cost, err)
			}
			if len(*costs) != 1 || (*costs)[0] != cost {
				t.Fatalf("%s with BcryptCost %d: compared at costs %v", who, cost, *costs)
			}
		}
	}
}
