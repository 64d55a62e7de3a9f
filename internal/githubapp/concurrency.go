package githubapp

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Bounds of an installation's requests in flight. GitHub documents a
// secondary limit of 100 concurrent requests; the start is well below it,
// and the bound finds its level from GitHub's answers.
const (
	// MaxConcurrentLimit is GitHub's documented ceiling on one
	// installation's concurrent requests.
	MaxConcurrentLimit = 100
	// startConcurrent is where an installation's bound starts.
	startConcurrent = 8
	// growAfter is the fewest answers that grow the bound by one: below 16
	// in flight, growth waits for 16 answers rather than a window's worth,
	// so that after GitHub pushed back the bound stays low while limits
	// keep coming (every request in flight when one is announced is
	// refused too), and recovers within seconds once they stop.
	growAfter = 16
)

// concurrency bounds one installation's requests in flight and adapts the
// bound the way TCP adapts its window (additive increase, multiplicative
// decrease): a rate limit GitHub announces halves it (a secondary limit is
// GitHub's answer to too much at once, and whatever the limit, the requests
// in flight meet it too); every full window of requests answered without
// one (at least growAfter) grows it by one, up to max. A burst of refusals for one announcement
// (every request in flight meets the same limit) halves it once.
type concurrency struct {
	max   int
	gauge prometheus.Gauge

	mu     sync.Mutex
	window int
	// answered counts answers since the window last changed.
	answered int
	inFlight int
	// waiters are the requests waiting for a slot, first come first
	// served; a slot is handed over by closing the channel.
	waiters []chan struct{}
	// calmUntil is the end of the limit that last halved the window:
	// refusals before it belong to the same announcement.
	calmUntil time.Time
}

func newConcurrency(max int, gauge prometheus.Gauge) *concurrency {
	if max <= 0 || max > MaxConcurrentLimit {
		max = MaxConcurrentLimit
	}
	c := &concurrency{max: max, window: min(startConcurrent, max), gauge: gauge}
	c.gauge.Set(float64(c.window))
	return c
}

// limit is the number of requests that may be in flight now.
func (c *concurrency) limit() int { return c.window }

// acquire waits for a slot until ctx ends.
func (c *concurrency) acquire(ctx context.Context) error {
	c.mu.Lock()
	if len(c.waiters) == 0 && c.inFlight < c.limit() {
		c.inFlight++
		c.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	c.waiters = append(c.waiters, ch)
	c.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	c.mu.Lock()
	for i, w := range c.waiters {
		if w == ch {
			c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
			c.mu.Unlock()
			return ctx.Err()
		}
	}
	// The slot was handed over as the caller gave up: pass it on.
	c.inFlight--
	c.admit()
	c.mu.Unlock()
	return ctx.Err()
}

// release frees a slot. answered says GitHub answered without announcing a
// limit, which grows the window.
func (c *concurrency) release(answered bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
	if answered && c.window < c.max {
		c.answered++
		if c.answered >= max(c.window, growAfter) {
			c.window++
			c.answered = 0
			c.gauge.Set(float64(c.window))
		}
	}
	c.admit()
}

// backOff halves the window for a limit lasting until until, once per
// announcement.
func (c *concurrency) backOff(now, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Before(c.calmUntil) {
		return
	}
	c.window = max(c.window/2, 1)
	c.answered = 0
	c.calmUntil = until
	c.gauge.Set(float64(c.window))
}

// admit hands free slots to waiters. The caller holds mu.
func (c *concurrency) admit() {
	for len(c.waiters) > 0 && c.inFlight < c.limit() {
		ch := c.waiters[0]
		c.waiters = c.waiters[1:]
		c.inFlight++
		close(ch)
	}
}
