package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/templates"
)

// navItem is one link of the main navigation.
type navItem struct {
	Href, Label string
	Current     bool
}

// navFor gives each role the pages of its work.
func navFor(r access.Role) []navItem {
	switch r {
	case access.Supplier:
		return []navItem{{Href: "/supplier", Label: "Upload"}, {Href: "/supplier/products", Label: "My products"}}
	case access.CategoryManager:
		return []navItem{{Href: "/dashboard", Label: "Dashboard"}, {Href: "/products", Label: "Products"}, {Href: "/disputes", Label: "Disputes"}, {Href: "/listings", Label: "Listings"}, {Href: "/impact", Label: "Impact preview"}, {Href: "/schemes", Label: "Schemes"}}
	case access.Buyer:
		return []navItem{{Href: "/orders", Label: "Orders"}, {Href: "/catalogue", Label: "Catalogue"}, {Href: "/waivers", Label: "Waivers"}}
	case access.Approver:
		return []navItem{{Href: "/orders", Label: "Orders"}, {Href: "/waivers", Label: "Waivers"}}
	case access.Admin:
		return []navItem{{Href: "/dashboard", Label: "Dashboard"}, {Href: "/products", Label: "Products"}, {Href: "/disputes", Label: "Disputes"}, {Href: "/admin/users", Label: "Users"},
			{Href: "/admin/suppliers", Label: "Suppliers"}, {Href: "/admin/registries", Label: "Registries"}, {Href: "/schemes", Label: "Schemes"}, {Href: "/admin/policies", Label: "Policies"}, {Href: "/impact", Label: "Impact preview"}, {Href: "/admin/audit", Label: "Audit"}}
	}
	return nil
}

// homeFor is where a role lands after signing in.
func homeFor(r access.Role) string {
	if nav := navFor(r); len(nav) > 0 {
		return nav[0].Href
	}
	return "/"
}

// pageData is what every page shows besides its own content: its title,
// the signed-in user and their navigation, the CSRF token for forms, and a
// banner. Each page's view embeds it.
type pageData struct {
	Title     string
	Me        *viewer // nil before sign-in
	Nav       []navItem
	CSRF      string
	Flash     string            // a success, shown with role=status
	Error     string            // a failure, shown with role=alert
	Fields    map[string]string // form field -> what is wrong with it, shown next to it
	ErrorCode string            // the code of Error, when a form failed: what support asks for
	Refresh   int               // seconds until the page reloads itself; 0 for never
}

func (d *pageData) base() *pageData { return d }

// view is one page's data: a struct embedding pageData that names the
// template it fills, so a page cannot be rendered with another's data.
type view interface {
	base() *pageData
	template() string
}

// viewer is the signed-in user as templates see them: role checks are
// methods, so no template compares a role's spelling. Its methods take a
// pointer, so they answer false on pages nobody is signed in to.
type viewer struct{ access.Principal }

// IsBuyer reports whether the user raises purchase orders.
func (v *viewer) IsBuyer() bool { return v != nil && v.Role == access.Buyer }

// IsAdmin reports whether the user runs Cascade.
func (v *viewer) IsAdmin() bool { return v != nil && v.Role == access.Admin }

// IsApprover reports whether the user decides purchase orders and waivers.
func (v *viewer) IsApprover() bool { return v != nil && v.Role == access.Approver }

// page renders v's template with what every page needs: the user, their
// navigation, the CSRF token for forms, and the banner a notice names.
func (s *Server) page(c *gin.Context, status int, title string, v view) error {
	d := v.base()
	d.Title = title
	if p, err := access.From(c.Request.Context()); err == nil {
		d.Me = &viewer{p}
		d.Nav = navFor(p.Role)
		for i := range d.Nav {
			d.Nav[i].Current = c.Request.URL.Path == d.Nav[i].Href
		}
	}
	d.CSRF = c.GetString(csrfKey)
	setNotice(c, d)
	body, err := templates.Render(v.template(), v)
	if err != nil {
		return err
	}
	c.Data(status, "text/html; charset=utf-8", body)
	return nil
}

// pageSession signs pages in with the session cookie. Without a valid
// session, a page redirects to the sign-in form; a form post must carry
// the session's CSRF token.
func (s *Server) pageSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		cookie, err := c.Cookie(SessionCookie)
		if err != nil || cookie == "" {
			redirectToLogin(c)
			return
		}
		p, csrf, err := s.auth.SessionPrincipal(c.Request.Context(), cookie)
		if err != nil && errs.KindOf(err) != errs.Unauthenticated {
			writePageError(c, s, err) // a database outage keeps the session for later
			return
		}
		if err != nil {
			clearSessionCookie(c)
			redirectToLogin(c)
			return
		}
		if !safeMethod(c.Request.Method) {
			// A file upload form carries the token in its action URL, so that
			// checking it does not read the whole upload into memory first.
			got := c.GetHeader(CSRFHeader)
			multipart := strings.HasPrefix(c.ContentType(), "multipart/")
			if got == "" && multipart {
				got = c.Query("csrf")
			}
			if got == "" && (!multipart || smallBody(c.Request)) {
				// A small upload (a policy document) carries the token as a
				// form field, never in the address bar; reading it whole is cheap.
				got = c.PostForm("csrf")
			}
			if !auth.CSRFMatches(csrf, got) {
				writePageError(c, s, errCSRF)
				return
			}
		}
		c.Set(csrfKey, csrf)
		c.Request = c.Request.WithContext(access.With(c.Request.Context(), p))
		c.Next()
	}
}

