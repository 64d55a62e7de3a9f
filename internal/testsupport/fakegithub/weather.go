package fakegithub

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// FaultModel is GitHub in bad weather: each API request independently
// meets a fault with probability Rate, and the faults are GitHub's usual
// ones, in this mix:
//
//   - 50 %: a server error — 500 (JSON), or 502, half of those with the
//     HTML page GitHub's edge sends instead of JSON;
//   - 25 %: a secondary rate limit — 403, "You have exceeded a secondary
//     rate limit", Retry-After; every request of the installation during
//     that wait gets the same answer;
//   - 25 %: the primary limit used up — 403, x-ratelimit-remaining: 0 and
//     x-ratelimit-reset PrimaryReset ahead; every request of the
//     installation gets that answer until the reset.
//
// Rate limits belong to an installation, so they strike requests made with
// an installation token; a request without one (an App JWT's: token
// creation, the webhook log) meets a 500 or 502 in their place.
//
// Faults are deterministic: whether a request is faulted, and how, depends
// on the seed and on the request itself (method, path and query, and how
// many times the same request was made before), not
// on the order concurrent requests happen to arrive in. Rate-limit windows
// are timed by the fake's clock (SetClock).
type FaultModel struct {
	Seed int64
	// Rate is the share of requests faulted, from 0 to 1.
	Rate float64
	// GhostWrites is the share of writes (any method but GET and HEAD) that
	// GitHub carries out and then answers 502, as when its backend was slow
	// to reply: the change is made, the client is told it failed.
	GhostWrites float64
	// PrimaryReset is how far ahead x-ratelimit-reset lies when the primary
	// limit is used up (default 2s). The reset is a whole second, as on
	// GitHub, so the wait is up to a second longer.
	PrimaryReset time.Duration
	// SecondaryWait is the Retry-After of a secondary limit, in whole
	// seconds (default 1s).
	SecondaryWait time.Duration
	// Grace is how long after a limit's announcement was sent a request of
	// the installation may still arrive without counting as ignoring it
	// (default 100ms): one already on its way when the client read the
	// announcement is not the client ignoring it.
	Grace time.Duration
}

// The kinds of fault, as Request.Fault names them.
const (
	FaultServerError = "500"
	FaultBadGateway  = "502"
	// FaultEdgeHTML is a 502 with GitHub's HTML error page.
	FaultEdgeHTML  = "502-html"
	FaultSecondary = "secondary-limit"
	FaultPrimary   = "primary-limit"
	// FaultLimited is a request refused because a limit announced earlier
	// is still in force for its installation.
	FaultLimited = "limited"
	// FaultGhost is a write carried out and then answered 502.
	FaultGhost = "ghost-write"
	// FaultOutage is a request refused during an outage (SetOutage).
	FaultOutage = "outage"
)

// LimitStats is what happened to one installation under the fault model's
// rate limits.
type LimitStats struct {
	// Announced counts the rate limits the fake announced.
	Announced int
	// Refused counts requests refused because a limit was in force,
	// whether or not the client could know yet.
	Refused int
	// Ignored counts requests that arrived while a limit was in force, after
	// (and Grace beyond) its announcement had been sent: the client was told
	// and sent them anyway. A well-behaved client keeps this at 0.
	Ignored int
}

// weather is the fake's fault model state.
type weather struct {
	mu      sync.Mutex
	model   *FaultModel
	outage  bool
	seen    map[string]uint64
	windows map[int64]*limitWindow
	stats   map[int64]*LimitStats
	// latency is a range of answer delays, drawn per request.
	latencyMin, latencyMax time.Duration
}

// limitWindow is a rate limit in force for an installation.
type limitWindow struct {
	until  time.Time
	kind   string
	header http.Header
	body   string
	// announced is when the first answer announcing the limit was sent
	// (zero until then).
	announced time.Time
}

