// Package offers decides what to do when several suppliers offer one GTIN
// (SPEC §4): each supplier's row is that supplier's offer, judged on its
// own data, and an offer that contradicts another supplier's undisputed
// offer is disputed (blocked with GTIN_DISPUTED) until a category manager
// accepts or rejects it, or an upload makes it agree. An upload changes only
// the uploading supplier's offers, never another's.
package offers

import (
	"slices"
	"strings"

	"github.com/cascade-gate/cascade/catalog"
)

// The fields two offers of one GTIN must agree on: what the product is
// (brand and model, normalised as registry matching does, and its
// category, which decides the rules that apply) and every field the policy
// judges its security by. Names, prices and markets may differ from one
// supplier to the next.
const (
	FieldBrandModel = "brand/model"
	FieldCategory   = "category"
	FieldPassword   = "password_model"
	FieldContact    = "vuln_report_contact"
	FieldSupportEnd = "support_end"
	FieldStatement  = "statement_of_compliance"
	FieldCEMarking  = "ce_marking"
	FieldLabels     = "labels"
)

// agreementFields are the fields, in the order Differences reports them,
// each with what an offer says about it. The contact and the statement
// count as present or not: two suppliers may well link to different copies.
var agreementFields = []struct {
	name  string
	value func(p *catalog.Product) string
}{
	{FieldBrandModel, func(p *catalog.Product) string { return catalog.MatchKey(p.Brand, p.Model) }},
	{FieldCategory, func(p *catalog.Product) string { return p.Category }},
	{FieldPassword, func(p *catalog.Product) string { return p.PasswordModel }},
	{FieldContact, func(p *catalog.Product) string { return present(p.VulnReportContact) }},
	{FieldSupportEnd, func(p *catalog.Product) string { return p.SupportEnd.String() }},
	{FieldStatement, func(p *catalog.Product) string { return present(p.StatementOfCompliance) }},
	{FieldCEMarking, func(p *catalog.Product) string { return p.CEMarking }},
	{FieldLabels, labelSet},
}

func present(s string) string {
	if strings.TrimSpace(s) == "" {
		return "absent"
	}
	return "present"
}

// labelSet is the claimed labels as a sorted set of SCHEME:key.
func labelSet(p *catalog.Product) string {
	keys := make([]string, 0, len(p.Labels))
	for _, l := range p.Labels {
		keys = append(keys, l.Scheme+":"+catalog.LabelKey(l.LabelID))
	}
	slices.Sort(keys)
	return strings.Join(slices.Compact(keys), ";")
}

// Differences lists the agreement fields in which a and b differ; none
// means the offers agree.
func Differences(a, b *catalog.Product) []string {
	var out []string
	for _, f := range agreementFields {
		if f.value(a) != f.value(b) {
			out = append(out, f.name)
		}
	}
	return out
}

// Key is what an offer says on the agreement fields, as one string: two
// offers agree exactly when their keys are equal. A dispute keeps the key
// of the offer it was accepted for, so a changed offer is judged again.
func Key(p *catalog.Product) string {
	parts := make([]string, len(agreementFields))
	for i, f := range agreementFields {
		parts[i] = f.value(p)
	}
	return strings.Join(parts, "\x1f")
}
