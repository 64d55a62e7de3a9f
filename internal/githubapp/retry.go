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

	"github.com/mergeguard/mergeguard/internal/clock"
	"github.com/mergeguard/mergeguard/internal/metrics"
)

// RetryPolicy says how a request that failed in passing (a 5xx, no answer
// in time, a broken connection) is sent again. The zero value means the
// defaults.
type RetryPolicy struct {
	// Attempts bounds how often one request is sent (default 5: at 20 %
	// of requests failing at random, one read in 3,000 fails all five).
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
		p.Attempts = 5
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
		p.Sleep = clock.Sleep
	}
	return p
}

// UnavailableError is a request GitHub did not answer usefully: a server
// error, or no answer in time, on every attempt made; or a request not
// sent at all because GitHub has stopped answering the installation.
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
	// Since is set while GitHub is not answering the installation at all
	// (see health): the start of that outage. Attempts is 0 when this
	// request was not sent because of it.
	Since time.Time
	Err   error
}

func (e *UnavailableError) Error() string {
	var b strings.Builder
	var malformed *MalformedError
	switch {
	case e.Attempts == 0:
		fmt.Fprintf(&b, "request %s %s not sent: GitHub has answered none of the installation's requests since %s", e.Method, e.Path, e.Since.UTC().Format(time.RFC3339))
	case errors.As(e.Err, &malformed):
		fmt.Fprintf(&b, "GitHub's answer to %s %s was not what GitHub sends (%s)", e.Method, e.Path, malformed.Problem)
	case e.Status != 0:
		fmt.Fprintf(&b, "GitHub answered %s %s with HTTP %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	default:
		fmt.Fprintf(&b, "GitHub did not answer %s %s (%v)", e.Method, e.Path, e.Err)
	}
	switch {
	case e.Attempts > 1:
		fmt.Fprintf(&b, " on each of %d attempts", e.Attempts)
	case e.Attempts == 1 && !e.Repeatable:
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

// OutcomeUnknown reports whether GitHub may have carried the request out
// although no answer said so: a write sent, then answered with a server
// error or not at all. The caller must look before writing again.
func (e *UnavailableError) OutcomeUnknown() bool { return e.Attempts > 0 && !e.Repeatable }

// OutageSince is the start of the installation's outage, or zero when
// GitHub answers it (the queue waits for an outage without spending the
// job's attempts).
func (e *UnavailableError) OutageSince() time.Time { return e.Since }

// attemptTimeout is one attempt that got no answer within the request
// timeout, while its caller was still waiting.
type attemptTimeout struct {
	after time.Duration
	err   error
}

func (e *attemptTimeout) Error() string { return fmt.Sprintf("no answer within %s", e.after) }
func (e *attemptTimeout) Unwrap() error { return e.err }
func (e *attemptTimeout) Timeout() bool { return true }

// maxWaitsInPlace bounds how many rate limits one request waits out in
// place before its job is handed back to the queue.
const maxWaitsInPlace = 10

// guarded is the bottom of one installation's requests, above
// baseTransport: its gate (rate limits, concurrency, write pace,
// availability), then waits and retries. Each attempt passes the gate
// again, so a retry never goes out while the installation waits out a rate
// limit.
//
// Waits happen where the work is: a request that meets a rate limit ending
// within maxWait (one GitHub announced, or one already in force) waits for
// it and is sent then, so the evaluation that made it continues with the
// facts it already has. A refused request was not carried out, so this is
// safe for writes too. Only a longer wait, or one past the caller's
// deadline, returns the *RateLimitError, and the queue reschedules the job.
type guarded struct {
	next    http.RoundTripper
	gate    *gate
	policy  RetryPolicy
	timeout time.Duration
	maxWait time.Duration
	now     func() time.Time
	metrics *metrics.Metrics
}

func (t *guarded) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	start := t.now()
	safe := repeatable(req)
	attempt, waits := 1, 0
	for send := 1; ; send++ {
		r, err := rewind(req, send)
		if err != nil {
			return nil, err
		}
		resp, err := t.once(r)
		var rl *RateLimitError
		var ue *UnavailableError
		switch {
		case errors.As(err, &rl):
			wait, ok := t.inPlace(req, rl, waits)
			if !ok {
				t.metrics.GitHubWaits.WithLabelValues(waitKind(rl), metrics.WaitHandedBack).Inc()
				return nil, err
			}
			waits++
			t.metrics.GitHubWaits.WithLabelValues(waitKind(rl), metrics.WaitInPlace).Inc()
			if err := t.policy.Sleep(ctx, wait); err != nil {
				return nil, err
			}
			start = t.now() // the retry budget is for failures, not for limits
			continue
		case errors.As(err, &ue):
			return nil, err // not sent: GitHub is not answering the installation
		}
		reason := failure(ctx, resp, err)
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
		down := !t.gate.health.since().IsZero()
		if !again || down || attempt >= t.policy.Attempts || t.now().Sub(start)+delay > t.policy.Budget {
			return nil, t.unavailable(req, resp, err, attempt, again)
		}
		discard(resp)
		t.metrics.GitHubRetries.WithLabelValues(reason).Inc()
		if err := t.policy.Sleep(ctx, delay); err != nil {
			return nil, err
		}
		attempt++
	}
}

// inPlace returns how long to wait for a rate limit before sending the
// request again, or false when the job should be handed back instead: the
// wait is longer than maxWait or the caller's deadline, the request has
// waited often enough, or its body cannot be sent again. A little jitter spreads the requests that waited for
// the same instant.
func (t *guarded) inPlace(req *http.Request, rl *RateLimitError, waits int) (time.Duration, bool) {
	ctx := req.Context()
	if waits >= maxWaitsInPlace || ctx.Err() != nil || !resendable(req) {
		return 0, false
	}
	d := max(rl.At.Sub(t.now()), 0)
	if d > t.maxWait {
		return 0, false
	}
	d += rand.N(d/10 + 100*time.Millisecond)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d+time.Second {
		return 0, false
	}
	return d, true
}

func waitKind(rl *RateLimitError) string {
	if rl.pace {
		return metrics.WaitWritePace
	}
	return metrics.WaitRateLimit
}

// once sends one attempt through the gate, bounded by the request timeout.
func (t *guarded) once(req *http.Request) (*http.Response, error) {
	g := t.gate
	if rl := g.closed(); rl != nil {
		return nil, t.held(req, rl)
	}
	since, probe := g.health.admit(t.now())
	if !since.IsZero() {
		closeBody(req)
		return nil, &UnavailableError{Method: req.Method, Path: req.URL.Path, Since: since, Repeatable: true}
	}
	if err := g.conc.acquire(req.Context()); err != nil {
		g.health.abandon(probe)
		closeBody(req)
		return nil, err
	}
	// The limit may have been met while this request waited for a slot.
	if rl := g.closed(); rl != nil {
		g.conc.release(false)
		g.health.abandon(probe)
		return nil, t.held(req, rl)
	}
	// A write takes its place in the minute's pace only as it goes out.
	var paced time.Time
	if createsContent(req) {
		paced = t.now()
		if rl := g.pace(paced); rl != nil {
			g.conc.release(false)
			g.health.abandon(probe)
			closeBody(req)
			return nil, rl
		}
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && req.Context().Err() == nil {
			err = &attemptTimeout{after: t.timeout, err: err}
		}
		cancel()
		var rl *RateLimitError
		switch {
		case errors.As(err, &rl):
			// GitHub answered, with a limit: it carried out nothing.
			g.conc.release(false)
			g.health.observe(t.now(), true, probe)
			g.close(rl)
			if !paced.IsZero() {
				g.writes.refund(paced)
			}
		case req.Context().Err() != nil:
			g.conc.release(false)
			g.health.abandon(probe)
		default:
			g.conc.release(false)
			g.health.observe(t.now(), false, probe)
		}
		// A malformed answer's body is refused, not its rate-limit headers.
		var malformed *MalformedError
		if errors.As(err, &malformed) {
			t.gate.observe(&http.Response{Header: malformed.header})
		}
		return nil, err
	}
	answered := resp.StatusCode < 500
	g.conc.release(answered)
	g.health.observe(t.now(), answered, probe)
	g.observe(resp)
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
// its outcome stands: an answer, a rate limit (waited out above, or handed
// to the queue), or the caller giving up.
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
//
//   - creating an installation token (a second token is harmless);
//
//   - adding a reaction (GitHub answers an existing one with 200).
//
//   - a request made with a context from sameTwice (a check-run update
//     without annotations).
//
// Creating a check run or a comment is not: a second POST would make a
// duplicate. Nor is PATCHing a check run with annotations, since those are
// appended. Those return an *UnavailableError whose OutcomeUnknown is
// true: the publisher looks the check run up before it creates one again.
func repeatable(req *http.Request) bool {
	if !resendable(req) {
		return false
	}
	if req.Context().Value(sameTwiceKey{}) != nil {
		return true
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

// resendable reports whether the request's body, if any, can be sent
// again.
func resendable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

type sameTwiceKey struct{}

// sameTwice marks the requests made with ctx as doing the same thing when
// sent twice, whatever their method: a PATCH that sets a check run's state
// and no annotations, say.
func sameTwice(ctx context.Context) context.Context {
	return context.WithValue(ctx, sameTwiceKey{}, true)
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

func (t *guarded) unavailable(req *http.Request, resp *http.Response, err error, attempts int, repeatable bool) error {
	e := &UnavailableError{Method: req.Method, Path: req.URL.Path, Attempts: attempts, Repeatable: repeatable, Err: err, Since: t.gate.health.since()}
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
