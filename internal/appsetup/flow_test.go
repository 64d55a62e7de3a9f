package appsetup_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/appsetup"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

const conversions = "/app-manifests/{code}/conversions"

// setup starts a flow against the fake and returns it with the result of
// Wait, delivered on a channel.
func setup(t *testing.T, gh *fakegithub.Server, cfg appsetup.Config) (*appsetup.Session, <-chan waited) {
	t.Helper()
	cfg.APIURL = gh.URL()
	if cfg.PublicURL == "" {
		cfg.PublicURL = "https://mergeguard.acme.dev"
	}
	if cfg.Out == "" {
		cfg.Out = filepath.Join(t.TempDir(), "mergeguard.env")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	cfg.Now = func() time.Time { return time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC) }
	s, err := appsetup.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan waited, 1)
	go func() {
		res, err := s.Wait(context.Background())
		done <- waited{res, err}
	}()
	return s, done
}

type waited struct {
	res appsetup.Result
	err error
}

func wait(t *testing.T, done <-chan waited) waited {
	t.Helper()
	select {
	case w := <-done:
		return w
	case <-time.After(20 * time.Second):
		t.Fatal("the flow did not end")
		return waited{}
	}
}

var (
	formAction    = regexp.MustCompile(`<form id="manifest-form" method="post" action="([^"]*)">`)
	manifestField = regexp.MustCompile(`<input type="hidden" name="manifest" value="([^"]*)">`)
)

// openPage fetches the local page as the browser would and returns the
// form's target and manifest.
func openPage(t *testing.T, s *appsetup.Session) (action string, manifest string) {
	t.Helper()
	resp, err := http.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("local page: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'sha256-") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	a, m := formAction.FindSubmatch(body), manifestField.FindSubmatch(body)
	if a == nil || m == nil {
		t.Fatalf("no manifest form on the page:\n%s", body)
	}
	return html.UnescapeString(string(a[1])), html.UnescapeString(string(m[1]))
}

