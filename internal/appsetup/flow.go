package appsetup

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mergeguard/mergeguard/internal/settings"
)

// Config is one run of the manifest flow.
type Config struct {
	// APIURL is GitHub's REST API root, ending with a slash
	// (settings.ParseAPIURL). GitHub's web address is derived from it.
	APIURL string
	// PublicURL is where GitHub will reach mergeguard; the webhook is
	// PublicURL + WebhookPath.
	PublicURL string
	// Org owns the App; "" registers it under the signed-in user.
	Org string
	// Name is the App's name (DefaultName(Org) when "").
	Name string
	// Out is the credentials file to write; Force replaces an existing one.
	Out   string
	Force bool
	// Listen is the loopback address of the local page (127.0.0.1:0, a
	// random port, when "").
	Listen string
	// Timeout bounds the whole flow (15 minutes when 0).
	Timeout time.Duration
	// Client talks to GitHub's API (one with a 30-second timeout when nil).
	Client *http.Client
	// Now stamps the credentials file (time.Now when nil).
	Now func() time.Time
	// Warn tells the person at the terminal about refused requests (nil:
	// silent).
	Warn func(msg string)
}

// DefaultTimeout is how long setup waits for GitHub when Config.Timeout is 0.
// GitHub's code would stay valid for an hour; a person either finishes in a
// few minutes or has walked away.
const DefaultTimeout = 15 * time.Minute

// Result is a registered App whose credentials were written.
type Result struct {
	AppID   int64
	Slug    string
	Owner   string
	HTMLURL string
	// InstallURL is where to install the App on repositories.
	InstallURL string
	// Path is the credentials file.
	Path string
}

// Session is a running flow: its local page is being served. Call Wait.
type Session struct {
	cfg      Config
	webURL   string
	state    string
	manifest Manifest
	local    string
	hosts    map[string]bool

	srv      *http.Server
	served   chan error
	stop     context.CancelFunc
	outcomes chan outcome

	mu       sync.Mutex
	finished bool
}

type outcome struct {
	result Result
	err    error
}

// Start validates the configuration and serves the local page that sends
// the manifest to GitHub. Nothing is registered until someone opens the
// page and confirms on GitHub.
func Start(cfg Config) (*Session, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Warn == nil {
		cfg.Warn = func(string) {}
	}
	public, err := ParsePublicURL(cfg.PublicURL, cfg.APIURL)
	if err != nil {
		return nil, err
	}
	if err := ValidateOrg(cfg.Org); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.Name) == "" {
		cfg.Name = DefaultName(cfg.Org)
	}
	if cfg.Out == "" {
		return nil, errors.New("no credentials file given: use --out FILE")
	}
	if err := CheckTarget(cfg.Out, cfg.Force); err != nil {
		return nil, err
	}
	web, err := WebURL(cfg.APIURL)
	if err != nil {
		return nil, err
	}
	ln, err := listenLoopback(cfg.Listen)
	if err != nil {
		return nil, err
	}
	state, err := randomState()
	if err != nil {
		ln.Close()
		return nil, err
	}

	addr := ln.Addr().(*net.TCPAddr)
	local := "http://" + ln.Addr().String() + "/"
	s := &Session{
		cfg: cfg, webURL: web, state: state, local: local,
		manifest: NewManifest(cfg.Name, public, local+"callback"),
		// Only this address and its localhost alias: a web page that
		// rebinds its own host name to 127.0.0.1 cannot read the page or
		// hand the flow a code of its choosing.
		hosts:    map[string]bool{ln.Addr().String(): true, fmt.Sprintf("localhost:%d", addr.Port): true},
		served:   make(chan error, 1),
		outcomes: make(chan outcome, 1),
	}
	base, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	return s, nil
}

// URL is the local page to open in a browser signed in to GitHub.
func (s *Session) URL() string { return s.local }

// Manifest is what the page sends GitHub.
func (s *Session) Manifest() Manifest { return s.manifest }

// Wait serves until GitHub's redirect has been handled (the credentials
// written, or the exchange failed), ctx ends or the timeout passes, then
// stops the local server.
func (s *Session) Wait(ctx context.Context) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var out outcome
	graceful := true
	select {
	case out = <-s.outcomes:
	case err := <-s.served:
		out.err = fmt.Errorf("the local setup page stopped: %w", err)
	case <-ctx.Done():
		graceful = false
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			out.err = fmt.Errorf("GitHub did not send the browser back within %s, so no App credentials were written: run mergeguard setup again and open the page it prints in a browser on this machine (or forward its port), signed in to GitHub; --timeout waits longer", s.cfg.Timeout)
		} else {
			out.err = errors.New("setup cancelled; no App credentials were written")
		}
	}
	s.close(graceful)
	if !graceful {
		// An exchange that was already under way when time ran out may
		// have finished; its result wins over the timeout.
		select {
		case late := <-s.outcomes:
			if late.err == nil {
				return late.result, nil
			}
		default:
		}
	}
	return out.result, out.err
}

