package githubapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// RetryPolicy says how a request that failed in passing (a 5xx, no answer
// in time, a broken connection) is sent again. The zero value means the
// defaults.
type RetryPolicy struct {
	// Attempts bounds how often one request is sent (default 3).
	Attempts int
	// BaseDelay bounds the wait before the first retry; the bound doubles
	// for each further retry up to MaxDelay (defaults 500ms and 5s). Each
	// wait is drawn uniformly below its bound ("full jitter"), so the
	// requests of many workers that failed together do not return together.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// Budget bounds the attempts and waits of one request together
	// (default 60s): beyond it the job's own backoff is the better wait.
	Budget time.Duration
	// Sleep waits between attempts (a timer when nil); tests make it
	// instant.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 3
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	if p.Budget <= 0 {
		p.Budget = time.Minute
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	return p
}

// UnavailableError is a request GitHub did not answer usefully: a server
// error, or no answer in time, on every attempt made.
type UnavailableError struct {
	Method string
	Path   string
	// Status is GitHub's last answer (500, 502, 503 or 504), or 0 when
	// there was none; Err then says why.
	Status   int
	Attempts int
	// Repeatable is false for a request that was not sent again because
	// GitHub may have carried it out (see repeatable).
	Repeatable bool
	Err        error
}

func (e *UnavailableError) Error() string {
	var b strings.Builder
	var malformed *MalformedError
	if errors.As(e.Err, &malformed) {
		fmt.Fprintf(&b, "GitHub's answer to %s %s was not what GitHub sends (%s)", e.Method, e.Path, malformed.Problem)
	} else if e.Status != 0 {
		fmt.Fprintf(&b, "GitHub answered %s %s with HTTP %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	} else {
		fmt.Fprintf(&b, "GitHub did not answer %s %s (%v)", e.Method, e.Path, e.Err)
	}
	switch {
	case e.Attempts > 1:
		fmt.Fprintf(&b, " on each of %d attempts", e.Attempts)
	case !e.Repeatable:
		b.WriteString(" and it was not sent again, since GitHub may have carried it out")
	}
	b.WriteString("; if this persists, see https://www.githubstatus.com")
	return b.String()
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Timeout reports whether GitHub did not answer in time.
func (e *UnavailableError) Timeout() bool {
	var t interface{ Timeout() bool }
	return e.Status == 0 && errors.As(e.Err, &t) && t.Timeout()
}

// attemptTimeout is one attempt that got no answer within the request
// timeout, while its caller was still waiting.
type attemptTimeout struct {
	after time.Duration
	err   error
}

func (e *attemptTimeout) Error() string { return fmt.Sprintf("no answer within %s", e.after) }
func (e *attemptTimeout) Unwrap() error { return e.err }
func (e *attemptTimeout) Timeout() bool { return true }

// guarded is the bottom of one installation's requests, above
// baseTransport: its gate (rate limits, concurrency), then retries. Each
// attempt passes the gate again, so a retry never goes out while the
// installation waits out a rate limit.
type guarded struct {
	next    http.RoundTripper
	gate    *gate
	policy  RetryPolicy
	timeout time.Duration
	now     func() time.Time
	metrics *metrics.Metrics
}

func (t *guarded) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.now()
	safe := repeatable(req)
	for attempt := 1; ; attempt++ {
		r, err := rewind(req, attempt)
		if err != nil {
			return nil, err
		}
		resp, err := t.once(r)
		reason := failure(req.Context(), resp, err)
		if reason == "" {
			return resp, err
		}
		// A POST whose connection could not even be opened never reached
		// GitHub, so it is as safe to send again as a GET.
		again := safe || err != nil && notSent(err)
		delay := t.backoff(attempt)
		if ra := retryAfter(resp, t.now()); ra > delay {
			delay = ra
		}
		if !again || attempt >= t.policy.Attempts || t.now().Sub(start)+delay > t.policy.Budget {
			return nil, unavailable(req, resp, err, attempt, again)
		}
		discard(resp)
		t.metrics.GitHubRetries.WithLabelValues(reason).Inc()
		if err := t.policy.Sleep(req.Context(), delay); err != nil {
			return nil, err
		}
	}
}

// once sends one attempt through the gate, bounded by the request timeout.
func (t *guarded) once(req *http.Request) (*http.Response, error) {
	if rl := t.gate.closed(); rl != nil {
		return nil, t.held(req, rl)
	}
	if err := t.gate.acquire(req.Context()); err != nil {
		closeBody(req)
		return nil, err
	}
	// The limit may have been met while this request waited for a slot.
	if rl := t.gate.closed(); rl != nil {
		t.gate.release()
		return nil, t.held(req, rl)
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	t.gate.release()
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && req.Context().Err() == nil {
			err = &attemptTimeout{after: t.timeout, err: err}
		}
		cancel()
		var rl *RateLimitError
		if errors.As(err, &rl) {
			t.gate.close(rl)
		}
		// A malformed answer's body is refused, not its rate-limit headers.
		var malformed *MalformedError
		if errors.As(err, &malformed) {
			t.gate.observe(&http.Response{Header: malformed.header})
		}
		return nil, err
	}
	t.gate.observe(resp)
	// The timeout covers reading the body too; closing it ends the timer.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

func (t *guarded) held(req *http.Request, rl *RateLimitError) error {
	closeBody(req)
	t.metrics.GitHubRequestsHeld.Inc()
	return rl
}

// backoff is the wait before retry number attempt: full jitter below an
// exponentially growing bound.
func (t *guarded) backoff(attempt int) time.Duration {
	bound := t.policy.BaseDelay << min(attempt-1, 20)
	if bound <= 0 || bound > t.policy.MaxDelay {
		bound = t.policy.MaxDelay
	}
	return rand.N(bound + 1)
}

// failure names why an attempt failed in a way worth repeating, or "" when
// its outcome stands: an answer, a rate limit (the queue reschedules the
// job; repeating would only extend the limit), or the caller giving up.
func failure(ctx context.Context, resp *http.Response, err error) string {
	if err != nil {
		var rl *RateLimitError
		var to interface{ Timeout() bool }
		var malformed *MalformedError
		switch {
		case errors.As(err, &rl) || ctx.Err() != nil:
			return ""
		case errors.As(err, &malformed):
			return metrics.RetryMalformed
		case errors.As(err, &to) && to.Timeout():
			return metrics.RetryTimeout
		default:
			return metrics.RetryNetwork
		}
	}
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return metrics.RetryServerError
	}
	return ""
}

// repeatable reports whether a request may be sent again after GitHub
// failed to answer it properly. A 5xx or a timeout does not prove that
// GitHub did nothing: it answers 502 when its backend was slow to reply,
// and the work often went through. So only requests that do the same thing
// twice are repeated here:
//
//   - GET, HEAD, OPTIONS, PUT and DELETE, idempotent by HTTP's definition;
//   - creating an installation token (a second token is harmless);
//   - adding a reaction (GitHub answers an existing one with 200).
//
// Creating a check run or a comment is not: a second POST would make a
// duplicate. Nor is PATCHing a check run, since annotations sent in an
// update are appended. Those fail the job instead, whose next attempt
// starts over and looks before it writes (the publisher finds a check run
// that a lost answer created, and updates it).
func repeatable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false // the body cannot be sent twice
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	case http.MethodPost:
		p := req.URL.Path
		return strings.Contains(p, "/app/installations/") && strings.HasSuffix(p, "/access_tokens") ||
			strings.HasSuffix(p, "/reactions")
	}
	return false
}

