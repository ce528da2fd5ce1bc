package procurement

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Evidence is everything an auditor needs to retrace an approved order:
// each line's product and gate decision at its delivery date, the label
// entries and registry snapshots behind it, the waivers used, the policy,
// and the audit trail. It is built from what was recorded at approval, so
// it still says the same after registries and policies change.
type Evidence struct {
	Order   Order           `json:"order"`
	Lines   []LineEvidence  `json:"lines"`
	Waivers []Waiver        `json:"waivers"`
	Audit   []audit.Entry   `json:"audit"`
	Policy  []PolicyVersion `json:"policies"`
	// The order's value: a total per currency (never added across
	// currencies) and how many lines have no price.
	Totals   []Total `json:"totals"`
	Unpriced int     `json:"unpriced_lines"`
}

// LineEvidence is one line as the gate decided it.
type LineEvidence struct {
	Line     Line            `json:"line"`
	Reasons  []policy.Reason `json:"reasons"`
	Evidence policy.Evidence `json:"evidence"`
}

// PolicyVersion names a policy a decision used.
type PolicyVersion struct {
	ID      int64  `json:"id"`
	Version string `json:"version"`
	SHA256  string `json:"sha256" gorm:"column:sha256"`
}

// EvidencePack gathers the evidence of an approved order.
func (s *Service) EvidencePack(ctx context.Context, orderID int64) (Evidence, error) {
	o, err := s.Order(ctx, orderID)
	if err != nil {
		return Evidence{}, err
	}
	if o.Status != Approved {
		return Evidence{}, errs.E(errs.Conflict, "ORDER_NOT_APPROVED", "the evidence pack is for approved orders; this one is %s", o.Status)
	}
	ev := Evidence{Order: o}
	db := s.db.WithContext(ctx)
	var waiverIDs, policyIDs []int64
	waivers, policies := map[int64]Waiver{}, map[int64]PolicyVersion{}
	for _, l := range o.Lines {
		le := LineEvidence{Line: l}
		if a := l.Approval; a != nil {
			// What the line was approved on, as captured then: nothing is read live.
			le.Reasons, le.Evidence = a.Reasons, a.Evidence
			if a.Waiver != nil {
				waivers[a.Waiver.ID] = *a.Waiver
			}
			if a.Policy != nil {
				policies[a.Policy.ID] = *a.Policy
			}
		} else {
			// Approved before approvals were captured (schema version 10 or older).
			_ = json.Unmarshal(l.GateReasons, &le.Reasons)
			_ = json.Unmarshal(l.GateEvidence, &le.Evidence)
			if l.WaiverID != nil {
				waiverIDs = append(waiverIDs, *l.WaiverID)
			}
			if l.PolicyID != nil {
				policyIDs = append(policyIDs, *l.PolicyID)
			}
		}
		ev.Lines = append(ev.Lines, le)
	}
	if len(waiverIDs) > 0 {
		var list []Waiver
		if err := db.Where("id IN ?", waiverIDs).Find(&list).Error; err != nil {
			return ev, err
		}
		for _, w := range list {
			waivers[w.ID] = w
		}
	}
	if len(policyIDs) > 0 {
		var list []PolicyVersion
		if err := db.Table("policies").Select("id, version, sha256").Where("id IN ?", policyIDs).Find(&list).Error; err != nil {
			return ev, err
		}
		for _, p := range list {
			policies[p.ID] = p
		}
	}
	waiverIDs = slices.Sorted(maps.Keys(waivers))
	for _, id := range waiverIDs {
		ev.Waivers = append(ev.Waivers, waivers[id])
	}
	// People are named now (the ids beside the names are the evidence);
	// products as approved, never as they are now.
	if ev.Waivers, err = s.named(ctx, ev.Waivers); err != nil {
		return ev, err
	}
	approved := map[int64]*catalog.Product{}
	for _, l := range o.Lines {
		approved[l.ProductID] = l.Product
	}
	for i := range ev.Waivers {
		w := &ev.Waivers[i]
		w.Product, w.GTIN = "", ""
		if p := approved[w.ProductID]; p != nil {
			w.Product, w.GTIN = productName(p.Brand, p.Model, p.Name), p.GTIN
		}
	}
	ev.Totals, ev.Unpriced = OrderTotals(o.Lines)
	for _, id := range slices.Sorted(maps.Keys(policies)) {
		ev.Policy = append(ev.Policy, policies[id])
	}
	// The audit trail of the order and its waivers, read as the system: auditors need it whole.
	q := db.Where("(entity = 'purchase_order' AND entity_id = ?)", strconv.FormatInt(o.ID, 10))
	for _, id := range waiverIDs {
		q = q.Or("(entity = 'waiver' AND entity_id = ?)", strconv.FormatInt(id, 10))
	}
	err = q.Order("seq").Find(&ev.Audit).Error
	return ev, err
}

