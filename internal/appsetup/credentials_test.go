package appsetup

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/settings"
)

func testPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

// TestCredentialsAreWhatServeReads: the file is read back by the settings
// package exactly as `mergeguard serve` reads it.
func TestCredentialsAreWhatServeReads(t *testing.T) {
	key := testPEM(t)
	now := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	sessionKey := []byte(strings.Repeat("s", 32))
	tests := []struct {
		name, api, pem string
		wantAPI        string
		// public and oauth: the web view's settings; wantWeb whether it is on.
		public  string
		oauth   bool
		wantWeb string
	}{
		{name: "github.com", api: "https://api.github.com/", pem: key, wantAPI: "https://api.github.com/"},
		{name: "enterprise server", api: "https://ghe.acme.dev/api/v3/", pem: key, wantAPI: "https://ghe.acme.dev/api/v3/"},
		{name: "CRLF key without final newline", api: "https://api.github.com/", pem: strings.TrimSuffix(strings.ReplaceAll(key, "\n", "\r\n"), "\r\n"), wantAPI: "https://api.github.com/"},
		{name: "web view", api: "https://api.github.com/", pem: key, wantAPI: "https://api.github.com/",
			public: "https://mergeguard.acme.dev", oauth: true, wantWeb: "https://mergeguard.acme.dev"},
		{name: "behind a path prefix: OAuth client saved, view off", api: "https://api.github.com/", pem: key, wantAPI: "https://api.github.com/",
			public: "https://acme.dev/mergeguard", oauth: true},
		{name: "no OAuth client returned", api: "https://api.github.com/", pem: key, wantAPI: "https://api.github.com/", public: "https://mergeguard.acme.dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Conversion{ID: 4711, Slug: "mergeguard-acme", HTMLURL: "https://github.com/apps/mergeguard-acme", WebhookSecret: "e340154128314309424b", PEM: tt.pem}
			if tt.oauth {
				c.ClientID, c.ClientSecret = "Iv23liabc", "0123456789abcdef"
			}
			data := Credentials(c, tt.api, tt.public, sessionKey, now)
			if strings.Count(string(data), "\n") > 12 || !strings.Contains(string(data), "2026-11-20T09:30:00Z") {
				t.Fatalf("file:\n%s", data)
			}
			if tt.api == "https://api.github.com/" && strings.Contains(string(data), settings.EnvGitHubAPIURL) {
				t.Errorf("github.com's API URL is the default and need not be written:\n%s", data)
			}
			if tt.oauth && !strings.Contains(string(data), "0123456789abcdef") {
				t.Errorf("the OAuth client secret GitHub returns once is not saved:\n%s", data)
			}
			path := filepath.Join(t.TempDir(), "mergeguard.env")
			if err := WriteFile(path, data, false); err != nil {
				t.Fatal(err)
			}
			getenv, err := settings.WithConfigFile(func(k string) string {
				if k == settings.EnvConfigFile {
					return path
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			s, err := settings.FromEnv(getenv, os.ReadFile)
			if err != nil {
				t.Fatal(err)
			}
			if s.AppID != 4711 || string(s.WebhookSecret) != "e340154128314309424b" || s.PrivateKey == nil || s.GitHubAPIURL != tt.wantAPI {
				t.Fatalf("settings %+v", s)
			}
			if s.Web.PublicURL != tt.wantWeb || tt.wantWeb != "" && (s.Web.OAuthClientID != c.ClientID || s.Web.OAuthClientSecret != c.ClientSecret || string(s.Web.SessionKey) != string(sessionKey)) {
				t.Fatalf("web view settings %+v, want it at %q", s.Web, tt.wantWeb)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mergeguard.env")
	if err := CheckTarget(path, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("MERGEGUARD_APP_ID=1\n"), false); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", info.Mode().Perm())
	}

	if err := CheckTarget(path, false); err == nil || !strings.Contains(err.Error(), "already exists") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("an existing file: %v", err)
	}
	if err := WriteFile(path, []byte("MERGEGUARD_APP_ID=2\n"), false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("overwrote without --force: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "MERGEGUARD_APP_ID=1\n" {
		t.Errorf("the existing file changed: %q", b)
	}

	if err := CheckTarget(path, true); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("MERGEGUARD_APP_ID=3\n"), true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "MERGEGUARD_APP_ID=3\n" {
		t.Errorf("--force did not replace the file: %q", b)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("replaced file has mode %04o, want 0600", info.Mode().Perm())
	}

	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := CheckTarget(filepath.Join(dir, "missing", "x.env"), false); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a missing folder: %v", err)
	}
}
