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
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

func (s *Server) listSchemes(c *gin.Context) error {
	list, err := s.registries.Schemes(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"schemes": list})
	return nil
}

func (s *Server) listSnapshots(c *gin.Context) error {
	list, err := s.registries.Snapshots(c.Request.Context(), c.Param("code"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"snapshots": list})
	return nil
}

// uploadSnapshot imports a registry file (body or multipart "file"; ?map=
// for other layouts; ?sample=true for demo data) and recomputes verdicts.
func (s *Server) uploadSnapshot(c *gin.Context) error {
	ch, err := s.receiveSnapshot(c, c.Param("code"), c.Query("sample") == "true")
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
func (s *Server) receiveSnapshot(c *gin.Context, scheme string, sample bool) (verdicts.SnapshotChange, error) {
	ctx := c.Request.Context()
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return verdicts.SnapshotChange{}, err
	}
	if _, err := s.registries.Scheme(ctx, scheme); err != nil {
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
	return s.verdicts.ImportSnapshot(ctx, verdicts.SnapshotFile{Scheme: scheme, Path: up.path, Name: up.name, Mapping: m, Sample: sample})
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
	if _, err := s.registries.Snapshot(c.Request.Context(), id); err != nil {
		return err
	}
	list, err := s.registries.Entries(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"entries": list})
	return nil
}

func (s *Server) listPolicies(c *gin.Context) error {
	list, err := s.verdicts.Policies().Versions(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"policies": list})
	return nil
}

func (s *Server) getPolicy(c *gin.Context) error {
	v, doc, err := s.verdicts.Policies().Get(c.Request.Context(), c.Param("version"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"policy": v, "document": doc})
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
	f := verdicts.Filter{Market: strings.ToUpper(c.Query("market")), Channel: strings.ToLower(c.Query("channel")), Verdict: c.Query("verdict"), Code: c.Query("code"),
		Category: c.Query("category"), Query: c.Query("q")}
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

// listVerdicts streams the stored verdicts, or with ?as_of= a forecast, as one JSON array.
func (s *Server) listVerdicts(c *gin.Context) error {
	ctx := c.Request.Context()
	// Checked here as well as by List: once the 200 and the array's first
	// byte are out, a refusal could only end the array early.
	if _, err := access.From(ctx); err != nil {
		return err
	}
	f, asOf, err := verdictFilter(c)
	if err != nil {
		return err
	}
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(http.StatusOK)
	w := newJSONArray(c.Writer, "verdicts")
	if asOf.IsZero() {
		err = s.verdicts.List(ctx, f, w.add)
	} else {
		err = s.verdicts.Forecast(ctx, asOf, nil, f, w.add)
	}
	return w.close(err)
}

// upcomingBlocks lists the verdicts allowed today that turn blocked within
// ?within= (default 90d).
func (s *Server) upcomingBlocks(c *gin.Context) error {
	within, err := verdicts.ParseWithin(c.DefaultQuery("within", "90d"))
	if err != nil {
		return err
	}
	supplier, err := queryInt(c, "supplier_id")
	if err != nil {
		return err
	}
	list, err := s.verdicts.UpcomingBlocks(c.Request.Context(), verdicts.UpcomingFilter{WithinDays: within,
		Market: c.Query("market"), Channel: c.Query("channel"), SupplierID: supplier})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"upcoming": list})
	return nil
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
	c.JSON(http.StatusOK, gin.H{"verdicts": list})
	return nil
}

func (s *Server) verdictChanges(c *gin.Context) error {
	since, err := queryInt(c, "since")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	list, err := s.verdicts.Changes(c.Request.Context(), since, int(limit))
	if err != nil {
		return err
	}
	next := since
	if len(list) > 0 {
		next = list[len(list)-1].ID
	}
	c.JSON(http.StatusOK, gin.H{"changes": list, "next": next})
	return nil
}

func (s *Server) gate(c *gin.Context) error {
	supplier, err := queryInt(c, "supplier")
	if err != nil {
		return err
	}
	ans, err := s.verdicts.Gate(c.Request.Context(), verdicts.GateQuery{
		GTIN: c.Query("gtin"), Market: c.Query("market"), Channel: c.DefaultQuery("channel", "retail"), SupplierID: supplier})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ans)
	return nil
}

// jsonArray writes {"<name>": [ … ]} one element at a time, so a large
// listing never sits in memory. An error after the first byte can only end
// the array early; it is reported in an "error" member.
type jsonArray struct {
	w     io.Writer
	first bool
}

func newJSONArray(w gin.ResponseWriter, name string) *jsonArray {
	fmt.Fprintf(w, `{%q:[`, name)
	a := &jsonArray{w: w, first: true}
	return a
}

func (a *jsonArray) add(v verdicts.Row) error {
	if !a.first {
		if _, err := io.WriteString(a.w, ","); err != nil {
			return err
		}
	}
	a.first = false
	b, err := jsonMarshal(v)
	if err != nil {
		return err
	}
	_, err = a.w.Write(b)
	return err
}

func (a *jsonArray) close(err error) error {
	if err != nil {
		msg, _ := jsonMarshal(errs.CodeOf(err))
		_, werr := fmt.Fprintf(a.w, `],"error":%s}`, msg)
		return werr
	}
	_, werr := io.WriteString(a.w, "]}")
	return werr
}

var listingTypes = map[string]string{"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8", "xlsx": xlsxType}

// listings streams the listing feed: only products allowed in the market.
func (s *Server) listings(c *gin.Context) error {
	ctx := c.Request.Context()
	// Checked here as well as by the feed: a refusal must come before the 200 goes out.
	if _, err := access.From(ctx); err != nil {
		return err
	}
	format := strings.ToLower(c.DefaultQuery("format", "json"))
	market := strings.ToUpper(c.Query("market"))
	ct, ok := listingTypes[format]
	if !ok {
		return errs.Invalidf("INVALID_FORMAT", "format must be csv, xlsx or json")
	}
	// Check the parameters before the first byte goes out.
	if _, _, err := verdicts.ListingScope(market, c.DefaultQuery("channel", "retail")); err != nil {
		return err
	}
	c.Header("Content-Type", ct)
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="cascade-listings-%s.%s"`, strings.ToLower(market), format))
	c.Status(http.StatusOK)
	return s.verdicts.WriteListings(ctx, c.Writer, market, c.DefaultQuery("channel", "retail"), format)
}

type addSourceRequest struct {
	Name          string            `json:"name"`
	URL           string            `json:"url"`
	ColumnMapping map[string]string `json:"column_mapping"`
	Schedule      string            `json:"schedule"`
}

func (s *Server) listSources(c *gin.Context) error {
	list, err := s.registries.Sources(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"sources": list})
	return nil
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
