package appsetup

import (
	"net/url"
	"strings"
	"testing"
)

func TestWebURL(t *testing.T) {
	tests := []struct {
		api, want, err string
	}{
		{"https://api.github.com/", "https://github.com/", ""},
		{"https://api.github.com", "https://github.com/", ""},
		{"https://ghe.acme.dev/api/v3/", "https://ghe.acme.dev/", ""},
		{"https://ghe.acme.dev/api/v3", "https://ghe.acme.dev/", ""},
		{"https://acme.dev/github/api/v3/", "https://acme.dev/github/", ""},
		{"https://api.octocorp.ghe.com/", "https://octocorp.ghe.com/", ""},
		{"http://127.0.0.1:4000/api/v3/", "http://127.0.0.1:4000/", ""},
		{"https://ghe.acme.dev/", "", "cannot tell GitHub's web address"},
		{"https://api.github.com/v3/", "", "cannot tell"},
		{"ghe.acme.dev", "", "not an http(s) URL"},
		{"", "", "not an http(s) URL"},
	}
	for _, tt := range tests {
		got, err := WebURL(tt.api)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.api, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %q, %v; want %q", tt.api, got, err, tt.want)
		}
	}
}

func FuzzWebURL(f *testing.F) {
	for _, s := range []string{"https://api.github.com/", "https://ghe.acme.dev/api/v3/", "http://[::1]:80/api/v3", "https://api./", "https://x/api/v3?q#f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, api string) {
		web, err := WebURL(api)
		if err != nil {
			return
		}
		u, perr := url.Parse(web)
		if perr != nil || u.Host == "" || !strings.HasSuffix(web, "/") || u.RawQuery != "" || u.User != nil {
			t.Fatalf("WebURL(%q) = %q, not a base URL", api, web)
		}
	})
}

func TestNewAppURL(t *testing.T) {
	if got := NewAppURL("https://github.com/", "", "s1"); got != "https://github.com/settings/apps/new?state=s1" {
		t.Errorf("personal: %s", got)
	}
	if got := NewAppURL("https://ghe.acme.dev/", "acme", "a b"); got != "https://ghe.acme.dev/organizations/acme/settings/apps/new?state=a+b" {
		t.Errorf("organization: %s", got)
	}
}
