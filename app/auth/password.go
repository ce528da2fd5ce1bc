package auth

import (
	"fmt"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// dummy is a hash of a password nobody has. Sign-in compares against it when
// the e-mail is unknown, so that an unknown e-mail costs the same bcrypt work
// as a wrong password and the time taken does not reveal who has an account.
// It is made at BcryptCost, and made again if the cost changes: a dummy at a
// fixed cost would make unknown e-mails the fast case once the cost is raised.
var dummy struct {
	sync.Mutex
	cost int
	hash []byte
}

func dummyHash() ([]byte, error) {
	dummy.Lock()
	defer dummy.Unlock()
	if dummy.hash == nil || dummy.cost != BcryptCost {
		h, err := bcrypt.GenerateFromPassword([]byte(newSecret(16)), BcryptCost)
		if err != nil {
			return nil, fmt.Errorf("make the sign-in dummy hash: %w", err)
		}
		dummy.hash, dummy.cost = h, BcryptCost
	}
	return dummy.hash, nil
}
