package imports

import (
	"sync"
	"time"
)

// TestClock is a clock a test reads, sets and advances instead of sleeping
// for time to pass; it counts how often it was read.
type TestClock struct {
	mu    sync.Mutex
	now   time.Time
	reads int
}

// NewTestClock returns a clock stopped at the current second.
func NewTestClock() *TestClock { return &TestClock{now: time.Now().UTC().Truncate(time.Second)} }

// Now returns the clock's time.
func (c *TestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	return c.now
}

// Advance moves the clock on by d.
func (c *TestClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Reads is how many times the clock has been read.
func (c *TestClock) Reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}
