package web

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
)

type createTokenRequest struct {
	Name    string `json:"name"`
	UserID  int64  `json:"user_id"`  // admins only; default the caller
	TTLDays *int64 `json:"ttl_days"` // 1 to 730; omitted, the maximum
}

func (s *Server) listTokens(c *gin.Context) error {
	userID, err := queryInt(c, "user_id")
	if err != nil {
		return err
	}
	return listed(c, func(r database.PageRequest) (database.Page[auth.Token], error) {
		return s.auth.TokensPage(c.Request.Context(), userID, r)
	})
}

// createToken returns the secret once; only its hash is kept.
func (s *Server) createToken(c *gin.Context) error {
	var req createTokenRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, err := access.From(c.Request.Context())
	if err != nil {
		return err
	}
	if req.UserID == 0 {
		req.UserID = p.UserID
	}
	var ttl time.Duration // the maximum
	if req.TTLDays != nil {
		if ttl, err = auth.TokenTTLDays(*req.TTLDays); err != nil {
			return err
		}
	}
	secret, t, err := s.auth.CreateToken(c.Request.Context(), req.UserID, req.Name, ttl)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"token": secret, "record": t, "note": "store this token now: it is not shown again"})
	return nil
}

func (s *Server) revokeToken(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.auth.RevokeToken(c.Request.Context(), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