// close stops taking requests and lets the one being answered finish.
// Unless graceful, an exchange still running is cancelled first: the flow
// has been given up.
func (s *Session) close(graceful bool) {
	if !graceful {
		s.stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	s.stop()
}

func (s *Session) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /callback", s.callback)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts[strings.ToLower(r.Host)] {
			http.Error(w, "This page answers only on "+s.local, http.StatusMisdirectedRequest)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src '"+autoSubmitHash+"'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
		mux.ServeHTTP(w, r)
	})
}

func (s *Session) page(w http.ResponseWriter, _ *http.Request) {
	m, err := s.manifest.JSON()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	render(w, http.StatusOK, startPage, map[string]any{
		"Name": s.manifest.Name, "Org": s.cfg.Org, "Hook": s.manifest.HookAttributes.URL,
		"Action": NewAppURL(s.webURL, s.cfg.Org, s.state), "Manifest": string(m),
	})
}

// callback is where GitHub sends the browser after the App is created:
// /callback?code=…&state=….
func (s *Session) callback(w http.ResponseWriter, r *http.Request) {
	// The page's URL holds the code: links on it must not pass it on. (The
	// start page sets no policy: GitHub receives its form post with the
	// browser's usual Origin.)
	w.Header().Set("Referrer-Policy", "no-referrer")
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(s.state)) != 1 {
		s.cfg.Warn(fmt.Sprintf("refused a request to the setup page from %s: its state does not match this run (it did not come from the App registration this page started)", r.RemoteAddr))
		render(w, http.StatusBadRequest, messagePage, map[string]any{
			"Title": "This link is not from this setup run",
			"Text":  "mergeguard setup only accepts GitHub's answer to the registration it started. Open " + s.local + " to start it.",
		})
		return
	}
	code := q.Get("code")
	if code == "" || len(code) > 256 {
		render(w, http.StatusBadRequest, messagePage, map[string]any{
			"Title": "No code from GitHub",
			"Text":  "GitHub sends a one-time code when the App has been created. Open " + s.local + " to start again.",
		})
		return
	}

	// One exchange per run: the code works once, and a second App's
	// credentials must not replace the first's.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		render(w, http.StatusGone, messagePage, map[string]any{
			"Title": "Setup has already finished",
			"Text":  "See the terminal where mergeguard setup ran.",
		})
		return
	}
	s.finished = true

	res, err := s.complete(r.Context(), code)
	s.outcomes <- outcome{res, err}
	if err != nil {
		render(w, http.StatusBadGateway, messagePage, map[string]any{"Title": "Setup failed", "Text": err.Error()})
		return
	}
	render(w, http.StatusOK, donePage, map[string]any{"Result": res})
}

// complete exchanges the code and writes the credentials.
func (s *Session) complete(ctx context.Context, code string) (Result, error) {
	conv, err := Exchange(ctx, s.cfg.Client, s.cfg.APIURL, code)
	if err != nil {
		return Result{}, err
	}
	res := Result{AppID: conv.ID, Slug: conv.Slug, Owner: conv.Owner.Login, HTMLURL: conv.HTMLURL, Path: s.cfg.Out}
	res.InstallURL = installURL(s.webURL, conv)
	// The web view's sessions are sealed with a key only this file holds.
	sessionKey := make([]byte, settings.MinSessionKey)
	if _, err := rand.Read(sessionKey); err != nil {
		return Result{}, fmt.Errorf("make a session key for the web view: %w", err)
	}
	if err := WriteFile(s.cfg.Out, Credentials(conv, s.cfg.APIURL, s.manifest.URL, sessionKey, s.cfg.Now()), s.cfg.Force); err != nil {
		// The App exists now, and its key cannot be fetched again.
		return Result{}, fmt.Errorf("GitHub created App %d (%s), but its credentials could not be saved: %w; on the App's settings page generate a private key and set a webhook secret, then configure them as the README describes", conv.ID, conv.HTMLURL, err)
	}
	return res, nil
}

func installURL(web string, c Conversion) string {
	if c.HTMLURL != "" {
		return strings.TrimSuffix(c.HTMLURL, "/") + "/installations/new"
	}
	return web + "apps/" + c.Slug + "/installations/new"
}

func randomState() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate the setup state: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// listenLoopback listens on a loopback address only: GitHub's redirect
// carries a code that is as good as the App's private key until it is used.
func listenLoopback(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--listen %q is not an address: use 127.0.0.1:PORT", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("--listen %q is not a loopback address: the setup page must stay on this machine (use 127.0.0.1:PORT; on a remote machine, forward the port with ssh -L)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s for the setup page: %w (choose another port with --listen)", addr, err)
	}
	return ln, nil
}
