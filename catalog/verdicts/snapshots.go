package verdicts

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/catalog/registry"
)

// snapshotsTouch lists the products whose verdicts the registry snapshots
// with ids in (after, upto] can change: those that claim a label whose
// entry a snapshot added, changed or removed against its scheme's previous
// snapshot, and those whose brand+model such an entry (before or after)
// covers, for the labels they could claim. everything is true when a
// snapshot changes more than entries: a scheme's first snapshot, or one
// replacing a snapshot that had turned stale (every claim of the scheme
// said so), where every product is evaluated.
//
// A product claiming an unchanged entry keeps its verdict, whose evidence
// names the snapshot it was evaluated with: that snapshot holds the same
// entry, and the verdict is evaluated against the newer one on its next
// check date.
func snapshotsTouch(ctx context.Context, db *gorm.DB, after, upto int64) (ids []int64, everything bool, err error) {
	db = db.WithContext(ctx)
	var snaps []struct {
		ID, SchemeID int64
		PreviousID   *int64
		FetchedAt    time.Time
		Scheme       string
		MaxAgeDays   int
	}
	if err := db.Raw(`SELECT s.id, s.scheme_id, s.previous_id, s.fetched_at, c.code AS scheme, c.max_age_days
		FROM registry_snapshots s JOIN schemes c ON c.id = s.scheme_id WHERE s.id > ? AND s.id <= ? ORDER BY s.id`, after, upto).Scan(&snaps).Error; err != nil {
		return nil, false, err
	}
	for _, n := range snaps {
		if n.PreviousID == nil {
			return nil, true, nil
		}
		var prev []time.Time
		if err := db.Raw("SELECT fetched_at FROM registry_snapshots WHERE id = ?", *n.PreviousID).Scan(&prev).Error; err != nil {
			return nil, false, err
		}
		if len(prev) == 0 || n.FetchedAt.After(registry.StaleFrom(prev[0], n.MaxAgeDays)) {
			return nil, true, nil
		}
		keys, err := changedLabelKeys(db, *n.PreviousID, n.ID)
		if err != nil {
			return nil, false, err
		}
		for start := 0; start < len(keys); start += 500 {
			chunk := keys[start:min(start+500, len(keys))]
			var claimed, matched []int64
			if err := db.Raw("SELECT DISTINCT product_id FROM label_claims WHERE scheme = ? AND label_key IN ?", n.Scheme, chunk).Scan(&claimed).Error; err != nil {
				return nil, false, err
			}
			if err := db.Raw(`SELECT DISTINCT p.id FROM products p WHERE p.match_key IN (
				SELECT m.match_key FROM registry_entry_models m JOIN registry_entries e ON e.id = m.entry_id
				WHERE e.snapshot_id IN (?, ?) AND e.label_key IN ?)`, *n.PreviousID, n.ID, chunk).Scan(&matched).Error; err != nil {
				return nil, false, err
			}
			ids = append(append(ids, claimed...), matched...)
		}
	}
	return ids, false, nil
}

// changedLabelKeys lists the label keys whose entries differ between two
// snapshots of a scheme: added, removed, or with any field changed.
func changedLabelKeys(db *gorm.DB, prev, next int64) ([]string, error) {
	var keys []string
	err := db.Raw(`SELECT e.label_key FROM registry_entries e
		LEFT JOIN registry_entries o ON o.snapshot_id = ? AND o.label_key = e.label_key
		WHERE e.snapshot_id = ? AND (o.id IS NULL OR o.label_id <> e.label_id OR o.brand <> e.brand OR o.model <> e.model
			OR o.models <> e.models OR o.product_type <> e.product_type OR o.level <> e.level OR o.status <> e.status OR o.url <> e.url
			OR COALESCE(o.issued, '') <> COALESCE(e.issued, '') OR COALESCE(o.expires, '') <> COALESCE(e.expires, ''))
		UNION
		SELECT o.label_key FROM registry_entries o WHERE o.snapshot_id = ?
			AND NOT EXISTS (SELECT 1 FROM registry_entries e WHERE e.snapshot_id = ? AND e.label_key = o.label_key)`,
		prev, next, prev, next).Scan(&keys).Error
	return keys, err
}
