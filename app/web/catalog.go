package web

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

func (s *Server) listSchemes(c *gin.Context) error {
	return listed(c, func(r database.PageRequest) (database.Page[registry.Scheme], error) {
		return s.registries.SchemesPage(c.Request.Context(), r)
	})
}

func (s *Server) listSnapshots(c *gin.Context) error {
	return listed(c, func(r database.PageRequest) (database.Page[registry.Snapshot], error) {
		return s.registries.SnapshotsPage(c.Request.Context(), c.Param("code"), r)
	})
}

// uploadSnapshot imports a registry file (body or multipart "file"; ?map=
// for other layouts; ?sample=true for demo data) and recomputes verdicts.
func (s *Server) uploadSnapshot(c *gin.Context) error {
	sample, err := queryBool(c, "sample")
	if err != nil {
		return err
	}
	ch, err := s.receiveSnapshot(c, snapshotUpload{scheme: c.Param("code"), sample: sample})
	if err != nil {
		return err
	}
	s.respondChange(c, http.StatusCreated, gin.H{"snapshot": ch.Snapshot}, ch.Recomputation)
	return nil
}

// receiveSnapshot is the registry upload of the API and the admin page:
// the caller's role and the scheme are checked before the body is read
// (refusing a 200 MB upload before receiving it is the point; the domain
// checks both again), then verdicts.ImportSnapshot stores and recomputes.
func (s *Server) receiveSnapshot(c *gin.Context, u snapshotUpload) (verdicts.SnapshotChange, error) {
	ctx := c.Request.Context()
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return verdicts.SnapshotChange{}, err
	}
	sc, err := s.registries.Scheme(ctx, u.scheme)
	if err != nil {
		return verdicts.SnapshotChange{}, err
	}
	if u.kind != "" && sc.Kind != u.kind {
		return verdicts.SnapshotChange{}, errs.Invalidf("NOT_A_RECALL_LIST", "%s is a label scheme, not a recall list", sc.Code)
	}
	if err := registry.CheckFormat(sc.Kind, u.format); err != nil {
		return verdicts.SnapshotChange{}, err
	}
	m, err := registry.ParseMapping(c.Query("map"))
	if err != nil {
		return verdicts.SnapshotChange{}, err
	}
	up, err := s.receiveUpload(c)
	if err != nil {
		return verdicts.SnapshotChange{}, err
	}
	defer os.Remove(up.path)
	return s.verdicts.ImportSnapshot(ctx, verdicts.SnapshotFile{Scheme: u.scheme, Path: up.path, Name: up.name, Mapping: m, Sample: u.sample, Format: u.format})
}

// snapshotUpload is what a registry upload names besides its file.
type snapshotUpload struct {
	scheme, format string
	kind           string // the kind the scheme must be; "" any
	sample         bool
}

// respondChange answers a change to what verdicts rest on: status with the
// recompute's stats, or, when the change is stored but the recompute
// failed, 202 Accepted with a warning in the error shape
// (VERDICTS_NOT_RECOMPUTED): the change stays, the nightly re-evaluation
// recomputes, and resending would only store it again.
func (s *Server) respondChange(c *gin.Context, status int, body gin.H, rc verdicts.Recomputation) {
	body["recomputed"] = rc.Stats
	if rc.Pending != nil {
		loggerOf(c).WarnContext(c.Request.Context(), "verdicts not recomputed after a change", "err", rc.Pending, "request_id", c.GetString(requestIDKey))
		body["warning"] = errorPayload{Code: rc.Pending.Code, Message: rc.Pending.Message}
		status = http.StatusAccepted
	}
	c.JSON(status, body)
}

func (s *Server) getSnapshot(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	snap, err := s.registries.Snapshot(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"snapshot": snap})
	return nil
}

func (s *Server) snapshotEntries(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return listed(c, func(r database.PageRequest) (database.Page[registry.Entry], error) {
		return s.registries.EntriesPage(c.Request.Context(), id, r)
	})
}

func (s *Server) listPolicies(c *gin.Context) error {
	return listed(c, func(r database.PageRequest) (database.Page[policy.Version], error) {
		return s.verdicts.Policies().VersionsPage(c.Request.Context(), r)
	})
}

func (s *Server) getPolicy(c *gin.Context) error {
	v, doc, err := s.verdicts.Policies().Get(c.Request.Context(), c.Param("version"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"policy": v, "document": doc})
	return nil
}

