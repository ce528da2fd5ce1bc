package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/mail"
)

// unsubscribeParams reads the link's user and signature, from the query
// (the link as mailed, and a mail client's one-click POST to it, RFC 8058)
// or from the confirmation form.
func unsubscribeParams(c *gin.Context) (int64, string) {
	u, t := c.Query("u"), c.Query("t")
	if u == "" {
		u, t = c.PostForm("u"), c.PostForm("t")
	}
	id, _ := strconv.ParseInt(u, 10, 64)
	return id, t
}

// unsubscribePage confirms before it unsubscribes: a link that a mail
// scanner follows (GET) changes nothing.
func (s *Server) unsubscribePage(c *gin.Context) error {
	id, tok := unsubscribeParams(c)
	return s.page(c, http.StatusOK, "Unsubscribe", &unsubscribeView{UserID: id, Token: tok})
}

// unsubscribe stops the e-mails to the user the signed link names. The
// signature is the credential: no session and no CSRF token, so that a mail
// client's one-click unsubscribe works.
func (s *Server) unsubscribe(c *gin.Context) error {
	id, tok := unsubscribeParams(c)
	if err := mail.Unsubscribe(c.Request.Context(), s.db, id, tok, time.Now().UTC()); err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Unsubscribed", &unsubscribeView{Done: true})
}

// unsubscribeView is the confirmation form, or its result.
type unsubscribeView struct {
	pageData
	UserID int64
	Token  string
	Done   bool
}

func (*unsubscribeView) template() string { return "unsubscribe.html" }
