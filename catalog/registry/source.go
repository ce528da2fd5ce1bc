package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/access"
	"github.com/cascade-gate/cascade/app/audit"
	"github.com/cascade-gate/cascade/app/errs"
)

// Source is a registry published at a URL, fetched on a schedule through an
// adapter: a column mapping from its layout to the canonical columns.
type Source struct {
	ID            int64      `json:"id"`
	SchemeID      int64      `json:"scheme_id"`
	Scheme        string     `json:"scheme" gorm:"-"`
	Name          string     `json:"name"`
	URL           string     `json:"url"`
	Format        string     `json:"format,omitempty"`
	ColumnMapping Mapping    `json:"column_mapping" gorm:"serializer:json"`
	Schedule      string     `json:"schedule"` // cron expression, UTC; empty = only on demand
	Enabled       bool       `json:"enabled"`
	LastAttemptAt *time.Time `json:"last_attempt_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	LastStatus    string     `json:"last_status"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// TableName is the sources table.
func (Source) TableName() string { return "registry_sources" }

// NewSource is what an admin configures.
type NewSource struct {
	Scheme   string
	Name     string
	URL      string
	Mapping  Mapping
	Schedule string
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// ParseSchedule validates a cron expression before it is saved.
func ParseSchedule(expr string) (cron.Schedule, error) {
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, errs.Invalidf("INVALID_SCHEDULE", "%q is not a cron expression (minute hour day month weekday): %v", expr, err)
	}
	return s, nil
}

// AddSource configures a registry source. Only admins may.
func (s *Store) AddSource(ctx context.Context, n NewSource) (Source, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return Source{}, err
	}
	sc, err := s.Scheme(ctx, n.Scheme)
	if err != nil {
		return Source{}, err
	}
	u, err := url.Parse(n.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Source{}, errs.Invalidf("INVALID_URL", "%q is not an http(s) URL", n.URL)
	}
	if n.Schedule != "" {
		if _, err := ParseSchedule(n.Schedule); err != nil {
			return Source{}, err
		}
	}
	if n.Mapping == nil {
		n.Mapping = Mapping{}
	}
	if strings.TrimSpace(n.Name) == "" {
		n.Name = sc.Code + " " + u.Host
	}
	src := Source{SchemeID: sc.ID, Scheme: sc.Code, Name: n.Name, URL: n.URL, ColumnMapping: n.Mapping, Schedule: n.Schedule, Enabled: true}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&src).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "registry.source.add", "registry_source", src.ID, map[string]any{"scheme": sc.Code, "url": n.URL, "schedule": n.Schedule})
	})
	return src, err
}

// Sources lists the configured sources with their last refresh status.
func (s *Store) Sources(ctx context.Context) ([]Source, error) {
	if _, err := access.From(ctx); err != nil {
		return nil, err
	}
	var out []Source
	if err := s.db.WithContext(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, err
	}
	codes := map[int64]string{}
	schemes, err := s.Schemes(ctx)
	if err != nil {
		return nil, err
	}
	for _, sc := range schemes {
		codes[sc.ID] = sc.Code
	}
	for i := range out {
		out[i].Scheme = codes[out[i].SchemeID]
	}
	return out, nil
}

// Source returns one source.
func (s *Store) Source(ctx context.Context, id int64) (Source, error) {
	list, err := s.Sources(ctx)
	if err != nil {
		return Source{}, err
	}
	for _, src := range list {
		if src.ID == id {
			return src, nil
		}
	}
	return Source{}, errs.NotFoundf("registry source %d not found", id)
}

// Fetcher downloads registry sources.
type Fetcher struct {
	Client   *http.Client
	MaxBytes int64 // larger bodies are refused
}

// DefaultFetcher waits a minute at most and accepts registries up to 200 MB.
var DefaultFetcher = Fetcher{Client: &http.Client{Timeout: time.Minute}, MaxBytes: 200 << 20}

// Refresh fetches one source and stores a new snapshot from it. Whatever
// goes wrong (the server fails, hangs, answers garbage or too much), the
// last good snapshot stays and the source records the failure.
func (s *Store) Refresh(ctx context.Context, f Fetcher, src Source) (Snapshot, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return Snapshot{}, err
	}
	now := time.Now().UTC()
	snap, err := s.fetchAndImport(ctx, f, src)
	status := map[string]any{"last_attempt_at": now, "updated_at": now}
	if err != nil {
		status["last_status"], status["last_error"] = "failed", err.Error()
	} else {
		status["last_status"], status["last_error"], status["last_success_at"] = "ok", "", now
	}
	if uerr := s.db.WithContext(ctx).Model(&Source{}).Where("id = ?", src.ID).Updates(status).Error; uerr != nil {
		return snap, errors.Join(err, uerr)
	}
	return snap, err
}

func (s *Store) fetchAndImport(ctx context.Context, f Fetcher, src Source) (Snapshot, error) {
	fail := func(format string, args ...any) (Snapshot, error) {
		return Snapshot{}, errs.E(errs.Unavailable, "REGISTRY_FETCH_FAILED", format, args...)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return fail("the source URL is unusable: %v", err)
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		return fail("fetching %s failed: %v", src.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail("%s answered %s", src.URL, resp.Status)
	}
	tmp, err := os.CreateTemp("", "cascade-registry-*")
	if err != nil {
		return Snapshot{}, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, f.MaxBytes+1))
	tmp.Close()
	if err != nil {
		return fail("reading %s failed: %v", src.URL, err)
	}
	if n > f.MaxBytes {
		return fail("%s sent more than %d MB: refused", src.URL, f.MaxBytes>>20)
	}
	entries, err := ReadFile(tmp.Name(), src.Scheme, src.ColumnMapping)
	if err != nil {
		return Snapshot{}, fmt.Errorf("%s: %w", src.URL, err)
	}
	id := src.ID
	return s.Import(ctx, NewSnapshot{Scheme: src.Scheme, Source: src.URL, SourceID: &id, Entries: entries})
}

// Due reports whether a source's schedule has come round since its last
// attempt, and names the firing it is due for: the schedule's first after
// that attempt, or the zero time for a source never fetched.
func (src Source) Due(now time.Time) (firing time.Time, due bool) {
	if !src.Enabled || src.Schedule == "" {
		return time.Time{}, false
	}
	sched, err := ParseSchedule(src.Schedule)
	if err != nil {
		return time.Time{}, false
	}
	if src.LastAttemptAt == nil {
		return time.Time{}, true
	}
	firing = sched.Next(*src.LastAttemptAt)
	return firing, !firing.After(now)
}
