package web

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/vendors"
)

func (s *Server) adminUsersPage(c *gin.Context) error {
	return s.renderUsers(c, http.StatusOK, &adminUsersView{})
}

// renderUsers fills v (which may carry a form as typed and its error)
// with the users, suppliers and the admin's tokens, and shows it.
func (s *Server) renderUsers(c *gin.Context, status int, v *adminUsersView) error {
	ctx := c.Request.Context()
	users, err := s.auth.ListUsers(ctx)
	if err != nil {
		return err
	}
	suppliers, err := s.suppliers.List(ctx)
	if err != nil {
		return err
	}
	tokens, err := s.auth.ListTokens(ctx, 0)
	if err != nil {
		return err
	}
	v.Users, v.Suppliers, v.Roles, v.Tokens = users, suppliers, access.Roles, tokens
	v.SupplierNames = make(map[int64]string, len(suppliers))
	for _, sp := range suppliers {
		v.SupplierNames[sp.ID] = sp.Name
	}
	return s.page(c, status, "Users and tokens", v)
}

// adminUsersView lists users and the admin's tokens, with the forms to add
// either; NewToken is a token just created, shown this once.
type adminUsersView struct {
	pageData
	Users         []auth.User
	Suppliers     []vendors.Supplier
	SupplierNames map[int64]string // a supplier user's company, by supplier id
	Roles         []access.Role
	Tokens        []auth.Token
	NewToken      string
	User          userForm  // the new-user form as typed (never its password)
	Token         tokenForm // the new-token form as typed
}

func (*adminUsersView) template() string { return "admin_users.html" }

// Company is who a user works for: a supplier user's supplier, anyone
// else's organisation.
func (v *adminUsersView) Company(u auth.User) string {
	if u.SupplierID != nil {
		if n, ok := v.SupplierNames[*u.SupplierID]; ok {
			return n
		}
	}
	return u.Organisation
}

// userForm is the new-user form as typed.
type userForm struct {
	Email, Name, Role, SupplierID, Organisation string
}

// tokenForm is the new-token form as typed.
type tokenForm struct {
	Name, Days string
}

func (s *Server) adminCreateUser(c *gin.Context) error {
	supplierID, _ := strconv.ParseInt(c.PostForm("supplier_id"), 10, 64)
	_, err := s.auth.CreateUser(c.Request.Context(), auth.NewUser{Email: c.PostForm("email"), Name: c.PostForm("name"),
		Role: access.Role(c.PostForm("role")), SupplierID: supplierID, Organisation: c.PostForm("organisation"), Password: c.PostForm("password")})
	if e, ok := errs.As(err); ok && e.Code == "UNKNOWN_SUPPLIER" {
		err = fieldOf(err, "supplier")
	} else if ok && e.Code == "WEAK_PASSWORD" {
		err = fieldOf(err, "password")
	}
	if err != nil {
		v := &adminUsersView{User: userForm{Email: c.PostForm("email"), Name: c.PostForm("name"), Role: c.PostForm("role"),
			SupplierID: c.PostForm("supplier_id"), Organisation: c.PostForm("organisation")}}
		if status, ok := formFailed(c, v, err); ok {
			return s.renderUsers(c, status, v)
		}
		return err
	}
	return back(c, "/admin/users", noticeUserCreated)
}

// adminCreateToken makes a token for the signed-in admin and shows it once.
func (s *Server) adminCreateToken(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := access.Require(ctx, access.Admin)
	if err != nil {
		return err
	}
	secret, err := s.createTokenFromForm(c, p.UserID)
	if err != nil {
		v := &adminUsersView{Token: tokenForm{Name: c.PostForm("name"), Days: c.PostForm("ttl_days")}}
		if status, ok := formFailed(c, v, err); ok {
			return s.renderUsers(c, status, v)
		}
		return err
	}
	v := &adminUsersView{NewToken: secret}
	v.Flash = "Token created. Copy it now: it is not shown again."
	return s.renderUsers(c, http.StatusCreated, v)
}

