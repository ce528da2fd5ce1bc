package auth

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// TestACorrectPasswordAmongParallelGuessesDoesNotSignIn fires 59 wrong
// passwords for one account at once and, while they are still being checked
// (bcrypt is slow: the comparison is held open here), the right one: the
// throttle must already count the guesses in flight, so the right password
// gets 429 and no session, and no more than the allowance of guesses is ever
// compared. Counting only finished failures let every guess in flight, and
// the right password among them, through.
func TestACorrectPasswordAmongParallelGuessesDoesNotSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		const real, guesses = "the real password", 59
		svc := NewService(db)
		system := access.With(context.Background(), access.System("test"))
		if _, err := svc.CreateUser(system, NewUser{Email: "v@x.example", Role: access.CategoryManager, Password: real}); err != nil {
			t.Fatal(err)
		}
		compared, release := make(chan struct{}, guesses), make(chan struct{})
		svc.checkPassword = func(hash, password []byte) error {
			if string(password) != real {
				compared <- struct{}{}
				<-release // a wrong guess is still being compared
			}
			return bcrypt.CompareHashAndPassword(hash, password)
		}
		done := make(chan error, guesses)
		for i := range guesses {
			go func() {
				_, err := svc.Login(context.Background(), "v@x.example", fmt.Sprintf("guess %d", i), fmt.Sprintf("10.1.%d.%d", i/200, i%200))
				done <- err
			}()
		}
		// Every guess is either being compared or already answered.
		inFlight, early, answered := 0, 0, map[string]int{}
		timeout := time.After(30 * time.Second)
		for inFlight+early < guesses {
			select {
			case <-compared:
				inFlight++
			case err := <-done:
				early++
				answered[errs.CodeOf(err)]++
			case <-timeout:
				t.Fatalf("guesses neither compared nor answered: %d in flight, answered %v", inFlight, answered)
			}
		}
		_, err := svc.Login(context.Background(), "v@x.example", real, "192.0.2.7")
		close(release)
		for range inFlight {
			answered[errs.CodeOf(<-done)]++
		}
		if errs.CodeOf(err) != "TOO_MANY_ATTEMPTS" {
			t.Errorf("the right password while %d guesses were in flight: %v; want TOO_MANY_ATTEMPTS", inFlight, err)
		}
		if inFlight > MaxFailuresPerEmail || answered["INVALID_CREDENTIALS"] > MaxFailuresPerEmail {
			t.Errorf("%d guesses were compared (%v): want at most %d", inFlight, answered, MaxFailuresPerEmail)
		}
		if answered["INVALID_CREDENTIALS"]+answered["TOO_MANY_ATTEMPTS"] != guesses {
			t.Errorf("answers %v: want only INVALID_CREDENTIALS and TOO_MANY_ATTEMPTS", answered)
		}
		var sessions int64
		db.Table("sessions").Count(&sessions)
		if sessions != 0 {
			t.Errorf("%d sessions were started", sessions)
		}
	})
}
