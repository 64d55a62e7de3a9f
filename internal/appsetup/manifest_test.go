package appsetup

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/server"
)

// TestEventsHaveTheirPermissions: GitHub refuses a manifest that subscribes
// to an event without the permission the event needs. The table is from
// GitHub's webhook documentation ("To subscribe to this event, a GitHub App
// must have at least read-level access for …").
func TestEventsHaveTheirPermissions(t *testing.T) {
	needs := map[string]string{
		"pull_request":        "pull_requests",
		"pull_request_review": "pull_requests",
		"issue_comment":       "issues",
		"check_run":           "checks",
		"check_suite":         "checks",
		"merge_group":         "merge_queues",
		"push":                "contents",
		"deployment_status":   "deployments",
	}
	perms := Permissions()
	for _, ev := range Events() {
		p, known := needs[ev]
		if !known {
			t.Errorf("event %s: add the permission it needs to this table", ev)
			continue
		}
		if perms[p] == "" {
			t.Errorf("event %s needs the %s permission, which the manifest does not ask for", ev, p)
		}
	}
	for name, level := range perms {
		if level != "read" && level != "write" {
			t.Errorf("permission %s: %q, want read or write", name, level)
		}
	}
	// What mergeguard writes: check runs, and replies and reactions to
	// commands on pull requests and issues.
	for _, p := range []string{"checks", "pull_requests", "issues"} {
		if perms[p] != "write" {
			t.Errorf("%s must be write, is %q", p, perms[p])
		}
	}
	if slices.Contains(Events(), "installation") {
		t.Error("installation events reach every App; GitHub refuses them in default_events")
	}
}

// TestWebhookPathIsServersRoute keeps the manifest's webhook URL on the
// route `mergeguard serve` answers.
func TestWebhookPathIsServersRoute(t *testing.T) {
	hit := false
	srv := server.New(server.Config{
		Webhook: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hit = true; w.WriteHeader(http.StatusAccepted) }),
		Metrics: metrics.New(),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, WebhookPath, strings.NewReader("{}")))
	if !hit || rec.Code != http.StatusAccepted {
		t.Fatalf("POST %s answered %d without reaching the webhook handler", WebhookPath, rec.Code)
	}
}

