package githubapp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func TestRateLimitClassification(t *testing.T) {
	reset := t0.Add(17 * time.Minute)
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		wantAt    time.Time
		secondary bool
		limited   bool
	}{
		{"primary limit exhausted", 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)},
			`{"message":"API rate limit exceeded for installation ID 5."}`, reset, false, true},
		{"429 with Retry-After", 429, map[string]string{"Retry-After": "30"}, `{"message":"slow down"}`, t0.Add(30 * time.Second), true, true},
		{"secondary limit with Retry-After", 403, map[string]string{"Retry-After": "90", "X-RateLimit-Remaining": "4000"},
			`{"message":"You have exceeded a secondary rate limit."}`, t0.Add(90 * time.Second), true, true},
		{"secondary limit without a time waits a minute", 403, nil, `{"message":"You have exceeded a secondary rate limit. Please wait."}`, t0.Add(time.Minute), true, true},
		{"429 without headers waits a minute", 429, nil, ``, t0.Add(time.Minute), true, true},
		{"permission denied is not a rate limit", 403, map[string]string{"X-RateLimit-Remaining": "4999"}, `{"message":"Resource not accessible by integration"}`, time.Time{}, false, false},
		{"not found is not a rate limit", 404, nil, `{"message":"Not Found"}`, time.Time{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			m := metrics.New()
			tr := &baseTransport{next: http.DefaultTransport, userAgent: "mergeguard/test", metrics: m, installation: "5", now: func() time.Time { return t0 }}
			req, _ := http.NewRequest("GET", srv.URL, nil)
			resp, err := tr.RoundTrip(req)
			var rl *RateLimitError
			if tt.limited {
				if !errors.As(err, &rl) {
					t.Fatalf("want a RateLimitError, got %v", err)
				}
				if !rl.RetryAt().Equal(tt.wantAt) || rl.Secondary != tt.secondary {
					t.Fatalf("retry at %s secondary=%v, want %s %v", rl.RetryAt(), rl.Secondary, tt.wantAt, tt.secondary)
				}
				return
			}
			if err != nil {
				t.Fatalf("want the response passed through, got %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if string(body) != tt.body {
				t.Fatalf("body %q was not preserved", body)
			}
		})
	}
}

func TestBaseTransportSetsUserAgentAndCounts(t *testing.T) {
	var ua atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent() + " " + r.Header.Get("X-GitHub-Api-Version"))
		w.Header().Set("X-RateLimit-Remaining", "4321")
	}))
	defer srv.Close()
	m := metrics.New()
	tr := &baseTransport{next: http.DefaultTransport, userAgent: "mergeguard/v1.2.3", metrics: m, installation: "9", now: time.Now}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := ua.Load(); got != "mergeguard/v1.2.3 2022-11-28" {
		t.Fatalf("headers %q", got)
	}
	if n := gaugeValue(t, m, "9"); n != 4321 {
		t.Fatalf("rate limit gauge %v", n)
	}
}

func gaugeValue(t *testing.T, m *metrics.Metrics, inst string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "mergeguard_github_rate_limit_remaining" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "installation" && l.GetValue() == inst {
					return mt.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no gauge for installation %s", inst)
	return 0
}

// etagServer answers with an ETag and a Link header, and 304 when asked
// with the current ETag.
type etagServer struct {
	version  atomic.Int64
	requests atomic.Int64
	status   atomic.Int64
}

func (e *etagServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.requests.Add(1)
	if s := e.status.Load(); s != 0 {
		w.WriteHeader(int(s))
		return
	}
	v := e.version.Load()
	etag := fmt.Sprintf(`W/"v%d"`, v)
	w.Header().Set("ETag", etag)
	w.Header().Set("Link", `<https://api.github.com/x?page=2>; rel="next"`)
	w.Header().Set("Cache-Control", "private, max-age=60")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	fmt.Fprintf(w, `{"version":%d}`, v)
}

func TestETagCacheAlwaysRevalidates(t *testing.T) {
	es := &etagServer{}
	srv := httptest.NewServer(es)
	defer srv.Close()
	c := &etagCache{next: http.DefaultTransport, store: newBodyStore(1 << 20), scope: "1"}
	get := func() (string, http.Header) {
		req, _ := http.NewRequest("GET", srv.URL+"/repos/a/b/pulls/1", nil)
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return string(b), resp.Header
	}
	if body, _ := get(); body != `{"version":0}` {
		t.Fatal(body)
	}
	body, h := get()
	if body != `{"version":0}` || h.Get("X-Mergeguard-Cache") != "revalidated" || !strings.Contains(h.Get("Link"), `rel="next"`) {
		t.Fatalf("revalidated response: %q %v", body, h)
	}
	// GitHub says max-age=60, but a changed resource must be seen at once.
	es.version.Store(1)
	if body, _ := get(); body != `{"version":1}` {
		t.Fatalf("served a stale body %s", body)
	}
	if n := es.requests.Load(); n != 3 {
		t.Fatalf("%d requests: every GET must reach GitHub", n)
	}
}

func TestETagCacheForgetsOnErrorsAndKeepsScopesApart(t *testing.T) {
	es := &etagServer{}
	srv := httptest.NewServer(es)
	defer srv.Close()
	store := newBodyStore(1 << 20)
	a := &etagCache{next: http.DefaultTransport, store: store, scope: "1"}
	b := &etagCache{next: http.DefaultTransport, store: store, scope: "2"}
	var sawConditional atomic.Bool
	probe := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sawConditional.Store(r.Header.Get("If-None-Match") != "")
		return http.DefaultTransport.RoundTrip(r)
	})
	a.next, b.next = probe, probe
	do := func(c *etagCache) {
		req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	do(a)
	do(b)
	if sawConditional.Load() {
		t.Fatal("installation 2's request was made conditional with installation 1's ETag")
	}
	do(a)
	if !sawConditional.Load() {
		t.Fatal("installation 1's second request should be conditional")
	}
	es.status.Store(404)
	do(a)
	es.status.Store(0)
	do(a)
	if sawConditional.Load() {
		t.Fatal("an error response must drop the kept body")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestBodyStoreIsBoundedByBytes(t *testing.T) {
	s := newBodyStore(1000)
	for i := 0; i < 50; i++ {
		s.put(fmt.Sprint(i), cachedResponse{etag: "x", body: make([]byte, 100)})
	}
	if s.bytes > 1000 || s.lru.Len() != 10 {
		t.Fatalf("%d bytes in %d entries", s.bytes, s.lru.Len())
	}
	if _, ok := s.get("49"); !ok {
		t.Fatal("the newest entry was evicted")
	}
}
