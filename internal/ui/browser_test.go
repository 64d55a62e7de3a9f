package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromiumPath finds headless Chromium (the Debian package "chromium").
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser loads each page in headless Chromium, signed in as a member
// who can read everything in the fixture, asserts on the DOM the browser
// built, and keeps a screenshot of each: in MERGEGUARD_UI_SCREENSHOTS when
// set (docs/images for the README), else in the test's temporary
// directory.
func TestBrowser(t *testing.T) {
	chromium := chromiumPath()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is not installed, and CI needs the browser test: install the chromium package")
		}
		t.Skip("Chromium is not installed (Debian package chromium); skipping the browser test")
	}
	e := newEnv(t)
	session, _ := e.signIn("alice", "/ui/")
	// Chromium cannot be handed a cookie on its command line, and the
	// session cookie is Secure while the test server is plain HTTP, so the
	// server in front of the pages adds the signed-in session to every
	// request.
	browserSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
		e.h.ServeHTTP(w, r)
	}))
	defer browserSrv.Close()
	dir := os.Getenv("MERGEGUARD_UI_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	pages := []struct {
		name, path string
		width      int
		want       []string
	}{
		{name: "ui-evaluation", path: "/ui/acme/shop/pull/42", width: 1200, want: []string{
			"<h1>acme/shop#42: Checkout: retry card payments</h1>",
			`<span class="verdict o-success" id="conclusion">success</span>`,
			`<table id="rules-table">`, `<table id="overrides-table">`, `<table id="holds-table">`, `<table id="history-table">`,
			"retry path is covered by the e2e suite",
			`<tr class="current" aria-current="true">`,
			`<table id="reviews-table">`, `<td class="r-stale">stale</td>`, `<table id="rule-files-table">`,
			`<table id="changed-files-table">`, `<p id="changed-count">3 changed files.</p>`,
		}},
		{name: "ui-freezes", path: "/ui/acme/freezes", width: 1200, want: []string{
			"<h1>Freezes in acme</h1>", `<table id="active-table">`, "key ceremony", `<table id="calendar-table">`,
			"Freeze dates (company day): all day",
		}},
		{name: "ui-timeline", path: "/ui/acme/timeline", width: 1200, want: []string{
			"<h1>Timeline of acme</h1>", `<table id="timeline-table">`, `<a href="/ui/acme/shop/pull/42">acme/shop#42</a>`,
			`<input type="checkbox" name="kind" value="merge" checked="">`, `id="export-csv"`,
		}},
		{name: "ui-timeline-narrow", path: "/ui/acme/timeline?kind=merge&kind=override", width: 390, want: []string{
			`<table id="timeline-table">`, "key rotation runbook",
		}},
	}
	var wg sync.WaitGroup
	results := make([]string, len(pages))
	errs := make([]error, len(pages))
	// Two browsers at a time: each takes a second or two to start.
	slots := make(chan struct{}, 2)
	for i, p := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			results[i], errs[i] = renderPage(t.Context(), chromium, t.TempDir(), browserSrv.URL+p.path, filepath.Join(dir, p.name+".png"), p.width)
		}()
	}
	wg.Wait()
	for i, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			dom := results[i]
			for _, w := range p.want {
				if !strings.Contains(dom, w) {
					t.Errorf("the rendered DOM lacks %s", w)
				}
			}
			// The page must carry no script: everything works without one.
			if strings.Contains(dom, "<script") {
				t.Errorf("the page has a script")
			}
			shot := filepath.Join(dir, p.name+".png")
			if st, err := os.Stat(shot); err != nil || st.Size() < 1000 {
				t.Errorf("no screenshot at %s: %v", shot, err)
			}
			t.Logf("screenshot: %s", shot)
		})
	}
}

// renderPage loads url in headless Chromium, returning the DOM and saving
// a screenshot.
func renderPage(ctx context.Context, chromium, profile, url, shot string, width int) (string, error) {
	// A safeguard, not a measure: a browser that hangs must not hang the
	// test run.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	args := []string{"--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--user-data-dir=" + profile,
		fmt.Sprintf("--window-size=%d,1500", width), "--screenshot=" + shot, "--dump-dom", url}
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox on, as it does
		// in CI containers.
		args = append([]string{"--no-sandbox"}, args...)
	}
	cmd := exec.CommandContext(ctx, chromium, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("chromium %s: %w\n%s", url, err, stderr.String())
	}
	return string(out), nil
}
