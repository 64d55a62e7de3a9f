package fakegithub

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// ManifestApp is an App registration by GitHub's manifest flow: the
// manifest the browser posted to GitHub's web side (or one a test added),
// the one-time code GitHub sent back, and the credentials the code
// exchanges for.
type ManifestApp struct {
	// Org is the organization the App was registered for ("" for the
	// signed-in user); State is echoed back to the redirect URL.
	Org   string
	State string
	// Manifest is the posted JSON.
	Manifest json.RawMessage
	Code     string
	// WebhookSecret is the secret GitHub generated; the private key is the
	// fake App's (PrivateKeyPEM) and the App ID the fake's (AppID), so the
	// credentials work against this fake.
	WebhookSecret string
	Exchanged     bool
}

// manifest is the part of a posted manifest the fake reads.
type manifest struct {
	Name           string `json:"name"`
	URL            string `json:"url"`
	Description    string `json:"description"`
	RedirectURL    string `json:"redirect_url"`
	HookAttributes *struct {
		URL string `json:"url"`
	} `json:"hook_attributes"`
	DefaultPermissions map[string]string `json:"default_permissions"`
	DefaultEvents      []string          `json:"default_events"`
}

// AddManifestCode makes code exchangeable once, as if someone had just
// registered an App from a manifest.
func (s *Server) AddManifestCode(code string) ManifestApp {
	m, _ := json.Marshal(map[string]any{
		"name": "mergeguard", "url": "https://mergeguard.example.com",
		"hook_attributes":     map[string]any{"url": "https://mergeguard.example.com/webhook"},
		"default_permissions": map[string]string{"checks": "write", "metadata": "read"},
		"default_events":      []string{"pull_request"},
	})
	return s.addManifest(ManifestApp{Manifest: m, Code: code})
}

// Manifests returns the registrations so far, in order.
func (s *Server) Manifests() []ManifestApp {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ManifestApp, 0, len(s.manifests))
	for _, a := range s.manifests {
		out = append(out, *a)
	}
	return out
}

func (s *Server) addManifest(a ManifestApp) ManifestApp {
	a.WebhookSecret = randomHex(20)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manifests = append(s.manifests, &a)
	return a
}

// webRoutes serves the web pages of the manifest flow, outside the REST API:
// POST https://github.com/settings/apps/new?state=… (or
// /organizations/ORG/settings/apps/new) with the form field manifest. GitHub
// shows a confirmation page first; the fake confirms at once and redirects
// to the manifest's redirect_url with ?code=…&state=….
func (s *Server) webRoutes(mux *http.ServeMux) {
	for _, pattern := range []string{"POST /settings/apps/new", "POST /organizations/{org}/settings/apps/new"} {
		route := strings.TrimPrefix(pattern, "POST ")
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			idx := s.log(Request{Method: r.Method, Route: route, Path: r.URL.Path, UserAgent: r.UserAgent()})
			status := s.registerManifest(w, r)
			s.mu.Lock()
			s.requests[idx].Status = status
			s.mu.Unlock()
		})
	}
}

func (s *Server) registerManifest(w http.ResponseWriter, r *http.Request) int {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return http.StatusBadRequest
	}
	raw := r.PostForm.Get("manifest")
	var m manifest
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		http.Error(w, "Invalid GitHub App configuration: the manifest is not JSON", http.StatusUnprocessableEntity)
		return http.StatusUnprocessableEntity
	}
	// GitHub's own checks on a manifest, in the words of its error page.
	var problem string
	switch {
	case !absoluteURL(m.URL):
		problem = "url must be a full URL"
	case m.HookAttributes != nil && !absoluteURL(m.HookAttributes.URL):
		problem = "hook_attributes.url must be a full URL"
	case !absoluteURL(m.RedirectURL):
		problem = "redirect_url must be a full URL (the fake has no page to show instead)"
	}
	for k, v := range m.DefaultPermissions {
		if v != "read" && v != "write" && v != "admin" {
			problem = "default_permissions." + k + " must be read or write"
		}
	}
	if problem != "" {
		http.Error(w, "Invalid GitHub App configuration: "+problem, http.StatusUnprocessableEntity)
		return http.StatusUnprocessableEntity
	}
	state := r.URL.Query().Get("state")
	a := s.addManifest(ManifestApp{Org: r.PathValue("org"), State: state, Manifest: json.RawMessage(raw), Code: randomHex(10)})
	to, _ := url.Parse(m.RedirectURL)
	q := to.Query()
	q.Set("code", a.Code)
	if state != "" {
		q.Set("state", state)
	}
	to.RawQuery = q.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
	return http.StatusFound
}

// convertManifest implements POST /app-manifests/{code}/conversions, which
// GitHub answers without authentication: the code is the credential, and it
// works once.
func (s *Server) convertManifest(w *responder, r *http.Request) (int, any) {
	code := r.PathValue("code")
	s.mu.Lock()
	var app *ManifestApp
	for _, a := range s.manifests {
		if a.Code == code && !a.Exchanged {
			app = a
		}
	}
	if app == nil {
		s.mu.Unlock()
		return 404, errorBody("Not Found")
	}
	app.Exchanged = true
	a := *app
	s.mu.Unlock()

	var m manifest
	_ = json.Unmarshal(a.Manifest, &m)
	slug := slugify(m.Name)
	ownerLogin, ownerType := a.Org, "Organization"
	if ownerLogin == "" {
		ownerLogin, ownerType = "octocat", "User"
	}
	var description any = m.Description
	if m.Description == "" {
		description = nil
	}
	permissions := map[string]string{"metadata": "read"}
	for k, v := range m.DefaultPermissions {
		permissions[k] = v
	}
	events := append([]string{}, m.DefaultEvents...)
	now := ts(s.now())
	return 201, map[string]any{
		"id": s.appID, "slug": slug, "node_id": nodeID("A_", s.appID), "name": m.Name,
		"owner": s.userJSON(ownerLogin, ownerType), "description": description,
		"external_url": m.URL, "html_url": webHost + "/apps/" + slug,
		"created_at": now, "updated_at": now, "permissions": permissions, "events": events,
		"client_id": "Iv23li" + randomHex(7), "client_secret": randomHex(20),
		"webhook_secret": a.WebhookSecret, "pem": s.PrivateKeyPEM(),
	}
}

var slugRun = regexp.MustCompile(`[^a-z0-9]+`)

// slugify turns an App name into its URL slug, as GitHub does.
func slugify(name string) string {
	return strings.Trim(slugRun.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