func (s *Server) createTokenFromForm(c *gin.Context, userID int64) (string, error) {
	var ttl time.Duration // an empty field: the maximum
	if v := c.PostForm("ttl_days"); v != "" {
		days, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			days = -1 // not a whole number of days, or beyond any: refused as out of range
		}
		if ttl, err = auth.TokenTTLDays(days); err != nil {
			return "", fieldOf(err, "ttl_days")
		}
	}
	secret, _, err := s.auth.CreateToken(c.Request.Context(), userID, c.PostForm("name"), ttl)
	return secret, fieldOf(err, "token_name")
}

func (s *Server) adminSuppliersPage(c *gin.Context) error {
	return s.renderSuppliers(c, http.StatusOK, &adminSuppliersView{})
}

func (s *Server) renderSuppliers(c *gin.Context, status int, v *adminSuppliersView) error {
	if _, err := access.Require(c.Request.Context(), access.Admin); err != nil {
		return err
	}
	list, err := s.suppliers.List(c.Request.Context())
	if err != nil {
		return err
	}
	v.Suppliers = list
	return s.page(c, status, "Suppliers", v)
}

// adminSuppliersView lists the suppliers, with the form to register one.
type adminSuppliersView struct {
	pageData
	Suppliers []vendors.Supplier
	Name      string // the form as typed
}

func (*adminSuppliersView) template() string { return "admin_suppliers.html" }

func (s *Server) adminCreateSupplier(c *gin.Context) error {
	if _, err := s.suppliers.Create(c.Request.Context(), c.PostForm("name")); err != nil {
		v := &adminSuppliersView{Name: c.PostForm("name")}
		if status, ok := formFailed(c, v, fieldOf(err, "name")); ok {
			return s.renderSuppliers(c, status, v)
		}
		return err
	}
	return back(c, "/admin/suppliers", noticeSupplierRegistered)
}

// schemeView is a scheme with its snapshots and sources.
type schemeView struct {
	Scheme    registry.Scheme
	Snapshots []registry.Snapshot
	Stale     bool
}

func (s *Server) adminRegistriesPage(c *gin.Context) error {
	return s.renderRegistries(c, http.StatusOK, &adminRegistriesView{})
}

func (s *Server) renderRegistries(c *gin.Context, status int, v *adminRegistriesView) error {
	ctx := c.Request.Context()
	// Sources (admins only) refuses everyone else; read it first, so that
	// nothing else is read for them.
	sources, err := s.registries.Sources(ctx)
	if err != nil {
		return err
	}
	schemes, err := s.registries.Schemes(ctx)
	if err != nil {
		return err
	}
	var views []schemeView
	for _, sc := range schemes {
		snaps, err := s.registries.Snapshots(ctx, sc.Code)
		if err != nil {
			return err
		}
		sv := schemeView{Scheme: sc, Snapshots: snaps}
		sv.Stale = len(snaps) == 0 || time.Now().After(registry.StaleFrom(snaps[0].FetchedAt, sc.MaxAgeDays))
		if len(sv.Snapshots) > 5 {
			sv.Snapshots = sv.Snapshots[:5]
		}
		views = append(views, sv)
	}
	v.Schemes, v.Sources = views, sources
	return s.page(c, status, "Registries", v)
}

// adminRegistriesView is each scheme with its latest snapshots, and the
// sources fetched from URLs, with the add-source form as typed.
type adminRegistriesView struct {
	pageData
	Schemes []schemeView
	Sources []registry.Source
	Source  sourceForm
}

// sourceForm is the add-source form as typed.
type sourceForm struct {
	Scheme, URL, Schedule, Map string
}

func (*adminRegistriesView) template() string { return "admin_registries.html" }

func (s *Server) adminUploadSnapshot(c *gin.Context) error {
	ch, err := s.receiveSnapshot(c, snapshotUpload{scheme: c.Query("scheme")})
	if err != nil {
		v := &adminRegistriesView{}
		if status, ok := formFailed(c, v, fieldOf(err, "file-"+c.Query("scheme"))); ok {
			return s.renderRegistries(c, status, v)
		}
		return err
	}
	return backAfterChange(c, "/admin/registries", noticeSnapshotStored, ch.Recomputation)
}

