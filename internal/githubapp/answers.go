package githubapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// MalformedError is an answer GitHub would not send: not JSON where JSON
// was asked for, a commit SHA that is not 40 hexadecimal characters, a
// required field missing. Such an answer (a proxy's page, a truncated or
// corrupted body) is refused before anything reads it, so none of its
// values reaches a URL or a verdict; it is handled like a server error:
// reads are sent again, and the job is retried.
type MalformedError struct {
	Method string
	Path   string
	Status int
	// Problem says what is wrong, without quoting the answer (it may hold
	// a token).
	Problem string
	// header is the answer's, whose rate-limit headers still count.
	header http.Header
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("GitHub's answer to %s %s (HTTP %d) is not what GitHub sends: %s", e.Method, e.Path, e.Status, e.Problem)
}

// maxAnswer bounds the answer read for checking: GitHub's largest answers
// (a recursive tree) stay under 7 MB.
const maxAnswer = 32 << 20

// checkedAnswers sits right above baseTransport, below the retries and the
// conditional-request cache: a malformed answer becomes an error the
// retries treat like a server error, and is never cached.
type checkedAnswers struct {
	next http.RoundTripper
	// prefix is the API root's path ("" for api.github.com, "/api/v3" for
	// GitHub Enterprise Server).
	prefix  string
	log     *slog.Logger
	metrics *metrics.Metrics
}

func (c *checkedAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read GitHub's answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	problem := ""
	if len(body) > maxAnswer {
		problem = fmt.Sprintf("the answer is larger than %d MB", maxAnswer>>20)
	} else {
		problem = c.check(req, resp, body)
	}
	if problem != "" {
		c.metrics.GitHubMalformed.WithLabelValues(req.Method).Inc()
		// The request, never its headers (the token) nor the answer.
		c.log.Warn("GitHub's answer is not what GitHub sends; refused, and handled like a server error",
			"method", req.Method, "path", req.URL.Path, "status", resp.StatusCode,
			"content_type", resp.Header.Get("Content-Type"), "problem", problem)
		return nil, &MalformedError{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Problem: problem, header: resp.Header}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// check returns what is wrong with an answer, or "".
func (c *checkedAnswers) check(req *http.Request, resp *http.Response, body []byte) string {
	accept := req.Header.Get("Accept")
	switch {
	case strings.Contains(accept, ".sha"):
		if sha := strings.TrimSpace(string(body)); !isSHA(sha) {
			return fmt.Sprintf("the commit SHA asked for is %s, not %s", describe(sha), shaForm)
		}
		return ""
	case strings.Contains(accept, ".raw"):
		return "" // a file's bytes, whatever they are
	}
	media, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || media != "application/json" && !strings.HasSuffix(media, "+json") {
		return fmt.Sprintf("the answer's Content-Type is %q, not JSON", resp.Header.Get("Content-Type"))
	}
	rel := strings.TrimPrefix(req.URL.Path, c.prefix)
	for _, a := range answers {
		if a.method == req.Method && a.path.MatchString(rel) {
			return a.check(body)
		}
	}
	if !json.Valid(body) {
		return "the answer is not valid JSON"
	}
	return ""
}