// SetFaults applies a fault model to every request from now on; nil (or a
// Rate and GhostWrites of 0) turns it off. Limits already announced stay in
// force until they end.
func (s *Server) SetFaults(m *FaultModel) {
	s.weather.mu.Lock()
	defer s.weather.mu.Unlock()
	if m == nil {
		s.weather.model = nil
		return
	}
	c := *m
	if c.PrimaryReset <= 0 {
		c.PrimaryReset = 2 * time.Second
	}
	if c.SecondaryWait < time.Second {
		c.SecondaryWait = time.Second
	}
	if c.Grace <= 0 {
		c.Grace = 100 * time.Millisecond
	}
	s.weather.model = &c
}

// SetOutage makes every API request fail with 503 and GitHub's HTML error
// page while on, like GitHub during an incident, until it is switched off.
func (s *Server) SetOutage(on bool) {
	s.weather.mu.Lock()
	defer s.weather.mu.Unlock()
	s.weather.outage = on
}

// SetLatencyRange makes every API request take between lo and hi before it
// is answered, drawn per request (deterministically, like faults), like a
// GitHub whose answers take 20 to 40 ms. SetLatency's fixed latency, when
// larger, wins.
func (s *Server) SetLatencyRange(lo, hi time.Duration) {
	s.weather.mu.Lock()
	defer s.weather.mu.Unlock()
	s.weather.latencyMin, s.weather.latencyMax = lo, max(lo, hi)
}

// Limits reports, per installation, the rate limits the fault model
// announced and the requests they refused.
func (s *Server) Limits() map[int64]LimitStats {
	s.weather.mu.Lock()
	defer s.weather.mu.Unlock()
	out := make(map[int64]LimitStats, len(s.weather.stats))
	for id, st := range s.weather.stats {
		out[id] = *st
	}
	return out
}

// IgnoredLimits counts, over all installations, the requests sent although
// the client had been told a limit was in force (LimitStats.Ignored).
func (s *Server) IgnoredLimits() int {
	n := 0
	for _, st := range s.Limits() {
		n += st.Ignored
	}
	return n
}

// forecast is what the weather does to one request.
type forecast struct {
	status int
	header http.Header
	body   string
	html   bool
	fault  string
	// opened is the limit window this answer announces.
	opened *limitWindow
	// ignored is set for a request that ignored an announced limit.
	ignored bool
}

// draws are a request's random numbers: the same request (the nth time it
// is made) always gets the same ones for a given seed.
type draws struct{ fault, kind, ghost, latency float64 }

func (w *weather) draw(r *http.Request) draws {
	key := r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery
	w.mu.Lock()
	var seed int64
	if w.model != nil {
		seed = w.model.Seed
	}
	if w.seen == nil {
		w.seen = map[string]uint64{}
	}
	n := w.seen[key]
	w.seen[key] = n + 1
	w.mu.Unlock()
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte(key))
	rng := rand.New(rand.NewPCG(h.Sum64(), n))
	return draws{fault: rng.Float64(), kind: rng.Float64(), ghost: rng.Float64(), latency: rng.Float64()}
}

// latency is how long to hold a request before answering it.
func (w *weather) latency(d draws) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.latencyMin + time.Duration(d.latency*float64(w.latencyMax-w.latencyMin))
}