// pageSessionIfAny signs a page in with the session cookie when there is
// one and lets it go on anonymous otherwise: for the pages whose domain
// decides what a visitor without a session gets (the security facts). A
// session that is over is cleared and the visit goes on anonymous; a
// database outage is an error page. Its pages are read-only (GET).
func (s *Server) pageSessionIfAny() gin.HandlerFunc {
	return func(c *gin.Context) {
		cookie, err := c.Cookie(SessionCookie)
		if err != nil || cookie == "" {
			c.Next()
			return
		}
		p, csrf, err := s.auth.SessionPrincipal(c.Request.Context(), cookie)
		switch {
		case errs.KindOf(err) == errs.Unauthenticated:
			clearSessionCookie(c)
		case err != nil:
			writePageError(c, s, err)
			return
		default:
			c.Set(csrfKey, csrf)
			c.Request = c.Request.WithContext(access.With(c.Request.Context(), p))
		}
		c.Next()
	}
}

// smallBody reports whether a request says how long its body is, and that
// it is at most a policy upload's limit.
func smallBody(r *http.Request) bool { return r.ContentLength > 0 && r.ContentLength <= 2*MaxJSONBody }

func redirectToLogin(c *gin.Context) {
	c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
	c.Abort()
}

// ph adapts a page handler: errors become an error page, not JSON.
func (s *Server) ph(fn handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := refuseNUL(c); err != nil {
			writePageError(c, s, err)
			return
		}
		if err := fn(c); err != nil {
			writePageError(c, s, err)
		}
	}
}

// errorView is the page of an error: its code, message and details.
type errorView struct {
	pageData
	Code, Message string
	Details       any
}

func (*errorView) template() string { return "error.html" }

func writePageError(c *gin.Context, s *Server, err error) {
	e := userError(c, err)
	if rerr := s.page(c, statusOf(e.Kind), "Error", &errorView{Code: e.Code, Message: e.Message, Details: e.Details}); rerr != nil {
		c.String(http.StatusInternalServerError, "error")
	}
	c.Abort()
}

const loginCSRFCookie = "cascade_login_csrf"

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loginView is the sign-in form: its own CSRF token (no session holds one
// yet), where to go after, and the e-mail typed.
type loginView struct {
	pageData
	LoginCSRF, Next, Email string
}

func (*loginView) template() string { return "login.html" }

// loginForm shows the sign-in form, with a double-submit CSRF token: no
// session exists yet to hold one.
func (s *Server) loginForm(c *gin.Context) error {
	tok := randomToken()
	http.SetCookie(c.Writer, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", HttpOnly: true, Secure: isHTTPS(c.Request), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	return s.page(c, http.StatusOK, "Sign in", &loginView{LoginCSRF: tok, Next: safeNext(c.Query("next"))})
}

// safeNext keeps a post-login redirect on this site: a path that starts
// with a single "/", with no backslash (browsers read it as "/") and no
// control character (browsers drop tabs and newlines, so "/\t/evil.example"
// becomes "//evil.example"), neither as written nor once percent-decoded,
// that parses to no scheme and no host. Anything else is "", the role's home.
func safeNext(next string) string {
	unsafe := func(s string) bool {
		return !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsRune(s, '\\') ||
			strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
	}
	if unsafe(next) {
		return ""
	}
	decoded, err := url.PathUnescape(next)
	if err != nil || unsafe(decoded) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return next
}

func (s *Server) loginSubmit(c *gin.Context) error {
	want, _ := c.Cookie(loginCSRFCookie)
	if !auth.CSRFMatches(want, c.PostForm("csrf")) {
		return errCSRF
	}
	sess, err := s.auth.Login(c.Request.Context(), c.PostForm("email"), c.PostForm("password"), c.ClientIP())
	if errs.KindOf(err) == errs.RateLimited {
		return err
	}
	if err != nil {
		tok := randomToken()
		http.SetCookie(c.Writer, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", HttpOnly: true, Secure: isHTTPS(c.Request), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
		v := &loginView{LoginCSRF: tok, Next: safeNext(c.PostForm("next")), Email: c.PostForm("email")}
		v.Error = "The e-mail or password is wrong."
		return s.page(c, http.StatusUnauthorized, "Sign in", v)
	}
	setSessionCookie(c, sess)
	next := safeNext(c.PostForm("next"))
	if next == "" || next == "/" {
		next = homeFor(sess.User.Role)
	}
	c.Redirect(http.StatusSeeOther, next)
	return nil
}

func (s *Server) logoutSubmit(c *gin.Context) error {
	if cookie, err := c.Cookie(SessionCookie); err == nil {
		if err := s.auth.Logout(c.Request.Context(), cookie); err != nil {
			return err
		}
	}
	clearSessionCookie(c)
	return back(c, "/login", noticeSignedOut)
}

// home sends a signed-in user to their work, anyone else to the landing page.
func (s *Server) home(c *gin.Context) error {
	if cookie, err := c.Cookie(SessionCookie); err == nil {
		if p, _, err := s.auth.SessionPrincipal(c.Request.Context(), cookie); err == nil {
			c.Redirect(http.StatusSeeOther, homeFor(p.Role))
			return nil
		}
	}
	return s.page(c, http.StatusOK, "", &homeView{})
}

// homeView is the landing page: nothing of its own.
type homeView struct{ pageData }

func (*homeView) template() string { return "home.html" }
