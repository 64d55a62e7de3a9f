package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
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
			rec, err := uistore.New(db).PullRequest(context.Background(), "acme/shop", pr.Number)
			if err != nil || len(rec.Evaluations) != 1 {
				t.Fatalf("recorded: %+v, %v", rec, err)
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
		})
	}
}
