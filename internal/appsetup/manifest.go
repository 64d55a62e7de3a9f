// Package appsetup registers mergeguard's GitHub App by GitHub's manifest
// flow: a local page posts the App's manifest to GitHub, GitHub sends the
// browser back with a one-time code, and the code is exchanged for the App's
// ID, private key, webhook secret and OAuth client, which are written to a
// file that `mergeguard serve` reads.
package appsetup

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// WebhookPath is where `mergeguard serve` receives deliveries (see
// internal/server; a test keeps the two in step).
const WebhookPath = "/webhook"

// Manifest is the GitHub App manifest: the registration GitHub pre-fills.
// The person creating the App can still change the name before confirming.
type Manifest struct {
	Name           string         `json:"name"`
	URL            string         `json:"url"`
	Description    string         `json:"description"`
	HookAttributes HookAttributes `json:"hook_attributes"`
	RedirectURL    string         `json:"redirect_url"`
	// CallbackURLs are where GitHub may send users back after they sign
	// in with the App (the web view's /ui/callback).
	CallbackURLs       []string          `json:"callback_urls,omitempty"`
	Public             bool              `json:"public"`
	DefaultPermissions map[string]string `json:"default_permissions"`
	DefaultEvents      []string          `json:"default_events"`
}

// HookAttributes configures the App's webhook.
type HookAttributes struct {
	URL    string `json:"url"`
	Active bool   `json:"active"`
}

// Permissions are what mergeguard's GitHub calls and subscribed events need,
// and no more. Each entry says what uses it.
func Permissions() map[string]string {
	return map[string]string{
		// Create and update check runs; list them to find its own; check_run
		// and check_suite events.
		"checks": "write",
		// Read pull requests, their files, reviews and commits; reply to
		// commands on pull requests; request reviews from code owners
		// (code_owners' request_reviews); pull_request and
		// pull_request_review events.
		"pull_requests": "write",
		// Reply to and react to commands on issues; issue_comment events.
		"issues": "write",
		// Policy repository and repository configuration (trees, blobs,
		// contents), commits and comparisons; push events.
		"contents": "read",
		// merge_group events, to check a merge queue's commits.
		"merge_queues": "read",
		// The deployment history of promoted versions for the bake_time
		// rule; deployment_status events.
		"deployments": "read",
		// Team membership for required-reviewer and incident-team rules.
		"members": "read",
		// Every App has it; named so the manifest says so.
		"metadata": "read",
	}
}

// Events are the webhook events mergeguard handles. installation and
// installation_repositories reach every App without subscribing.
func Events() []string {
	return []string{"pull_request", "pull_request_review", "issue_comment", "check_run", "check_suite", "merge_group", "push", "deployment_status"}
}

// orgLogin is GitHub's rule for account names: letters, digits and single
// hyphens, at most 39 characters. It also keeps the name safe in a URL path.
var orgLogin = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)

// ValidateOrg checks an organization name ("" means a personal account).
func ValidateOrg(org string) error {
	if org != "" && !orgLogin.MatchString(org) {
		return fmt.Errorf("--org %q is not a GitHub organization name (letters, digits and hyphens): give the name as it appears in github.com/ORG", org)
	}
	return nil
}

// ParsePublicURL checks the address where GitHub (whose REST API is at
// apiURL) will reach mergeguard and returns it without a trailing slash. It
// must be https: GitHub does not register an App whose webhook is plain
// http (the browser would never come back, and setup would wait for
// nothing), and the deliveries would cross the network unencrypted. A
// loopback address is accepted, over http too, only when GitHub itself runs
// on this machine (a test or a local GitHub Enterprise Server): no other
// GitHub can reach it.
func ParsePublicURL(raw, apiURL string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("--url is required: the public https address where GitHub will reach mergeguard, e.g. --url https://mergeguard.example.com")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--url %q is not a web address: give the public https address where GitHub will reach mergeguard, e.g. https://mergeguard.example.com", raw)
	}
	githubIsLocal := false
	if api, err := url.Parse(apiURL); err == nil {
		githubIsLocal = isLoopback(api.Hostname())
	}
	switch {
	case isLoopback(u.Hostname()) && !githubIsLocal:
		return "", fmt.Errorf("--url %q is this machine's loopback address, which GitHub cannot reach: give the public address (or a tunnel's) that forwards to mergeguard", raw)
	case u.Scheme != "https" && !isLoopback(u.Hostname()):
		return "", fmt.Errorf("--url %q is not https: GitHub registers an App only with an https webhook, and deliveries must not cross the network unencrypted; serve mergeguard behind TLS (a reverse proxy, a load balancer or a tunnel) and give that https address, e.g. --url https://%s", raw, u.Host)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DefaultName is the App's name when --name is not given. App names are
// unique across GitHub, so an organization's App carries its name.
func DefaultName(org string) string {
	if org == "" {
		return "mergeguard"
	}
	return "mergeguard-" + strings.ToLower(org)
}

// NewManifest builds the manifest for an App whose webhook is publicURL +
// WebhookPath and whose registration GitHub confirms at redirectURL.
func NewManifest(name, publicURL, redirectURL string) Manifest {
	return Manifest{
		Name:        name,
		URL:         publicURL,
		Description: "Evaluates pull requests against policy and reports the verdict as a check run that can block the merge.",
		HookAttributes: HookAttributes{
			URL:    publicURL + WebhookPath,
			Active: true,
		},
		RedirectURL:        redirectURL,
		CallbackURLs:       callbackURLs(publicURL),
		Public:             false,
		DefaultPermissions: Permissions(),
		DefaultEvents:      Events(),
	}
}

// UICallbackPath is where the web view receives users back from signing
// in with GitHub (see internal/ui).
const UICallbackPath = "/ui/callback"

// WebViewURL is the web view's public base URL for a public URL, and false
// when the web view cannot live there: its pages are at the root of a
// host (/ui/…), so a public URL with a path (a reverse proxy's prefix)
// does not serve them.
func WebViewURL(publicURL string) (string, bool) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

func callbackURLs(publicURL string) []string {
	base, ok := WebViewURL(publicURL)
	if !ok {
		return nil
	}
	return []string{base + UICallbackPath}
}
