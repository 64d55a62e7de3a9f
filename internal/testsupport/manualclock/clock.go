// Package manualclock is a clock for tests that moves only when told to.
package manualclock

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use; pass its Now where code takes a clock.
type Clock struct {
	mu sync.Mutex
	at time.Time
}

// New returns a clock stopped at at.
func New(at time.Time) *Clock { return &Clock{at: at} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}
