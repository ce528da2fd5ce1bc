package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// notice names a message a page shows after a redirect. The URL carries
// only the name (?notice=…), never the text: a link cannot put words of its
// own into Cascade's banner.
type notice string

// The notices, each once.
const (
	noticeSignedOut          notice = "signed-out"
	noticeOrderCreated       notice = "order-created"
	noticeLineAdded          notice = "line-added"
	noticeOrderSubmitted     notice = "order-submitted"
	noticeOrderApproved      notice = "order-approved"
	noticeOrderRejected      notice = "order-rejected"
	noticeOrderCancelled     notice = "order-cancelled"
	noticeOrderBlocked       notice = "order-blocked"
	noticeWaiverRequested    notice = "waiver-requested"
	noticeWaiverApproved     notice = "waiver-approved"
	noticeWaiverRefused      notice = "waiver-refused"
	noticeUserCreated        notice = "user-created"
	noticeSupplierRegistered notice = "supplier-registered"
	noticeSnapshotStored     notice = "snapshot-stored"
	noticeSourceAdded        notice = "source-added"
	noticeSourceRefreshed    notice = "source-refreshed"
	noticeRefreshFailed      notice = "refresh-failed"
	noticePolicyStored       notice = "policy-stored"
	noticePolicyActivated    notice = "policy-activated"
	noticeDisputeAccepted    notice = "dispute-accepted"
	noticeDisputeRejected    notice = "dispute-rejected"
	noticeNotRecomputed      notice = "verdicts-not-recomputed"
	noticeMappingSaved       notice = "mapping-saved"
)

// noticeText is a notice's message and whether it reports a failure
// (an alert) or a success (a status).
type noticeText struct {
	text  string
	error bool
}

// notices is the one table of what each notice says.
var notices = map[notice]noticeText{
	noticeSignedOut:          {text: "You are signed out."},
	noticeMappingSaved:       {text: "Column mapping saved: your next uploads use it."},
	noticeOrderCreated:       {text: "Order created: add its lines."},
	noticeLineAdded:          {text: "Line added."},
	noticeOrderSubmitted:     {text: "Order submitted for approval."},
	noticeOrderApproved:      {text: "Order approved."},
	noticeOrderRejected:      {text: "Order rejected."},
	noticeOrderCancelled:     {text: "Order cancelled."},
	noticeOrderBlocked:       {text: "The order was not moved: the lines marked blocked fail the procurement gate at their delivery date.", error: true},
	noticeWaiverRequested:    {text: "Waiver requested: another approver of your organisation must decide it."},
	noticeWaiverApproved:     {text: "Waiver approved."},
	noticeWaiverRefused:      {text: "Waiver refused."},
	noticeUserCreated:        {text: "User created."},
	noticeSupplierRegistered: {text: "Supplier registered."},
	noticeSnapshotStored:     {text: "Snapshot stored; verdicts recomputed."},
	noticeSourceAdded:        {text: "Source added."},
	noticeSourceRefreshed:    {text: "Source refreshed; verdicts recomputed."},
	noticeRefreshFailed:      {text: "Refresh failed: the last good snapshot stays. The source's status says why.", error: true},
	noticePolicyStored:       {text: "Policy stored. Preview its impact before activating it."},
	noticePolicyActivated:    {text: "Policy activated; verdicts recomputed."},
	noticeDisputeAccepted:    {text: "Dispute accepted: the offer is judged on its own data; its verdicts were recomputed."},
	noticeDisputeRejected:    {text: "Dispute rejected: the offer stays blocked until its supplier uploads data that agrees."},
	noticeNotRecomputed:      {text: "Stored, but the verdicts were not recomputed (VERDICTS_NOT_RECOMPUTED): the nightly re-evaluation recomputes them.", error: true},
}

// back redirects to path (which has no query) with a notice for its page.
func back(c *gin.Context, path string, n notice) error {
	c.Redirect(http.StatusSeeOther, path+"?notice="+url.QueryEscape(string(n)))
	return nil
}

// setNotice puts the request's notice, if it names one, into a page's data:
// a success as Flash (role=status), a failure as Error (role=alert). A page
// that sets either itself keeps its own.
func setNotice(c *gin.Context, d *pageData) {
	if d.Flash != "" || d.Error != "" {
		return
	}
	n, ok := notices[notice(strings.TrimSpace(c.Query("notice")))]
	switch {
	case !ok:
	case n.error:
		d.Error = n.text
	default:
		d.Flash = n.text
	}
}
