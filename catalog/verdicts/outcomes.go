package verdicts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
)

// A verdict's outcome is what it says besides the verdict itself: its
// reasons and evidence. A catalogue's verdicts say one of few things, so
// each outcome is stored once, in verdict_outcomes, by the hash of its
// content, and a verdict refers to it by id (migration 0027): a first
// evaluation writes a fifth of the bytes it wrote with both on every row
// (issue 18). An outcome row is never changed. One that no verdict refers
// to any more is deleted by the write that released it: a product's
// evidence names its labels' registry snapshot, so every new snapshot
// gives its labelled products new outcomes, and the old ones would pile
// up, night after night.
//
// Both happen in the page's transaction, under the verdicts lock, so no
// other writer can release an outcome between the look-up of its id and
// the write that refers to it: ids are looked up again for every page,
// never remembered from one page to the next.

// outcomeHash is the content address of reasons and evidence as stored.
func outcomeHash(reasons, evidence string) string {
	h := sha256.New()
	h.Write([]byte(reasons))
	h.Write([]byte{0})
	h.Write([]byte(evidence))
	return hex.EncodeToString(h.Sum(nil))
}

// withOutcome joins a verdict row (v) to its outcome (o).
const withOutcome = "JOIN verdict_outcomes o ON o.id = v.outcome_id"

// resolveOutcomes puts the id of each row's outcome in place of its hash,
// storing the outcomes the database does not hold yet.
func resolveOutcomes(ctx context.Context, tx *gorm.DB, w pageWrites) error {
	if len(w.outcomes) == 0 {
		return nil
	}
	hashes := make([]string, 0, len(w.outcomes))
	for h := range w.outcomes {
		hashes = append(hashes, h)
	}
	ids, err := outcomeIDs(ctx, tx, hashes)
	if err != nil {
		return err
	}
	if len(ids) < len(hashes) {
		wr := database.NewRowWriter(ctx, tx, "verdict_outcomes", []string{"hash", "reasons", "evidence"}, " ON CONFLICT (hash) DO NOTHING")
		defer wr.Close()
		var missing []string
		for _, h := range hashes {
			if _, ok := ids[h]; !ok {
				e := w.outcomes[h]
				if err := wr.Write(h, e.reasons, e.evidence); err != nil {
					return err
				}
				missing = append(missing, h)
			}
		}
		if err := wr.Flush(); err != nil {
			return err
		}
		stored, err := outcomeIDs(ctx, tx, missing)
		if err != nil {
			return err
		}
		for h, id := range stored {
			ids[h] = id
		}
	}
	for _, rows := range [][][]any{w.inserts, w.upserts} {
		for _, r := range rows {
			h, _ := r[outcomeColumn].(string)
			id, ok := ids[h]
			if !ok {
				return fmt.Errorf("outcome %s of product %v: not stored", h, r[0])
			}
			r[outcomeColumn] = id
		}
	}
	return nil
}

// outcomeIDs looks up the ids of the outcomes stored with hashes.
func outcomeIDs(ctx context.Context, tx *gorm.DB, hashes []string) (map[string]int64, error) {
	ids := make(map[string]int64, len(hashes))
	for start := 0; start < len(hashes); start += 500 {
		var found []struct {
			ID   int64
			Hash string
		}
		if err := tx.WithContext(ctx).Table("verdict_outcomes").Select("id, hash").Where("hash IN ?", hashes[start:min(start+500, len(hashes))]).Scan(&found).Error; err != nil {
			return nil, err
		}
		for _, f := range found {
			ids[f.Hash] = f.ID
		}
	}
	return ids, nil
}

// dropReleasedOutcomes deletes those of the outcomes the page's rewritten
// and withdrawn verdicts referred to that no verdict refers to now (by
// verdicts_outcome).
func dropReleasedOutcomes(ctx context.Context, tx *gorm.DB, released []int64) error {
	slices.Sort(released)
	released = slices.Compact(released)
	for start := 0; start < len(released); start += 500 {
		err := tx.WithContext(ctx).Exec(`DELETE FROM verdict_outcomes WHERE id IN ?
			AND NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.outcome_id = verdict_outcomes.id)`, released[start:min(start+500, len(released))]).Error
		if err != nil {
			return err
		}
	}
	return nil
}
