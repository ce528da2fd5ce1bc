package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/catalog/offers"
)

// disputeView is one dispute as the page lays it out: the disputed offer
// and the other suppliers' offers side by side, a row per field, the
// fields that differ marked.
type disputeView struct {
	D       offers.Dispute
	Columns []string // the disputed offer first, then the others
	Rows    []disputeRow
}

type disputeRow struct {
	Field string
	Cells []disputeCell
}

type disputeCell struct {
	Value   string
	Differs bool
}

// disputeFields are the rows of the side-by-side table: each with the
// agreement field it belongs to ("" for fields offers may differ in).
var disputeFields = []struct {
	label, field string
	value        func(offers.Side) string
}{
	{"SKU", "", func(s offers.Side) string { return s.SKU }},
	{"Name", "", func(s offers.Side) string { return s.Name }},
	{"Brand", offers.FieldBrandModel, func(s offers.Side) string { return s.Brand }},
	{"Model", offers.FieldBrandModel, func(s offers.Side) string { return s.Model }},
	{"Category", offers.FieldCategory, func(s offers.Side) string { return s.Category }},
	{"Password model", offers.FieldPassword, func(s offers.Side) string { return s.PasswordModel }},
	{"Vulnerability contact", offers.FieldContact, func(s offers.Side) string { return s.VulnReportContact }},
	{"Support end", offers.FieldSupportEnd, func(s offers.Side) string { return s.SupportEnd }},
	{"Statement of compliance", offers.FieldStatement, func(s offers.Side) string { return s.StatementOfCompliance }},
	{"CE marking", offers.FieldCEMarking, func(s offers.Side) string { return s.CEMarking }},
	{"Labels", offers.FieldLabels, func(s offers.Side) string { return strings.Join(s.Labels, "; ") }},
}

func viewDispute(d offers.Dispute) disputeView {
	v := disputeView{D: d, Columns: []string{d.Offer.Supplier + " (disputed)"}}
	for _, o := range d.Others {
		v.Columns = append(v.Columns, o.Supplier)
	}
	for _, f := range disputeFields {
		row := disputeRow{Field: f.label, Cells: []disputeCell{{Value: f.value(d.Offer)}}}
		for _, o := range d.Others {
			differs := f.field != "" && slices.Contains(o.Differences, f.field)
			row.Cells = append(row.Cells, disputeCell{Value: f.value(o), Differs: differs})
			if differs {
				row.Cells[0].Differs = true
			}
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// disputesPage is the category managers' dispute queue.
func (s *Server) disputesPage(c *gin.Context) error {
	status := c.DefaultQuery("status", offers.StatusOpen)
	if status == "all" {
		status = ""
	}
	list, err := s.disputes.List(c.Request.Context(), offers.Filter{Status: status, GTIN: c.Query("gtin"), Limit: 100})
	if err != nil {
		return err
	}
	views := make([]disputeView, len(list))
	for i, d := range list {
		views[i] = viewDispute(d)
	}
	return s.page(c, http.StatusOK, "Disputes", &disputesView{Disputes: views, Status: c.DefaultQuery("status", offers.StatusOpen)})
}

// disputesView is the dispute queue for one status ("all" for every one).
type disputesView struct {
	pageData
	Disputes []disputeView
	Status   string
}

func (*disputesView) template() string { return "disputes.html" }

// decideDisputePage accepts or rejects a dispute from the queue.
func (s *Server) decideDisputePage(accept bool) handler {
	return func(c *gin.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if accept {
			if _, err := s.disputes.Accept(c.Request.Context(), id, c.PostForm("note")); err != nil {
				return err
			}
			return back(c, "/disputes", noticeDisputeAccepted)
		}
		if _, err := s.disputes.Reject(c.Request.Context(), id, c.PostForm("note")); err != nil {
			return err
		}
		return back(c, "/disputes", noticeDisputeRejected)
	}
}
