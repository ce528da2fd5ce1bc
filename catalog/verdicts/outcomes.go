package verdicts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
)

// A verdict's outcome is what it says besides the verdict itself: its
// reasons and evidence. A catalogue's verdicts say one of few things, so
// each outcome is stored once, in verdict_outcomes, by the hash of its
// content, and a verdict refers to it by id (migration 0027): a first
// evaluation writes a fifth of the bytes it wrote with both on every row
// (issue 18). An outcome row is never changed; one no verdict refers to any
// more stays, as small as it is.

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

// outcomeIDs are the ids of the outcomes a recompute has found or stored,
// by hash. Ids learnt inside a transaction join them only once it commits
// (learn): a rolled-back outcome's id belongs to nothing.
type outcomeIDs map[string]int64

// maxOutcomeIDs bounds what a recompute keeps; past it, it starts again.
const maxOutcomeIDs = 65536

// resolve puts the id of each row's outcome in place of its hash, storing
// the outcomes the database does not hold yet; it returns the ids it did
// not know, for learn once tx commits.
func (known outcomeIDs) resolve(ctx context.Context, tx *gorm.DB, w pageWrites) (outcomeIDs, error) {
	missing := map[string]encoded{}
	for _, rows := range [][][]any{w.inserts, w.upserts} {
		for _, r := range rows {
			if _, ok := known[r[outcomeColumn].(string)]; !ok {
				missing[r[outcomeColumn].(string)] = w.outcomes[r[outcomeColumn].(string)]
			}
		}
	}
	learnt := outcomeIDs{}
	if len(missing) > 0 {
		rows, hashes := make([][]any, 0, len(missing)), make([]string, 0, len(missing))
		for h, e := range missing {
			rows, hashes = append(rows, []any{h, e.reasons, e.evidence}), append(hashes, h)
		}
		// Another writer (a replica, an earlier recompute) may have stored
		// some: those are found, not stored again.
		wr := database.NewRowWriter(ctx, tx, "verdict_outcomes", []string{"hash", "reasons", "evidence"}, " ON CONFLICT (hash) DO NOTHING")
		defer wr.Close()
		for _, r := range rows {
			if err := wr.Write(r...); err != nil {
				return nil, err
			}
		}
		if err := wr.Flush(); err != nil {
			return nil, err
		}
		var found []struct {
			ID   int64
			Hash string
		}
		if err := tx.WithContext(ctx).Table("verdict_outcomes").Select("id, hash").Where("hash IN ?", hashes).Scan(&found).Error; err != nil {
			return nil, err
		}
		for _, f := range found {
			learnt[f.Hash] = f.ID
		}
	}
	for _, rows := range [][][]any{w.inserts, w.upserts} {
		for _, r := range rows {
			h := r[outcomeColumn].(string)
			id, ok := known[h]
			if !ok {
				if id, ok = learnt[h]; !ok {
					return nil, fmt.Errorf("outcome %s of product %v: not stored", h, r[0])
				}
			}
			r[outcomeColumn] = id
		}
	}
	return learnt, nil
}

// learn keeps ids a committed transaction stored or found.
func (known outcomeIDs) learn(ids outcomeIDs) {
	if len(known)+len(ids) > maxOutcomeIDs {
		clear(known)
	}
	for h, id := range ids {
		known[h] = id
	}
}
