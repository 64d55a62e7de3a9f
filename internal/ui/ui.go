package ui

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed templates/*.html static/style.css
var assets embed.FS

// Config is what the web view needs.
type Config struct {
	// BaseURL is the public address the server is reached at
	// (https://mergeguard.example.com); the pages live under BaseURL/ui/,
	// GitHub sends users back to BaseURL/ui/callback, and check runs link
	// to EvaluationURL.
	BaseURL string
	// SessionKey encrypts and authenticates the cookies: at least
	// MinSessionKey random bytes, the same on every replica.
	SessionKey []byte
	// SessionTTL is how long a sign-in lasts (default 12 hours).
	SessionTTL time.Duration
	// OAuth is the App's OAuth client.
	OAuth *OAuth
	// GitHubURL is GitHub's web address for links to pull requests
	// (default OAuth.WebURL).
	GitHubURL  string
	Reader     Reader
	Authorizer Authorizer
	// Schedule gives the configured freeze windows; nil shows none, in UTC.
	Schedule Schedule
	Now      func() time.Time
	Logger   *slog.Logger
}

// Handler serves the web view.
type Handler struct {
	cfg      Config
	base     *url.URL
	sessions *sealer
	states   *sealer
	pages    map[string]*template.Template
	mux      *http.ServeMux
}

// stateTTL bounds the time between leaving for GitHub and coming back.
const stateTTL = 10 * time.Minute

// New checks the configuration and builds the handler.
func New(cfg Config) (*Handler, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("web view: public base URL %q: give an absolute URL such as https://mergeguard.example.com", cfg.BaseURL)
	}
	switch {
	case cfg.OAuth == nil || cfg.OAuth.ClientID == "" || cfg.OAuth.ClientSecret == "":
		return nil, errors.New("web view: the App's OAuth client ID and secret are needed for sign-in")
	case cfg.Reader == nil || cfg.Authorizer == nil:
		return nil, errors.New("web view: a reader and an authorizer are needed")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.GitHubURL == "" {
		cfg.GitHubURL = cfg.OAuth.WebURL
	}
	h := &Handler{cfg: cfg, base: base, pages: map[string]*template.Template{}}
	if h.sessions, err = newSealer(cfg.SessionKey, "session"); err != nil {
		return nil, fmt.Errorf("web view: %w", err)
	}
	if h.states, err = newSealer(cfg.SessionKey, "oauth state"); err != nil {
		return nil, fmt.Errorf("web view: %w", err)
	}
	for _, page := range []string{"index", "evaluation", "freezes", "timeline", "message"} {
		t, err := template.New("layout.html").Funcs(h.funcs()).ParseFS(assets, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("web view: template %s: %w", page, err)
		}
		h.pages[page] = t
	}
	h.routes()
	return h, nil
}

func (h *Handler) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /ui/style.css", h.style)
	m.HandleFunc("GET /ui/{$}", h.index)
	m.HandleFunc("GET /ui/login", h.login)
	m.HandleFunc("GET /ui/callback", h.callback)
	m.HandleFunc("POST /ui/logout", h.logout)
	m.HandleFunc("GET /ui/{owner}/{$}", h.org)
	m.HandleFunc("GET /ui/{owner}/freezes", h.freezes)
	m.HandleFunc("GET /ui/{owner}/timeline", h.timeline)
	m.HandleFunc("GET /ui/{owner}/{repo}/pull/{number}", h.evaluation)
	h.mux = m
}

// ServeHTTP serves everything under /ui/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// The pages are plain HTML with one stylesheet: nothing else may load,
	// nothing may frame them, and what they show is private.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	if r.URL.Path != "/ui/style.css" {
		hd.Set("Cache-Control", "no-store")
	}
	h.mux.ServeHTTP(w, r)
}

// EvaluationURL is the evaluation page of a pull request, at a head commit
// when sha is set: what a check run's details_url should be.
func (h *Handler) EvaluationURL(repo string, number int, sha string) string {
	u := fmt.Sprintf("%s/ui/%s/pull/%d", h.base.String(), escapeRepo(repo), number)
	if sha != "" {
		u += "?sha=" + url.QueryEscape(sha)
	}
	return u
}

func escapeRepo(repo string) string {
	owner, name, _ := strings.Cut(repo, "/")
	return url.PathEscape(owner) + "/" + url.PathEscape(name)
}

func (h *Handler) style(w http.ResponseWriter, r *http.Request) {
	css, err := fs.ReadFile(assets, "static/style.css")
	if err != nil {
		h.fail(w, r, nil, http.StatusInternalServerError, "The stylesheet is missing.", err)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(css)
}

// currentSession returns the signed-in user's session, or false when there
// is none or it expired.
func (h *Handler) currentSession(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	var s session
	if err := h.sessions.open(c.Value, &s); err != nil || s.Login == "" {
		return session{}, false
	}
	if !h.cfg.Now().Before(s.Expires) {
		return session{}, false
	}
	return s, true
}

// requireSession returns the session, or sends the browser to sign in and
// come back.
func (h *Handler) requireSession(w http.ResponseWriter, r *http.Request) (session, bool) {
	if s, ok := h.currentSession(r); ok {
		return s, true
	}
	if _, err := r.Cookie(sessionCookie); err == nil {
		http.SetCookie(w, cookie(sessionCookie, "", time.Time{}))
	}
	http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return session{}, false
}

// requireMember checks that the signed-in user is a member of the
// organization, answering 403 when not.
func (h *Handler) requireMember(w http.ResponseWriter, r *http.Request, s session, owner string) bool {
	ok, err := h.cfg.Authorizer.IsMember(r.Context(), owner, s.Login)
	if err != nil {
		h.fail(w, r, &s, http.StatusBadGateway, "GitHub could not say whether you are a member of "+owner+". Try again in a minute.", err)
		return false
	}
	if !ok {
		h.fail(w, r, &s, http.StatusForbidden, "You are signed in as "+s.Login+", who is not a member of "+owner+".", nil)
		return false
	}
	return true
}

// canRead reports whether the user can read the repository.
func (h *Handler) canRead(ctx context.Context, s session, repo string) (bool, error) {
	return h.cfg.Authorizer.CanRead(ctx, repo, s.Login)
}

// location is the organization's time zone.
func (h *Handler) location(ctx context.Context, owner string) *time.Location {
	if h.cfg.Schedule == nil {
		return time.UTC
	}
	loc, err := h.cfg.Schedule.Location(ctx, owner)
	if err != nil || loc == nil {
		if err != nil {
			h.cfg.Logger.WarnContext(ctx, "web view: the organization's time zone is unknown; showing UTC", "owner", owner, "err", err)
		}
		return time.UTC
	}
	return loc
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	state, err := randomToken()
	if err != nil {
		h.fail(w, r, nil, http.StatusInternalServerError, "Sign-in could not start.", err)
		return
	}
	now := h.cfg.Now()
	sealed, err := h.states.seal(oauthState{State: state, Next: safeNext(r.URL.Query().Get("next")), Expires: now.Add(stateTTL)})
	if err != nil {
		h.fail(w, r, nil, http.StatusInternalServerError, "Sign-in could not start.", err)
		return
	}
	http.SetCookie(w, cookie(stateCookie, sealed, now.Add(stateTTL)))
	http.Redirect(w, r, h.cfg.OAuth.AuthorizeURL(state, h.callbackURL()), http.StatusSeeOther)
}

func (h *Handler) callbackURL() string { return h.base.String() + "/ui/callback" }

// safeNext keeps a return path only if it is one of these pages, so the
// sign-in cannot be used to send people elsewhere.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/ui/") ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/ui/"
	}
	return u.RequestURI()
}

func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, err := r.Cookie(stateCookie)
	var st oauthState
	if err != nil || h.states.open(c.Value, &st) != nil || !h.cfg.Now().Before(st.Expires) || !equalTokens(st.State, q.Get("state")) {
		h.fail(w, r, nil, http.StatusBadRequest, "This sign-in did not start here, or took too long. Sign in again.", nil)
		return
	}
	http.SetCookie(w, cookie(stateCookie, "", time.Time{}))
	if e := q.Get("error"); e != "" {
		h.fail(w, r, nil, http.StatusForbidden, "GitHub did not sign you in: "+e+".", nil)
		return
	}
	token, err := h.cfg.OAuth.Exchange(r.Context(), q.Get("code"), h.callbackURL())
	if err != nil {
		h.fail(w, r, nil, http.StatusBadGateway, "GitHub did not complete the sign-in. Sign in again.", err)
		return
	}
	user, err := h.cfg.OAuth.User(r.Context(), token)
	if err != nil {
		h.fail(w, r, nil, http.StatusBadGateway, "GitHub did not say who you are. Sign in again.", err)
		return
	}
	csrf, err := randomToken()
	if err != nil {
		h.fail(w, r, nil, http.StatusInternalServerError, "Sign-in could not finish.", err)
		return
	}
	expires := h.cfg.Now().Add(h.cfg.SessionTTL)
	sealed, err := h.sessions.seal(session{Login: user.Login, UserID: user.ID, Expires: expires, CSRF: csrf})
	if err != nil {
		h.fail(w, r, nil, http.StatusInternalServerError, "Sign-in could not finish.", err)
		return
	}
	http.SetCookie(w, cookie(sessionCookie, sealed, expires))
	http.Redirect(w, r, safeNext(st.Next), http.StatusSeeOther)
}

// checkCSRF reports whether a state-changing form came from these pages:
// it must echo the session's token, and when the browser says where the
// request came from, that must be this server.
func (h *Handler) checkCSRF(r *http.Request, s session) bool {
	if origin := r.Header.Get("Origin"); origin != "" && origin != h.base.Scheme+"://"+h.base.Host {
		return false
	}
	return equalTokens(s.CSRF, r.PostFormValue("csrf"))
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	s, ok := h.currentSession(r)
	if !ok {
		http.SetCookie(w, cookie(sessionCookie, "", time.Time{}))
		http.Redirect(w, r, "/ui/", http.StatusSeeOther)
		return
	}
	if !h.checkCSRF(r, s) {
		h.fail(w, r, &s, http.StatusForbidden, "This form did not come from this page. Reload it and try again.", nil)
		return
	}
	http.SetCookie(w, cookie(sessionCookie, "", time.Time{}))
	h.render(w, r, nil, http.StatusOK, "message", "Signed out", messageData{Message: "You are signed out."})
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	s, ok := h.currentSession(r)
	if !ok {
		h.render(w, r, nil, http.StatusOK, "index", "mergeguard", nil)
		return
	}
	if org := strings.TrimSpace(r.URL.Query().Get("org")); org != "" && validName(org) {
		http.Redirect(w, r, "/ui/"+url.PathEscape(org)+"/timeline", http.StatusSeeOther)
		return
	}
	h.render(w, r, &s, http.StatusOK, "index", "mergeguard", nil)
}

func (h *Handler) org(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/ui/"+url.PathEscape(r.PathValue("owner"))+"/timeline", http.StatusSeeOther)
}

// validName accepts GitHub account and repository names.
func validName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s != "." && s != ".."
}

// page is what every template gets.
type page struct {
	Title string
	User  string
	CSRF  string
	Owner string
	Data  any
}

type messageData struct{ Message string }

func (h *Handler) render(w http.ResponseWriter, r *http.Request, s *session, status int, name, title string, data any) {
	p := page{Title: title, Data: data, Owner: r.PathValue("owner")}
	if s != nil {
		p.User, p.CSRF = s.Login, s.CSRF
	}
	var buf strings.Builder
	if err := h.pages[name].Execute(&buf, p); err != nil {
		h.cfg.Logger.ErrorContext(r.Context(), "web view: render a page", "page", name, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

// fail shows a message page; err, when set, is logged, not shown.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, err error) {
	if err != nil {
		h.cfg.Logger.WarnContext(r.Context(), "web view: "+msg, "path", r.URL.Path, "err", err)
	}
	h.render(w, r, s, status, "message", http.StatusText(status), messageData{Message: msg})
}
