package cli_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/cli"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// buffer is an output the test reads while the command still writes it.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var (
	localPage = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	action    = regexp.MustCompile(`action="([^"]*)"`)
	manifest  = regexp.MustCompile(`name="manifest" value="([^"]*)"`)
	// shBlock is one of the README's shell examples.
	shBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")
)

// TestSetupThenServe follows the README: `mergeguard setup --url …` with a
// browser (here an HTTP client) and a GitHub (here the fake), then
// `mergeguard serve` with nothing but the file setup wrote.
func TestSetupThenServe(t *testing.T) {
	gh := fakegithub.New(t)
	dir := t.TempDir()
	creds := filepath.Join(dir, "mergeguard.env")
	env := map[string]string{"MERGEGUARD_GITHUB_API_URL": gh.URL()}
	getenv := func(k string) string { return env[k] }

	// The commands as the README gives them.
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## Run it on GitHub\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var cmds []string
	for _, block := range shBlock.FindAllStringSubmatch(section, -1) {
		for _, line := range strings.Split(block[1], "\n") {
			if cmd, ok := strings.CutPrefix(line, "mergeguard "); ok {
				cmds = append(cmds, cmd)
			}
		}
	}
	if len(cmds) < 2 || !strings.HasPrefix(cmds[0], "setup ") || cmds[1] != "serve" {
		t.Fatalf("the README's \"Run it on GitHub\" no longer starts with mergeguard setup, then mergeguard serve: %q", cmds)
	}
	args := append(strings.Fields(cmds[0]), "--out", creds)

	var stdout, stderr buffer
	done := make(chan error, 1)
	go func() {
		done <- cli.Run(context.Background(), args, getenv, &stdout, &stderr)
	}()
	wait.Until(t, 10*time.Second, "setup to print its page", func() bool { return localPage.MatchString(stdout.String()) })
	if !strings.Contains(stdout.String(), `"mergeguard-acme" for the organization acme`) || !strings.Contains(stdout.String(), "https://mergeguard.acme.dev/webhook") {
		t.Errorf("stdout:\n%s", stdout.String())
	}

	// The browser: open the page, post its form to GitHub, follow GitHub's
	// redirect back.
	resp, err := http.Get(localPage.FindString(stdout.String()))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	a, m := action.FindSubmatch(page), manifest.FindSubmatch(page)
	if a == nil || m == nil {
		t.Fatalf("page:\n%s", page)
	}
	resp, err = http.PostForm(html.UnescapeString(string(a[1])), url.Values{"manifest": {html.UnescapeString(string(m[1]))}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after GitHub's redirect: %d", resp.StatusCode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("setup: %v\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("setup did not finish")
	}
	for _, want := range []string{"App ID 424242", creds, "https://github.com/apps/mergeguard-acme/installations/new", "MERGEGUARD_CONFIG_FILE=" + creds + " mergeguard serve"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}

	// mergeguard serve, configured by the file alone (plus where to listen
	// and keep its database).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	serveEnv := map[string]string{
		"MERGEGUARD_CONFIG_FILE":  creds,
		"MERGEGUARD_ADDR":         addr,
		"MERGEGUARD_DATABASE_URL": "sqlite:" + filepath.Join(dir, "mergeguard.db"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	var serveErr buffer
	go func() {
		served <- cli.Run(ctx, []string{"serve"}, func(k string) string { return serveEnv[k] }, io.Discard, &serveErr)
	}()
	wait.Until(t, 30*time.Second, "mergeguard serve to be ready", func() bool {
		select {
		case err := <-served:
			t.Fatalf("serve stopped: %v\n%s", err, serveErr.String())
		default:
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

func TestSetupRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "mergeguard.env")
	if err := os.WriteFile(existing, []byte("MERGEGUARD_APP_ID=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		says string
	}{
		{"no url", nil, []string{"setup"}, "--url is required"},
		{"plain http url", nil, []string{"setup", "--url", "http://mg.acme.dev"}, "is not https"},
		{"existing file", nil, []string{"setup", "--url", "https://mg.acme.dev", "--out", existing}, "already exists"},
		{"bad API URL", map[string]string{"MERGEGUARD_GITHUB_API_URL": "ghe.acme.dev"}, []string{"setup", "--url", "https://mg.acme.dev"}, "MERGEGUARD_GITHUB_API_URL"},
		{"bad org", nil, []string{"setup", "--url", "https://mg.acme.dev", "--org", "a/b"}, "not a GitHub organization name"},
		{"arguments", nil, []string{"setup", "extra"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := cli.Run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &out, &errb)
			if cli.ExitCode(err, io.Discard) != cli.ExitFailure || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %v, want exit 2 saying %q", err, tt.says)
			}
		})
	}
}
