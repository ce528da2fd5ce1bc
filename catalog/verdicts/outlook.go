package verdicts

import (
	"strings"

	"github.com/cascade-gate/cascade/catalog/policy"
)

// outlookRow is what a verdict's inputs say about its future
// (policy.Outlook), as three columns of its row: kept apart from the rest
// of verdictRow so the write path can change without it.
type outlookRow struct {
	NextCheckOn any // YYYY-MM-DD, or nil: no date can change the verdict
	BlocksOn    any // YYYY-MM-DD, or nil: no date blocks it
	BlockCodes  string
}

var outlookColumns = []string{"next_check_on", "blocks_on", "block_codes"}

func (o outlookRow) values() []any { return []any{o.NextCheckOn, o.BlocksOn, o.BlockCodes} }

func outlookRowOf(o policy.Outlook) outlookRow {
	r := outlookRow{BlockCodes: strings.Join(o.BlockCodes, " ")}
	if !o.NextCheck.IsZero() {
		r.NextCheckOn = o.NextCheck.String()
	}
	if !o.BlocksOn.IsZero() {
		r.BlocksOn = o.BlocksOn.String()
	}
	return r
}

// withOutlook is the content hash of a verdict together with its outlook:
// a verdict whose next date moved is rewritten (else it would be due again
// every night), though the change feed, which follows the verdict and its
// codes, does not hear of it.
func withOutlook(fingerprint string, o policy.Outlook) string {
	return hashHex(outlookParts(make([]byte, 0, len(fingerprint)+64), fingerprint, o))
}

// outlookParts appends what withOutlook hashes to b.
func outlookParts(b []byte, fingerprint string, o policy.Outlook) []byte {
	b = append(append(b, fingerprint...), 0x1e)
	b, _ = o.NextCheck.AppendText(b) // nothing for a zero date, as String
	b = append(b, 0x1f)
	b, _ = o.BlocksOn.AppendText(b)
	b = append(b, 0x1f)
	for i, c := range o.BlockCodes {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, c...)
	}
	return b
}
