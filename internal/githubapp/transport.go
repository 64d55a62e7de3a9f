package githubapp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/text"
)

// RateLimitError is returned for a request GitHub refused because a rate
// limit was reached. RetryAt is when GitHub says to try again; the queue
// reschedules the job for then instead of sleeping or spinning.
type RateLimitError struct {
	At        time.Time
	Status    int
	Secondary bool
	Message   string
	// Held is true when the request was not sent, because an earlier
	// request of the same installation met the limit (see gate).
	Held bool
	// pace is true when mergeguard held a write back to keep within
	// GitHub's limit on content-creating requests; GitHub refused nothing.
	pace bool
}

func (e *RateLimitError) Error() string {
	if e.pace {
		return fmt.Sprintf("request not sent: %s; retry at %s", e.Message, e.At.UTC().Format(time.RFC3339))
	}
	kind := "primary"
	if e.Secondary {
		kind = "secondary"
	}
	status, held := "", ""
	if e.Status != 0 {
		status = fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Held {
		held = "request not sent: "
	}
	return fmt.Sprintf("%sGitHub %s rate limit reached%s, retry at %s: %s", held, kind, status, e.At.UTC().Format(time.RFC3339), e.Message)
}

// RetryAt is when the request may be retried.
func (e *RateLimitError) RetryAt() time.Time { return e.At }

// baseTransport is the bottom of every GitHub request: it sets the
// User-Agent, counts requests by status, records the remaining rate limit,
// and turns rate-limited responses into *RateLimitError. Every request goes
// through it, including installation-token creation.
type baseTransport struct {
	next         http.RoundTripper
	userAgent    string
	metrics      *metrics.Metrics
	installation string
	now          func() time.Time
}

func (t *baseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("User-Agent", t.userAgent)
	if r.Header.Get("X-GitHub-Api-Version") == "" {
		r.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		t.metrics.GitHubRequests.WithLabelValues(req.Method, "error").Inc()
		return nil, err
	}
	t.metrics.GitHubRequests.WithLabelValues(req.Method, strconv.Itoa(resp.StatusCode)).Inc()
	if rem := resp.Header.Get("X-RateLimit-Remaining"); rem != "" {
		if n, err := strconv.Atoi(rem); err == nil {
			t.metrics.RateLimitRemaining.WithLabelValues(t.installation).Set(float64(n))
		}
	}
	if rl := t.rateLimited(resp); rl != nil {
		resp.Body.Close()
		return nil, rl
	}
	return resp, nil
}

// rateLimited recognises GitHub's rate-limit answers: 403 or 429 with a
// Retry-After header, or with x-ratelimit-remaining: 0 (then
// x-ratelimit-reset says when), or a 403/429 whose message names a secondary
// rate limit without saying when (GitHub then asks for at least a minute).
func (t *baseTransport) rateLimited(resp *http.Response) *RateLimitError {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return nil
	}
	now := t.now()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	msg := githubMessage(body)
	secondary := strings.Contains(strings.ToLower(msg), "secondary rate limit")

	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && secs >= 0 {
			return &RateLimitError{At: now.Add(time.Duration(secs) * time.Second), Status: resp.StatusCode, Secondary: secondary || resp.Header.Get("X-RateLimit-Remaining") != "0", Message: msg}
		}
		if at, err := http.ParseTime(ra); err == nil {
			return &RateLimitError{At: at, Status: resp.StatusCode, Secondary: secondary, Message: msg}
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		at := now.Add(time.Minute)
		if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			at = time.Unix(reset, 0)
		}
		return &RateLimitError{At: at, Status: resp.StatusCode, Message: msg}
	}
	if secondary || resp.StatusCode == http.StatusTooManyRequests {
		return &RateLimitError{At: now.Add(time.Minute), Status: resp.StatusCode, Secondary: true, Message: msg}
	}
	return nil
}

// githubMessage extracts "message" from a GitHub error body without a full
// JSON decode (the body may not be JSON at all).
func githubMessage(body []byte) string {
	s := string(body)
	i := strings.Index(s, `"message"`)
	if i < 0 {
		return strings.TrimSpace(text.Clip(s, 200))
	}
	s = s[i+len(`"message"`):]
	s = strings.TrimLeft(s, " \t\r\n:")
	if !strings.HasPrefix(s, `"`) {
		return ""
	}
	s = s[1:]
	if j := strings.Index(s, `"`); j >= 0 {
		s = s[:j]
	}
	return text.Clip(s, 200)
}
