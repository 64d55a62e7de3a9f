package githubapp

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// DefaultMaxWait is the longest wait for a rate limit that a request waits
// out in place; a longer one hands the job back to the queue.
const DefaultMaxWait = 30 * time.Second

// gate is one installation's share of GitHub: no request while the
// installation waits out a rate limit, an adaptive bound on requests in
// flight (concurrency), content-creating requests paced within GitHub's
// limit (writePace), and GitHub's availability (health).
//
// GitHub counts rate limits per installation, so once one request of an
// installation is refused (or used the last request of the hour) the next
// request would be refused too, and GitHub may extend a secondary limit for
// requests made while it holds. The gate answers those requests itself with
// the same *RateLimitError, without costing a request; the transport then
// waits out a short limit in place (see guarded), and a long one goes back
// to the queue. Other installations are not affected.
type gate struct {
	now     func() time.Time
	metrics *metrics.Metrics

	conc   *concurrency
	writes writePace
	health *health

	mu    sync.Mutex
	limit *RateLimitError
}

func newGate(installation string, maxConcurrent int, now func() time.Time, m *metrics.Metrics, log *slog.Logger) *gate {
	return &gate{
		now: now, metrics: m,
		conc:   newConcurrency(maxConcurrent, m.GitHubConcurrency.WithLabelValues(installation)),
		health: newHealth(installation, log, m.GitHubAvailable.WithLabelValues(installation)),
	}
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
// limits in force at once both have to pass. Any limit GitHub announces
// halves the installation's concurrency: a secondary limit is GitHub's
// answer to too much at once, and whatever the limit, every request in
// flight when it is announced is refused too, so fewer in flight waste
// fewer.
func (g *gate) close(rl *RateLimitError) {
	now := g.now()
	g.conc.backOff(now, rl.At)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit != nil && now.Before(g.limit.At) && !rl.At.After(g.limit.At) {
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
//
// The reset is then removed from the answer: go-github remembers an
// exhausted limit and refuses later requests itself, before they reach the
// gate, with an error the transport cannot wait out in place. The gate is
// the one memory of limits.
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
	h.Del("X-RateLimit-Reset")
	g.close(&RateLimitError{
		At:      time.Unix(reset, 0),
		Message: "the installation used the last request of its hourly limit",
	})
}

// pace takes a place for a content-creating request sent at now, or
// returns the refusal to wait out: the installation keeps within GitHub's
// WritesPerMinute.
func (g *gate) pace(now time.Time) *RateLimitError {
	wait := g.writes.reserve(now)
	if wait == 0 {
		return nil
	}
	return &RateLimitError{
		At: now.Add(wait), Secondary: true, Held: true, pace: true,
		Message: "mergeguard keeps each installation within GitHub's 80 content-creating requests a minute",
	}
}

// fromGoGitHub turns go-github's own rate-limit answer into a
// *RateLimitError. The gate removes what go-github would remember (see
// observe); this is the fallback should it remember anyway. (Its
// secondary-limit memory is never filled: baseTransport answers those
// responses before go-github sees them.)
func fromGoGitHub(err error) *RateLimitError {
	var primary *github.RateLimitError
	if errors.As(err, &primary) {
		return &RateLimitError{At: primary.Rate.Reset.Time, Message: primary.Message, Held: true}
	}
	return nil
}
