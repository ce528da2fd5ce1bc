package verdicts

import (
	"time"

	"github.com/cascade-gate/cascade/app/kernel/database"
)

// verdictRow is one row of the verdicts table as a recompute writes it,
// but for the columns every row of a page shares (pageShared); values gives
// its columns in the order of verdictColumns, with the outcome's hash where
// its id goes (outcomeIDs.resolve puts the id there).
type verdictRow struct {
	ProductID       int64
	Market, Channel string
	Verdict, Codes  string
	Outcome         string // the hash of its reasons and evidence (outcomes.go)
	ContentHash     string
	Outlook         outlookRow // outlook.go
}

var verdictColumns = append([]string{"product_id", "market", "channel", "verdict", "codes", "outcome_id", "content_hash"}, outlookColumns...)

// outcomeColumn is where outcome_id is in verdictColumns.
const outcomeColumn = 5

func (r verdictRow) values() []any {
	return append([]any{r.ProductID, r.Market, r.Channel, r.Verdict, r.Codes, r.Outcome, r.ContentHash}, r.Outlook.values()...)
}

// changeRow is one entry of the change feed, but for the columns every
// entry of a page shares (pageShared). The feed carries codes, not the
// full reasons: those are on the verdict.
type changeRow struct {
	ProductID         int64
	Market, Channel   string
	Previous, Verdict string
	Codes             string
}

var changeColumns = []string{"product_id", "market", "channel", "previous", "verdict", "codes"}

func (r changeRow) values() []any {
	return []any{r.ProductID, r.Market, r.Channel, r.Previous, r.Verdict, r.Codes}
}

// pageShared are the columns every verdict and change-feed entry a page
// writes has in common: the evaluation's policy and date, and the time of
// the write. They are bound once a statement, not once a row.
type pageShared struct {
	policyID any // the policy's id, or nil for a candidate policy
	asOf     string
	at       time.Time
}

func (p pageShared) verdicts() database.Shared {
	return database.Shared{Columns: []string{"policy_id", "as_of", "evaluated_at"}, Values: []any{p.policyID, p.asOf, p.at}}
}

func (p pageShared) changes() database.Shared {
	return database.Shared{Columns: []string{"policy_id", "changed_at"}, Values: []any{p.policyID, p.at}}
}
