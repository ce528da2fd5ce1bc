package web

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/vendors"
)

func (s *Server) adminUsersPage(c *gin.Context) error {
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
	return s.page(c, http.StatusOK, "Users and tokens", &adminUsersView{Users: users, Suppliers: suppliers, Roles: access.Roles, Tokens: tokens})
}

// adminUsersView lists users and the admin's tokens, with the forms to add
// either; NewToken is a token just created, shown this once.
type adminUsersView struct {
	pageData
	Users     []auth.User
	Suppliers []vendors.Supplier
	Roles     []access.Role
	Tokens    []auth.Token
	NewToken  string
}

func (*adminUsersView) template() string { return "admin_users.html" }

func (s *Server) adminCreateUser(c *gin.Context) error {
	supplierID, _ := strconv.ParseInt(c.PostForm("supplier_id"), 10, 64)
	_, err := s.auth.CreateUser(c.Request.Context(), auth.NewUser{Email: c.PostForm("email"), Name: c.PostForm("name"),
		Role: access.Role(c.PostForm("role")), SupplierID: supplierID, Organisation: c.PostForm("organisation"), Password: c.PostForm("password")})
	if err != nil {
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
	var ttl time.Duration // an empty field: the maximum
	if v := c.PostForm("ttl_days"); v != "" {
		days, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			days = -1 // not a whole number of days, or beyond any: refused as out of range
		}
		if ttl, err = auth.TokenTTLDays(days); err != nil {
			return err
		}
	}
	secret, _, err := s.auth.CreateToken(ctx, p.UserID, c.PostForm("name"), ttl)
	if err != nil {
		return err
	}
	users, _ := s.auth.ListUsers(ctx)
	suppliers, _ := s.suppliers.List(ctx)
	tokens, _ := s.auth.ListTokens(ctx, 0)
	v := &adminUsersView{Users: users, Suppliers: suppliers, Roles: access.Roles, Tokens: tokens, NewToken: secret}
	v.Flash = "Token created. Copy it now: it is not shown again."
	return s.page(c, http.StatusCreated, "Users and tokens", v)
}

func (s *Server) adminSuppliersPage(c *gin.Context) error {
	if _, err := access.Require(c.Request.Context(), access.Admin); err != nil {
		return err
	}
	list, err := s.suppliers.List(c.Request.Context())
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Suppliers", &adminSuppliersView{Suppliers: list})
}

// adminSuppliersView lists the suppliers, with the form to register one.
type adminSuppliersView struct {
	pageData
	Suppliers []vendors.Supplier
}

func (*adminSuppliersView) template() string { return "admin_suppliers.html" }

func (s *Server) adminCreateSupplier(c *gin.Context) error {
	if _, err := s.suppliers.Create(c.Request.Context(), c.PostForm("name")); err != nil {
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
		v := schemeView{Scheme: sc, Snapshots: snaps}
		v.Stale = len(snaps) == 0 || time.Since(snaps[0].FetchedAt) > time.Duration(sc.MaxAgeDays)*24*time.Hour
		if len(v.Snapshots) > 5 {
			v.Snapshots = v.Snapshots[:5]
		}
		views = append(views, v)
	}
	return s.page(c, http.StatusOK, "Registries", &adminRegistriesView{Schemes: views, Sources: sources})
}

// adminRegistriesView is each scheme with its latest snapshots, and the
// sources fetched from URLs.
type adminRegistriesView struct {
	pageData
	Schemes []schemeView
	Sources []registry.Source
}

func (*adminRegistriesView) template() string { return "admin_registries.html" }

func (s *Server) adminUploadSnapshot(c *gin.Context) error {
	ch, err := s.receiveSnapshot(c, snapshotUpload{scheme: c.Query("scheme")})
	if err != nil {
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
	m, err := registry.ParseMapping(c.PostForm("map"))
	if err != nil {
		return err
	}
	if _, err := s.registries.AddSource(c.Request.Context(), registry.NewSource{Scheme: c.PostForm("scheme"), Name: c.PostForm("name"),
		URL: c.PostForm("url"), Mapping: m, Schedule: c.PostForm("schedule")}); err != nil {
		return err
	}
	return back(c, "/admin/registries", noticeSourceAdded)
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
	ctx := c.Request.Context()
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return err
	}
	versions, err := s.verdicts.Policies().Versions(ctx)
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Policies", &adminPoliciesView{Versions: versions})
}

// adminPoliciesView lists the policy versions, with the upload form.
type adminPoliciesView struct {
	pageData
	Versions []policy.Version
}

func (*adminPoliciesView) template() string { return "admin_policies.html" }

func (s *Server) adminUploadPolicy(c *gin.Context) error {
	ctx := c.Request.Context()
	fh, err := c.FormFile("document")
	if err != nil {
		return err
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, MaxJSONBody))
	if err != nil {
		return err
	}
	if _, err := s.verdicts.Policies().Upload(ctx, raw); err != nil {
		return err
	}
	return back(c, "/admin/policies", noticePolicyStored)
}

func (s *Server) adminActivatePolicy(c *gin.Context) error {
	ch, err := s.verdicts.ActivatePolicy(c.Request.Context(), c.Param("version"))
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
