package verdicts

import (
	"context"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// NoticeDays is the notice period before a block (SPEC §7: 90 days).
const NoticeDays = 90

// noticeUpcoming records, once per verdict and block date, each stored
// verdict that is allowed and turns blocked within the notice period: the
// verdict.upcoming_block events (app/notify reads upcoming_blocks by id).
// A verdict whose block date moves (new data, a new policy) is noticed
// again with the new date. It appends under the verdicts lock, as the
// change feed does, so entries become visible in id order.
func (s *Service) noticeUpcoming(ctx context.Context) (int64, error) {
	now := s.now()
	today := civil.Of(now)
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := database.Lock(tx, database.LockVerdicts); err != nil {
			return err
		}
		res := tx.Exec(`INSERT INTO upcoming_blocks (product_id, market, channel, blocks_on, codes, noticed_at)
			SELECT v.product_id, v.market, v.channel, v.blocks_on, v.block_codes, ? FROM verdicts v
			WHERE v.verdict = ? AND v.blocks_on > ? AND v.blocks_on <= ?
			ORDER BY v.blocks_on, v.product_id, v.market, v.channel
			ON CONFLICT (product_id, market, channel, blocks_on) DO NOTHING`,
			now, policy.Allowed, today.String(), today.AddDays(NoticeDays).String())
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}
