package ui_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/testsupport/uifake"
	"github.com/mergeguard/mergeguard/internal/ui"
)

var testKey = []byte("0123456789abcdef0123456789abcdef-test-session-key")

// env is the web view on a test server, with the fixture's records and a
// fake GitHub for sign-in.
type env struct {
	t   *testing.T
	fx  uifake.Fixture
	gh  *uifake.GitHub
	h   *ui.Handler
	srv *httptest.Server

	mu  sync.Mutex
	now time.Time
}

// fixtureNow is a Wednesday noon.
var fixtureNow = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, fx: uifake.Acme(fixtureNow), now: fixtureNow}
	e.gh = uifake.NewGitHub("Iv1.client", "client-secret")
	t.Cleanup(e.gh.Close)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.h.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	h, err := ui.New(ui.Config{
		BaseURL:    e.srv.URL,
		SessionKey: testKey,
		OAuth:      &ui.OAuth{ClientID: "Iv1.client", ClientSecret: "client-secret", WebURL: e.gh.URL, APIURL: e.gh.URL},
		GitHubURL:  "https://github.example",
		Reader:     e.fx.Reader,
		Authorizer: e.fx.Authorizer,
		Schedule:   e.fx.Schedule,
		Now:        e.clock,
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// noRedirects is a client that shows each redirect instead of following it,
// and keeps no cookies: the cookies are Secure, and the test server is
// plain HTTP, so the test carries them by hand.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type response struct {
	status  int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

func (e *env) do(method, rawURL string, form url.Values, header http.Header, cookies ...*http.Cookie) response {
	e.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = e.srv.URL + rawURL
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b), cookies: resp.Cookies()}
}

func (e *env) get(path string, cookies ...*http.Cookie) response {
	e.t.Helper()
	return e.do(http.MethodGet, path, nil, nil, cookies...)
}

func named(cookies []*http.Cookie, name string) *http.Cookie {
	for _, c := range cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

const (
	sessionName = "__Host-mergeguard-session"
	stateName   = "__Host-mergeguard-oauth"
)

// startSignIn asks to sign in and returns the state cookie and where the
// browser is sent (GitHub's authorize page).
func (e *env) startSignIn(next string) (*http.Cookie, string) {
	e.t.Helper()
	r := e.get("/ui/login?next=" + url.QueryEscape(next))
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("login: status %d, want 303", r.status)
	}
	st := named(r.cookies, stateName)
	if st == nil {
		e.t.Fatal("login set no state cookie")
	}
	return st, r.header.Get("Location")
}

// signIn goes through the whole flow as login and returns the session
// cookie and where the callback sent the browser.
func (e *env) signIn(login, next string) (*http.Cookie, string) {
	e.t.Helper()
	e.gh.SignInAs(login, 1000+int64(len(login)))
	st, authorize := e.startSignIn(next)
	gh := e.get(authorize)
	if gh.status != http.StatusFound {
		e.t.Fatalf("authorize: status %d: %s", gh.status, gh.body)
	}
	cb := e.get(gh.header.Get("Location"), st)
	if cb.status != http.StatusSeeOther {
		e.t.Fatalf("callback: status %d: %s", cb.status, cb.body)
	}
	s := named(cb.cookies, sessionName)
	if s == nil {
		e.t.Fatal("callback set no session cookie")
	}
	return s, cb.header.Get("Location")
}

