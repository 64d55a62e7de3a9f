// Package fakegithub is a stateful fake of the parts of GitHub's REST API that
// mergeguard uses, served by httptest on loopback. It answers in GitHub's
// JSON shapes (a contract test checks them against GitHub's OpenAPI
// description), authenticates like GitHub (App JWTs, installation tokens),
// supports conditional requests and pagination, records every request so
// tests can count them, and can inject faults: one route's next answers
// (Fail, Stall), or GitHub's bad weather as a seeded model applied to every
// request (SetFaults: server errors, secondary and primary rate limits that
// refuse the whole installation while they last, ghost writes; SetOutage;
// SetLatencyRange), counting any request sent while a limit it announced
// was in force (Limits).
package fakegithub

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// APIPrefix is where the fake serves the REST API, as GitHub Enterprise
// Server does; it proves the app joins its base URL correctly.
const APIPrefix = "/api/v3"

// Route is one method and OpenAPI path the fake implements.
type Route struct {
	Method string
	Path   string
}

// Request is one request the fake received.
type Request struct {
	Method string
	// Route is the OpenAPI path template it matched ("" for unknown routes).
	Route string
	Path  string
	// Query is the raw query string (a page of a list, say).
	Query        string
	Status       int
	Installation int64
	// PR is the pull request the request is about, "owner/repo#n", when
	// the fake can tell: from the path, or for check runs and comparisons
	// from the commit (the pull request it is the head or a commit of).
	PR             string
	UserAgent      string
	IfNoneMatch    bool
	RequestBodyLen int
	// Arrived is when the request reached the fake (its clock), before any
	// latency it adds.
	Arrived time.Time
	// Fault names what the weather did to the request (FaultModel,
	// SetOutage): "" when it was answered normally.
	Fault string
	// IgnoredLimit is set when the request arrived while a rate limit the
	// client had been told about was in force (LimitStats.Ignored).
	IgnoredLimit bool
}

// Write reports whether the request asks GitHub to change something.
func (r Request) Write() bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead
}

// Server is a fake GitHub.
type Server struct {
	t     testing.TB
	srv   *httptest.Server
	appID int64
	key   *rsa.PrivateKey
	// clock dates what the fake records (time.Now unless SetClock).
	clock atomic.Pointer[func() time.Time]

	mu            sync.Mutex
	installations map[int64]*installation
	repos         map[string]*Repo
	tokens        map[string]token
	checkRuns     []*CheckRun
	teams         map[string]*team
	// members are organization members other than team members
	// ("org/login", lower case).
	members map[string]bool
	// oauthCodes and userTokens are the OAuth web flow's (oauth.go).
	oauthCodes map[string]oauthCode
	userTokens map[string]string
	nextID     int64
	requests   []Request
	resetAt    int
	// unknown are requests to routes the fake does not implement; a reset
	// does not clear them.
	unknown []Request
	faults  []*fault
	// permissions are users' roles on repositories, by owner/name/login.
	permissions   map[string]string
	paused        chan struct{}
	hooks         hookLog
	rateRemaining int
	manifests     []*ManifestApp
	traffic       traffic
	weather       weather
	// requeued are check suites someone re-ran, until a run in them is
	// written again.
	requeued map[int64]bool
	// direct holds Direct's personal token per installation.
	direct map[int64]string
}

type installation struct {
	id      int64
	account string
}

type token struct {
	installation int64
	expires      time.Time
}

type fault struct {
	method, route string
	remaining     int
	status        int
	header        http.Header
	body          string
}

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// New starts a fake GitHub that lives until the test ends. At the end, the
// test fails if the app called a route the fake does not implement.
func New(t testing.TB) *Server {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	s := &Server{
		t: t, appID: 424242, key: testKey,
		installations: map[int64]*installation{}, repos: map[string]*Repo{}, tokens: map[string]token{}, teams: map[string]*team{},
		nextID: 1000, rateRemaining: 5000, requeued: map[int64]bool{},
	}
	s.srv = httptest.NewServer(s.routes())
	t.Cleanup(func() {
		s.Resume()
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, r := range s.unknown {
			t.Errorf("fake GitHub: the app called %s %s, which the fake does not implement (add it, checked against the OpenAPI description)", r.Method, r.Path)
		}
	})
	return s
}

// URL is the REST API root to configure the app with (ends with a slash).
func (s *Server) URL() string { return s.srv.URL + APIPrefix + "/" }

// AppID is the fake App's ID.
func (s *Server) AppID() int64 { return s.appID }

// PrivateKeyPEM is the fake App's private key.
func (s *Server) PrivateKeyPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(s.key)}))
}

// AddInstallation installs the App on an account.
func (s *Server) AddInstallation(id int64, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.installations[id] = &installation{id: id, account: account}
}

// Requests returns a copy of the request log since the last reset.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests[s.resetAt:]...)
}

// ResetRequests clears the request log. Requests still being answered keep
// their place, so their status is not written into a later entry.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.requests {
		s.requests[i] = Request{Route: "(reset)"}
	}
	s.resetAt = len(s.requests)
}

