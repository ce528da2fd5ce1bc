package procurement

import (
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Approval is what one line was approved on, captured in the transaction
// that approves the order and never read live again: the product's
// identity and security fields as they were, the gate's decision with its
// reasons and label evidence (registry entries, snapshot ids and hashes),
// the policy, and the waiver that let a blocked line through. The evidence
// pack of an approved order is built from it alone, and the database
// refuses to change a line that holds one.
type Approval struct {
	Product   catalog.Product `json:"product"`
	Supplier  string          `json:"supplier"`
	Verdict   string          `json:"gate_verdict"`
	Codes     []string        `json:"blocking_codes,omitempty"`
	Reasons   []policy.Reason `json:"reasons"`
	Evidence  policy.Evidence `json:"evidence"`
	Policy    *PolicyVersion  `json:"policy,omitempty"`
	Waiver    *Waiver         `json:"waiver,omitempty"`
	CheckedAt time.Time       `json:"checked_at"`
}

// approvals builds each line's Approval from the gate's checks at now.
func approvals(tx *gorm.DB, o Order, checks []LineCheck, now time.Time) ([]Approval, error) {
	supplierIDs := map[int64]bool{}
	policyIDs := map[int64]bool{}
	for i, c := range checks {
		supplierIDs[o.Lines[i].Product.SupplierID] = true
		if c.policyID != 0 {
			policyIDs[c.policyID] = true
		}
	}
	var suppliers []struct {
		ID   int64
		Name string
	}
	if err := tx.Table("suppliers").Select("id, name").Where("id IN ?", keys(supplierIDs)).Find(&suppliers).Error; err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, s := range suppliers {
		names[s.ID] = s.Name
	}
	policies := map[int64]*PolicyVersion{}
	if len(policyIDs) > 0 {
		var list []PolicyVersion
		if err := tx.Table("policies").Select("id, version, sha256").Where("id IN ?", keys(policyIDs)).Find(&list).Error; err != nil {
			return nil, err
		}
		for i := range list {
			policies[list[i].ID] = &list[i]
		}
	}
	out := make([]Approval, len(checks))
	for i, c := range checks {
		p := *o.Lines[i].Product
		out[i] = Approval{Product: p, Supplier: names[p.SupplierID], Verdict: c.Verdict, Codes: c.Codes, Reasons: c.Reasons,
			Evidence: c.evidence, Policy: policies[c.policyID], Waiver: c.waiver, CheckedAt: now}
	}
	return out, nil
}

func keys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
