package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login starts a browser session: the cookie carries the session, the body
// the CSRF token to send back on state-changing requests.
func (s *Server) login(c *gin.Context) error {
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Email == "" || req.Password == "" {
		return errs.Invalidf("MISSING_CREDENTIALS", "send both email and password")
	}
	sess, err := s.auth.Login(c.Request.Context(), req.Email, req.Password, c.ClientIP())
	if err != nil {
		return err
	}
	setSessionCookie(c, sess)
	c.JSON(http.StatusOK, gin.H{"user": sess.User, "csrf_token": sess.CSRF, "expires_at": sess.ExpiresAt})
	return nil
}

func (s *Server) logout(c *gin.Context) error {
	if cookie, err := c.Cookie(SessionCookie); err == nil {
		if err := s.auth.Logout(c.Request.Context(), cookie); err != nil {
			return err
		}
	}
	clearSessionCookie(c)
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) me(c *gin.Context) error {
	p, err := access.From(c.Request.Context())
	if err != nil {
		return err
	}
	u, err := s.auth.GetUser(c.Request.Context(), p.UserID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"user": u})
	return nil
}
