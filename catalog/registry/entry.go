// Package registry keeps the label schemes' registries: immutable, hashed
// snapshots of each scheme's list of labelled products, the difference
// between consecutive snapshots, and the view the verdict engine matches
// product label claims against.
package registry

import (
	"strings"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/catalog"
)

// Entry statuses.
const (
	StatusValid     = "valid"
	StatusSuspended = "suspended"
	StatusRevoked   = "revoked"
)

// Entry is one labelled product in a registry snapshot.
type Entry struct {
	ID          int64      `json:"id"`
	SnapshotID  int64      `json:"snapshot_id"`
	LabelID     string     `json:"label_id"`
	LabelKey    string     `json:"-"`
	Brand       string     `json:"brand"`
	Model       string     `json:"model"`
	Models      string     `json:"models,omitempty"` // other model ids covered, ';'-separated
	ProductType string     `json:"product_type,omitempty"`
	Level       string     `json:"level,omitempty"`
	Issued      civil.Date `json:"issued"`
	Expires     civil.Date `json:"expires"`
	Status      string     `json:"status"`
	URL         string     `json:"url,omitempty"`

	// A recall list's entries (Kind recalls) also name these; a label's leave them empty.
	GTINs   string `json:"gtins,omitempty" gorm:"column:gtins"` // GTIN-14s, ';'-separated
	Markets string `json:"markets,omitempty"`                   // market codes, space-separated
	Hazard  string `json:"hazard,omitempty"`
	Title   string `json:"title,omitempty"`
}

// TableName is the entries table.
func (Entry) TableName() string { return "registry_entries" }

// MatchKeys are the brand+model keys the entry covers: its model and every alias.
func (e Entry) MatchKeys() []string {
	keys := []string{catalog.MatchKey(e.Brand, e.Model)}
	for _, m := range strings.Split(e.Models, ";") {
		if m = strings.TrimSpace(m); m != "" {
			k := catalog.MatchKey(e.Brand, m)
			if k != keys[0] {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// Covers reports whether the entry is for the product with this brand+model key.
func (e Entry) Covers(matchKey string) bool {
	for _, k := range e.MatchKeys() {
		if k == matchKey {
			return true
		}
	}
	return false
}

// fingerprint is what a diff compares: everything but ids. The recall
// fields are added only when there are any, so a label snapshot hashes as
// it did before recall lists existed.
func (e Entry) fingerprint() string {
	parts := []string{e.LabelKey, e.Brand, e.Model, e.Models, e.ProductType, e.Level,
		e.Issued.String(), e.Expires.String(), e.Status, e.URL}
	if e.GTINs+e.Markets+e.Hazard+e.Title != "" {
		parts = append(parts, e.GTINs, e.Markets, e.Hazard, e.Title)
	}
	return strings.Join(parts, "\x1f")
}

// Snapshot is an immutable copy of one scheme's registry at one time.
type Snapshot struct {
	ID         int64        `json:"id"`
	SchemeID   int64        `json:"scheme_id"`
	Scheme     string       `json:"scheme" gorm:"-"`
	SourceID   *int64       `json:"source_id,omitempty"`
	Source     outbound.URL `json:"source"` // a file name or the source's URL, shown redacted
	Sample     bool         `json:"sample"`
	SHA256     string       `json:"sha256" gorm:"column:sha256"`
	FetchedAt  time.Time    `json:"fetched_at"`
	EntryCount int          `json:"entry_count"`
	PreviousID *int64       `json:"previous_id,omitempty"`
	Added      int          `json:"added"`
	Changed    int          `json:"changed"`
	Revoked    int          `json:"revoked"`
	Expired    int          `json:"expired"`
	Diff       Diff         `json:"diff" gorm:"serializer:json"`
	CreatedBy  string       `json:"created_by"`
	CreatedAt  time.Time    `json:"created_at"`
}

// TableName is the snapshots table.
func (Snapshot) TableName() string { return "registry_snapshots" }

// Scheme is a label programme or, of kind recalls, an authority's recall list.
type Scheme struct {
	ID          int64     `json:"id"`
	Code        string    `json:"code"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	MaxAgeDays  int       `json:"max_age_days"`
	Kind        string    `json:"kind"` // KindLabels or KindRecalls
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}