func TestPagesAuthorization(t *testing.T) {
	e := newEnv(t)
	sessions := map[string]*http.Cookie{}
	for _, who := range []string{"alice", "bob", "eve"} {
		sessions[who], _ = e.signIn(who, "/ui/")
	}
	tests := []struct {
		name, user, path string
		status           int
		want, notWant    []string
	}{
		{name: "no session: evaluation", path: "/ui/acme/shop/pull/42", status: 303},
		{name: "no session: freezes", path: "/ui/acme/freezes", status: 303},
		{name: "no session: timeline", path: "/ui/acme/timeline", status: 303},
		{name: "non-member: evaluation", user: "eve", path: "/ui/acme/shop/pull/42", status: 403, want: []string{"not a member of acme"}, notWant: []string{"retry card payments"}},
		{name: "non-member: freezes", user: "eve", path: "/ui/acme/freezes", status: 403, notWant: []string{"payments outage"}},
		{name: "non-member: timeline", user: "eve", path: "/ui/acme/timeline", status: 403, notWant: []string{"e2e suite"}},
		{name: "non-member: export", user: "eve", path: "/ui/acme/timeline?format=json", status: 403, notWant: []string{"e2e suite"}},
		{name: "member: evaluation", user: "bob", path: "/ui/acme/shop/pull/42", status: 200, want: []string{"retry card payments", "Patch coverage 61% is below 80%"}},
		{name: "member: repository they cannot read", user: "bob", path: "/ui/acme/vault/pull/7", status: 404, notWant: []string{"Rotate signing keys"}},
		{name: "member: repository they can read", user: "alice", path: "/ui/acme/vault/pull/7", status: 200, want: []string{"Rotate signing keys"}},
		{name: "member: unknown pull request", user: "alice", path: "/ui/acme/shop/pull/999", status: 404},
		{name: "member: freezes, readable only", user: "bob", path: "/ui/acme/freezes", status: 200,
			want: []string{"payments outage", "sale weekend", "acme/shop"}, notWant: []string{"key ceremony", "vault"}},
		{name: "member: freezes, all readable", user: "alice", path: "/ui/acme/freezes", status: 200, want: []string{"payments outage", "key ceremony", "acme/vault"}},
		{name: "member: timeline, readable only", user: "bob", path: "/ui/acme/timeline", status: 200,
			want: []string{"acme/shop#42", "e2e suite", "database failover"}, notWant: []string{"acme/vault", "key rotation runbook"}},
		{name: "member: timeline, all readable", user: "alice", path: "/ui/acme/timeline", status: 200, want: []string{"acme/vault#7", "key rotation runbook"}},
		{name: "member: timeline of a repository they cannot read", user: "bob", path: "/ui/acme/timeline?repo=vault", status: 404, notWant: []string{"key rotation runbook"}},
		{name: "member: export of readable only", user: "bob", path: "/ui/acme/timeline?format=csv", status: 200, want: []string{"acme/shop"}, notWant: []string{"acme/vault"}},
		{name: "member of another organization", user: "alice", path: "/ui/globex/timeline", status: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.user == "" {
				r = e.get(tc.path)
			} else {
				r = e.get(tc.path, sessions[tc.user])
			}
			if r.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.status, tc.status, r.body)
			}
			if tc.status == 303 {
				if loc := r.header.Get("Location"); loc != "/ui/login?next="+url.QueryEscape(tc.path) {
					t.Errorf("redirected to %q, want sign-in returning to %s", loc, tc.path)
				}
			}
			for _, s := range tc.want {
				if !strings.Contains(r.body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(r.body, s) {
					t.Errorf("page shows %q", s)
				}
			}
		})
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	s, next := e.signIn("alice", "/ui/acme/timeline?repo=shop")
	if next != "/ui/acme/timeline?repo=shop" {
		t.Errorf("after sign-in went to %q", next)
	}
	if !s.HttpOnly || !s.Secure || s.SameSite != http.SameSiteLaxMode || s.Path != "/" {
		t.Errorf("session cookie attributes: HttpOnly=%v Secure=%v SameSite=%v Path=%q", s.HttpOnly, s.Secure, s.SameSite, s.Path)
	}
	if !s.Expires.Equal(fixtureNow.Add(12 * time.Hour).Truncate(time.Second)) {
		t.Errorf("session expires %v", s.Expires)
	}
	// Neither the login nor GitHub's token may be readable in the cookie.
	if strings.Contains(s.Value, "alice") || strings.Contains(s.Value, "ghu_") {
		t.Errorf("session cookie is readable: %s", s.Value)
	}
	if r := e.get("/ui/acme/timeline", s); r.status != 200 || !strings.Contains(r.body, `<strong id="user">alice</strong>`) {
		t.Errorf("signed-in page: status %d", r.status)
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/ui/", "/elsewhere", "/ui/\\evil"} {
		if _, got := e.signIn("alice", next); got != "/ui/" {
			t.Errorf("next %q: sent to %q, want /ui/", next, got)
		}
	}
}