// WriteEvidenceXLSX writes the evidence pack as a workbook: Order, Lines,
// Labels, Waivers and Audit sheets. Every cell is text or a number, never a formula.
func WriteEvidenceXLSX(ev Evidence, w io.Writer) error {
	sheets := map[string][][]any{}
	o := ev.Order
	var policies []string
	for _, p := range ev.Policy {
		policies = append(policies, fmt.Sprintf("%s (sha256 %s)", p.Version, p.SHA256))
	}
	sheets["Order"] = [][]any{
		{"reference", o.Reference}, {"organisation", o.Organisation}, {"market", o.Market}, {"status", o.Status},
		{"submitted at", timeText(o.SubmittedAt)}, {"approved at", timeText(o.DecidedAt)}, {"decision note", o.DecisionNote},
		{"policy", strings.Join(policies, "; ")},
	}
	for _, t := range ev.Totals {
		sheets["Order"] = append(sheets["Order"], []any{"total " + t.Currency, t.Amount})
	}
	if ev.Unpriced > 0 {
		sheets["Order"] = append(sheets["Order"], []any{"lines without a price", ev.Unpriced})
	}
	lines := [][]any{{"line", "sku", "gtin", "brand", "model", "quantity", "unit price", "currency", "line total", "delivery date", "gate", "reasons", "waiver", "checked at", "supplier"}}
	labels := [][]any{{"line", "scheme", "label id", "claimed", "status", "tier", "registry stale", "snapshot", "snapshot sha256", "snapshot fetched", "entry brand", "entry model", "entry level", "entry expires"}}
	for _, le := range ev.Lines {
		l := le.Line
		var sku, gtin, brand, model, supplier string
		if l.Product != nil {
			sku, gtin, brand, model = l.Product.SKU, l.Product.GTIN, l.Product.Brand, l.Product.Model
		}
		if l.Approval != nil {
			supplier = l.Approval.Supplier
		}
		var codes []string
		for _, r := range le.Reasons {
			codes = append(codes, r.Code+" ("+r.Severity+")")
		}
		waiver := ""
		if l.WaiverID != nil {
			waiver = strconv.FormatInt(*l.WaiverID, 10)
		}
		lines = append(lines, []any{l.LineNo, sku, gtin, brand, model, l.Quantity, l.UnitPrice, l.Currency, LineTotal(l), l.DeliveryDate.String(), l.GateVerdict, strings.Join(codes, ", "), waiver, timeText(l.CheckedAt), supplier})
		for _, lab := range le.Evidence.Labels {
			var eb, em, el, ee string
			if lab.Entry != nil {
				eb, em, el, ee = lab.Entry.Brand, lab.Entry.Model, lab.Entry.Level, lab.Entry.Expires.String()
			}
			labels = append(labels, []any{l.LineNo, lab.Scheme, lab.LabelID, lab.Claimed, lab.Status, lab.Tier, lab.Stale, lab.SnapshotID, lab.SnapshotSHA256, timeText(lab.FetchedAt), eb, em, el, ee})
		}
	}
	sheets["Lines"], sheets["Labels"] = lines, labels
	waivers := [][]any{{"waiver", "product id", "product", "gtin", "market", "codes", "justification", "requested by", "requested by (user id)", "requested at",
		"decided by", "decided by (user id)", "decided at", "note", "expires"}}
	for _, wv := range ev.Waivers {
		var by any
		if wv.DecidedBy != nil {
			by = *wv.DecidedBy
		}
		waivers = append(waivers, []any{wv.ID, wv.ProductID, wv.Product, wv.GTIN, wv.Market, wv.Codes, wv.Justification, wv.RequesterName, wv.RequestedBy,
			wv.RequestedAt.Format("2006-01-02 15:04"), wv.DeciderName, by, timeText(wv.DecidedAt), wv.DecisionNote, wv.ExpiresOn.String()})
	}
	sheets["Waivers"] = waivers
	trail := [][]any{{"seq", "at", "actor", "action", "entity", "id", "data", "hash"}}
	for _, e := range ev.Audit {
		trail = append(trail, []any{e.Seq, e.At.Format("2006-01-02 15:04:05"), e.Actor, e.Action, e.Entity, e.EntityID, e.Data, e.Hash})
	}
	sheets["Audit"] = trail
	wb := tabular.NewWorkbook()
	defer wb.Close()
	for _, name := range []string{"Order", "Lines", "Labels", "Waivers", "Audit"} {
		sheet, err := wb.AddSheet(name)
		if err != nil {
			return err
		}
		if err := sheet.SetRows(sheets[name]); err != nil {
			return err
		}
	}
	_, err := wb.WriteTo(w)
	return err
}