// Count returns how many logged requests match method and route ("" matches
// any).
func (s *Server) Count(method, route string) int {
	n := 0
	for _, r := range s.Requests() {
		if (method == "" || r.Method == method) && (route == "" || r.Route == route) {
			n++
		}
	}
	return n
}

// Fail makes the next n requests to method+route answer with status, extra
// headers and body instead of their normal response. The body is sent as
// JSON unless header sets another Content-Type.
func (s *Server) Fail(method, route string, n, status int, header http.Header, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, route: route, remaining: n, status: status, header: header, body: body})
}

// Pause holds every API request until Resume, like a GitHub that does not
// answer.
func (s *Server) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused == nil {
		s.paused = make(chan struct{})
	}
}

// Resume releases held requests.
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused != nil {
		close(s.paused)
		s.paused = nil
	}
}

// Routes lists every method and path the fake implements.
func (s *Server) Routes() []Route {
	out := make([]Route, len(routeTable))
	for i, r := range routeTable {
		out[i] = Route{Method: r.method, Path: r.path}
	}
	return out
}

type handler func(s *Server, w *responder, r *http.Request) (status int, body any)

type route struct {
	method  string
	path    string
	handler handler
	// auth is "jwt" for /app endpoints, "token" for installation endpoints.
	auth string
}

var routeTable = []route{
	{"POST", "/app/installations/{installation_id}/access_tokens", (*Server).createToken, "jwt"},
	{"GET", "/repos/{owner}/{repo}/pulls", (*Server).listPulls, "token"},
	{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}", (*Server).getPull, "token"},
	{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", (*Server).listFiles, "token"},
	{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", (*Server).listReviews, "token"},
	{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/commits", (*Server).listCommits, "token"},
	{"POST", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", (*Server).requestReviewers, "token"},
	{"GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs", (*Server).listCheckRunsForRef, "token"},
	{"POST", "/repos/{owner}/{repo}/check-runs", (*Server).createCheckRun, "token"},
	{"PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", (*Server).updateCheckRun, "token"},
	{"GET", "/repos/{owner}/{repo}/compare/{basehead}", (*Server).compare, "token"},
	{"GET", "/orgs/{org}/teams/{team_slug}/members", (*Server).teamMembers, "token"},
	{"GET", "/orgs/{org}/members/{username}", (*Server).checkMember, "token"},
	{"GET", "/user", (*Server).getUser, "user"},
	{"GET", "/repos/{owner}/{repo}", (*Server).getRepo, "token"},
	{"GET", "/repos/{owner}/{repo}/commits/{ref}", (*Server).getCommit, "token"},
	{"GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}", (*Server).getTree, "token"},
	{"GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}", (*Server).getBlob, "token"},
	{"GET", "/repos/{owner}/{repo}/contents/{path}", (*Server).getContents, "token"},
	{"GET", "/repos/{owner}/{repo}/codeowners/errors", (*Server).codeOwnersErrors, "token"},
	{"GET", "/installation/repositories", (*Server).listInstallationRepos, "token"},
	{"POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", (*Server).createComment, "token"},
	{"POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", (*Server).createReaction, "token"},
	{"GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", (*Server).getPermission, "token"},
	{"GET", "/repos/{owner}/{repo}/deployments", (*Server).listDeployments, "token"},
	{"GET", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", (*Server).listDeploymentStatuses, "token"},
	{"GET", "/app/hook/deliveries", (*Server).listHookDeliveries, "jwt"},
	{"POST", "/app/hook/deliveries/{delivery_id}/attempts", (*Server).redeliverHookDelivery, "jwt"},
	{"POST", "/app-manifests/{code}/conversions", (*Server).convertManifest, ""},
}

// responder carries per-request state to handlers.
type responder struct {
	http.ResponseWriter
	installation int64
	route        string
	link         string
	// pr overrides the request's pull request (Request.PR), for handlers
	// that learn it from a commit.
	pr string
	// weather is the fault the request met, if any.
	weather *forecast
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routeTable {
		rt := rt
		// A file path spans segments: Go's pattern for that is {path...}.
		pattern := strings.Replace(rt.path, "{path}", "{path...}", 1)
		mux.HandleFunc(rt.method+" "+APIPrefix+pattern, func(w http.ResponseWriter, r *http.Request) {
			s.serve(rt, w, r)
		})
	}
	s.webRoutes(mux)
	s.oauthRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		req := Request{Method: r.Method, Path: r.URL.Path, Status: 404, UserAgent: r.UserAgent()}
		s.log(req)
		s.mu.Lock()
		s.unknown = append(s.unknown, req)
		s.mu.Unlock()
		writeJSON(w, 404, errorBody("Not Found"))
	})
	return mux
}

func (s *Server) serve(rt route, w http.ResponseWriter, r *http.Request) {
	defer s.traffic.enter()()
	arrived := s.now()
	draws := s.weather.draw(r)
	s.mu.Lock()
	paused := s.paused
	s.mu.Unlock()
	if paused != nil {
		select {
		case <-paused:
		case <-r.Context().Done():
			return
		}
	}
	s.traffic.delay(r, s.weather.latency(draws))
	// The request is logged on arrival, before it changes any state, so a
	// test that sees its effect also finds it in the log.
	idx := s.log(Request{
		Method: r.Method, Route: rt.path, Path: r.URL.Path, Query: r.URL.RawQuery, UserAgent: r.UserAgent(),
		IfNoneMatch: r.Header.Get("If-None-Match") != "", Arrived: arrived, PR: s.prOfPath(r),
	})
	if s.traffic.stalled(rt, w, r) {
		return
	}
	resp := &responder{ResponseWriter: w, route: rt.path}

	status, body := s.authenticate(rt, resp, r)
	if status == 0 {
		if f := s.takeFault(rt); f != nil {
			for k, v := range f.header {
				w.Header()[k] = v
			}
			status, body = f.status, json.RawMessage(f.body)
		} else if fc := s.weather.before(s.now(), arrived, resp.installation, draws); fc != nil {
			status, body = resp.forecast(fc)
		} else {
			status, body = rt.handler(s, resp, r)
			if fc := s.weather.ghost(r.Method, status, draws); fc != nil {
				status, body = resp.forecast(fc)
			}
		}
	}
	s.finish(resp, r, status, body, idx)
	if resp.weather != nil && resp.weather.opened != nil {
		s.weather.announced(resp.weather.opened, s.now())
	}
}

// forecast answers with what the weather decided for the request.
func (w *responder) forecast(fc *forecast) (int, any) {
	w.weather = fc
	for k, v := range fc.header {
		w.Header()[k] = v
	}
	if fc.html {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return fc.status, rawBody(fc.body)
	}
	return fc.status, json.RawMessage(fc.body)
}

func (s *Server) finish(w *responder, r *http.Request, status int, body any, idx int) {
	s.mu.Lock()
	// GitHub's edge answers with its HTML page on its own, without the
	// API's rate-limit headers.
	edge := w.weather != nil && w.weather.html
	if w.Header().Get("X-RateLimit-Remaining") == "" && !edge {
		if s.rateRemaining > 0 {
			s.rateRemaining--
		}
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(s.rateRemaining))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(s.now().Add(time.Hour).Unix(), 10))
		w.Header().Set("X-RateLimit-Resource", "core")
	}
	s.mu.Unlock()
	if w.link != "" {
		w.Header().Set("Link", w.link)
	}
	var data []byte
	isJSON := true
	switch b := body.(type) {
	case json.RawMessage:
		data = b
	case rawBody:
		data, isJSON = []byte(b), false
	case nil:
	default:
		data, _ = json.Marshal(body)
	}
	if r.Method == http.MethodGet && status == 200 {
		// A fault (Fail) may carry an ETag of its own.
		etag := w.Header().Get("ETag")
		if etag == "" {
			sum := sha256.Sum256(data)
			etag = `W/"` + hex.EncodeToString(sum[:16]) + `"`
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "private, max-age=60, s-maxage=60")
		w.Header().Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
		if r.Header.Get("If-None-Match") == etag {
			status, data = http.StatusNotModified, nil
		}
	}
	s.mu.Lock()
	logged := &s.requests[idx]
	logged.Status, logged.Installation = status, w.installation
	if w.pr != "" {
		logged.PR = w.pr
	}
	if w.weather != nil {
		logged.Fault, logged.IgnoredLimit = w.weather.fault, w.weather.ignored
	}
	s.mu.Unlock()
	// A fault (Fail) may say its body is something else.
	if data != nil && isJSON && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	if data != nil && status != http.StatusNotModified {
		w.Write(data)
	}
}

func (s *Server) takeFault(rt route) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.remaining > 0 && f.method == rt.method && f.route == rt.path {
			f.remaining--
			return f
		}
	}
	return nil
}

