package fakegithub_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// TestManifestFlowMatchesGitHub drives the fake's manifest flow as a browser
// and `mergeguard setup` do (post the manifest to the web side, follow the
// redirect, exchange the code) and holds every API answer, refusals
// included, to GitHub's schemas.
func TestManifestFlowMatchesGitHub(t *testing.T) {
	doc := loadSpec(t)
	gh := fakegithub.New(t)
	rt := fakegithub.Route{Method: "POST", Path: "/app-manifests/{code}/conversions"}
	web := strings.TrimSuffix(gh.URL(), "api/v3/")

	// The browser's side: the fake confirms at once and redirects with the
	// code and the state.
	manifest := `{"name":"mergeguard-acme","url":"https://mergeguard.acme.dev","description":"Policy checks",
		"hook_attributes":{"url":"https://mergeguard.acme.dev/webhook","active":true},
		"redirect_url":"http://127.0.0.1:4711/callback","public":false,
		"default_permissions":{"checks":"write","pull_requests":"write","issues":"write","contents":"read","merge_queues":"read","members":"read","metadata":"read"},
		"default_events":["pull_request","pull_request_review","issue_comment","check_run","check_suite","merge_group","push"]}`
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(web+"organizations/acme/settings/apps/new?state=s3", url.Values{"manifest": {manifest}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Host != "127.0.0.1:4711" || loc.Query().Get("state") != "s3" || loc.Query().Get("code") == "" {
		t.Fatalf("GitHub's redirect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	code := loc.Query().Get("code")

	// A manifest GitHub would refuse is not registered.
	resp, err = noFollow.PostForm(web+"settings/apps/new", url.Values{"manifest": {`{"name":"x"}`}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity || len(gh.Manifests()) != 1 {
		t.Fatalf("a manifest without url: %d, %d registrations", resp.StatusCode, len(gh.Manifests()))
	}

	exchange := func(code string) exchange {
		resp, err := http.Post(gh.URL()+"app-manifests/"+code+"/conversions", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return exchange{method: "POST", path: resp.Request.URL.Path, status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}
	}

	gh.Fail(rt.Method, rt.Path, 1, 422, nil, `{"message":"Validation Failed","documentation_url":"https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest"}`)
	for _, tt := range []struct {
		name   string
		status int
	}{{"refused", 422}, {"created", 201}, {"used", 404}} {
		t.Run(tt.name, func(t *testing.T) {
			ex := exchange(code)
			if ex.status != tt.status {
				t.Fatalf("status %d, want %d: %s", ex.status, tt.status, ex.body)
			}
			_, value := checkResponse(t, doc, rt, ex)
			if tt.status != 201 {
				return
			}
			var app struct {
				ID            int64                  `json:"id"`
				Slug          string                 `json:"slug"`
				Owner         struct{ Login string } `json:"owner"`
				Permissions   map[string]string      `json:"permissions"`
				Events        []string               `json:"events"`
				WebhookSecret string                 `json:"webhook_secret"`
				PEM           string                 `json:"pem"`
			}
			b, _ := json.Marshal(value)
			_ = json.Unmarshal(b, &app)
			if app.ID != gh.AppID() || app.Slug != "mergeguard-acme" || app.Owner.Login != "acme" || app.Permissions["merge_queues"] != "read" ||
				len(app.Events) != 7 || app.WebhookSecret != gh.Manifests()[0].WebhookSecret || app.PEM != gh.PrivateKeyPEM() {
				t.Fatalf("the App GitHub returned: %+v", app)
			}
		})
	}
}
