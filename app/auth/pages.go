package auth

import (
	"context"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// UsersPage is one page of every user, in id order. Only admins may list users.
func (s *Service) UsersPage(ctx context.Context, r database.PageRequest) (database.Page[User], error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return database.Page[User]{}, err
	}
	return database.Paginate(s.db.WithContext(ctx).Model(&User{}), r, database.ByID, func(u User) []int64 { return []int64{u.ID} })
}

// TokensPage is one page of the caller's tokens, or userID's when the caller
// is an admin, in id order.
func (s *Service) TokensPage(ctx context.Context, userID int64, r database.PageRequest) (database.Page[Token], error) {
	p, err := access.From(ctx)
	if err != nil {
		return database.Page[Token]{}, err
	}
	if userID == 0 {
		userID = p.UserID
	}
	if !p.Is(access.Admin) && p.UserID != userID {
		return database.Page[Token]{}, errs.ErrForbidden
	}
	q := s.db.WithContext(ctx).Model(&Token{}).Where("user_id = ?", userID)
	return database.Paginate(q, r, database.ByID, func(t Token) []int64 { return []int64{t.ID} })
}
