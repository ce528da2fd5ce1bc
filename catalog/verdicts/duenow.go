package verdicts

import (
	"fmt"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/civil"

	"github.com/cascade-gate/cascade/catalog/policy"
)

// A stored allowed verdict knows the date its own inputs turn it blocked
// (blocks_on, with the codes that block it then). That date can come
// before the run that re-evaluates it: the nightly one runs minutes into
// the day (at whatever time the deployment set), and not at all while it
// fails. So whatever serves a stored
// verdict as allowed (the gate, the listing feed, a facts card) reads it
// as blocked from that date on, with those codes, until the re-evaluation
// writes the verdict in full: an allowed answer is never older than the
// block it announced.

// allowedToday is the condition, on a verdict v, that it is allowed and
// has not reached its block date by the date it is given.
const allowedToday = "v.verdict = ? AND (v.blocks_on IS NULL OR v.blocks_on > ?)"

// blockedByNow reports whether a stored verdict is an allowed one whose
// block date has come by today, and the reasons that block it.
func blockedByNow(verdict string, blocksOn, blockCodes *string, today civil.Date) (bool, []policy.Reason) {
	if verdict != policy.Allowed || blocksOn == nil || *blocksOn > today.String() {
		return false, nil
	}
	var codes []string
	if blockCodes != nil {
		codes = strings.Fields(*blockCodes)
	}
	if len(codes) == 0 {
		codes = []string{codeBlockDateReached} // a block date without its codes: blocked all the same
	}
	reasons := make([]policy.Reason, len(codes))
	for i, c := range codes {
		reasons[i] = policy.Reason{Code: c, Severity: policy.Block,
			Message: fmt.Sprintf("Blocked from %s (%s), as this product's verdict announced; its re-evaluation is due.", *blocksOn, c),
			Fix:     "Its re-evaluation, due today, states the full reasons and what fixes them."}
	}
	return true, reasons
}

// codeBlockDateReached stands for the reasons of a block date stored without them.
const codeBlockDateReached = "BLOCK_DATE_REACHED"
