package githubapp

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// DefaultMaxConcurrent is how many requests of one installation may be in
// flight at once. GitHub asks integrators to avoid concurrent requests for
// one installation, since they are what trips secondary rate limits; a few
// keep several workers evaluating one organization's pull requests without
// queueing every request behind the slowest.
const DefaultMaxConcurrent = 4

// gate is one installation's share of GitHub: at most a few requests in
// flight, and none at all while the installation waits out a rate limit.
//
// GitHub counts rate limits per installation, so once one request of an
// installation is refused (or used the last request of the hour) the next
// request would be refused too, and GitHub may extend a secondary limit for
// requests made while it holds. The gate answers those requests itself with
// the same *RateLimitError, so their jobs are rescheduled for the same time
// without costing a request; other installations are not affected.
type gate struct {
	slots   chan struct{}
	now     func() time.Time
	metrics *metrics.Metrics

	mu    sync.Mutex
	limit *RateLimitError
}

func newGate(maxConcurrent int, now func() time.Time, m *metrics.Metrics) *gate {
	if maxConcurrent <= 0 {
		maxConcurrent = DefaultMaxConcurrent
	}
	return &gate{slots: make(chan struct{}, maxConcurrent), now: now, metrics: m}
}

// closed returns the rate limit the installation is waiting out, or nil.
func (g *gate) closed() *RateLimitError {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit == nil || !g.now().Before(g.limit.At) {
		g.limit = nil
		return nil
	}
	held := *g.limit
	held.Held = true
	return &held
}

// close makes the installation wait until rl.At. A later time wins: two
// limits in force at once both have to pass.
func (g *gate) close(rl *RateLimitError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit != nil && g.now().Before(g.limit.At) && !rl.At.After(g.limit.At) {
		return
	}
	kind := "primary"
	if rl.Secondary {
		kind = "secondary"
	}
	g.metrics.GitHubRateLimitWaits.WithLabelValues(kind).Inc()
	kept := *rl
	g.limit = &kept
}

// observe closes the gate when a successful answer used the last request of
// the installation's primary limit: GitHub would refuse the next one until
// x-ratelimit-reset. Only the "core" resource is counted this way; the
// search and GraphQL limits are separate and mergeguard does not use them.
func (g *gate) observe(resp *http.Response) {
	h := resp.Header
	if h.Get("X-RateLimit-Remaining") != "0" {
		return
	}
	if res := h.Get("X-RateLimit-Resource"); res != "" && res != "core" {
		return
	}
	reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return
	}
	g.close(&RateLimitError{
		At:      time.Unix(reset, 0),
		Message: "the installation used the last request of its hourly limit",
	})
}

// acquire waits for a free slot until ctx ends.
func (g *gate) acquire(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees a slot. It is called once the response's headers arrived:
// GitHub has done its work by then, and tying the slot to the body being
// closed would let one careless caller starve the installation for good.
func (g *gate) release() { <-g.slots }

// fromGoGitHub turns go-github's own rate-limit answer into a
// *RateLimitError. go-github remembers an x-ratelimit-remaining of 0 and
// then refuses requests itself, before they reach the gate, with an error
// the queue would not know to wait for. (Its secondary-limit memory is never
// filled: baseTransport answers those responses before go-github sees them.)
func fromGoGitHub(err error) *RateLimitError {
	var primary *github.RateLimitError
	if errors.As(err, &primary) {
		return &RateLimitError{At: primary.Rate.Reset.Time, Message: primary.Message, Held: true}
	}
	return nil
}
