package settings

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func testKeyPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

func TestFromEnv(t *testing.T) {
	keyPEM := testKeyPEM(t)
	base := map[string]string{
		EnvAppID:          "12345",
		EnvPrivateKeyFile: "/keys/app.pem",
		EnvWebhookSecret:  "s3cret",
	}
	files := map[string]string{"/keys/app.pem": keyPEM, "/keys/garbage.pem": "hello"}
	readFile := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, &os.PathError{Op: "open", Path: p, Err: os.ErrNotExist}
	}
	load := func(overrides map[string]string) (Settings, error) {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range overrides {
			env[k] = v
		}
		return FromEnv(func(k string) string { return env[k] }, readFile)
	}

	t.Run("defaults", func(t *testing.T) {
		s, err := load(nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Addr != ":8080" || s.AppID != 12345 || s.GitHubAPIURL != "https://api.github.com/" ||
			s.Database != (Database{Driver: "sqlite", Path: "mergeguard.db"}) || s.CheckName != "mergeguard" ||
			s.Mode != "enforce" || s.Workers != 10 || s.CoalesceQuiet != 500*time.Millisecond || s.PrivateKey == nil ||
			s.MaxAnnotations != 200 || s.GitHub != (GitHubWaits{MaxWait: 30 * time.Second, OutageMax: time.Hour, MaxConcurrency: 100}) {
			t.Fatalf("defaults: %+v", s)
		}
	})

	t.Run("explicit values", func(t *testing.T) {
		s, err := load(map[string]string{
			EnvAddr: "127.0.0.1:9000", EnvGitHubAPIURL: "https://ghe.example.com/api/v3",
			EnvDatabaseURL: "postgres://mg:pw@db:5432/mergeguard", EnvCheckName: "merge-gate", EnvMode: "report",
			EnvPrivateKeyFile: "", EnvPrivateKey: strings.ReplaceAll(keyPEM, "\n", `\n`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if s.Addr != "127.0.0.1:9000" || s.GitHubAPIURL != "https://ghe.example.com/api/v3/" ||
			s.Database.Driver != "postgres" || s.CheckName != "merge-gate" || s.Mode != "report" {
			t.Fatalf("explicit: %+v", s)
		}
	})

	bad := []struct {
		name     string
		env      map[string]string
		variable string
		says     string
	}{
		{"app id missing", map[string]string{EnvAppID: ""}, EnvAppID, "required"},
		{"app id not a number", map[string]string{EnvAppID: "my-app"}, EnvAppID, "not a GitHub App ID"},
		{"no key", map[string]string{EnvPrivateKeyFile: ""}, EnvPrivateKeyFile, "required"},
		{"both keys", map[string]string{EnvPrivateKey: keyPEM}, EnvPrivateKey, "not both"},
		{"key file missing", map[string]string{EnvPrivateKeyFile: "/keys/nope.pem"}, EnvPrivateKeyFile, "does not exist"},
		{"key file not PEM", map[string]string{EnvPrivateKeyFile: "/keys/garbage.pem"}, EnvPrivateKeyFile, "not a PEM-encoded RSA private key"},
		{"inline key not PEM", map[string]string{EnvPrivateKeyFile: "", EnvPrivateKey: "abc"}, EnvPrivateKey, "not a PEM"},
		{"secret missing", map[string]string{EnvWebhookSecret: ""}, EnvWebhookSecret, "forged"},
		{"secret blank", map[string]string{EnvWebhookSecret: "   "}, EnvWebhookSecret, "required"},
		{"api url not a url", map[string]string{EnvGitHubAPIURL: "ghe.example.com"}, EnvGitHubAPIURL, "not an http(s) URL"},
		{"database scheme", map[string]string{EnvDatabaseURL: "mysql://x"}, EnvDatabaseURL, "sqlite:PATH"},
		{"sqlite without path", map[string]string{EnvDatabaseURL: "sqlite:"}, EnvDatabaseURL, "file path"},
		{"bad addr", map[string]string{EnvAddr: "8080"}, EnvAddr, "listen address"},
		{"bad mode", map[string]string{EnvMode: "strict"}, EnvMode, "enforce"},
		{"bad workers", map[string]string{EnvWorkers: "0"}, EnvWorkers, "whole number"},
		{"bad duration", map[string]string{EnvCoalesceQuiet: "soon"}, EnvCoalesceQuiet, "duration"},
		{"bad log level", map[string]string{EnvLogLevel: "loud"}, EnvLogLevel, "debug, info"},
		{"bad annotation cap", map[string]string{EnvMaxAnnotations: "-5"}, EnvMaxAnnotations, "whole number"},
		{"bad metrics addr", map[string]string{EnvMetricsAddr: "9090"}, EnvMetricsAddr, "listen address"},
		{"wait bound too long", map[string]string{EnvGitHubMaxWait: "1h"}, EnvGitHubMaxWait, "from 1s to 10m0s"},
		{"outage bound too short", map[string]string{EnvGitHubOutageMax: "10s"}, EnvGitHubOutageMax, "duration"},
		{"concurrency beyond GitHub's limit", map[string]string{EnvGitHubParallel: "500"}, EnvGitHubParallel, "from 1 to 100"},
		{"metrics addr equals addr", map[string]string{EnvAddr: ":8080", EnvMetricsAddr: ":8080"}, EnvMetricsAddr, "the same as"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(tt.env)
			var ve *VariableError
			if !errors.As(err, &ve) || ve.Name != tt.variable || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %v, want one naming %s and saying %q", err, tt.variable, tt.says)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "PRIVATE KEY-----\nMII") {
				t.Fatalf("error leaks a secret: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("start-up errors are one line: %q", err)
			}
		})
	}
}

func TestPolicyWorkerSettings(t *testing.T) {
	for _, tt := range []struct {
		env     map[string]string
		memory  int64
		workers int
		err     string
	}{
		{env: nil, memory: 256 << 20, workers: 2},
		{env: map[string]string{EnvPolicyMemory: "512MiB", EnvPolicyWorkers: "4"}, memory: 512 << 20, workers: 4},
		{env: map[string]string{EnvPolicyMemory: "1GiB"}, memory: 1 << 30, workers: 2},
		{env: map[string]string{EnvPolicyMemory: "134217728"}, memory: 128 << 20, workers: 2},
		{env: map[string]string{EnvPolicyMemory: "16MiB"}, err: "from 32MiB to 64GiB"},
		{env: map[string]string{EnvPolicyMemory: "lots"}, err: "such as 256MiB"},
		{env: map[string]string{EnvPolicyMemory: "1TB"}, err: EnvPolicyMemory},
		{env: map[string]string{EnvPolicyWorkers: "0"}, err: EnvPolicyWorkers},
	} {
		p, err := PolicyFromEnv(func(k string) string { return tt.env[k] })
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want one saying %q", tt.env, err, tt.err)
			}
		case err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case p.PolicyMemory != tt.memory || p.PolicyWorkers != tt.workers:
			t.Errorf("%v: memory %d, workers %d; want %d, %d", tt.env, p.PolicyMemory, p.PolicyWorkers, tt.memory, tt.workers)
		}
	}
}

