package notify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
)

// DefaultTimeout bounds one delivery attempt: a receiver that has not
// answered by then has failed this attempt.
const DefaultTimeout = 10 * time.Second

// Options tune the delivery worker; zero values take the defaults.
type Options struct {
	Outbound    outbound.Policy                  // where deliveries may go: internal networks only where allowed
	Timeout     time.Duration                    // one attempt; DefaultTimeout
	Poll        time.Duration                    // how often the queue is looked at; a second
	Concurrency int                              // attempts in flight at once per replica; 8
	Backoff     func(failures int) time.Duration // the wait after a failed attempt; Backoff
}

// Backoff is the wait after the n-th failed attempt: exponential (10 s,
// 30 s, 90 s, … ×3 each time, at most 2 hours) with jitter, a random wait
// between half and all of it, so receivers that fail together are not
// retried together. The first retry comes within 10 s.
func Backoff(n int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < n && d < 2*time.Hour; i++ {
		d *= 3
	}
	d = min(d, 2*time.Hour)
	return d/2 + rand.N(d/2+1)
}

// Worker delivers the queue: it enqueues new events and sends each due
// delivery, one replica per delivery (a leased claim; a replica that dies
// mid-delivery loses its lease and another sends it again: at least once).
type Worker struct {
	store   *Store
	db      *gorm.DB
	log     *slog.Logger
	client  *http.Client
	opt     Options
	lease   time.Duration
	replica string
	turn    int            // where claim starts going round the subscriptions
	subs    []Subscription // every subscription, read again at each poll
}

// NewWorker returns a worker on db.
func NewWorker(db *gorm.DB, log *slog.Logger, o Options) *Worker {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Backoff == nil {
		o.Backoff = Backoff
	}
	p := o.Outbound
	p.Timeout = o.Timeout
	client := outbound.Client(p)
	// A webhook's answer is its status: a redirect is not followed (a POST
	// would become a GET, and a receiver must be named by its own URL).
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	host, _ := os.Hostname()
	return &Worker{store: NewStore(db), db: db, log: log, client: client, opt: o,
		lease: 2*o.Timeout + 5*time.Second, replica: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), newUID()[4:12])}
}