// backAfterChange redirects with done, or, when the change is stored but
// the verdicts were not recomputed, with the notice that says so.
func backAfterChange(c *gin.Context, path string, done notice, rc verdicts.Recomputation) error {
	if rc.Pending != nil {
		loggerOf(c).WarnContext(c.Request.Context(), "verdicts not recomputed after a change", "err", rc.Pending, "request_id", c.GetString(requestIDKey))
		return back(c, path, noticeNotRecomputed)
	}
	return back(c, path, done)
}

func (s *Server) adminAddSource(c *gin.Context) error {
	err := s.addSourceFromForm(c)
	if err != nil {
		v := &adminRegistriesView{Source: sourceForm{Scheme: c.PostForm("scheme"), URL: c.PostForm("url"), Schedule: c.PostForm("schedule"), Map: c.PostForm("map")}}
		if status, ok := formFailed(c, v, err); ok {
			return s.renderRegistries(c, status, v)
		}
		return err
	}
	return back(c, "/admin/registries", noticeSourceAdded)
}

// sourceFields names the form field each add-source error is about.
var sourceFields = map[string]string{"INVALID_URL": "url", "INVALID_SCHEDULE": "schedule", "INVALID_MAPPING": "map", "UNKNOWN_SCHEME": "scheme"}

func (s *Server) addSourceFromForm(c *gin.Context) error {
	m, err := registry.ParseMapping(c.PostForm("map"))
	if err != nil {
		return fieldOf(err, "map")
	}
	_, err = s.registries.AddSource(c.Request.Context(), registry.NewSource{Scheme: c.PostForm("scheme"), Name: c.PostForm("name"),
		URL: c.PostForm("url"), Mapping: m, Schedule: c.PostForm("schedule")})
	if e, ok := errs.As(err); ok {
		if f, known := sourceFields[e.Code]; known {
			return fieldOf(err, f)
		}
	}
	return err
}

func (s *Server) adminRefreshSource(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ch, err := s.verdicts.RefreshSource(ctx, s.fetcher, id)
	if err != nil {
		if errs.KindOf(err) != errs.Unavailable {
			return err // forbidden, not found, the database: the error page
		}
		// The source's status records a code and a safe message; the banner
		// is a fixed notice, and the cause goes to the log with the request id.
		loggerOf(c).WarnContext(ctx, "registry refresh failed", "source", id, "err", err, "request_id", c.GetString(requestIDKey))
		return back(c, "/admin/registries", noticeRefreshFailed)
	}
	return backAfterChange(c, "/admin/registries", noticeSourceRefreshed, ch.Recomputation)
}

func (s *Server) adminPoliciesPage(c *gin.Context) error {
	return s.renderPolicies(c, http.StatusOK, &adminPoliciesView{})
}

func (s *Server) renderPolicies(c *gin.Context, status int, v *adminPoliciesView) error {
	ctx := c.Request.Context()
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return err
	}
	versions, err := s.verdicts.Policies().Versions(ctx)
	if err != nil {
		return err
	}
	v.Versions = versions
	for _, pv := range versions {
		if pv.Active {
			v.Active = pv.Version
		}
	}
	return s.page(c, status, "Policies", v)
}

// adminPoliciesView lists the policy versions, with the upload form and
// the form to compare two versions.
type adminPoliciesView struct {
	pageData
	Versions []policy.Version
	Active   string   // the active version
	Problems []string // what is wrong with the document just uploaded
}

func (*adminPoliciesView) template() string { return "admin_policies.html" }

func (s *Server) adminUploadPolicy(c *gin.Context) error {
	v, err := s.uploadPolicyFromForm(c)
	if err != nil {
		pv := &adminPoliciesView{}
		if e, ok := errs.As(err); ok {
			if d, ok := e.Details.(map[string]any); ok {
				pv.Problems, _ = d["problems"].([]string)
			}
		}
		if status, ok := formFailed(c, pv, err); ok {
			pv.Fields = map[string]string{"document": pv.Error}
			return s.renderPolicies(c, status, pv)
		}
		return err
	}
	// Stored, not active: on to its review (what changes, what flips), where it may be activated.
	c.Redirect(http.StatusSeeOther, "/admin/policies/review?version="+url.QueryEscape(v.Version)+"&notice="+string(noticePolicyStored))
	return nil
}