// The policy folder's variable was renamed; the old name still works, says
// so, and a local path in either is refused by name instead of ignored.
func TestPolicyFolderVariable(t *testing.T) {
	for _, tt := range []struct {
		name   string
		env    map[string]string
		folder string
		notice string
		err    string
	}{
		{name: "default", folder: "mergeguard"},
		{name: "new name", env: map[string]string{EnvPolicyFolder: "policy/"}, folder: "policy"},
		{name: "old name", env: map[string]string{EnvPolicyDirOld: "policy"}, folder: "policy", notice: "MERGEGUARD_POLICY_DIR is deprecated: rename it to MERGEGUARD_POLICY_FOLDER"},
		{name: "both", env: map[string]string{EnvPolicyDirOld: "old", EnvPolicyFolder: "new"}, folder: "new", notice: "ignored, because MERGEGUARD_POLICY_FOLDER is set"},
		{name: "absolute path", env: map[string]string{EnvPolicyFolder: "/home/me/org-policy"}, err: "MERGEGUARD_POLICY_FOLDER: \"/home/me/org-policy\" looks like a path on this machine"},
		{name: "relative checkout in old name", env: map[string]string{EnvPolicyDirOld: "./org-policy"}, err: "MERGEGUARD_POLICY_DIR: \"./org-policy\" looks like a path"},
		{name: "parent", env: map[string]string{EnvPolicyFolder: "../x"}, err: "inside the policy repository"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PolicyFromEnv(func(k string) string { return tt.env[k] })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.PolicyDir != tt.folder {
				t.Errorf("folder %q, want %q", p.PolicyDir, tt.folder)
			}
			got := strings.Join(p.Notices, "\n")
			if tt.notice == "" && got != "" || !strings.Contains(got, tt.notice) {
				t.Errorf("notices %q, want %q", got, tt.notice)
			}
		})
	}
}