// policyDocument is a version's document as it was uploaded: a file to
// edit and upload again as a new version.
func (s *Server) policyDocument(c *gin.Context) error {
	v, _, err := s.verdicts.Policies().Get(c.Request.Context(), c.Param("version"))
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="policy-%s.json"`, safeFileName(v.Version)))
	c.Data(http.StatusOK, "application/json", []byte(v.Document))
	return nil
}

// policyDiff compares a version with another (the active one unless
// against names one), rule by rule.
func (s *Server) policyDiff(c *gin.Context) error {
	ctx := c.Request.Context()
	against := c.Query("against")
	if against == "" {
		active, _, err := s.verdicts.Policies().Active(ctx)
		if err != nil {
			return err
		}
		against = active.Version
	}
	changes, err := s.verdicts.Policies().Diff(ctx, against, c.Param("version"))
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []policy.Change{}
	}
	c.JSON(http.StatusOK, gin.H{"from": against, "to": c.Param("version"), "changes": changes})
	return nil
}

// uploadPolicy stores a new policy version (the JSON document is the body); it is not active yet.
func (s *Server) uploadPolicy(c *gin.Context) error {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return jsonError(err)
	}
	v, err := s.verdicts.Policies().Upload(c.Request.Context(), raw)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"policy": v})
	return nil
}

func (s *Server) activatePolicy(c *gin.Context) error {
	ch, err := s.verdicts.ActivatePolicy(c.Request.Context(), c.Param("version"))
	if err != nil {
		return err
	}
	s.respondChange(c, http.StatusOK, gin.H{"policy": ch.Policy}, ch.Recomputation)
	return nil
}

func (s *Server) recompute(c *gin.Context) error {
	st, err := s.verdicts.Reevaluate(c.Request.Context(), true)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"recomputed": st})
	return nil
}

func verdictFilter(c *gin.Context) (verdicts.Filter, civil.Date, error) {
	f := verdicts.Filter{Market: strings.ToUpper(c.Query("market")), Channel: strings.ToLower(c.Query("channel")), Verdict: strings.ToLower(c.Query("verdict")),
		Code: strings.ToUpper(c.Query("code")), Category: c.Query("category"), Query: c.Query("q")}
	if err := f.Check(); err != nil {
		return f, civil.Date{}, err
	}
	var err error
	if f.SupplierID, err = queryInt(c, "supplier_id"); err != nil {
		return f, civil.Date{}, err
	}
	var asOf civil.Date
	if s := c.Query("as_of"); s != "" {
		if asOf, err = civil.Parse(s); err != nil {
			return f, asOf, errs.Invalidf("INVALID_DATE", "as_of must be a date such as 2027-01-04")
		}
	}
	return f, asOf, nil
}

// listVerdicts answers a page of the stored verdicts, or with ?as_of= of a
// forecast: the verdicts the products would get that day.
func (s *Server) listVerdicts(c *gin.Context) error {
	f, asOf, err := verdictFilter(c)
	if err != nil {
		return err
	}
	return listed(c, func(r database.PageRequest) (database.Page[verdicts.Row], error) {
		f.After = r.After
		page := database.NewCollector(r, func(row verdicts.Row) []int64 { return row.Cursor })
		if asOf.IsZero() {
			return page.Page(s.verdicts.List(c.Request.Context(), f, page.Add))
		}
		return page.Page(s.verdicts.Forecast(c.Request.Context(), asOf, nil, f, page.Add))
	})
}

func (s *Server) productVerdicts(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.verdicts.ProductVerdicts(c.Request.Context(), id)
	if err != nil {
		return err
	}
	// One product's verdicts: a market and channel each, never more than a page.
	writePage(c, database.Page[verdicts.Stored]{Items: list, Total: int64(len(list)), HasTotal: true})
	return nil
}

// verdictChanges is the change feed: the entries after ?cursor=, oldest
// first. Unlike other lists its next_cursor is never null: a listing system
// polls again with it, and an empty page means nothing changed since.
func (s *Server) verdictChanges(c *gin.Context) error {
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	since, err := r.One()
	if err != nil {
		return err
	}
	list, err := s.verdicts.Changes(c.Request.Context(), since, r.Size())
	if err != nil {
		return err
	}
	next := since
	if len(list) > 0 {
		next = list[len(list)-1].ID
	}
	cursor := encodeCursor([]int64{next})
	if len(list) == r.Size() {
		c.Header("Link", "<"+nextURL(c, cursor)+">; rel=\"next\"")
	}
	c.JSON(http.StatusOK, pageBody[verdicts.Change]{Items: list, NextCursor: &cursor})
	return nil
}

func (s *Server) gate(c *gin.Context) error {
	supplier, err := queryInt(c, "supplier")
	if err != nil {
		return err
	}
	ans, err := s.gateVerdicts.Gate(c.Request.Context(), verdicts.GateQuery{
		GTIN: c.Query("gtin"), Market: c.Query("market"), Channel: c.DefaultQuery("channel", "retail"), SupplierID: supplier})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ans)
	return nil
}

var listingTypes = map[string]string{"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8", "xlsx": xlsxType}

// listings is a market's listing feed: a page of JSON, or the whole feed as
// one CSV or XLSX download (?format=).
func (s *Server) listings(c *gin.Context) error {
	ctx := c.Request.Context()
	// Checked here as well as by the feed: a refusal must come before the 200 goes out.
	if _, err := access.From(ctx); err != nil {
		return err
	}
	format := strings.ToLower(c.DefaultQuery("format", "json"))
	market, channel, err := verdicts.ListingScope(c.Query("market"), c.DefaultQuery("channel", "retail"))
	if err != nil {
		return err
	}
	if format == "json" {
		return listed(c, func(r database.PageRequest) (database.Page[verdicts.Listing], error) {
			after, err := r.One()
			if err != nil {
				return database.Page[verdicts.Listing]{}, err
			}
			page := database.NewCollector(r, func(l verdicts.Listing) []int64 { return []int64{l.Cursor} })
			return page.Page(s.verdicts.ListingsAfter(ctx, market, channel, after, page.Add))
		})
	}
	ct, ok := listingTypes[format]
	if !ok {
		return errs.Invalidf("INVALID_FORMAT", "format must be csv, xlsx or json")
	}
	c.Header("Content-Type", ct)
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="cascade-listings-%s-%s.%s"`, strings.ToLower(market), channel, format))
	c.Status(http.StatusOK)
	return s.verdicts.WriteListings(ctx, c.Writer, market, channel, format)
}