func TestNewManifest(t *testing.T) {
	m := NewManifest("mergeguard-acme", "https://guard.acme.dev/mg", "http://127.0.0.1:4711/callback")
	if m.HookAttributes.URL != "https://guard.acme.dev/mg/webhook" || !m.HookAttributes.Active {
		t.Errorf("hook %+v", m.HookAttributes)
	}
	if m.URL != "https://guard.acme.dev/mg" || m.RedirectURL != "http://127.0.0.1:4711/callback" || m.Public || m.Name != "mergeguard-acme" {
		t.Errorf("manifest %+v", m)
	}
	if m.CallbackURLs != nil {
		t.Errorf("behind a path prefix the web view cannot be served, yet the manifest registers callbacks %q", m.CallbackURLs)
	}
	root := NewManifest("mergeguard-acme", "https://guard.acme.dev", "http://127.0.0.1:4711/callback")
	if len(root.CallbackURLs) != 1 || root.CallbackURLs[0] != "https://guard.acme.dev/ui/callback" {
		t.Errorf("callback URLs %q, want the web view's sign-in callback", root.CallbackURLs)
	}
	if b, err := root.JSON(); err != nil || !strings.Contains(string(b), `"callback_urls":["https://guard.acme.dev/ui/callback"]`) {
		t.Errorf("manifest JSON lacks the callback URLs: %s, %v", b, err)
	}
	b, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"hook_attributes":{"url":`, `"redirect_url":`, `"default_permissions":{`, `"default_events":[`, `"public":false`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("manifest JSON lacks %s: %s", field, b)
		}
	}
}

func TestParsePublicURL(t *testing.T) {
	const (
		github = "https://api.github.com/"
		local  = "http://127.0.0.1:4000/api/v3/"
	)
	tests := []struct {
		in, api, want, err string
	}{
		{"https://mergeguard.acme.dev", github, "https://mergeguard.acme.dev", ""},
		{"https://mergeguard.acme.dev/", github, "https://mergeguard.acme.dev", ""},
		{" https://acme.dev/guard/ ", github, "https://acme.dev/guard", ""},
		{"https://10.0.0.5:8443", github, "https://10.0.0.5:8443", ""},
		{"", github, "", "--url is required"},
		{"mergeguard.acme.dev", github, "", "not a web address"},
		{"ftp://acme.dev", github, "", "not a web address"},
		{"https://acme.dev/?x=1", github, "", "not a web address"},
		{"https://user:pw@acme.dev", github, "", "not a web address"},
		{"http://mergeguard.acme.dev", github, "", `--url "http://mergeguard.acme.dev" is not https`},
		{"http://10.0.0.5:8080", github, "", "give that https address, e.g. --url https://10.0.0.5:8080"},
		{"http://10.0.0.5:8080", local, "", "is not https"},
		{"http://localhost:8080", github, "", "loopback"},
		{"https://127.0.0.1:8443", github, "", "loopback"},
		{"http://[::1]:8080", github, "", "loopback"},
		{"http://127.0.0.2:8080", github, "", "loopback"},
		// A GitHub on this machine reaches a loopback address, over http too.
		{"http://127.0.0.1:8080", local, "http://127.0.0.1:8080", ""},
		{"http://localhost:8080/", "http://localhost:4000/api/v3/", "http://localhost:8080", ""},
	}
	for _, tt := range tests {
		got, err := ParsePublicURL(tt.in, tt.api)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q with GitHub at %s: error %v, want %q", tt.in, tt.api, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q with GitHub at %s: %q, %v; want %q", tt.in, tt.api, got, err, tt.want)
		}
	}
}

func TestValidateOrgAndDefaultName(t *testing.T) {
	for _, org := range []string{"", "acme", "Acme-Corp", "a", strings.Repeat("a", 39)} {
		if err := ValidateOrg(org); err != nil {
			t.Errorf("%q: %v", org, err)
		}
	}
	for _, org := range []string{"-acme", "acme-", "ac--me", "acme/evil", "acme?x", "ac me", strings.Repeat("a", 40)} {
		if err := ValidateOrg(org); err == nil {
			t.Errorf("%q was accepted", org)
		}
	}
	if DefaultName("") != "mergeguard" || DefaultName("Acme") != "mergeguard-acme" {
		t.Errorf("default names %q %q", DefaultName(""), DefaultName("Acme"))
	}
}

// TestREADMEListsThePermissions keeps the README's account of the App (for
// readers, and for registering it by hand) equal to the manifest.
func TestREADMEListsThePermissions(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, text, _ := strings.Cut(string(data), "The App asks for these repository permissions:")
	text, _, _ = strings.Cut(text, "To register it by hand")
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		t.Fatal("the README no longer lists the App's permissions")
	}
	display := func(key string) string {
		s := strings.ReplaceAll(key, "_", " ")
		return strings.ToUpper(s[:1]) + s[1:]
	}
	list := func(s string) []string {
		var out []string
		for _, part := range strings.Split(s, ", ") {
			out = append(out, strings.Split(part, " and ")...)
		}
		slices.Sort(out)
		return out
	}

	readme := map[string]string{}
	for _, m := range permissionGroup.FindAllStringSubmatch(text, -1) {
		level := map[string]string{"Read and write": "write", "Read": "read"}[m[2]]
		for _, name := range list(m[1]) {
			readme[name] = level
		}
	}
	want := map[string]string{}
	for key, level := range Permissions() {
		want[display(key)] = level
	}
	if !maps.Equal(readme, want) {
		t.Errorf("the README lists the permissions %v; the manifest asks for %v", readme, want)
	}

	_, events, _ := strings.Cut(text, "It subscribes to ")
	events, _, _ = strings.Cut(events, ".")
	var wantEvents []string
	for _, ev := range Events() {
		wantEvents = append(wantEvents, display(ev))
	}
	slices.Sort(wantEvents)
	if got := list(events); !slices.Equal(got, wantEvents) {
		t.Errorf("the README lists the events %q; the manifest subscribes to %q", got, wantEvents)
	}
}

var permissionGroup = regexp.MustCompile(`([A-Z][A-Za-z ,]+?) — \*(Read and write|Read)\*`)
