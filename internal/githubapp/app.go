// Package githubapp talks to GitHub as a GitHub App: an App JWT to create
// installation tokens (POST /app/installations/{id}/access_tokens), tokens (cached until shortly before they expire)
// for everything else, conditional GETs, and rate limits reported as
// *RateLimitError. It is the only package that imports ghinstallation.
package githubapp

import (
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/version"
)

// Config describes the App.
type Config struct {
	AppID      int64
	PrivateKey *rsa.PrivateKey
	// BaseURL is the REST API root, ending in a slash
	// (https://api.github.com/ or https://HOST/api/v3/).
	BaseURL string
	Metrics *metrics.Metrics
	// Transport is the network transport (http.DefaultTransport's settings
	// with timeouts when nil). Tests point it at a fake GitHub.
	Transport http.RoundTripper
	// CacheBytes bounds the conditional-request cache (default 16 MiB).
	// Cached bodies are live memory; the cache mostly saves rate limit on
	// re-evaluating unchanged pull requests, whose responses are small.
	CacheBytes int64
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// RequestTimeout bounds one attempt of an HTTP request (default 30s);
	// Retry says how failed attempts are repeated.
	RequestTimeout time.Duration
	Retry          RetryPolicy
	// MaxConcurrent caps the requests of one installation in flight at
	// once (MaxConcurrentLimit, GitHub's documented limit, when zero).
	// Below it the bound adapts to GitHub's answers (see concurrency).
	MaxConcurrent int
	// MaxWait is the longest rate-limit wait a request waits out in place
	// (DefaultMaxWait when zero); a longer one hands the job back to the
	// queue.
	MaxWait time.Duration
	// Log receives what an operator should know of GitHub's answers: an
	// answer refused as malformed, a change of GitHub's availability (once
	// per change) (slog.Default() when nil).
	Log *slog.Logger
}

// App is an authenticated GitHub App. It is safe for concurrent use.
type App struct {
	cfg     Config
	baseURL *url.URL
	cache   *bodyStore

	mu            sync.Mutex
	installations map[int64]*Installation

	gatesMu sync.Mutex
	gates   map[string]*gate
}

// New prepares the App. It makes no request.
func New(cfg Config) (*App, error) {
	if cfg.AppID <= 0 || cfg.PrivateKey == nil {
		return nil, fmt.Errorf("GitHub App needs an App ID and a private key")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("GitHub API URL %q is not valid", cfg.BaseURL)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = 16 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.Transport == nil {
		cfg.Transport = defaultTransport()
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	a := &App{cfg: cfg, baseURL: u, cache: newBodyStore(cfg.CacheBytes), installations: map[int64]*Installation{}}
	return a, nil
}

// AppID is the App's ID.
func (a *App) AppID() int64 { return a.cfg.AppID }

func (a *App) base(installation string) http.RoundTripper {
	base := &baseTransport{
		next: a.cfg.Transport, userAgent: version.UserAgent(), metrics: a.cfg.Metrics,
		installation: installation, now: a.cfg.Now,
	}
	checked := &checkedAnswers{next: base, prefix: strings.TrimSuffix(a.baseURL.Path, "/"), log: a.cfg.Log, metrics: a.cfg.Metrics}
	return &guarded{
		next: checked, gate: a.gate(installation), policy: a.cfg.Retry.withDefaults(),
		timeout: a.cfg.RequestTimeout, maxWait: a.cfg.MaxWait, now: a.cfg.Now, metrics: a.cfg.Metrics,
	}
}

// gate returns the installation's gate; every client of one installation
// shares it, its token requests included.
func (a *App) gate(installation string) *gate {
	a.gatesMu.Lock()
	defer a.gatesMu.Unlock()
	if a.gates == nil {
		a.gates = map[string]*gate{}
	}
	g, ok := a.gates[installation]
	if !ok {
		g = newGate(installation, a.cfg.MaxConcurrent, a.cfg.Now, a.cfg.Metrics, a.cfg.Log)
		a.gates[installation] = g
	}
	return g
}

// Installation returns the client for one installation. Its token is created
// on first use and renewed shortly before it expires.
func (a *App) Installation(id int64) *Installation {
	a.mu.Lock()
	defer a.mu.Unlock()
	if inst, ok := a.installations[id]; ok {
		return inst
	}
	label := strconv.FormatInt(id, 10)
	// Each installation gets its own instrumented transport, labelled for
	// its rate-limit gauge. Token creation goes to the configured API root
	// (GitHub Enterprise Server included) through that same transport.
	apps := ghinstallation.NewAppsTransportFromPrivateKey(a.base(label), a.cfg.AppID, a.cfg.PrivateKey)
	apps.BaseURL = apiRoot(a.baseURL)
	tr := ghinstallation.NewFromAppsTransport(apps, id)
	// ghinstallation sends its token options as the request's body, and
	// nil options as JSON null, which GitHub's description of the endpoint
	// does not allow. No options is an empty object: a token with all of
	// the installation's access.
	tr.InstallationTokenOptions = &github.InstallationTokenOptions{}
	cached := &etagCache{next: tr, store: a.cache, scope: label}
	inst := &Installation{id: id, client: a.client(cached)}
	a.installations[id] = inst
	return inst
}

func (a *App) client(tr http.RoundTripper) *github.Client {
	// No client-wide timeout: it would cut retries short. Each attempt is
	// bounded by RequestTimeout and all of them by Retry.Budget (guarded).
	c := github.NewClient(&http.Client{Transport: tr})
	base := *a.baseURL
	c.BaseURL = &base
	c.UserAgent = version.UserAgent()
	return c
}

// apiRoot is the base URL without its trailing slash, as ghinstallation
// expects.
func apiRoot(u *url.URL) string {
	s := u.String()
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

func defaultTransport() http.RoundTripper {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   20,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
