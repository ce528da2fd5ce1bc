package auth

import (
	"context"
	"errors"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Bootstrap creates the first admin on a database with no users. With an
// empty password one is generated; it is returned so the caller can show it
// exactly once. It does nothing (created=false) once any user exists, or
// when another replica starting at the same time creates the first user
// first: whether there is one is decided under LockUsers, in the transaction
// that creates it, whatever e-mail each replica was given.
func (s *Service) Bootstrap(ctx context.Context, email, password string) (created bool, pw string, err error) {
	has, err := s.HasUsers(ctx)
	if err != nil || has {
		return false, "", err
	}
	if password == "" {
		password = GeneratePassword()
	}
	ctx = access.With(ctx, access.System("bootstrap"))
	_, err = s.createUser(ctx, NewUser{Email: email, Name: "Administrator", Role: access.Admin, Password: password}, true)
	if errors.Is(err, errNotFirst) || errs.CodeOf(err) == "ALREADY_EXISTS" {
		// Replicas started together on an empty database: another one created it.
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	return true, password, nil
}