// log appends a request and returns its index, for finish to complete.
func (s *Server) log(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	return len(s.requests) - 1
}

func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

// pagination applies per_page/page to n items and sets the Link header.
func pagination(w *responder, r *http.Request, n int) (from, to int, status int, body any) {
	perPage, page := 30, 1
	if v := r.URL.Query().Get("per_page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 {
			return 0, 0, 422, errorBody("Invalid per_page")
		}
		perPage = min(p, 100)
	}
	if v := r.URL.Query().Get("page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 {
			return 0, 0, 422, errorBody("Invalid page")
		}
		page = p
	}
	from = min((page-1)*perPage, n)
	to = min(from+perPage, n)
	last := max(1, (n+perPage-1)/perPage)
	if page < last {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		link := func(p int) string {
			q := u.Query()
			q.Set("page", strconv.Itoa(p))
			q.Set("per_page", strconv.Itoa(perPage))
			u.RawQuery = q.Encode()
			return u.String()
		}
		w.link = fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, link(page+1), link(last))
	}
	return from, to, 0, nil
}

func errorBody(msg string) map[string]any {
	return map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func lower(s string) string { return strings.ToLower(s) }

// SetClock replaces the fake's clock (time.Now): it dates pull requests,
// pushes, reviews and comments, and times token expiry and how long the
// fault model's rate limits last.
func (s *Server) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Server) now() time.Time {
	if now := s.clock.Load(); now != nil {
		return (*now)()
	}
	return time.Now()
}
