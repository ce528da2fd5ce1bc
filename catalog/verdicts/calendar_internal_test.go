package verdicts

import (
	"testing"

	"github.com/cascade-gate/cascade/catalog/policy"
)

// A calendar row counts every rule's verdicts with its code, so it carries
// a rule's message only when every rule with that code says the same: the
// default policy's LABEL_REQUIRED (Singapore's routers, public
// procurement) was shown with the routers' message over procurement blocks.
func TestACalendarRowCarriesAMessageOnlyWhenEveryRuleWithItsCodeSaysTheSame(t *testing.T) {
	doc, err := policy.Parse(policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	var label []string
	for _, r := range doc.Rules {
		if r.Code == "LABEL_REQUIRED" {
			label = append(label, r.Message)
		}
	}
	if len(label) < 2 || label[0] == label[1] {
		t.Fatalf("the default policy no longer gives LABEL_REQUIRED two messages (%q): the test tests nothing", label)
	}
	m := calendarMessages(doc)
	if got := m["LABEL_REQUIRED"]; got != "" {
		t.Errorf("LABEL_REQUIRED's row says %q, one of its rules' messages", got)
	}
	if m["SUPPORT_ENDED"] == "" {
		t.Error("SUPPORT_ENDED, one rule's code, lost its message")
	}
}