// Run delivers until ctx ends, then waits for the attempts in flight: an
// attempt cut short by shutdown is released, not counted, and sent again.
// New events are enqueued every Poll; a slot that frees is filled at once.
func (w *Worker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	var mu sync.Mutex
	busy := map[int64]int{} // attempts in flight per subscription
	inFlight := 0
	wake := make(chan struct{}, 1)
	tick := time.NewTicker(w.opt.Poll)
	defer tick.Stop()
	enqueue := true
	for {
		if enqueue {
			if _, err := w.store.Enqueue(ctx); err != nil && ctx.Err() == nil {
				w.log.Error("webhooks: enqueue", "err", err)
			}
		}
		mu.Lock()
		free, held := w.opt.Concurrency-inFlight, maps.Clone(busy)
		mu.Unlock()
		// After one attempt ends, wait for a few to end before claiming
		// again: each claim is a round of queries, cheaper per delivery in batches.
		if ctx.Err() == nil && (free >= max(1, w.opt.Concurrency/4) || (enqueue && free > 0)) {
			claimed, err := w.claim(ctx, free, held, enqueue)
			if err != nil && ctx.Err() == nil {
				w.log.Error("webhooks: claim", "err", err)
			}
			for _, c := range claimed {
				mu.Lock()
				inFlight++
				busy[c.SubscriptionID]++
				mu.Unlock()
				wg.Add(1)
				go func() {
					defer wg.Done()
					w.attempt(ctx, c)
					mu.Lock()
					inFlight--
					if busy[c.SubscriptionID]--; busy[c.SubscriptionID] == 0 {
						delete(busy, c.SubscriptionID)
					}
					mu.Unlock()
					select {
					case wake <- struct{}{}:
					default:
					}
				}()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			enqueue = true
		case <-wake:
			enqueue = false
		}
	}
}

// claimed is a delivery this replica holds, with where and how to send it.
type claimed struct {
	Delivery
	URL    string
	Secret string
}

// perSubscription is the share of a worker's attempts one subscription may
// hold: a receiver that hangs, however many deliveries it has queued,
// leaves the other slots to the others.
func (w *Worker) perSubscription() int { return max(1, w.opt.Concurrency/2) }

// claim takes up to n due deliveries, the oldest first of each subscription,
// going round the subscriptions from a new one each time, each within its
// share (busy: its attempts in flight here). A subscription's deliveries are
// taken by one conditional update: of replicas racing for a delivery, one
// wins; the others move on. The claims need not survive a crash (a lost
// claim is a delivery sent later, by whoever claims it next), so on
// PostgreSQL they commit without waiting for the disk. The subscriptions
// (URL and secret) are read again when refresh is set, at every poll.
func (w *Worker) claim(ctx context.Context, n int, busy map[int64]int, refresh bool) ([]claimed, error) {
	if refresh || w.subs == nil {
		var subs []Subscription
		if err := w.db.WithContext(ctx).Select("id, url, secret").Order("id").Find(&subs).Error; err != nil {
			return nil, err
		}
		w.subs = subs
	}
	if len(w.subs) == 0 {
		return nil, nil
	}
	// A read first: most polls find nothing due, and need take no write
	// lock (on SQLite a write transaction waits for a long import's commit).
	var due []int64
	now := time.Now().UTC()
	err := w.db.WithContext(ctx).Model(&Delivery{}).Where("status = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)", StatusPending, now, now).
		Limit(1).Pluck("id", &due).Error
	if err != nil || len(due) == 0 {
		return nil, err
	}
	w.turn = (w.turn + 1) % len(w.subs)
	subs := append(append([]Subscription(nil), w.subs[w.turn:]...), w.subs[:w.turn]...)
	var out []claimed
	err = w.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if database.DialectOf(tx) == database.Postgres {
			if err := tx.Exec("SET LOCAL synchronous_commit = off").Error; err != nil {
				return err
			}
		}
		for _, sub := range subs {
			k := min(n-len(out), w.perSubscription()-busy[sub.ID])
			if k <= 0 {
				continue
			}
			var got []Delivery
			err := tx.Raw(`UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?, claim = claim + 1
				WHERE id IN (SELECT id FROM webhook_deliveries
					WHERE subscription_id = ? AND status = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
					ORDER BY next_attempt_at, id LIMIT ?)
				AND status = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
				RETURNING *`, w.replica, now.Add(w.lease), sub.ID, StatusPending, now, now, k, StatusPending, now, now).Scan(&got).Error
			if err != nil {
				return err
			}
			for _, d := range got {
				out = append(out, claimed{Delivery: d, URL: sub.URL.Raw(), Secret: sub.Secret})
			}
			if len(out) >= n {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// attempt sends one delivery and records the outcome under its claim.
func (w *Worker) attempt(ctx context.Context, c claimed) {
	code, failure := w.send(ctx, c)
	if ctx.Err() != nil && failure != "" {
		w.release(c) // shutting down: not the receiver's failure
		return
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	set := map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_status_code": code, "last_error": failure,
		"last_attempt_at": now, "lease_owner": "", "lease_until": nil}
	switch next := now.Add(w.opt.Backoff(c.Attempts + 1)); {
	case failure == "":
		set["status"], set["delivered_at"] = StatusDelivered, now
	case next.After(c.GiveUpAt):
		set["status"] = StatusFailed
	default:
		set["next_attempt_at"] = next
	}
	res := w.db.WithContext(context.WithoutCancel(ctx)).Model(&Delivery{}).
		Where("id = ? AND claim = ? AND status = ?", c.ID, c.Claim, StatusPending).Updates(set)
	if res.Error != nil {
		w.log.Error("webhooks: record an attempt", "delivery", c.UID, "err", res.Error)
	}
	if failure != "" {
		w.log.Warn("webhooks: delivery failed", "delivery", c.UID, "event", c.Event, "status", code, "error", failure, "attempt", c.Attempts+1)
	}
}

// release gives a claim back without counting an attempt.
func (w *Worker) release(c claimed) {
	err := w.db.Model(&Delivery{}).Where("id = ? AND claim = ?", c.ID, c.Claim).
		Updates(map[string]any{"lease_owner": "", "lease_until": nil}).Error
	if err != nil {
		w.log.Error("webhooks: release a claim", "delivery", c.UID, "err", err)
	}
}

// Failure codes of an attempt: what went wrong, never what the receiver said.
const (
	FailHTTPStatus     = "HTTP_STATUS"     // it answered, not 2xx (the code is in last_status_code)
	FailUnreachable    = "UNREACHABLE"     // no connection, no HTTP or no answer within the timeout
	FailAddressRefused = "ADDRESS_REFUSED" // the URL leads to an internal network not allowed
)

// send posts the delivery, signed now, and returns the receiver's status
// code and a failure code ("" for a 2xx answer).
func (w *Worker) send(ctx context.Context, c claimed) (int, string) {
	body := []byte(c.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, strings.NewReader(c.Payload))
	if err != nil {
		return 0, FailUnreachable
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Cascade-Webhooks/1")
	req.Header.Set(HeaderEvent, c.Event)
	req.Header.Set(HeaderDelivery, c.UID)
	req.Header.Set(HeaderSignature, Sign(c.Secret, time.Now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		if outbound.IsRefused(err) {
			return 0, FailAddressRefused
		}
		return 0, FailUnreachable
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // read, never kept
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, FailHTTPStatus
	}
	return resp.StatusCode, ""
}