func TestExpiredSession(t *testing.T) {
	e := newEnv(t)
	s, _ := e.signIn("alice", "/ui/")
	e.advance(12*time.Hour - time.Second)
	if r := e.get("/ui/acme/timeline", s); r.status != 200 {
		t.Fatalf("before expiry: status %d", r.status)
	}
	e.advance(time.Second)
	r := e.get("/ui/acme/timeline", s)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/ui/login") {
		t.Fatalf("after expiry: status %d to %q, want the sign-in", r.status, r.header.Get("Location"))
	}
	if c := named(r.cookies, sessionName); c == nil || c.MaxAge >= 0 {
		t.Errorf("the expired session cookie is not cleared")
	}
}

func TestSessionCookieCannotBeForged(t *testing.T) {
	e := newEnv(t)
	s, _ := e.signIn("bob", "/ui/")
	raw := []byte(s.Value)
	raw[len(raw)/2] ^= 1
	tests := map[string]string{
		"tampered": string(raw),
		"garbage":  "not-a-session",
		"empty":    "",
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			r := e.get("/ui/acme/timeline", &http.Cookie{Name: sessionName, Value: value})
			if r.status != http.StatusSeeOther {
				t.Errorf("status %d, want 303 to the sign-in", r.status)
			}
		})
	}
}

func TestForgedState(t *testing.T) {
	e := newEnv(t)
	e.gh.SignInAs("alice", 1)
	// A state cookie sealed with another key.
	other, err := ui.New(ui.Config{BaseURL: e.srv.URL, SessionKey: []byte(strings.Repeat("k", 32)), OAuth: &ui.OAuth{ClientID: "x", ClientSecret: "y", WebURL: e.gh.URL},
		Reader: e.fx.Reader, Authorizer: e.fx.Authorizer, Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	other.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ui/login", nil))
	foreign := named(rec.Result().Cookies(), stateName)
	foreignState, _ := url.Parse(rec.Header().Get("Location"))

	tests := []struct {
		name  string
		state func(st *http.Cookie, authorize *url.URL) (cookie *http.Cookie, query string)
		wait  time.Duration
	}{
		{name: "state differs from the cookie", state: func(st *http.Cookie, _ *url.URL) (*http.Cookie, string) { return st, "forged" }},
		{name: "no state", state: func(st *http.Cookie, _ *url.URL) (*http.Cookie, string) { return st, "" }},
		{name: "no state cookie", state: func(_ *http.Cookie, a *url.URL) (*http.Cookie, string) { return nil, a.Query().Get("state") }},
		{name: "state cookie from another key", state: func(_ *http.Cookie, _ *url.URL) (*http.Cookie, string) {
			return foreign, foreignState.Query().Get("state")
		}},
		{name: "state too old", wait: 11 * time.Minute, state: func(st *http.Cookie, a *url.URL) (*http.Cookie, string) { return st, a.Query().Get("state") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, loc := e.startSignIn("/ui/")
			authorize, err := url.Parse(loc)
			if err != nil {
				t.Fatal(err)
			}
			e.advance(tc.wait)
			cookie, state := tc.state(st, authorize)
			gh := e.get(loc)
			code, _ := url.Parse(gh.header.Get("Location"))
			path := "/ui/callback?code=" + url.QueryEscape(code.Query().Get("code")) + "&state=" + url.QueryEscape(state)
			var r response
			if cookie == nil {
				r = e.get(path)
			} else {
				r = e.get(path, cookie)
			}
			if r.status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", r.status)
			}
			if named(r.cookies, sessionName) != nil {
				t.Errorf("a session was set")
			}
		})
	}
}

func TestCallbackWhenGitHubRefuses(t *testing.T) {
	e := newEnv(t)
	st, loc := e.startSignIn("/ui/")
	authorize, _ := url.Parse(loc)
	state := url.QueryEscape(authorize.Query().Get("state"))
	r := e.get("/ui/callback?code=never-issued&state="+state, st)
	if r.status != http.StatusBadGateway || named(r.cookies, sessionName) != nil {
		t.Errorf("a code GitHub did not issue: status %d", r.status)
	}
	st, loc = e.startSignIn("/ui/")
	authorize, _ = url.Parse(loc)
	r = e.get("/ui/callback?error=access_denied&state="+url.QueryEscape(authorize.Query().Get("state")), st)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "access_denied") {
		t.Errorf("the user declined: status %d", r.status)
	}
}

