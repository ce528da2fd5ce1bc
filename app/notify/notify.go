// Package notify tells other systems what changed in Cascade without their
// polling: webhooks. A subscription names a URL and the events it wants;
// each event becomes one delivery per matching subscription, queued in the
// database, signed with the subscription's secret and retried with backoff
// for a day until the receiver answers 2xx.
//
// Events come from streams the project already keeps, ordered and durable:
// the verdict change feed (verdict_changes, by id) and the audit log (by
// seq). The enqueue step reads each from a stored cursor and writes the
// deliveries of what it read in the transaction that moves the cursor, so
// no event is lost and none is enqueued twice, however many replicas run.
package notify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Event names, as subscribers write them.
const (
	VerdictChanged       = "verdict.changed"
	ImportFinished       = "import.finished"
	DisputeOpened        = "dispute.opened"
	DisputeResolved      = "dispute.resolved"
	VerdictUpcomingBlock = "verdict.upcoming_block" // once per verdict and block date, when the block comes within the notice period (issue 18)
	RegistryRefresh      = "registry.refresh_failed"
)

// Events lists every event a subscription may name.
var Events = []string{VerdictChanged, ImportFinished, DisputeOpened, DisputeResolved, VerdictUpcomingBlock, RegistryRefresh}

// adminOnly are the events about the operator's business, not a supplier's.
var adminOnly = []string{RegistryRefresh}

// Headers of every delivery.
const (
	HeaderSignature = "Cascade-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
	HeaderEvent     = "Cascade-Event"
	HeaderDelivery  = "Cascade-Delivery" // the idempotency id: the same on every attempt and redelivery
)

// parseEvents checks a subscription's event list: known names, at least
// one, each once (sorted).
func parseEvents(list []string, supplier bool) ([]string, error) {
	var out []string
	for _, e := range list {
		e = strings.TrimSpace(e)
		if !slices.Contains(Events, e) {
			return nil, errs.Invalidf("UNKNOWN_EVENT", "%q is not an event: use %s", e, strings.Join(Events, ", ")).
				WithDetails([]errs.FieldError{{Field: "events", Message: "unknown event " + strconv.Quote(e)}})
		}
		if supplier && slices.Contains(adminOnly, e) {
			return nil, errs.E(errs.Forbidden, "EVENT_NOT_ALLOWED", "%s is for admins: a supplier subscribes to its own products' events", e)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, errs.Invalidf("NO_EVENTS", "name at least one event: %s", strings.Join(Events, ", ")).
			WithDetails([]errs.FieldError{{Field: "events", Message: "required"}})
	}
	slices.Sort(out)
	return out, nil
}

// newSecret is a subscription's signing secret: 32 random bytes, hex, with
// a prefix that says what it is. The HMAC key is this whole string.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "whsec_" + hex.EncodeToString(b)
}

func newUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "whd_" + hex.EncodeToString(b)
}

// Sign returns the Cascade-Signature header value for body sent at t:
// t=<unix seconds>,v1=<hex HMAC-SHA256 with secret of "<t>.<body>">, the
// scheme Stripe and GitHub use.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a Cascade-Signature header as a receiver should: a v1
// signature of the body under secret, made within tolerance of now (which
// refuses a replayed old delivery). It is the reference for docs/api.md.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("no timestamp in the signature header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("the signature is %s old: outside the tolerance", d)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("no v1 signature matches")
}
