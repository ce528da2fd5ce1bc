package web_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// TestTokenLifetimeInDaysIsBoundedAndNeverOverflows asks the API and the
// admin form for tokens of every kind of lifetime: 1 to 730 days is granted
// as asked (the default is 730), anything else is a 400 naming ttl_days and
// stores nothing. 213504 days is 2^64 nanoseconds and 25 minutes: multiplied
// into a time.Duration it wrapped round to a 25-minute token that was granted.
func TestTokenLifetimeInDaysIsBoundedAndNeverOverflows(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	day := 24 * time.Hour
	cases := []struct {
		name string
		body string
		want time.Duration // 0: refused
	}{
		{"one day", `{"name":"x","ttl_days":1}`, day},
		{"the maximum", `{"name":"x","ttl_days":730}`, 730 * day},
		{"no lifetime given: the maximum", `{"name":"x"}`, 730 * day},
		{"one day over the maximum", `{"name":"x","ttl_days":731}`, 0},
		{"days whose nanoseconds wrap to 25 minutes", `{"name":"x","ttl_days":213504}`, 0},
		{"2^40 days", `{"name":"x","ttl_days":1099511627776}`, 0},
		{"zero", `{"name":"x","ttl_days":0}`, 0},
		{"negative", `{"name":"x","ttl_days":-1}`, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := count(t, w.db, "api_tokens")
			rec := w.request("admin", "POST", "/api/v1/tokens", tc.body)
			if tc.want == 0 {
				var body struct {
					Error struct {
						Code    string                   `json:"code"`
						Details []struct{ Field string } `json:"details"`
					} `json:"error"`
				}
				json.Unmarshal(rec.Body.Bytes(), &body)
				if rec.Code != 400 || body.Error.Code != "INVALID_TOKEN_TTL" || len(body.Error.Details) != 1 || body.Error.Details[0].Field != "ttl_days" {
					t.Fatalf("%s: %d %s; want 400 INVALID_TOKEN_TTL naming ttl_days", tc.body, rec.Code, rec.Body.String())
				}
				if after := count(t, w.db, "api_tokens"); after != before {
					t.Fatalf("a refused request stored %d tokens", after-before)
				}
				return
			}
			var body struct {
				Record struct {
					ExpiresAt time.Time `json:"expires_at"`
				} `json:"record"`
			}
			if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
				t.Fatalf("%s: %d %s", tc.body, rec.Code, rec.Body.String())
			}
			if got := time.Until(body.Record.ExpiresAt); got < tc.want-time.Minute || got > tc.want {
				t.Fatalf("%s: the token expires in %v, want %v", tc.body, got, tc.want)
			}
		})
	}
	t.Run("admin form", func(t *testing.T) {
		b := w.browse("admin")
		for _, days := range []string{"213504", "1099511627776", "731", "0", "-1", "ninety"} {
			before := count(t, w.db, "api_tokens")
			rec := b.post("/admin/tokens", url.Values{"csrf": {b.csrf}, "name": {"form"}, "ttl_days": {days}})
			if rec.Code != 400 {
				t.Errorf("ttl_days=%s: %d, want 400", days, rec.Code)
			}
			if after := count(t, w.db, "api_tokens"); after != before {
				t.Errorf("ttl_days=%s stored %d tokens", days, after-before)
			}
		}
		if rec := b.post("/admin/tokens", url.Values{"csrf": {b.csrf}, "name": {"form"}, "ttl_days": {"90"}}); rec.Code != 201 {
			t.Errorf("ttl_days=90: %d, want 201", rec.Code)
		}
	})
}
