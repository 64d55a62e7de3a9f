package githubapp

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestConcurrencyHalvesOncePerAnnouncementAndGrowsByOnePerWindow(t *testing.T) {
	c := newConcurrency(0, prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"}))
	if c.limit() != startConcurrent {
		t.Fatalf("starts at %d, want %d", c.limit(), startConcurrent)
	}
	c.backOff(t0, t0.Add(time.Second))
	// Every request in flight meets the same announcement: one halving.
	c.backOff(t0.Add(100*time.Millisecond), t0.Add(1100*time.Millisecond))
	if c.limit() != 4 {
		t.Fatalf("after one announcement: %d, want 4", c.limit())
	}
	c.backOff(t0.Add(2*time.Second), t0.Add(3*time.Second))
	c.backOff(t0.Add(4*time.Second), t0.Add(5*time.Second))
	c.backOff(t0.Add(6*time.Second), t0.Add(7*time.Second))
	if c.limit() != 1 {
		t.Fatalf("after four announcements: %d, want the floor of 1", c.limit())
	}
	// Grown by one for each window's worth of answers, and at least 16:
	// 3 × 16 answers take it from 1 to 4, and 16 + 17 from 16 to 18.
	grow := func(to int) int {
		answers := 0
		for c.limit() < to {
			c.acquire(context.Background())
			c.release(true)
			answers++
		}
		return answers
	}
	if n := grow(4); n != 3*growAfter {
		t.Fatalf("%d answers grew the bound from 1 to 4, want %d", n, 3*growAfter)
	}
	grow(16)
	if n := grow(18); n != 16+17 {
		t.Fatalf("%d answers grew the bound from 16 to 18, want 33", n)
	}
	for range 100_000 {
		c.acquire(context.Background())
		c.release(true)
	}
	if c.limit() != MaxConcurrentLimit {
		t.Fatalf("grew to %d, want GitHub's ceiling of %d", c.limit(), MaxConcurrentLimit)
	}
}

func TestConcurrencyHandsSlotsToWaitersInOrder(t *testing.T) {
	c := newConcurrency(1, prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"}))
	if err := c.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 2)
	var done sync.WaitGroup
	for i := range 2 {
		done.Go(func() {
			if err := c.acquire(context.Background()); err == nil {
				order <- i
				c.release(true)
			}
		})
		for {
			c.mu.Lock()
			n := len(c.waiters)
			c.mu.Unlock()
			if n == i+1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.acquire(ctx); err == nil {
		t.Fatal("a caller that gave up got a slot")
	}
	c.release(true)
	if a, b := <-order, <-order; a != 0 || b != 1 {
		t.Fatalf("slots went to %d then %d, want 0 then 1", a, b)
	}
	done.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inFlight != 0 || len(c.waiters) != 0 {
		t.Fatalf("%d in flight and %d waiting at the end", c.inFlight, len(c.waiters))
	}
}

func TestWritePaceKeepsEightyAMinuteAndRefusedWritesGiveTheirPlaceBack(t *testing.T) {
	var w writePace
	for i := range WritesPerMinute {
		if d := w.reserve(t0.Add(time.Duration(i) * 100 * time.Millisecond)); d != 0 {
			t.Fatalf("write %d waits %s", i+1, d)
		}
	}
	at := t0.Add(30 * time.Second)
	if d := w.reserve(at); d != 30*time.Second {
		t.Fatalf("the 81st write within a minute waits %s, want 30s", d)
	}
	if d := w.reserve(t0.Add(time.Minute)); d != 0 {
		t.Fatalf("a minute after the first write: waits %s", d)
	}
	if d := w.reserve(t0.Add(time.Minute)); d != 100*time.Millisecond {
		t.Fatalf("the next waits %s, want 100ms (for the second write to be a minute old)", d)
	}
	// GitHub refused the write made at t0+500ms with a rate limit: it
	// created nothing, and its place is free at once.
	w.refund(t0.Add(500 * time.Millisecond))
	if d := w.reserve(t0.Add(time.Minute)); d != 0 {
		t.Fatalf("after a refund: waits %s", d)
	}
}
