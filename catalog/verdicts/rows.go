package verdicts

import "time"

// verdictRow is one row of the verdicts table as a recompute writes it;
// values gives its columns in the order of verdictColumns.
type verdictRow struct {
	ProductID         int64
	Market, Channel   string
	Verdict, Codes    string
	Reasons, Evidence string
	PolicyID          any // the policy's id, or nil for a candidate policy
	AsOf, ContentHash string
	EvaluatedAt       time.Time
	Outlook           outlookRow // outlook.go
}

var verdictColumns = append([]string{"product_id", "market", "channel", "verdict", "codes", "reasons", "evidence", "policy_id", "as_of", "content_hash", "evaluated_at"}, outlookColumns...)

func (r verdictRow) values() []any {
	return append([]any{r.ProductID, r.Market, r.Channel, r.Verdict, r.Codes, r.Reasons, r.Evidence, r.PolicyID, r.AsOf, r.ContentHash, r.EvaluatedAt}, r.Outlook.values()...)
}

// changeRow is one entry of the change feed. The feed carries codes, not
// the full reasons: those are on the verdict.
type changeRow struct {
	ProductID         int64
	Market, Channel   string
	Previous, Verdict string
	Codes             string
	PolicyID          any
	ChangedAt         time.Time
}

var changeColumns = []string{"product_id", "market", "channel", "previous", "verdict", "codes", "policy_id", "changed_at"}

func (r changeRow) values() []any {
	return []any{r.ProductID, r.Market, r.Channel, r.Previous, r.Verdict, r.Codes, r.PolicyID, r.ChangedAt}
}

// valuesOf turns typed rows into what database.InsertRows takes.
func valuesOf[R interface{ values() []any }](rows []R) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r.values()
	}
	return out
}
