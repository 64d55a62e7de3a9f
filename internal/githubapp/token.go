package githubapp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// NewTokenClient returns a client that reads GitHub with a personal or
// Actions token instead of as the App, for `mergeguard eval --repo --pr`.
func NewTokenClient(token, baseURL string, transport http.RoundTripper) (*Installation, error) {
	if token == "" {
		return nil, errors.New("no token: set GITHUB_TOKEN to a token that can read the repository")
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("GitHub API URL %q is not valid", baseURL)
	}
	if transport == nil {
		transport = defaultTransport()
	}
	cfg := Config{Metrics: metrics.New(), Transport: transport, Now: time.Now, RequestTimeout: 30 * time.Second, MaxWait: DefaultMaxWait, Log: slog.Default()}
	a := &App{cfg: cfg, baseURL: u, cache: newBodyStore(16 << 20)}
	auth := &tokenTransport{token: token, next: a.base("token")}
	return &Installation{client: a.client(&etagCache{next: auth, store: a.cache, scope: "token"})}, nil
}

type tokenTransport struct {
	token string
	next  http.RoundTripper
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(r)
}
