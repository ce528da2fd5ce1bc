package imports

import "time"

// options are an Importer's clock and timings. The defaults are what a
// server runs with; tests set their own, each on its own Importer, so that
// they can run in parallel.
type options struct {
	now            func() time.Time // stamps batches and heartbeats
	staleAfter     time.Duration    // see StaleAfter
	heartbeatEvery time.Duration    // how often an import waiting for a slot keeps its batch alive
	progressEvery  time.Duration    // how often a running import records its progress and heartbeat

	// beforeReconcile, if set (by tests), runs when an upload begins to
	// judge its offers: where another supplier's upload of the same GTIN
	// must wait.
	beforeReconcile func()
}

// ProgressEvery is how often a running import records its progress and
// heartbeat: often enough for a progress bar, rarely enough that the
// records cost nothing next to the rows.
const ProgressEvery = 250 * time.Millisecond

// Option changes one of an Importer's defaults.
type Option func(*options)

// WithClock makes the Importer read the time from now (which should return
// UTC) instead of the system clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithStaleAfter sets how long a running batch may go without a heartbeat
// before it is taken for abandoned (StaleAfter by default), and with it how
// often a waiting import sends one (a quarter of that, 10 ms at least).
func WithStaleAfter(d time.Duration) Option {
	return func(o *options) { o.staleAfter, o.heartbeatEvery = d, max(d/4, 10*time.Millisecond) }
}

// WithHeartbeatEvery sets how often an import waiting for a slot sends its
// heartbeat (a quarter of the stale-after time by default).
func WithHeartbeatEvery(d time.Duration) Option {
	return func(o *options) { o.heartbeatEvery = d }
}

// WithProgressEvery sets how often a running import records its progress
// (ProgressEvery by default; 0 records it with every chunk of rows).
func WithProgressEvery(d time.Duration) Option { return func(o *options) { o.progressEvery = d } }

func newOptions(opts []Option) options {
	o := options{now: func() time.Time { return time.Now().UTC() }, progressEvery: ProgressEvery}
	WithStaleAfter(StaleAfter)(&o)
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
