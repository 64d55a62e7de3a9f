package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
	"github.com/mergeguard/mergeguard/internal/ui"
	"github.com/mergeguard/mergeguard/internal/ui/uistore"
)

// TestWebViewIsMountedAndLinkedFromTheCheckRun: with a public URL the
// server serves the web view under /ui/, sign-in goes to GitHub with the
// App's OAuth client and comes back to the public URL, and the check run's
// Details link opens the pull request's evaluation page at its head.
// Without one, /ui/ is not served and check runs carry no link.
func TestWebViewIsMountedAndLinkedFromTheCheckRun(t *testing.T) {
	const public = "https://mergeguard.example.com"
	web := settings.Web{PublicURL: public, OAuthClientID: "Iv1.e2e", OAuthClientSecret: "e2e-secret", SessionKey: []byte(strings.Repeat("k", 32))}
	for _, tt := range []struct {
		name string
		web  settings.Web
	}{{"on", web}, {"off", settings.Web{}}} {
		t.Run(tt.name, func(t *testing.T) {
			gh := fakegithub.New(t)
			pr := newPR(gh)
			dbc := dbtest.SQLiteConfig(t)
			h := start(t, gh, config{web: tt.web, db: dbc})
			if code := h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil)); code != http.StatusAccepted {
				t.Fatalf("status %d, want 202", code)
			}
			runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))

			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			get := func(path string) *http.Response {
				t.Helper()
				resp, err := client.Get(h.base + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp
			}
			page := fmt.Sprintf("/ui/acme/shop/pull/%d", pr.Number)
			if !tt.web.Enabled() {
				if runs[0].DetailsURL != "" {
					t.Errorf("without a web view the check run links to %q", runs[0].DetailsURL)
				}
				if resp := get("/ui/"); resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET /ui/ without a web view: %d, want 404", resp.StatusCode)
				}
				return
			}
			if want := public + page + "?sha=" + pr.HeadSHA(); runs[0].DetailsURL != want {
				t.Errorf("details_url %q, want %q", runs[0].DetailsURL, want)
			}
			if resp := get("/ui/"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("GET /ui/: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			resp := get(page)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/login?next=") {
				t.Fatalf("the evaluation page without a session: %d to %q, want a redirect to sign in", resp.StatusCode, loc)
			}
			resp = get(resp.Header.Get("Location"))
			to, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || resp.StatusCode != http.StatusSeeOther || to.Path != "/login/oauth/authorize" {
				t.Fatalf("sign-in: %d to %q, want GitHub's authorize page", resp.StatusCode, resp.Header.Get("Location"))
			}
			if q := to.Query(); q.Get("client_id") != "Iv1.e2e" || q.Get("redirect_uri") != public+"/ui/callback" || q.Get("state") == "" {
				t.Errorf("authorize query %v: want the App's client, the public callback and a state", q)
			}

			// The page's record: the evaluation with its rules' findings.
			db, err := store.Open(context.Background(), dbc)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// The evaluation is recorded right after its check run is
			// posted: wait for the record rather than race it.
			var rec ui.PullRequest
			wait.Until(t, 45*time.Second, "the evaluation's record", func() bool {
				rec, err = uistore.New(db).PullRequest(context.Background(), "acme/shop", pr.Number)
				return err == nil && len(rec.Evaluations) > 0
			})
			if len(rec.Evaluations) != 1 {
				t.Fatalf("recorded: %+v", rec)
			}
			var found []string
			for _, r := range rec.Evaluations[0].Rules {
				for _, f := range r.Findings {
					found = append(found, r.ID+": "+f.Message)
				}
			}
			if want := "required_reviewers: Needs 1 more approval from someone other than the author (@dev)."; !slices.Contains(found, want) {
				t.Errorf("recorded findings %q lack %q", found, want)
			}
			// The page's input facts: the document the evaluation stored
			// reads back into the files the rules saw.
			in, err := uistore.New(db).Input(context.Background(), "acme/shop", pr.Number, rec.Evaluations[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if f := ui.BuildInputFacts(in, rec.Evaluations[0].Rules); f.Missing != "" || f.Changed == 0 || len(f.Files) != f.Changed {
				t.Errorf("input facts of the stored evaluation: %+v", f)
			}
		})
	}
}

// TestWebViewSignInShowsWhatGitHubAllows signs in through the fake
// GitHub's OAuth flow: a member of the organization sees the evaluation
// page with the rules' findings and the freeze calendar the organization's
// configuration sets; someone who is not a member is refused.
func TestWebViewSignInShowsWhatGitHubAllows(t *testing.T) {
	const public = "https://mergeguard.example.com"
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules:\n  change_freeze:\n    timezone: Europe/Berlin\n" +
		"    windows:\n      - {start: \"Fri 15:00\", end: \"Mon 08:00\", reason: weekend freeze}\n"})
	gh.AddMember("acme", "ada")
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Document Charge", Author: "dev",
		Files: []fakegithub.File{{Path: "shop/charge.go", Status: "modified", Patch: goPatch}}})
	h := start(t, gh, config{web: settings.Web{PublicURL: public, OAuthClientID: fakegithub.OAuthClientID,
		OAuthClientSecret: fakegithub.OAuthClientSecret, SessionKey: []byte(strings.Repeat("k", 32))}})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The cookies are Secure and the test server plain http, so they are
	// carried by hand, as a browser on the https address would.
	get := func(path string, cookies ...*http.Cookie) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, h.base+path, nil)
		for _, c := range cookies {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	page := fmt.Sprintf("/ui/acme/shop/pull/%d", pr.Number)
	signIn := func(login string) *http.Cookie {
		t.Helper()
		resp, _ := get("/ui/login?next=" + url.QueryEscape(page))
		to, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || len(resp.Cookies()) != 1 {
			t.Fatalf("sign-in start: %d %q %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
		}
		code := gh.SignInCode(login, to.Query().Get("redirect_uri"))
		resp, _ = get("/ui/callback?code="+code+"&state="+url.QueryEscape(to.Query().Get("state")), resp.Cookies()[0])
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
			t.Fatalf("callback: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, c := range resp.Cookies() {
			if c.Value != "" && strings.Contains(c.Name, "session") {
				return c
			}
		}
		t.Fatalf("no session cookie: %v", resp.Cookies())
		return nil
	}

	ada := signIn("ada")
	resp, body := get(page, ada)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Needs 1 more approval from someone other than the author (@dev).") {
		t.Fatalf("the evaluation page for a member: %d\n%s", resp.StatusCode, body)
	}
	resp, body = get("/ui/acme/freezes", ada)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "weekend freeze") || !strings.Contains(body, "Europe/Berlin") {
		t.Fatalf("the freezes page: %d\n%s", resp.StatusCode, body)
	}

	mallory := signIn("mallory")
	if resp, _ := get(page, mallory); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the evaluation page for someone outside acme: %d, want 403", resp.StatusCode)
	}
}

// TestSessionKeyMinimumsAgree: the settings refuse at start-up exactly the
// keys the web view would refuse when it is built.
func TestSessionKeyMinimumsAgree(t *testing.T) {
	if settings.MinSessionKey != ui.MinSessionKey {
		t.Fatalf("settings accept session keys from %d bytes, the web view from %d", settings.MinSessionKey, ui.MinSessionKey)
	}
}