func TestOAuthExchangeErrors(t *testing.T) {
	gh := uifake.NewGitHub("id", "secret")
	defer gh.Close()
	tests := []struct {
		name, secret, want string
		api                string
	}{
		{name: "wrong secret", secret: "nope", want: "incorrect_client_credentials"},
		{name: "GitHub down", secret: "secret", api: "http://127.0.0.1:1", want: "exchange the sign-in code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &ui.OAuth{ClientID: "id", ClientSecret: tc.secret, WebURL: gh.URL, APIURL: gh.URL}
			if tc.api != "" {
				o.WebURL = tc.api
			}
			_, err := o.Exchange(t.Context(), "code-1", "http://x/ui/callback")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	if _, err := (&ui.OAuth{APIURL: gh.URL}).User(t.Context(), "ghu_unknown"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("unknown token: %v", err)
	}
}

func TestLogoutNeedsCSRFToken(t *testing.T) {
	e := newEnv(t)
	s, _ := e.signIn("alice", "/ui/")
	page := e.get("/ui/acme/timeline", s)
	i := strings.Index(page.body, `name="csrf" value="`)
	if i < 0 {
		t.Fatal("the page has no sign-out form with a CSRF token")
	}
	token := page.body[i+len(`name="csrf" value="`):]
	token = token[:strings.IndexByte(token, '"')]
	tests := []struct {
		name   string
		form   url.Values
		origin string
		status int
	}{
		{name: "no token", form: url.Values{}, status: 403},
		{name: "wrong token", form: url.Values{"csrf": {"x" + token}}, status: 403},
		{name: "other origin", form: url.Values{"csrf": {token}}, origin: "https://evil.example", status: 403},
		{name: "token from the page", form: url.Values{"csrf": {token}}, origin: e.srv.URL, status: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			r := e.do(http.MethodPost, "/ui/logout", tc.form, h, s)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			cleared := named(r.cookies, sessionName)
			if (tc.status == 200) != (cleared != nil && cleared.MaxAge < 0) {
				t.Errorf("session cleared: %v", cleared != nil)
			}
		})
	}
}

func TestEvaluationPage(t *testing.T) {
	e := newEnv(t)
	s, _ := e.signIn("bob", "/ui/")
	tests := []struct {
		name, path string
		want       []string
	}{
		{name: "newest", path: "/ui/acme/shop/pull/42", want: []string{
			`id="conclusion">success`, `id="policy">bbbb000`, "pull_request_review.submitted",
			"<code>coverage</code></th><td class=\"o-overridden\">overridden",
			"Patch coverage 61% is below 80% <code>payments/retry.go:40</code>",
			`<table id="reviews-table">`, "carol", `<td class="r-current">current</td>`, `<td class="r-not-counted">not counted</td>`,
			`<td class="r-stale">stale</td>`, "1 file changed since", "renovate[bot] <span class=\"muted\">(bot)</span>",
			"the review was dismissed", `<table id="rule-files-table">`,
			"<code>payments/retry.go</code> <span class=\"muted\">modified, +48 −6</span>",
			`<p id="changed-count">3 changed files.</p>`, "(was <code>docs/cards.md</code>)",
			"retry path is covered by the e2e suite", "released by bob",
			"policy bbbb000 (was aaaa000)", "code_owners: pass (was fail)", "change_freeze: pass (new rule)",
			"conclusion success (was failure)", "new head 2222222 (was 1111111)", "first evaluation",
			`href="https://github.example/acme/shop/pull/42"`,
			"Wed 2 Dec 2026 12:00 CET", // the override, at 10:30 UTC, in Berlin
		}},
		{name: "an earlier head", path: "/ui/acme/shop/pull/42?sha=1111111", want: []string{`id="conclusion">failure`, `id="policy">aaaa000`,
			"recorded before mergeguard kept each evaluation&#39;s input"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.path, s)
			if r.status != 200 {
				t.Fatalf("status %d\n%s", r.status, r.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
	if r := e.get("/ui/acme/shop/pull/42?sha=9999999", s); r.status != 404 {
		t.Errorf("unknown head: status %d", r.status)
	}
}

func TestTimelineFilter(t *testing.T) {
	e := newEnv(t)
	s, _ := e.signIn("alice", "/ui/")
	tests := []struct {
		name  string
		query string
		kinds []string // in order, newest first
	}{
		{name: "last day, default kinds", query: "", kinds: []string{"merge", "override", "merge", "unhold", "freeze.end", "policy.change", "hold", "override", "freeze.start"}},
		// 6 hours before 12:32 Berlin (11:32 UTC): 05:32–11:32 UTC.
		{name: "merges in the six hours before 12:32", query: "since=2026-12-02T06:32&until=2026-12-02T12:32&kind=merge", kinds: []string{"merge", "merge"}},
		{name: "what bypassed a rule", query: "bypasses=1&since=2026-11-30T00:00", kinds: []string{"override", "override", "merge"}},
		{name: "one repository, with evaluations", query: "repo=shop&kind=evaluation&kind=hold", kinds: []string{"hold", "evaluation"}},
		{name: "RFC 3339 times", query: "since=2026-12-02T10:00:00Z&until=2026-12-02T11:45:00Z", kinds: []string{"merge", "override", "merge", "unhold"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get("/ui/acme/timeline?"+tc.query, s)
			if r.status != 200 {
				t.Fatalf("status %d\n%s", r.status, r.body)
			}
			var got []string
			for _, part := range strings.Split(r.body, `<tr class="kind-`)[1:] {
				got = append(got, part[:strings.IndexByte(part, '"')])
			}
			if strings.Join(got, ",") != strings.Join(tc.kinds, ",") {
				t.Errorf("page rows %v, want %v", got, tc.kinds)
			}
			// The export of the same filter holds the same rows.
			j := e.get("/ui/acme/timeline?"+tc.query+"&format=json", s)
			var entries []ui.TimelineEntry
			if err := json.Unmarshal([]byte(j.body), &entries); err != nil {
				t.Fatalf("JSON export: %v\n%s", err, j.body)
			}
			c := e.get("/ui/acme/timeline?"+tc.query+"&format=csv", s)
			rows, err := csv.NewReader(strings.NewReader(c.body)).ReadAll()
			if err != nil {
				t.Fatalf("CSV export: %v", err)
			}
			if len(entries) != len(tc.kinds) || len(rows) != len(tc.kinds)+1 {
				t.Fatalf("exports have %d JSON and %d CSV rows, want %d", len(entries), len(rows)-1, len(tc.kinds))
			}
			for i, k := range tc.kinds {
				if entries[i].Kind != k || rows[i+1][1] != k {
					t.Errorf("export row %d: JSON %s, CSV %s, want %s", i, entries[i].Kind, rows[i+1][1], k)
				}
			}
		})
	}
	for _, bad := range []string{"since=yesterday", "kind=coffee", "repo=globex/shop", "format=xml", "since=2026-12-02T12:00&until=2026-12-02T11:00"} {
		if r := e.get("/ui/acme/timeline?"+bad, s); r.status != 400 {
			t.Errorf("%s: status %d, want 400", bad, r.status)
		}
	}
}

func TestCSVExportMatchesAuditColumns(t *testing.T) {
	var buf bytes.Buffer
	err := ui.WriteCSV(&buf, []ui.TimelineEntry{{
		At: fixtureNow, Kind: "evaluation", Repo: "acme/shop", Number: 42, SHA: "0123456789abcdef", Result: "failure", Reason: "=HYPERLINK(\"x\")",
		Details: map[string]any{"trigger": "opened", "rules": map[string]any{"b": "fail", "a": "overridden", "c": "pass"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := "time,kind,repo,pr,actor,rule,head_sha,result,reason,details\n" +
		"2026-12-02T12:00:00Z,evaluation,acme/shop,42,,,0123456789ab,failure,\"'=HYPERLINK(\"\"x\"\")\",a=overridden b=fail trigger=opened\n"
	if buf.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestFreezesCalendar(t *testing.T) {
	e := newEnv(t)
	s, _ := e.signIn("alice", "/ui/")
	r := e.get("/ui/acme/freezes", s)
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	// Now is Wednesday 2 December, 13:00 in Berlin.
	for _, w := range []string{
		`aria-current="date"><th scope="row">Wed 2 Dec</th>`,
		"Incident freeze 3: 12:40–24:00",
		"Fri 4 Dec</th>\n<td><ul><li>Weekly freeze (weekend freeze): 15:00–24:00</li>",
		"Sat 5 Dec</th>\n<td><ul><li>Weekly freeze (weekend freeze): all day</li>",
		"Mon 7 Dec</th>\n<td><ul><li>Weekly freeze (weekend freeze): 00:00–08:00</li><li>Freeze dates (company day): all day</li>",
		"Tue 15 Dec",
		"Times in Europe/Berlin",
		"Incident freezes to come",
	} {
		if !strings.Contains(r.body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(r.body, "Wed 16 Dec") {
		t.Errorf("calendar runs past two weeks")
	}
}

func TestGitHubOrStoreFailing(t *testing.T) {
	e := newEnv(t)
	s, _ := e.signIn("alice", "/ui/")
	e.fx.Authorizer.Err = errors.New("GitHub is down")
	if r := e.get("/ui/acme/timeline", s); r.status != http.StatusBadGateway || strings.Contains(r.body, "GitHub is down") {
		t.Errorf("GitHub failing: status %d", r.status)
	}
	e.fx.Authorizer.Err = nil
	e.fx.Reader.Err = errors.New("connection refused to 10.0.0.5")
	for _, p := range []string{"/ui/acme/timeline", "/ui/acme/freezes", "/ui/acme/shop/pull/42"} {
		if r := e.get(p, s); r.status != http.StatusInternalServerError || strings.Contains(r.body, "10.0.0.5") {
			t.Errorf("%s with the store failing: status %d", p, r.status)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	r := e.get("/ui/")
	if r.status != 200 || !strings.Contains(r.body, "Sign in with GitHub") {
		t.Fatalf("start page: %d", r.status)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		if !strings.Contains(r.header.Get(h), want) {
			t.Errorf("%s: %q", h, r.header.Get(h))
		}
	}
	if css := e.get("/ui/style.css"); css.status != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", css.status, css.header.Get("Content-Type"))
	}
}

func TestNewChecksConfig(t *testing.T) {
	ok := ui.Config{BaseURL: "https://mg.example", SessionKey: testKey, OAuth: &ui.OAuth{ClientID: "a", ClientSecret: "b"},
		Reader: &uifake.Reader{}, Authorizer: &uifake.Authorizer{}}
	tests := []struct {
		name   string
		change func(*ui.Config)
		want   string
	}{
		{name: "short key", change: func(c *ui.Config) { c.SessionKey = []byte("short") }, want: "at least 32 bytes"},
		{name: "relative base URL", change: func(c *ui.Config) { c.BaseURL = "/mergeguard" }, want: "absolute URL"},
		{name: "no client secret", change: func(c *ui.Config) { c.OAuth = &ui.OAuth{ClientID: "a"} }, want: "OAuth client ID and secret"},
		{name: "no reader", change: func(c *ui.Config) { c.Reader = nil }, want: "reader"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.change(&c)
			if _, err := ui.New(c); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	h, err := ui.New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.EvaluationURL("acme/shop", 42, "abc"); got != "https://mg.example/ui/acme/shop/pull/42?sha=abc" {
		t.Errorf("EvaluationURL: %s", got)
	}
}
