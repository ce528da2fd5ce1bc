package web

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// The notices that report a failure are the ones named here: marking one
// a success (or a new failure a success) would show an error in the green
// status banner, as "The order was not moved" once was.
func TestFailureNoticesShowAsAlertsAndSuccessesAsStatus(t *testing.T) {
	failures := []notice{noticeOrderBlocked, noticeRefreshFailed, noticeNotRecomputed}
	for n, text := range notices {
		t.Run(string(n), func(t *testing.T) {
			if text.error != slices.Contains(failures, n) {
				t.Fatalf("%s: error %v, want %v", n, text.error, !text.error)
			}
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest("GET", "/x?notice="+string(n), nil)
			var d pageData
			setNotice(c, &d)
			switch {
			case text.error && (d.Error != text.text || d.Flash != ""):
				t.Errorf("a failure shown as %q / %q", d.Flash, d.Error)
			case !text.error && (d.Flash != text.text || d.Error != ""):
				t.Errorf("a success shown as %q / %q", d.Flash, d.Error)
			}
		})
	}
}

// A change stored without its recomputation says so, as a failure.
func TestAChangeWhoseVerdictsWereNotRecomputedRedirectsWithTheFailureNotice(t *testing.T) {
	for _, c := range []struct {
		name string
		rc   verdicts.Recomputation
		want string
	}{
		{"recomputed", verdicts.Recomputation{}, "/admin/policies?notice=policy-activated"},
		{"not recomputed", verdicts.Recomputation{Pending: errs.E(errs.Unavailable, "DB_UNAVAILABLE", "database gone")}, "/admin/policies?notice=verdicts-not-recomputed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ctx, _ := gin.CreateTestContext(rec)
			ctx.Request = httptest.NewRequest("POST", "/admin/policies/x/activate", nil)
			if err := backAfterChange(ctx, "/admin/policies", noticePolicyActivated, c.rc); err != nil {
				t.Fatal(err)
			}
			if got := rec.Header().Get("Location"); got != c.want {
				t.Errorf("Location %q, want %q", got, c.want)
			}
		})
	}
}