// notSent reports whether an error proves the request never left: the
// connection could not be opened.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// rewind returns the request for an attempt: the original for the first,
// a copy with a fresh body for the others.
func rewind(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 1 {
		return req, nil
	}
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("repeat %s %s: %w", req.Method, req.URL.Path, err)
		}
		r.Body = body
	}
	return r, nil
}

func unavailable(req *http.Request, resp *http.Response, err error, attempts int, repeatable bool) error {
	e := &UnavailableError{Method: req.Method, Path: req.URL.Path, Attempts: attempts, Repeatable: repeatable, Err: err}
	if resp != nil {
		e.Status = resp.StatusCode
		discard(resp)
	}
	return e
}

// retryAfter is the wait a 5xx answer asks for, if any.
func retryAfter(resp *http.Response, now time.Time) time.Duration {
	if resp == nil {
		return 0
	}
	ra := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if ra == "" {
		return 0
	}
	if secs, err := strconv.Atoi(ra); err == nil && secs > 0 {
		// Anything beyond a day is as good as a day: far past the budget.
		return time.Duration(min(secs, 86400)) * time.Second
	}
	if at, err := http.ParseTime(ra); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// discard reads a little of a response that is not used, so the
// connection can be reused, and closes it.
func discard(resp *http.Response) {
	if resp == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// closeBody closes the body of a request that is not sent, as a
// RoundTripper must.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