// submit posts the form to the fake's web side, as the browser does, and
// follows GitHub's redirect back to the local callback.
func submit(t *testing.T, action, manifest string) (int, string) {
	t.Helper()
	resp, err := http.PostForm(action, url.Values{"manifest": {manifest}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestSetupAgainstFakeGitHub is the whole flow: the page, the manifest
// GitHub receives, GitHub's redirect with the code, the exchange, and a
// credentials file that `mergeguard serve` accepts.
func TestSetupAgainstFakeGitHub(t *testing.T) {
	gh := fakegithub.New(t)
	var warnings []string
	var mu sync.Mutex
	s, done := setup(t, gh, appsetup.Config{Org: "acme", Warn: func(m string) { mu.Lock(); warnings = append(warnings, m); mu.Unlock() }})

	action, manifest := openPage(t, s)
	web := strings.TrimSuffix(gh.URL(), "api/v3/")
	if !strings.HasPrefix(action, web+"organizations/acme/settings/apps/new?state=") {
		t.Fatalf("the form posts to %s", action)
	}
	var m struct {
		Name           string `json:"name"`
		URL            string `json:"url"`
		Public         bool   `json:"public"`
		RedirectURL    string `json:"redirect_url"`
		HookAttributes struct {
			URL    string `json:"url"`
			Active bool   `json:"active"`
		} `json:"hook_attributes"`
		DefaultPermissions map[string]string `json:"default_permissions"`
		DefaultEvents      []string          `json:"default_events"`
	}
	if err := json.Unmarshal([]byte(manifest), &m); err != nil {
		t.Fatalf("manifest %q: %v", manifest, err)
	}
	if m.Name != "mergeguard-acme" || m.URL != "https://mergeguard.acme.dev" || m.Public ||
		m.HookAttributes.URL != "https://mergeguard.acme.dev/webhook" || !m.HookAttributes.Active ||
		m.RedirectURL != s.URL()+"callback" {
		t.Errorf("manifest %+v", m)
	}
	wantPerms := map[string]string{"checks": "write", "pull_requests": "write", "issues": "write", "contents": "read", "merge_queues": "read", "members": "read", "metadata": "read", "deployments": "read"}
	if len(m.DefaultPermissions) != len(wantPerms) {
		t.Errorf("permissions %v, want %v", m.DefaultPermissions, wantPerms)
	}
	for k, v := range wantPerms {
		if m.DefaultPermissions[k] != v {
			t.Errorf("permission %s = %q, want %q", k, m.DefaultPermissions[k], v)
		}
	}
	if strings.Join(m.DefaultEvents, ",") != "pull_request,pull_request_review,issue_comment,check_run,check_suite,merge_group,push,deployment_status" {
		t.Errorf("events %v", m.DefaultEvents)
	}

	// Someone else's redirect, with another state, is refused and the flow
	// goes on.
	if code, body := get(t, s.URL()+"callback?code=attacker&state=0000"); code != http.StatusBadRequest || !strings.Contains(body, "not from this setup run") {
		t.Fatalf("a callback with the wrong state: %d\n%s", code, body)
	}
	if code, _ := get(t, s.URL()+"callback?code=attacker"); code != http.StatusBadRequest {
		t.Fatalf("a callback without state: %d", code)
	}
	if gh.Count("POST", conversions) != 0 {
		t.Fatal("a callback with the wrong state was exchanged")
	}

	code, body := submit(t, action, manifest)
	if code != http.StatusOK || !strings.Contains(body, "mergeguard is registered") {
		t.Fatalf("after GitHub's redirect: %d\n%s", code, body)
	}
	w := wait(t, done)
	if w.err != nil {
		t.Fatal(w.err)
	}

	apps := gh.Manifests()
	if len(apps) != 1 || apps[0].Org != "acme" || !apps[0].Exchanged || !strings.Contains(action, "state="+apps[0].State) || len(apps[0].State) < 32 {
		t.Fatalf("GitHub saw %+v", apps)
	}
	if gh.Count("POST", conversions) != 1 {
		t.Errorf("the code was exchanged %d times", gh.Count("POST", conversions))
	}
	if w.res.AppID != gh.AppID() || w.res.Slug != "mergeguard-acme" || w.res.Owner != "acme" ||
		w.res.InstallURL != "https://github.com/apps/mergeguard-acme/installations/new" {
		t.Errorf("result %+v", w.res)
	}

	info, err := os.Stat(w.res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %04o, want 0600", info.Mode().Perm())
	}
	data, _ := os.ReadFile(w.res.Path)
	for _, line := range []string{"MERGEGUARD_APP_ID=424242\n", "MERGEGUARD_WEBHOOK_SECRET=" + apps[0].WebhookSecret + "\n", "MERGEGUARD_PRIVATE_KEY=-----BEGIN RSA PRIVATE KEY-----\\n", "MERGEGUARD_GITHUB_API_URL=" + gh.URL() + "\n"} {
		if !strings.Contains(string(data), line) {
			t.Errorf("credentials file lacks %q", line)
		}
	}

	// `mergeguard serve` reads the file through the settings package.
	getenv, err := settings.WithConfigFile(func(k string) string {
		if k == settings.EnvConfigFile {
			return w.res.Path
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := settings.FromEnv(getenv, os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.AppID != gh.AppID() || string(st.WebhookSecret) != apps[0].WebhookSecret || st.GitHubAPIURL != gh.URL() || !st.PrivateKey.Equal(gh.PrivateKey()) {
		t.Errorf("settings from the file: app %d, api %s", st.AppID, st.GitHubAPIURL)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warnings) != 2 || !strings.Contains(warnings[0], "state does not match") {
		t.Errorf("warnings %q", warnings)
	}
}

func TestSetupForAPersonalAccount(t *testing.T) {
	gh := fakegithub.New(t)
	s, done := setup(t, gh, appsetup.Config{Name: "Merge Guard (staging)"})
	action, manifest := openPage(t, s)
	if !strings.HasPrefix(action, strings.TrimSuffix(gh.URL(), "api/v3/")+"settings/apps/new?state=") {
		t.Fatalf("the form posts to %s", action)
	}
	if !strings.Contains(manifest, `"name":"Merge Guard (staging)"`) {
		t.Errorf("manifest %s", manifest)
	}
	if code, body := submit(t, action, manifest); code != http.StatusOK {
		t.Fatalf("%d\n%s", code, body)
	}
	w := wait(t, done)
	if w.err != nil || w.res.Owner != "octocat" || w.res.Slug != "merge-guard-staging" {
		t.Fatalf("%+v, %v", w.res, w.err)
	}
}

// TestFailedExchangeWritesNothing: GitHub refusing the code ends the flow
// with a message saying what to do, and no file.
func TestFailedExchangeWritesNothing(t *testing.T) {
	tests := []struct {
		name  string
		fault func(gh *fakegithub.Server)
		says  string
	}{
		{"expired or used code", func(gh *fakegithub.Server) {
			gh.Fail("POST", conversions, 1, 404, nil, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
		}, "does not know this manifest code (it works once and expires after an hour): run mergeguard setup again"},
		{"validation failed", func(gh *fakegithub.Server) {
			gh.Fail("POST", conversions, 1, 422, nil, `{"message":"Validation Failed","documentation_url":"https://docs.github.com/rest"}`)
		}, "GitHub refused the manifest code (422: Validation Failed)"},
		{"GitHub down", func(gh *fakegithub.Server) {
			gh.Fail("POST", conversions, 1, 503, nil, `{"message":"Service Unavailable","documentation_url":"https://docs.github.com/rest"}`)
		}, "GitHub answered 503"},
		{"a key that does not parse", func(gh *fakegithub.Server) {
			gh.Fail("POST", conversions, 1, 201, nil, `{"id":5,"slug":"mg","html_url":"https://github.com/apps/mg","pem":"nope","webhook_secret":"abc","client_id":"x","client_secret":"y"}`)
		}, "does not parse"},
		{"no webhook secret", func(gh *fakegithub.Server) {
			gh.Fail("POST", conversions, 1, 201, nil, `{"id":5,"slug":"mg","html_url":"https://github.com/apps/mg","pem":`+jsonString(gh.PrivateKeyPEM())+`,"webhook_secret":null,"client_id":"x","client_secret":"y"}`)
		}, "returned no webhook secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := fakegithub.New(t)
			tt.fault(gh)
			out := filepath.Join(t.TempDir(), "mergeguard.env")
			s, done := setup(t, gh, appsetup.Config{Out: out})
			action, manifest := openPage(t, s)
			code, body := submit(t, action, manifest)
			if code != http.StatusBadGateway || !strings.Contains(html.UnescapeString(body), tt.says) {
				t.Errorf("page: %d\n%s", code, body)
			}
			w := wait(t, done)
			if w.err == nil || !strings.Contains(w.err.Error(), tt.says) {
				t.Fatalf("error %v, want one saying %q", w.err, tt.says)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a credentials file was written: %v", err)
			}
			if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
				t.Fatalf("files left behind: %v", entries)
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestSetupTimesOut(t *testing.T) {
	gh := fakegithub.New(t)
	out := filepath.Join(t.TempDir(), "mergeguard.env")
	s, done := setup(t, gh, appsetup.Config{Out: out, Timeout: 150 * time.Millisecond})
	w := wait(t, done)
	if w.err == nil || !strings.Contains(w.err.Error(), "did not send the browser back within 150ms") || !strings.Contains(w.err.Error(), "no App credentials were written") {
		t.Fatalf("error %v", w.err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a credentials file was written")
	}
	if _, err := http.Get(s.URL()); err == nil {
		t.Fatal("the local page is still served after the flow ended")
	}
}

func TestSetupCancelled(t *testing.T) {
	gh := fakegithub.New(t)
	s, err := appsetup.Start(appsetup.Config{APIURL: gh.URL(), PublicURL: "https://mg.acme.dev", Out: filepath.Join(t.TempDir(), "mg.env")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Wait(ctx); err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("error %v", err)
	}
}

// TestLocalPageAnswersOnlyItsOwnHost: a web page that points its own host
// name at 127.0.0.1 must not be able to read the page (and its state).
func TestLocalPageAnswersOnlyItsOwnHost(t *testing.T) {
	gh := fakegithub.New(t)
	s, done := setup(t, gh, appsetup.Config{Timeout: time.Second})
	req, _ := http.NewRequest(http.MethodGet, s.URL(), nil)
	req.Host = "evil.example:80"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest || strings.Contains(string(body), "state=") {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
	u, _ := url.Parse(s.URL())
	req.Host = "localhost:" + u.Port()
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the localhost alias answered %d", resp.StatusCode)
	}
	if code, _ := get(t, s.URL()+"elsewhere"); code != http.StatusNotFound {
		t.Errorf("an unknown path answered %d", code)
	}
	_ = wait(t, done)
}

func TestStartRefuses(t *testing.T) {
	gh := fakegithub.New(t)
	existing := filepath.Join(t.TempDir(), "mergeguard.env")
	if err := os.WriteFile(existing, []byte("MERGEGUARD_APP_ID=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := appsetup.Config{APIURL: gh.URL(), PublicURL: "https://mg.acme.dev", Out: filepath.Join(t.TempDir(), "new.env")}
	tests := []struct {
		name   string
		change func(c *appsetup.Config)
		says   string
	}{
		{"no public URL", func(c *appsetup.Config) { c.PublicURL = "" }, "--url is required"},
		{"plain http public URL", func(c *appsetup.Config) { c.PublicURL = "http://mg.acme.dev" }, "is not https"},
		{"bad org", func(c *appsetup.Config) { c.Org = "acme/x" }, "not a GitHub organization name"},
		{"existing file", func(c *appsetup.Config) { c.Out = existing }, "already exists"},
		{"API URL without a web address", func(c *appsetup.Config) { c.APIURL = "https://ghe.acme.dev/rest/" }, "cannot tell GitHub's web address"},
		{"non-loopback listen", func(c *appsetup.Config) { c.Listen = "0.0.0.0:0" }, "not a loopback address"},
		{"bad listen", func(c *appsetup.Config) { c.Listen = "8080" }, "not an address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.change(&cfg)
			s, err := appsetup.Start(cfg)
			if err == nil {
				s.Wait(canceled())
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %v, want one saying %q", err, tt.says)
			}
		})
	}

	t.Run("--force replaces an existing file", func(t *testing.T) {
		s, done := setup(t, gh, appsetup.Config{Out: existing, Force: true})
		action, manifest := openPage(t, s)
		if code, body := submit(t, action, manifest); code != http.StatusOK {
			t.Fatalf("%d\n%s", code, body)
		}
		if w := wait(t, done); w.err != nil {
			t.Fatal(w.err)
		}
		if b, _ := os.ReadFile(existing); !strings.Contains(string(b), "MERGEGUARD_APP_ID=424242") {
			t.Fatalf("file:\n%s", b)
		}
	})
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