type addSourceRequest struct {
	Name          string            `json:"name"`
	URL           string            `json:"url"`
	ColumnMapping map[string]string `json:"column_mapping"`
	Schedule      string            `json:"schedule"`
}

func (s *Server) listSources(c *gin.Context) error {
	return listed(c, func(r database.PageRequest) (database.Page[registry.Source], error) {
		return s.registries.SourcesPage(c.Request.Context(), r)
	})
}

func (s *Server) addSource(c *gin.Context) error {
	var req addSourceRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	m := registry.Mapping{}
	for k, v := range req.ColumnMapping {
		pair, err := registry.ParseMapping(k + "=" + v)
		if err != nil {
			return err
		}
		m[k] = pair[k]
	}
	src, err := s.registries.AddSource(c.Request.Context(), registry.NewSource{Scheme: c.Param("code"), Name: req.Name, URL: req.URL, Mapping: m, Schedule: req.Schedule})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"source": src})
	return nil
}

// refreshSource fetches one source now; a failure is reported and the last good snapshot stays.
func (s *Server) refreshSource(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ch, err := s.verdicts.RefreshSource(c.Request.Context(), s.fetcher, id)
	if err != nil {
		return err
	}
	s.respondChange(c, http.StatusCreated, gin.H{"snapshot": ch.Snapshot}, ch.Recomputation)
	return nil
}

// impact previews what a stored policy version (?policy=, default the active
// one) would flip as of a date (?as_of=, default today), storing nothing.
func (s *Server) impact(c *gin.Context) error {
	ctx := c.Request.Context()
	_, asOf, err := verdictFilter(c)
	if err != nil {
		return err
	}
	var candidate *policy.Document
	if v := c.Query("policy"); v != "" {
		if _, candidate, err = s.verdicts.Policies().Get(ctx, v); err != nil {
			return err
		}
	}
	imp, err := s.verdicts.Impact(ctx, candidate, asOf)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"impact": imp})
	return nil
}
