package imports

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/cascade-gate/cascade/catalog"
)

// blockedReason is one blocking reason of one verdict.
type blockedReason struct {
	market, channel, code, field, message, fix string
}

// blockedProduct is a stored product that some verdict blocks.
type blockedProduct struct {
	product catalog.Product
	extra   map[string]string
	reasons []blockedReason
}

// cell gives the product's value for a header of the supplier's layout.
func (b blockedProduct) cell(mapped Mapping, header string) string {
	ci, ok := columnOfHeader(mapped, header)
	if !ok {
		return b.extra[header]
	}
	p := b.product
	switch Columns[ci].Name {
	case "sku":
		return p.SKU
	case "gtin":
		return p.GTIN
	case "brand":
		return p.Brand
	case "model":
		return p.Model
	case "name":
		return p.Name
	case "category":
		return p.Category
	case "markets":
		return strings.Join(p.Markets, " ")
	case "password_model":
		return p.PasswordModel
	case "vuln_report_contact":
		return p.VulnReportContact
	case "support_end":
		return p.SupportEnd.String()
	case "statement_of_compliance":
		return p.StatementOfCompliance
	case "ce_marking":
		return p.CEMarking
	case "labels":
		var ls []string
		for _, l := range p.Labels {
			ls = append(ls, l.Scheme+":"+l.LabelID)
		}
		return strings.Join(ls, "; ")
	case "hardware_version":
		return p.HardwareVersion
	case "firmware_version":
		return p.FirmwareVersion
	case "price":
		return p.Price
	case "currency":
		return p.Currency
	}
	return ""
}

// blockedProducts lists the supplier's products with at least one blocked
// verdict, with every blocking reason, in SKU order: those batchID created
// or updated, or all of them when batchID is 0.
func (s *Store) blockedProducts(ctx context.Context, supplierID, batchID int64) ([]blockedProduct, error) {
	var rows []struct {
		ProductID int64
		Market    string
		Channel   string
		Reasons   string
	}
	q := s.db.WithContext(ctx).Table("verdicts v").Select("v.product_id, v.market, v.channel, o.reasons").
		Joins("JOIN products p ON p.id = v.product_id").Joins("JOIN verdict_outcomes o ON o.id = v.outcome_id").
		Where("p.supplier_id = ? AND v.verdict = 'blocked'", supplierID)
	if batchID > 0 {
		q = q.Where("p.batch_id = ?", batchID)
	}
	err := q.Order("v.product_id, v.market, v.channel").Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	byProduct := map[int64]*blockedProduct{}
	var ids []int64
	for _, r := range rows {
		bp := byProduct[r.ProductID]
		if bp == nil {
			bp = &blockedProduct{}
			byProduct[r.ProductID] = bp
			ids = append(ids, r.ProductID)
		}
		var reasons []struct {
			Code, Severity, Field, Message, Fix string
		}
		if err := json.Unmarshal([]byte(r.Reasons), &reasons); err != nil {
			return nil, err
		}
		for _, x := range reasons {
			if x.Severity == "block" {
				bp.reasons = append(bp.reasons, blockedReason{r.Market, r.Channel, x.Code, x.Field, x.Message, x.Fix})
			}
		}
	}
	for start := 0; start < len(ids); start += 1000 {
		var products []catalog.Product
		if err := s.db.WithContext(ctx).Preload("Labels").Where("id IN ?", ids[start:min(start+1000, len(ids))]).Find(&products).Error; err != nil {
			return nil, err
		}
		for _, p := range products {
			bp := byProduct[p.ID]
			bp.product = p
			_ = json.Unmarshal([]byte(p.Extra), &bp.extra)
		}
	}
	out := make([]blockedProduct, 0, len(ids))
	for _, id := range ids {
		out = append(out, *byProduct[id])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].product.SKU < out[j].product.SKU })
	return out, nil
}
