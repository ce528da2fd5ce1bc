package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

const tooMany = http.StatusTooManyRequests

// TestGuessingOnePasswordIsRefusedWith429 guesses one account's password
// over HTTP, each guess from a new address as a botnet would: once the
// account has had its allowance of failures, sign-in answers 429 even to the
// right password (an attacker must not learn which guess was right), while
// another account, signing in from elsewhere, is not affected.
func TestGuessingOnePasswordIsRefusedWith429(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		paths := []struct {
			name          string
			signIn        func(email, pw, remote string) *httptest.ResponseRecorder
			success       int
			victim, other string
		}{
			{"API", func(e, p, r string) *httptest.ResponseRecorder { return w.apiLogin(e, p, r) }, ok, "admin@test.example", "buyer@test.example"},
			{"form", func(e, p, r string) *httptest.ResponseRecorder { return w.formLogin(e, p, r) }, seeOther, "category_manager@test.example", "approver@test.example"},
		}
		for n, p := range paths {
			t.Run(p.name, func(t *testing.T) {
				for i := range auth.MaxFailuresPerEmail {
					if rec := p.signIn(p.victim, fmt.Sprintf("guess number %d", i), fmt.Sprintf("203.0.%d.%d:4000", n, i+1)); rec.Code != unauth {
						t.Fatalf("guess %d: %d, want 401", i, rec.Code)
					}
				}
				rec := p.signIn(p.victim, password, fmt.Sprintf("198.51.%d.1:4000", n))
				if rec.Code != tooMany || sessionSet(rec) != "" {
					t.Fatalf("the right password after %d failures: %d, session %q; want 429 and none", auth.MaxFailuresPerEmail, rec.Code, sessionSet(rec))
				}
				if p.name == "API" {
					if code := errorCode(t, rec); code != "TOO_MANY_ATTEMPTS" {
						t.Fatalf("code %s", code)
					}
					if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s <= 0 || s > int(auth.FailureWindow.Seconds()) {
						t.Fatalf("Retry-After %q: want the seconds until sign-in opens again", rec.Header().Get("Retry-After"))
					}
				} else if !strings.Contains(rec.Body.String(), "too many failed sign-ins") || rec.Header().Get("Retry-After") == "" {
					t.Fatalf("the form's refusal does not say why or when to retry (Retry-After %q): %s", rec.Header().Get("Retry-After"), rec.Body.String())
				}
				if rec := p.signIn(p.other, password, fmt.Sprintf("198.51.%d.2:4000", n)); rec.Code != p.success || sessionSet(rec) == "" {
					t.Fatalf("another account from another address: %d, want %d with a session", rec.Code, p.success)
				}
			})
		}
	})
}

// TestSprayingFromOneAddressIsRefusedWith429 tries many accounts from one
// address: past the address's allowance, even a real user's right password
// is refused from it, while the same user signs in from their own address.
// The throttle can only tell addresses apart if the handler passes the
// client's address on.
func TestSprayingFromOneAddressIsRefusedWith429(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		const sprayer = "203.0.113.66:5000"
		for i := range auth.MaxFailuresPerRemote {
			if rec := w.apiLogin(fmt.Sprintf("user%d@test.example", i), "Summer2026!", sprayer); rec.Code != unauth {
				t.Fatalf("attempt %d: %d", i, rec.Code)
			}
		}
		rec := w.apiLogin("buyer@test.example", password, sprayer)
		if rec.Code != tooMany {
			t.Fatalf("from the spraying address: %d, want 429", rec.Code)
		}
		if rec.Header().Get("Retry-After") == "" {
			t.Fatal("the 429 does not say when to retry (Retry-After)")
		}
		if rec := w.formLogin("buyer@test.example", password, sprayer); rec.Code != tooMany {
			t.Fatalf("the form from the spraying address: %d, want 429", rec.Code)
		}
		if rec := w.apiLogin("buyer@test.example", password, "198.51.100.9:5000"); rec.Code != ok {
			t.Fatalf("from the user's own address: %d", rec.Code)
		}
	})
}

// TestParallelGuessesGetNoMoreThanTheAllowance sends 100 wrong passwords at
// once through the sign-in handler, for one account from many addresses and
// for many accounts from one address: at most the allowance of them is
// answered 401 (a password was compared), every other one 429, and the
// right password afterwards is refused too. A throttle that counts only
// finished failures lets every guess in flight through.
func TestParallelGuessesGetNoMoreThanTheAllowance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		const attempts = 100
		cases := []struct {
			name      string
			allowance int
			guess     func(i int) (email, remote string)
			then      func() *httptest.ResponseRecorder
		}{
			{"one account from many addresses", auth.MaxFailuresPerEmail,
				func(i int) (string, string) {
					return "admin@test.example", fmt.Sprintf("203.0.%d.%d:4000", i/200, i%200+1)
				},
				func() *httptest.ResponseRecorder {
					return w.apiLogin("admin@test.example", password, "198.51.100.20:4000")
				}},
			{"many accounts from one address", auth.MaxFailuresPerRemote,
				func(i int) (string, string) { return fmt.Sprintf("user%d@test.example", i), "203.0.113.99:5000" },
				func() *httptest.ResponseRecorder {
					return w.apiLogin("buyer@test.example", password, "203.0.113.99:5000")
				}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				codes := make(chan int, attempts)
				start := make(chan struct{})
				for i := range attempts {
					email, remote := tc.guess(i)
					go func() {
						<-start
						codes <- w.apiLogin(email, "Summer2026!", remote).Code
					}()
				}
				close(start)
				answers := map[int]int{}
				for range attempts {
					answers[<-codes]++
				}
				if answers[unauth] > tc.allowance || answers[unauth]+answers[tooMany] != attempts {
					t.Fatalf("%d parallel guesses were answered %v: want at most %d of 401, the rest 429", attempts, answers, tc.allowance)
				}
				if rec := tc.then(); rec.Code != tooMany || sessionSet(rec) != "" {
					t.Fatalf("the right password after the guesses: %d, session %q; want 429 and none", rec.Code, sessionSet(rec))
				}
			})
		}
	})
}