func (s *Server) uploadPolicyFromForm(c *gin.Context) (policy.Version, error) {
	fh, err := c.FormFile("document")
	if err != nil {
		return policy.Version{}, errs.Invalidf("MISSING_FILE", "choose the policy document (a JSON file) to upload")
	}
	f, err := fh.Open()
	if err != nil {
		return policy.Version{}, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, MaxJSONBody))
	if err != nil {
		return policy.Version{}, err
	}
	return s.verdicts.Policies().Upload(c.Request.Context(), raw)
}

// adminReviewPolicy is the way to activation: a version's rule-by-rule
// differences from another (the active one unless chosen), what its
// activation would flip today, and the confirmation to activate it.
func (s *Server) adminReviewPolicy(c *gin.Context) error {
	return s.renderReview(c, http.StatusOK, &policyReviewView{Version: c.Query("version"), Against: c.Query("against")})
}

func (s *Server) renderReview(c *gin.Context, status int, v *policyReviewView) error {
	ctx := c.Request.Context()
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return err
	}
	store := s.verdicts.Policies()
	versions, err := store.Versions(ctx)
	if err != nil {
		return err
	}
	v.Versions = versions
	for _, pv := range versions {
		if pv.Active {
			v.Active = pv.Version
		}
	}
	if v.Against == "" {
		v.Against = v.Active
	}
	pv, doc, err := store.Get(ctx, v.Version)
	if err != nil {
		return err
	}
	v.Policy = pv
	if v.Changes, err = store.Diff(ctx, v.Against, v.Version); err != nil {
		return err
	}
	if !pv.Active {
		imp, err := s.verdicts.Impact(ctx, doc, civil.Date{})
		if err != nil {
			return err
		}
		v.Impact = &imp
	}
	return s.page(c, status, "Review policy "+v.Version, v)
}

// policyReviewView is one version against another, its impact, and the
// activation form.
type policyReviewView struct {
	pageData
	Versions        []policy.Version
	Policy          policy.Version
	Version         string
	Against, Active string
	Changes         []policy.Change
	Impact          *verdicts.Impact // nil for the active version
}

func (*policyReviewView) template() string { return "admin_policy_review.html" }

// adminActivatePolicy activates a version once the admin has confirmed it
// on the review page: a stray click on a button never changes every verdict.
func (s *Server) adminActivatePolicy(c *gin.Context) error {
	version := c.Param("version")
	if c.PostForm("confirm") != version {
		err := errs.Invalidf("CONFIRMATION_REQUIRED", "tick the box to confirm that you reviewed version %s before activating it", version).
			WithDetails([]errs.FieldError{{Field: "confirm", Message: "confirm that you reviewed what changes and what flips"}})
		v := &policyReviewView{Version: version}
		if status, ok := formFailed(c, v, err); ok {
			return s.renderReview(c, status, v)
		}
		return err
	}
	ch, err := s.verdicts.ActivatePolicy(c.Request.Context(), version)
	if err != nil {
		return err
	}
	return backAfterChange(c, "/admin/policies", noticePolicyActivated, ch.Recomputation)
}

func (s *Server) adminAuditPage(c *gin.Context) error {
	ctx := c.Request.Context()
	before, err := queryInt(c, "before")
	if err != nil {
		return err
	}
	entries, err := s.audit.List(ctx, audit.Filter{BeforeSeq: before, Limit: 100, Entity: c.Query("entity")})
	if err != nil {
		return err
	}
	report, err := s.audit.Verify(ctx)
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Audit log", &adminAuditView{Entries: entries, Report: report})
}

// adminAuditView is a page of the audit log and whether its chain is intact.
type adminAuditView struct {
	pageData
	Entries []audit.Entry
	Report  audit.Report
}

func (*adminAuditView) template() string { return "admin_audit.html" }