// before decides, ahead of the handler, whether the request is answered by
// the weather: an outage, a limit in force, or a fault drawn for it.
func (w *weather) before(now, arrived time.Time, installation int64, d draws) *forecast {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.outage {
		return &forecast{status: http.StatusServiceUnavailable, body: unicorn(503), html: true, fault: FaultOutage}
	}
	if win := w.windows[installation]; installation != 0 && win != nil {
		if now.Before(win.until) {
			st := w.statsFor(installation)
			st.Refused++
			f := &forecast{status: http.StatusForbidden, header: win.header.Clone(), body: win.body, fault: FaultLimited}
			if !win.announced.IsZero() && arrived.After(win.announced.Add(w.model.graceOr())) {
				st.Ignored++
				f.ignored = true
			}
			return f
		}
		delete(w.windows, installation)
	}
	m := w.model
	if m == nil || d.fault >= m.Rate {
		return nil
	}
	kind := d.kind
	if installation == 0 && kind >= 0.5 {
		kind -= 0.5 // no installation, no rate limit: a server error instead
	}
	switch {
	case kind < 0.25:
		return &forecast{status: http.StatusInternalServerError, body: `{"message":"Server Error"}`, fault: FaultServerError}
	case kind < 0.5:
		return badGateway(kind < 0.375)
	case kind < 0.75:
		wait := int(m.SecondaryWait / time.Second)
		win := &limitWindow{
			until: now.Add(time.Duration(wait) * time.Second), kind: FaultSecondary,
			header: http.Header{"Retry-After": {strconv.Itoa(wait)}},
			body:   `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0B2C:3F1A:1E5B2C:3E6F1A:66A1F0C1.","documentation_url":"https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
		}
		return w.open(installation, win)
	default:
		reset := now.Add(m.PrimaryReset).Truncate(time.Second)
		if reset.Before(now.Add(m.PrimaryReset)) {
			reset = reset.Add(time.Second)
		}
		win := &limitWindow{
			until: reset, kind: FaultPrimary,
			header: http.Header{
				"X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Used": {"5000"},
				"X-Ratelimit-Reset": {strconv.FormatInt(reset.Unix(), 10)}, "X-Ratelimit-Resource": {"core"},
			},
			body: fmt.Sprintf(`{"message":"API rate limit exceeded for installation ID %d.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`, installation),
		}
		return w.open(installation, win)
	}
}

// open puts a limit in force for the installation and answers with it.
func (w *weather) open(installation int64, win *limitWindow) *forecast {
	if w.windows == nil {
		w.windows = map[int64]*limitWindow{}
	}
	w.windows[installation] = win
	w.statsFor(installation).Announced++
	return &forecast{status: http.StatusForbidden, header: win.header.Clone(), body: win.body, fault: win.kind, opened: win}
}

// announced records that the answer opening win was sent.
func (w *weather) announced(win *limitWindow, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if win.announced.IsZero() {
		win.announced = at
	}
}

// ghost reports whether a write that succeeded is answered 502 anyway.
func (w *weather) ghost(method string, status int, d draws) *forecast {
	if method == http.MethodGet || method == http.MethodHead || status >= 300 {
		return nil
	}
	w.mu.Lock()
	m := w.model
	w.mu.Unlock()
	if m == nil || d.ghost >= m.GhostWrites {
		return nil
	}
	f := badGateway(d.kind < 0.5)
	f.fault = FaultGhost
	return f
}

func (w *weather) statsFor(installation int64) *LimitStats {
	if w.stats == nil {
		w.stats = map[int64]*LimitStats{}
	}
	st := w.stats[installation]
	if st == nil {
		st = &LimitStats{}
		w.stats[installation] = st
	}
	return st
}

func (m *FaultModel) graceOr() time.Duration {
	if m == nil || m.Grace <= 0 {
		return 100 * time.Millisecond
	}
	return m.Grace
}

// badGateway is GitHub's 502: JSON from the API, or the edge's HTML page.
func badGateway(json bool) *forecast {
	if json {
		return &forecast{status: http.StatusBadGateway, body: `{"message":"Server Error"}`, fault: FaultBadGateway}
	}
	return &forecast{status: http.StatusBadGateway, body: unicorn(502), html: true, fault: FaultEdgeHTML}
}

// unicorn is the HTML page GitHub's edge answers with when the API behind
// it does not answer.
func unicorn(status int) string {
	return fmt.Sprintf(`<!DOCTYPE html>
<html>
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8">
    <title>Unicorn! &middot; GitHub</title>
  </head>
  <body>
    <p><strong>We had issues producing the response to your request.</strong></p>
    <p>Sorry about that. Please try refreshing and contact us if the problem persists.</p>
    <!-- %d -->
  </body>
</html>
`, status)
}
