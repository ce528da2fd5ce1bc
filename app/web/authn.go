package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "cascade_session"

// CSRFHeader carries the session's CSRF token on unsafe API requests made with the cookie.
const CSRFHeader = "X-CSRF-Token"

const csrfKey = "csrf"

var errCSRF = errs.E(errs.Forbidden, "CSRF_TOKEN_INVALID", "this request lacks the session's CSRF token: send it in the X-CSRF-Token header")

// authenticate puts the caller's principal in the request context, from a
// bearer token or the session cookie. Without credentials the request goes
// on anonymous, and anything that needs a principal fails closed.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		if authz := c.GetHeader("Authorization"); authz != "" {
			scheme, secret, _ := strings.Cut(authz, " ")
			if !strings.EqualFold(scheme, "Bearer") || secret == "" {
				writeError(c, errs.E(errs.Unauthenticated, "TOKEN_INVALID", "send the API token as: Authorization: Bearer <token>"))
				return
			}
			p, err := s.auth.TokenPrincipal(ctx, strings.TrimSpace(secret))
			if err != nil {
				writeError(c, err)
				return
			}
			c.Request = c.Request.WithContext(access.With(ctx, p))
			c.Next()
			return
		}
		if cookie, err := c.Cookie(SessionCookie); err == nil && cookie != "" {
			p, csrf, err := s.auth.SessionPrincipal(ctx, cookie)
			if err != nil {
				// Only a session that is over loses its cookie: a database
				// outage must not sign everyone out.
				if errs.KindOf(err) == errs.Unauthenticated {
					clearSessionCookie(c)
				}
				writeError(c, err)
				return
			}
			if !safeMethod(c.Request.Method) && !auth.CSRFMatches(csrf, c.GetHeader(CSRFHeader)) {
				writeError(c, errCSRF)
				return
			}
			c.Set(csrfKey, csrf)
			c.Request = c.Request.WithContext(access.With(ctx, p))
		}
		c.Next()
	}
}

// requireUser rejects anonymous requests before any handler runs.
func requireUser() gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := access.From(c.Request.Context()); err != nil {
			writeError(c, err)
			return
		}
		c.Next()
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func setSessionCookie(c *gin.Context, sess auth.Session) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: isHTTPS(c.Request), SameSite: http.SameSiteLaxMode,
	})
}

func clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: isHTTPS(c.Request), SameSite: http.SameSiteLaxMode,
	})
}
