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

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
)

// Source is a registry published at a URL, fetched on a schedule through an
// adapter: a column mapping from its layout to the canonical columns.
type Source struct {
	ID            int64        `json:"id"`
	SchemeID      int64        `json:"scheme_id"`
	Scheme        string       `json:"scheme" gorm:"-"`
	Kind          string       `json:"kind" gorm:"-"` // the scheme's: labels or recalls
	Name          string       `json:"name"`
	URL           outbound.URL `json:"url"` // shown redacted everywhere; Raw() to fetch
	Format        string       `json:"format,omitempty"`
	ColumnMapping Mapping      `json:"column_mapping" gorm:"serializer:json"`
	Schedule      string       `json:"schedule"` // cron expression, UTC; empty = only on demand
	Enabled       bool         `json:"enabled"`
	LastAttemptAt *time.Time   `json:"last_attempt_at,omitempty"`
	LastSuccessAt *time.Time   `json:"last_success_at,omitempty"`
	LastStatus    string       `json:"last_status"`
	LastError     string       `json:"last_error,omitempty"` // a code and a safe message (FailureText), never what the source sent
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
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
	Format   string // a reader of the scheme's kind (CheckFormat): "" canonical, cpsc
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
	if err := outbound.ValidateURL(n.URL); err != nil {
		return Source{}, err
	}
	if err := CheckFormat(sc.Kind, n.Format); err != nil {
		return Source{}, err
	}
	u, _ := url.Parse(n.URL)
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
	src := Source{SchemeID: sc.ID, Scheme: sc.Code, Kind: sc.Kind, Name: n.Name, URL: outbound.URL(n.URL), Format: n.Format,
		ColumnMapping: n.Mapping, Schedule: n.Schedule, Enabled: true}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&src).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "registry.source.add", "registry_source", src.ID, map[string]any{"scheme": sc.Code, "url": outbound.Redact(n.URL), "schedule": n.Schedule, "format": n.Format})
	})
	return src, err
}

// Sources lists the configured sources with their last refresh status.
// Only admins (and the scheduler, as system) may: a source's URL and status
// are the operator's business.
func (s *Store) Sources(ctx context.Context) ([]Source, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return nil, err
	}
	var out []Source
	if err := s.db.WithContext(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, err
	}
	byID := map[int64]Scheme{}
	schemes, err := s.ofKind(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, sc := range schemes {
		byID[sc.ID] = sc
	}
	for i := range out {
		out[i].Scheme, out[i].Kind = byID[out[i].SchemeID].Code, byID[out[i].SchemeID].Kind
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
	Client   *http.Client // an outbound.Client; nil = one that reaches no internal network
	MaxBytes int64        // larger bodies are refused; 0 = DefaultMaxBytes
}

// DefaultMaxBytes is the largest registry a source may send: 200 MB.
const DefaultMaxBytes = 200 << 20

// NewFetcher fetches under p (a minute at most, unless p says otherwise),
// registries up to DefaultMaxBytes.
func NewFetcher(p outbound.Policy) Fetcher {
	return Fetcher{Client: outbound.Client(p), MaxBytes: DefaultMaxBytes}
}

// Refresh fetches one source and stores a new snapshot from it. Whatever
// goes wrong (the server fails, hangs, answers garbage or too much, or the
// URL leads inside), the last good snapshot stays and the source records
// the failure as a code and a safe message: never what the source sent,
// never a transport error's text.
func (s *Store) Refresh(ctx context.Context, f Fetcher, src Source) (Snapshot, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return Snapshot{}, err
	}
	now := time.Now().UTC()
	snap, err := s.fetchAndImport(ctx, f, src)
	status := map[string]any{"last_attempt_at": now, "updated_at": now}
	if err != nil {
		status["last_status"], status["last_error"] = "failed", FailureText(err)
	} else {
		status["last_status"], status["last_error"], status["last_success_at"] = "ok", "", now
	}
	uerr := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Source{}).Where("id = ?", src.ID).Updates(status).Error; err != nil || status["last_status"] == "ok" {
			return err
		}
		// Audited, so a failure is an event webhooks deliver (registry.refresh_failed).
		return audit.Record(ctx, tx, "registry.refresh_failed", "registry_source", src.ID, map[string]any{"scheme": src.Scheme, "error": status["last_error"]})
	})
	if uerr != nil {
		return snap, errors.Join(err, uerr)
	}
	return snap, err
}

// FailureText is what a failed refresh may show anyone (the source's status,
// a page, the CLI): the error's code and message, or only that it failed on
// our side; the cause goes to the logs.
func FailureText(err error) string {
	if e, ok := errs.As(err); ok && e.Kind != errs.Internal {
		return e.Code + ": " + e.Message
	}
	return "INTERNAL: the refresh failed on Cascade's side; the server log has the cause"
}

// sourceFailed is a refresh failure the source (not Cascade) caused.
func sourceFailed(code, format string, args ...any) *errs.Error {
	return errs.E(errs.Unavailable, code, format, args...)
}

func (s *Store) fetchAndImport(ctx context.Context, f Fetcher, src Source) (Snapshot, error) {
	client, limit := f.Client, f.MaxBytes
	if client == nil {
		client = outbound.Client(outbound.Policy{})
	}
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL.Raw(), nil)
	if err != nil {
		return Snapshot{}, sourceFailed("SOURCE_URL_INVALID", "the source's URL cannot be requested")
	}
	resp, err := client.Do(req)
	if err != nil {
		cause := outbound.RedactError(err)
		var redirects *outbound.RedirectError
		switch {
		case outbound.IsRefused(err):
			return Snapshot{}, sourceFailed("SOURCE_ADDRESS_REFUSED", "the source's address is in a loopback, private, link-local or other internal network, which Cascade does not fetch from; an operator can allow such a network with --allow-outbound-networks").Wrap(cause)
		case errors.As(err, &redirects):
			return Snapshot{}, sourceFailed("SOURCE_REDIRECTED", "the source redirected more than %d times", redirects.Max).Wrap(cause)
		}
		// One message whatever failed (no connection, no HTTP, no answer in
		// time), so the text never tells an open port from a closed one.
		return Snapshot{}, sourceFailed("SOURCE_UNREACHABLE", "the source could not be reached or gave no HTTP answer in time").Wrap(cause)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The code only: the reason phrase and the body are the server's words.
		return Snapshot{}, sourceFailed("SOURCE_HTTP_STATUS", "the source answered %d (%s), not 200", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	tmp, err := os.CreateTemp("", "cascade-registry-*")
	if err != nil {
		return Snapshot{}, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, limit+1))
	tmp.Close()
	if err != nil {
		return Snapshot{}, sourceFailed("SOURCE_UNREACHABLE", "the connection to the source broke after %d bytes", n).Wrap(outbound.RedactError(err))
	}
	if n > limit {
		return Snapshot{}, sourceFailed("SOURCE_TOO_LARGE", "the source sent more than %s: refused", size(limit))
	}
	entries, err := ReadSource(tmp.Name(), Scheme{Code: src.Scheme, Kind: src.Kind}, src.Format, src.ColumnMapping)
	if err != nil {
		// Only our own code for what is wrong: the reader's messages quote the file.
		return Snapshot{}, sourceFailed("SOURCE_UNREADABLE", "the %d bytes the source sent are not a registry Cascade can read (%s): check the source's format and column mapping", n, errs.CodeOf(err))
	}
	id := src.ID
	return s.Import(ctx, NewSnapshot{Scheme: src.Scheme, Source: src.URL.String(), SourceID: &id, Entries: entries})
}

// size writes a byte limit for people.
func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
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