func TestWebSettings(t *testing.T) {
	const hexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	full := func(extra map[string]string) map[string]string {
		env := map[string]string{EnvPublicURL: "https://mergeguard.example.com/", EnvOAuthClientID: "Iv1.abc", EnvOAuthSecret: "shh", EnvSessionKey: hexKey}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want Web
		err  string
	}{
		{name: "off", env: nil},
		{name: "on", env: full(nil), want: Web{PublicURL: "https://mergeguard.example.com", OAuthClientID: "Iv1.abc", OAuthClientSecret: "shh", SessionKey: mustHex(t, hexKey)}},
		{name: "base64 key", env: full(map[string]string{EnvSessionKey: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}),
			want: Web{PublicURL: "https://mergeguard.example.com", OAuthClientID: "Iv1.abc", OAuthClientSecret: "shh", SessionKey: mustHex(t, hexKey)}},
		{name: "localhost over http", env: full(map[string]string{EnvPublicURL: "http://localhost:8080"}),
			want: Web{PublicURL: "http://localhost:8080", OAuthClientID: "Iv1.abc", OAuthClientSecret: "shh", SessionKey: mustHex(t, hexKey)}},
		{name: "OAuth without a public URL", env: map[string]string{EnvOAuthClientID: "Iv1.abc"}, err: EnvPublicURL + ": required when " + EnvOAuthClientID},
		{name: "no client ID", env: full(map[string]string{EnvOAuthClientID: ""}), err: EnvOAuthClientID + ": required"},
		{name: "no client secret", env: full(map[string]string{EnvOAuthSecret: ""}), err: EnvOAuthSecret + ": required"},
		{name: "no session key", env: full(map[string]string{EnvSessionKey: ""}), err: EnvSessionKey + ": required"},
		{name: "short key", env: full(map[string]string{EnvSessionKey: "00010203"}), err: "at least 32 random bytes"},
		{name: "key neither hex nor base64", env: full(map[string]string{EnvSessionKey: "not a key!"}), err: EnvSessionKey},
		{name: "a path", env: full(map[string]string{EnvPublicURL: "https://example.com/mergeguard"}), err: "public address alone"},
		{name: "not a URL", env: full(map[string]string{EnvPublicURL: "mergeguard.example.com"}), err: EnvPublicURL},
		{name: "plain http", env: full(map[string]string{EnvPublicURL: "http://mergeguard.example.com"}), err: "use https"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, err := webFromEnv(func(k string) string { return tt.env[k] })
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
			case err != nil:
				t.Fatal(err)
			case w.PublicURL != tt.want.PublicURL || w.OAuthClientID != tt.want.OAuthClientID || w.OAuthClientSecret != tt.want.OAuthClientSecret ||
				string(w.SessionKey) != string(tt.want.SessionKey) || w.Enabled() != (tt.want.PublicURL != ""):
				t.Fatalf("got %+v, want %+v", w, tt.want)
			}
		})
	}
}

func TestReplaySettings(t *testing.T) {
	base := map[string]string{EnvAppID: "1", EnvPrivateKey: testKeyPEM(t), EnvWebhookSecret: "s"}
	for _, tt := range []struct {
		env       map[string]string
		days, max int
		err       string
	}{
		{env: nil, days: 14, max: 500},
		{env: map[string]string{EnvReplayDays: "7", EnvReplayMax: "0"}, days: 7, max: 0},
		{env: map[string]string{EnvReplayDays: "0"}, err: EnvReplayDays},
		{env: map[string]string{EnvReplayMax: "lots"}, err: EnvReplayMax},
	} {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range tt.env {
			env[k] = v
		}
		s, err := FromEnv(func(k string) string { return env[k] }, nil)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want one naming %s", tt.env, err, tt.err)
			}
		case err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case s.ReplayDays != tt.days || s.ReplayMax != tt.max:
			t.Errorf("%v: days %d, max %d", tt.env, s.ReplayDays, s.ReplayMax)
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
