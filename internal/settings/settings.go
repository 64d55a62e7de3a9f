// Package settings reads the server's configuration from environment
// variables, validates it once and returns a complete, defaulted value. Every
// error names the variable and says how to fix it.
package settings

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/policy"
)

// Settings is the validated server configuration.
type Settings struct {
	Addr string
	// MetricsAddr, when set, serves /metrics there instead of on Addr.
	MetricsAddr   string
	AppID         int64
	PrivateKey    *rsa.PrivateKey
	PrivateKeyPEM []byte
	WebhookSecret []byte
	// GitHubAPIURL always ends with a slash.
	GitHubAPIURL string
	Database     Database
	CheckName    string
	LogLevel     slog.Level
	LogFormat    string
	// Workers is how many pull requests are evaluated at once.
	Workers int
	// CoalesceQuiet is how long a pull request must be quiet (no new events)
	// before it is evaluated; CoalesceMax bounds the wait during a long burst.
	CoalesceQuiet time.Duration
	CoalesceMax   time.Duration
	// ShutdownTimeout bounds how long running jobs may take to finish on SIGTERM.
	ShutdownTimeout time.Duration
	// GitHub says how mergeguard waits for GitHub.
	GitHub GitHubWaits
	// MaxAnnotations caps the line annotations on one check run.
	MaxAnnotations int
	// Policy holds the mode and where policy comes from.
	Policy
	// Coverage is how CI uploads coverage reports.
	Coverage Coverage
	// Incidents is what outside tools (an incident tool, a chat bot,
	// PagerDuty) may do to incident freezes.
	Incidents Incidents
	// CommandPrefix starts a command in a comment ("/guard").
	CommandPrefix string
	// ReplayDays and ReplayMax bound the replay of a proposed policy on a
	// policy repository pull request: the latest stored input of each pull
	// request evaluated in the last ReplayDays days, at most ReplayMax of
	// them (0 turns replay off).
	ReplayDays, ReplayMax int
	// AuditRetention is how long the audit trail is kept; 0 keeps it
	// forever.
	AuditRetention time.Duration
	// Intake bounds what clients can make the server hold.
	Intake Intake
	// Web is the web view under /ui/; off unless a public URL is set.
	Web Web
}

// Web configures the web view (internal/ui): the pages, sign-in with the
// App's OAuth client, and the check run's link to the evaluation page.
type Web struct {
	// PublicURL is where people reach the server
	// (https://mergeguard.example.com, no trailing slash); "" turns the
	// web view off.
	PublicURL string
	// OAuthClientID and OAuthClientSecret are the App's OAuth client.
	OAuthClientID     string
	OAuthClientSecret string
	// SessionKey seals the session cookies (at least MinSessionKey bytes).
	SessionKey []byte
}

// Enabled reports whether the web view is served.
func (w Web) Enabled() bool { return w.PublicURL != "" }

// MinSessionKey is the shortest session key accepted, in bytes (the web
// view's own minimum).
const MinSessionKey = 32

// DefaultIntake is the intake's bounds when the environment sets none.
var DefaultIntake = Intake{BufferBytes: 64 << 20, ConnectionsPerAddress: 128}

// Intake bounds what clients can make the server hold before they are
// answered (see internal/intake).
type Intake struct {
	// BufferBytes bounds the memory of webhook bodies being read at once;
	// one address may hold half of it.
	BufferBytes int64
	// ConnectionsPerAddress bounds one address's open connections; 0
	// means no bound.
	ConnectionsPerAddress int
}

// GitHubWaits says how mergeguard waits for GitHub.
type GitHubWaits struct {
	// MaxWait is the longest rate-limit wait an evaluation waits out where
	// it is; a longer one hands the job back to the queue.
	MaxWait time.Duration
	// OutageMax is how long an evaluation waits for a GitHub that answers
	// nothing before it gives up with a failed check run.
	OutageMax time.Duration
	// MaxConcurrency caps an installation's requests in flight (the bound
	// adapts below it).
	MaxConcurrency int
}

// Coverage configures POST /api/v1/coverage.
type Coverage struct {
	// OIDCIssuer and OIDCAudience say which GitHub Actions ID tokens are
	// accepted; OIDCIssuer is "" when OIDC is off.
	OIDCIssuer   string
	OIDCAudience string
	// Tokens are static upload tokens, each for a scope.
	Tokens []UploadToken
	// MaxBytes bounds a report (after decompression).
	MaxBytes int64
}

// UploadToken is an upload token and the repositories it may upload for:
// "owner/name", "owner/*" or "*".
type UploadToken struct {
	Scope string
	Token string
}

// Allows reports whether the token may upload for repo ("owner/name").
func (t UploadToken) Allows(repo string) bool {
	owner, _, _ := strings.Cut(repo, "/")
	return t.Scope == "*" || strings.EqualFold(t.Scope, repo) || strings.EqualFold(t.Scope, owner+"/*")
}

// Database is where jobs and state live.
type Database struct {
	// Driver is "sqlite" or "postgres".
	Driver string
	// Path is the SQLite file; URL the PostgreSQL connection string.
	Path string
	URL  string
}

// Variable names: a contract with operators, documented in the README.
const (
	EnvAddr            = "MERGEGUARD_ADDR"
	EnvAppID           = "MERGEGUARD_APP_ID"
	EnvPrivateKeyFile  = "MERGEGUARD_PRIVATE_KEY_FILE"
	EnvPrivateKey      = "MERGEGUARD_PRIVATE_KEY"
	EnvWebhookSecret   = "MERGEGUARD_WEBHOOK_SECRET"
	EnvGitHubAPIURL    = "MERGEGUARD_GITHUB_API_URL"
	EnvDatabaseURL     = "MERGEGUARD_DATABASE_URL"
	EnvCheckName       = "MERGEGUARD_CHECK_NAME"
	EnvMode            = "MERGEGUARD_MODE"
	EnvLogLevel        = "MERGEGUARD_LOG_LEVEL"
	EnvLogFormat       = "MERGEGUARD_LOG_FORMAT"
	EnvWorkers         = "MERGEGUARD_WORKERS"
	EnvCoalesceQuiet   = "MERGEGUARD_COALESCE_QUIET"
	EnvCoalesceMax     = "MERGEGUARD_COALESCE_MAX"
	EnvShutdownTimeout = "MERGEGUARD_SHUTDOWN_TIMEOUT"
	EnvMaxAnnotations  = "MERGEGUARD_MAX_ANNOTATIONS"
	EnvMetricsAddr     = "MERGEGUARD_METRICS_ADDR"
	EnvPolicyRepo      = "MERGEGUARD_POLICY_REPO"
	EnvPolicyFolder    = "MERGEGUARD_POLICY_FOLDER"
	// EnvPolicyDirOld is EnvPolicyFolder's former name, still read (with a
	// deprecation notice): it was easy to mistake for --policy-dir, a local
	// checkout.
	EnvPolicyDirOld    = "MERGEGUARD_POLICY_DIR"
	EnvPolicyTimeout   = "MERGEGUARD_POLICY_TIMEOUT"
	EnvPolicyMemory    = "MERGEGUARD_POLICY_MEMORY"
	EnvPolicyWorkers   = "MERGEGUARD_POLICY_WORKERS"
	EnvOIDCIssuer      = "MERGEGUARD_OIDC_ISSUER"
	EnvOIDCAudience    = "MERGEGUARD_OIDC_AUDIENCE"
	EnvUploadTokens    = "MERGEGUARD_UPLOAD_TOKENS"
	EnvCoverageMax     = "MERGEGUARD_COVERAGE_MAX_BYTES"
	EnvCommandPrefix   = "MERGEGUARD_COMMAND_PREFIX"
	EnvAuditRetention  = "MERGEGUARD_AUDIT_RETENTION"
	EnvReplayDays      = "MERGEGUARD_POLICY_REPLAY_DAYS"
	EnvReplayMax       = "MERGEGUARD_POLICY_REPLAY_MAX"
	EnvIntakeBuffer    = "MERGEGUARD_INTAKE_BUFFER_BYTES"
	EnvIntakeConns     = "MERGEGUARD_INTAKE_CONNECTIONS_PER_ADDRESS"
	EnvGitHubMaxWait   = "MERGEGUARD_GITHUB_MAX_WAIT"
	EnvGitHubOutageMax = "MERGEGUARD_GITHUB_OUTAGE_MAX"
	EnvGitHubParallel  = "MERGEGUARD_GITHUB_MAX_CONCURRENCY"
	EnvPublicURL       = "MERGEGUARD_PUBLIC_URL"
	EnvOAuthClientID   = "MERGEGUARD_OAUTH_CLIENT_ID"
	EnvOAuthSecret     = "MERGEGUARD_OAUTH_CLIENT_SECRET"
	EnvSessionKey      = "MERGEGUARD_SESSION_KEY"
)

// VariableError is a problem with one environment variable.
type VariableError struct {
	Name   string
	Reason string
}

func (e *VariableError) Error() string { return e.Name + ": " + e.Reason }

// FromEnv reads and validates the settings. readFile reads the private key
// file (ReadPrivateKeyFile in production, which refuses a key file other
// users may read).
func FromEnv(getenv func(string) string, readFile func(string) ([]byte, error)) (Settings, error) {
	s := Settings{}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	s.Addr = get(EnvAddr)
	if s.Addr == "" {
		s.Addr = ":8080"
	}
	if _, port, err := net.SplitHostPort(s.Addr); err != nil || port == "" {
		return s, &VariableError{EnvAddr, fmt.Sprintf("%q is not a listen address; use host:port or :port, e.g. :8080", s.Addr)}
	}
	s.MetricsAddr = get(EnvMetricsAddr)
	if s.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(s.MetricsAddr); err != nil || port == "" {
			return s, &VariableError{EnvMetricsAddr, fmt.Sprintf("%q is not a listen address; use host:port or :port, e.g. 127.0.0.1:9090", s.MetricsAddr)}
		}
		if s.MetricsAddr == s.Addr {
			return s, &VariableError{EnvMetricsAddr, "is the same as " + EnvAddr + "; leave it unset to serve /metrics on the main address"}
		}
	}

	appID := get(EnvAppID)
	if appID == "" {
		return s, &VariableError{EnvAppID, "required: set it to the GitHub App's numeric App ID (shown on the App's settings page)"}
	}
	id, err := strconv.ParseInt(appID, 10, 64)
	if err != nil || id <= 0 {
		return s, &VariableError{EnvAppID, fmt.Sprintf("%q is not a GitHub App ID; use the positive number shown as \"App ID\" on the App's settings page", appID)}
	}
	s.AppID = id

	if s.PrivateKeyPEM, s.PrivateKey, err = privateKey(getenv, readFile); err != nil {
		return s, err
	}

	secret := getenv(EnvWebhookSecret)
	if strings.TrimSpace(secret) == "" {
		// go-github's payload validation accepts unsigned payloads when the
		// secret is empty, so an empty secret would accept forged deliveries.
		return s, &VariableError{EnvWebhookSecret, "required: set it to the webhook secret configured on the GitHub App; without it anyone could send forged deliveries"}
	}
	s.WebhookSecret = []byte(secret)

	if s.GitHubAPIURL, err = ParseAPIURL(get(EnvGitHubAPIURL)); err != nil {
		return s, err
	}
	if s.Database, err = ParseDatabaseURL(get(EnvDatabaseURL)); err != nil {
		return s, err
	}

	s.CheckName = get(EnvCheckName)
	if s.CheckName == "" {
		s.CheckName = "mergeguard"
	}
	if len(s.CheckName) > 100 {
		return s, &VariableError{EnvCheckName, "longer than 100 characters; branch protection shows this name, keep it short"}
	}

	if err := s.Logging(get(EnvLogLevel), get(EnvLogFormat)); err != nil {
		return s, err
	}
	if s.Workers, err = intVar(get, EnvWorkers, 10, 1, 1000); err != nil {
		return s, err
	}
	if s.CoalesceQuiet, err = durationVar(get, EnvCoalesceQuiet, 500*time.Millisecond, 0, time.Minute); err != nil {
		return s, err
	}
	if s.CoalesceMax, err = durationVar(get, EnvCoalesceMax, 3*time.Second, 0, 5*time.Minute); err != nil {
		return s, err
	}
	if s.ShutdownTimeout, err = durationVar(get, EnvShutdownTimeout, 30*time.Second, time.Second, time.Hour); err != nil {
		return s, err
	}
	if s.MaxAnnotations, err = intVar(get, EnvMaxAnnotations, 200, 1, 10_000); err != nil {
		return s, err
	}
	if s.GitHub.MaxWait, err = durationVar(get, EnvGitHubMaxWait, 30*time.Second, time.Second, 10*time.Minute); err != nil {
		return s, err
	}
	if s.GitHub.OutageMax, err = durationVar(get, EnvGitHubOutageMax, time.Hour, time.Minute, 72*time.Hour); err != nil {
		return s, err
	}
	// GitHub documents 100 concurrent requests as a secondary limit.
	if s.GitHub.MaxConcurrency, err = intVar(get, EnvGitHubParallel, 100, 1, 100); err != nil {
		return s, err
	}
	if s.Policy, err = PolicyFromEnv(getenv); err != nil {
		return s, err
	}
	if s.Coverage, err = coverageFromEnv(get); err != nil {
		return s, err
	}
	if s.Incidents, err = incidentsFromEnv(get, readFile); err != nil {
		return s, err
	}
	s.CommandPrefix = get(EnvCommandPrefix)
	if s.CommandPrefix == "" {
		s.CommandPrefix = command.DefaultPrefix
	}
	if err := command.ValidPrefix(s.CommandPrefix); err != nil {
		return s, &VariableError{EnvCommandPrefix, err.Error()}
	}
	if s.AuditRetention, err = retentionVar(get, EnvAuditRetention, 400*24*time.Hour); err != nil {
		return s, err
	}
	if s.ReplayDays, err = intVar(get, EnvReplayDays, 14, 1, 400); err != nil {
		return s, err
	}
	if s.ReplayMax, err = intVar(get, EnvReplayMax, 500, 0, 10_000); err != nil {
		return s, err
	}
	// At least one largest delivery (25 MiB) must fit.
	if s.Intake.BufferBytes, err = bytesVar(get, EnvIntakeBuffer, DefaultIntake.BufferBytes, 26<<20, 4<<30); err != nil {
		return s, err
	}
	if s.Intake.ConnectionsPerAddress, err = intVar(get, EnvIntakeConns, DefaultIntake.ConnectionsPerAddress, 0, 1_000_000); err != nil {
		return s, err
	}
	if s.Web, err = webFromEnv(get); err != nil {
		return s, err
	}
	return s, nil
}

// webFromEnv reads the web view's settings. The view is on when the public
// URL is set, and then needs all of the others; OAuth settings without a
// public URL are a mistake worth naming rather than a view silently off.
func webFromEnv(get func(string) string) (Web, error) {
	w := Web{OAuthClientID: get(EnvOAuthClientID), OAuthClientSecret: get(EnvOAuthSecret)}
	raw, key := get(EnvPublicURL), get(EnvSessionKey)
	if raw == "" {
		for _, v := range []struct{ name, value string }{{EnvOAuthClientID, w.OAuthClientID}, {EnvOAuthSecret, w.OAuthClientSecret}, {EnvSessionKey, key}} {
			if v.value != "" {
				return w, &VariableError{EnvPublicURL, fmt.Sprintf("required when %s is set: the web view needs the address people reach mergeguard at, e.g. https://mergeguard.example.com", v.name)}
			}
		}
		return w, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil ||
		strings.Trim(u.Path, "/") != "" {
		return w, &VariableError{EnvPublicURL, fmt.Sprintf("%q: give the server's public address alone, e.g. https://mergeguard.example.com (the pages are under /ui/)", raw)}
	}
	if ip := net.ParseIP(u.Hostname()); u.Scheme != "https" && u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		// Session cookies are Secure: a browser keeps none over plain http,
		// so sign-in could never complete.
		return w, &VariableError{EnvPublicURL, fmt.Sprintf("%q: use https (sign-in cookies are only sent over https; http works for localhost alone)", raw)}
	}
	w.PublicURL = u.Scheme + "://" + u.Host
	switch {
	case w.OAuthClientID == "":
		return w, &VariableError{EnvOAuthClientID, "required for the web view (" + EnvPublicURL + " is set): the Client ID on the GitHub App's settings page (mergeguard setup saves it)"}
	case w.OAuthClientSecret == "":
		return w, &VariableError{EnvOAuthSecret, "required for the web view (" + EnvPublicURL + " is set): generate a client secret on the GitHub App's settings page (mergeguard setup saves it)"}
	case key == "":
		return w, &VariableError{EnvSessionKey, fmt.Sprintf("required for the web view (%s is set): at least %d random bytes, hex- or base64-encoded (openssl rand -hex 32), the same on every replica", EnvPublicURL, MinSessionKey)}
	}
	if w.SessionKey, err = decodeKey(key); err != nil || len(w.SessionKey) < MinSessionKey {
		return w, &VariableError{EnvSessionKey, fmt.Sprintf("give at least %d random bytes, hex- or base64-encoded: openssl rand -hex 32", MinSessionKey)}
	}
	return w, nil
}

// decodeKey reads a key written in hex or in (standard or URL-safe,
// padded or not) base64.
func decodeKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("neither hex nor base64")
}

// retentionVar reads a retention: a Go duration or a number of days
// ("400d"); "0" or "forever" keeps everything.
func retentionVar(get func(string) string, name string, def time.Duration) (time.Duration, error) {
	raw := strings.TrimSpace(get(name))
	switch {
	case raw == "":
		return def, nil
	case raw == "0" || strings.EqualFold(raw, "forever"):
		return 0, nil
	}
	if days, ok := strings.CutSuffix(raw, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 100*365 {
			return 0, &VariableError{name, fmt.Sprintf("%q: give days such as 400d, a duration such as 2160h, or forever", raw)}
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 24*time.Hour {
		return 0, &VariableError{name, fmt.Sprintf("%q: give days such as 400d (at least one day), a duration such as 2160h, or forever", raw)}
	}
	return d, nil
}

// Policy is how policy is found and run: the settings `mergeguard eval`
// shares with the server, so a simulation decides as the server would.
type Policy struct {
	// Mode applies where no configuration sets one.
	Mode decision.Mode
	// PolicyRepo is the name of each organization's policy repository and
	// PolicyDir the folder in it; PolicyTimeout bounds each rule's
	// evaluation (all rules together have policy.EvaluationBudget).
	PolicyRepo string
	PolicyDir  string
	// Notices are warnings about the variables that were still accepted,
	// such as a deprecated name; the server logs them, the CLI prints them.
	Notices       []string
	PolicyTimeout time.Duration
	// PolicyMemory is the memory limit of each policy worker process, in
	// bytes, and PolicyWorkers how many run policy code at once. Zero
	// workers (only set by tests) runs policies in the server process,
	// without a memory limit.
	PolicyMemory  int64
	PolicyWorkers int
}

// PolicyFromEnv reads MERGEGUARD_MODE and the MERGEGUARD_POLICY_* variables.
func PolicyFromEnv(getenv func(string) string) (Policy, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	var p Policy
	p.Mode = decision.Mode(strings.ToLower(get(EnvMode)))
	if p.Mode == "" {
		p.Mode = decision.Enforce
	}
	if !p.Mode.Valid() {
		return p, &VariableError{EnvMode, fmt.Sprintf("%q: use enforce (failing rules fail the check) or report (the check is neutral)", p.Mode)}
	}
	p.PolicyRepo = get(EnvPolicyRepo)
	if p.PolicyRepo == "" {
		p.PolicyRepo = ".github"
	}
	if strings.ContainsAny(p.PolicyRepo, "/ ") {
		return p, &VariableError{EnvPolicyRepo, fmt.Sprintf("%q: give the repository's name only (it is looked up in each organization), e.g. .github", p.PolicyRepo)}
	}
	folderVar := EnvPolicyFolder
	folder := get(EnvPolicyFolder)
	if old := get(EnvPolicyDirOld); old != "" {
		if folder == "" {
			folder, folderVar = old, EnvPolicyDirOld
			p.Notices = append(p.Notices, fmt.Sprintf("%s is deprecated: rename it to %s (the folder of the policy inside the policy repository).", EnvPolicyDirOld, EnvPolicyFolder))
		} else {
			p.Notices = append(p.Notices, fmt.Sprintf("%s is deprecated and ignored, because %s is set.", EnvPolicyDirOld, EnvPolicyFolder))
		}
	}
	if err := checkPolicyFolder(folderVar, folder); err != nil {
		return p, err
	}
	p.PolicyDir = strings.Trim(folder, "/")
	if p.PolicyDir == "" {
		p.PolicyDir = "mergeguard"
	}
	var err error
	if p.PolicyTimeout, err = durationVar(get, EnvPolicyTimeout, 2*time.Second, 10*time.Millisecond, 30*time.Second); err != nil {
		return p, err
	}
	if p.PolicyMemory, err = sizeVar(get, EnvPolicyMemory, policy.DefaultMemory, 32<<20, 64<<30); err != nil {
		return p, err
	}
	if p.PolicyWorkers, err = intVar(get, EnvPolicyWorkers, 2, 1, 64); err != nil {
		return p, err
	}
	return p, nil
}

// checkPolicyFolder refuses a value that is a path on this machine rather
// than a folder inside the policy repository: such a value used to be
// trimmed into a folder that never exists, and the policy silently ignored.
func checkPolicyFolder(name, v string) error {
	switch {
	case v == "":
		return nil
	case strings.HasPrefix(v, "/") || strings.HasPrefix(v, "~") || strings.HasPrefix(v, "./") || v == "." || strings.Contains(v, `\`):
		return &VariableError{name, fmt.Sprintf("%q looks like a path on this machine; it names the folder inside the policy repository (default mergeguard). For a local checkout, give mergeguard eval or test --policy-dir instead", v)}
	case strings.Contains(v, ".."):
		return &VariableError{name, fmt.Sprintf("%q: must be a folder inside the policy repository, such as mergeguard", v)}
	}
	return nil
}

// sizeVar reads a number of bytes, with an optional binary unit as
// GOMEMLIMIT takes it: 268435456, 256MiB, 1GiB.
func sizeVar(get func(string) string, name string, def, lo, hi int64) (int64, error) {
	raw := get(name)
	if raw == "" {
		return def, nil
	}
	num, unit := raw, int64(1)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if n, ok := strings.CutSuffix(raw, u.suffix); ok {
			num, unit = strings.TrimSpace(n), u.size
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < lo/unit || n > hi/unit || n*unit < lo {
		return 0, &VariableError{name, fmt.Sprintf("%q: give a size from %dMiB to %dGiB, such as 256MiB or 1GiB", raw, lo>>20, hi>>30)}
	}
	return n * unit, nil
}

// DefaultOIDCIssuer is GitHub Actions' token issuer on github.com.
const DefaultOIDCIssuer = "https://token.actions.githubusercontent.com"

func coverageFromEnv(get func(string) string) (Coverage, error) {
	c := Coverage{OIDCIssuer: get(EnvOIDCIssuer), OIDCAudience: get(EnvOIDCAudience)}
	switch c.OIDCIssuer {
	case "":
		c.OIDCIssuer = DefaultOIDCIssuer
	case "off":
		c.OIDCIssuer = ""
	default:
		u, err := url.Parse(c.OIDCIssuer)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return c, &VariableError{EnvOIDCIssuer, fmt.Sprintf("%q: give the token issuer's https URL (GitHub Enterprise Server: https://HOST/_services/token), or off", c.OIDCIssuer)}
		}
	}
	if c.OIDCAudience == "" {
		c.OIDCAudience = "mergeguard"
	}
	tokens, err := scopedTokens(EnvUploadTokens, get(EnvUploadTokens))
	if err != nil {
		return c, err
	}
	c.Tokens = tokens
	if c.MaxBytes, err = bytesVar(get, EnvCoverageMax, 64<<20, 1<<20, 1<<30); err != nil {
		return c, err
	}
	return c, nil
}

func bytesVar(get func(string) string, name string, def, lo, hi int64) (int64, error) {
	v := get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, &VariableError{name, fmt.Sprintf("%q: give a number of bytes from %d to %d", v, lo, hi)}
	}
	return n, nil
}

func privateKey(getenv func(string) string, readFile func(string) ([]byte, error)) ([]byte, *rsa.PrivateKey, error) {
	file, inline := strings.TrimSpace(getenv(EnvPrivateKeyFile)), getenv(EnvPrivateKey)
	var name string
	var pem []byte
	switch {
	case file != "" && strings.TrimSpace(inline) != "":
		return nil, nil, &VariableError{EnvPrivateKey, fmt.Sprintf("set either %s or %s, not both", EnvPrivateKeyFile, EnvPrivateKey)}
	case file != "":
		name = EnvPrivateKeyFile
		b, err := readFile(file)
		var exposed *ExposedFileError
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, nil, &VariableError{name, fmt.Sprintf("%s does not exist; download a private key from the GitHub App's settings page", file)}
		case errors.As(err, &exposed):
			return nil, nil, &VariableError{name, fmt.Sprintf("%s is open to other users (mode %04o), and whoever reads the App's private key can act as the App; run chmod 600 %s (Kubernetes: mount the Secret with defaultMode: 0400)", file, exposed.Mode, file)}
		case err != nil:
			return nil, nil, &VariableError{name, fmt.Sprintf("cannot read %s: %v", file, err)}
		}
		pem = b
	case strings.TrimSpace(inline) != "":
		name = EnvPrivateKey
		// Container platforms often store multi-line secrets with literal \n.
		pem = []byte(strings.ReplaceAll(inline, `\n`, "\n"))
	default:
		return nil, nil, &VariableError{EnvPrivateKeyFile, fmt.Sprintf("required: set %s to the path of the GitHub App's private key (.pem), or %s to its contents", EnvPrivateKeyFile, EnvPrivateKey)}
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(pem)
	if err != nil {
		return nil, nil, &VariableError{name, "not a PEM-encoded RSA private key (expected the .pem file GitHub generates for the App, starting with -----BEGIN RSA PRIVATE KEY-----)"}
	}
	return pem, key, nil
}

// ParseAPIURL validates a REST API root and makes it end with a slash.
func ParseAPIURL(raw string) (string, error) {
	if raw == "" {
		return "https://api.github.com/", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", &VariableError{EnvGitHubAPIURL, fmt.Sprintf("%q is not an http(s) URL; use https://api.github.com/ or, for GitHub Enterprise Server, https://HOST/api/v3/", raw)}
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

// ParseDatabaseURL reads MERGEGUARD_DATABASE_URL: sqlite:PATH or postgres://….
func ParseDatabaseURL(raw string) (Database, error) {
	switch {
	case raw == "":
		return Database{Driver: "sqlite", Path: "mergeguard.db"}, nil
	case strings.HasPrefix(raw, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if p == "" {
			return Database{}, &VariableError{EnvDatabaseURL, "sqlite: needs a file path, e.g. sqlite:/var/lib/mergeguard/mergeguard.db"}
		}
		return Database{Driver: "sqlite", Path: p}, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return Database{}, &VariableError{EnvDatabaseURL, "not a valid PostgreSQL URL; use postgres://USER:PASSWORD@HOST:5432/DATABASE"}
		}
		return Database{Driver: "postgres", URL: raw}, nil
	}
	return Database{}, &VariableError{EnvDatabaseURL, "use sqlite:PATH (embedded, the default) or postgres://USER:PASSWORD@HOST:5432/DATABASE"}
}

// Logging validates and applies the log level and format.
func (s *Settings) Logging(level, format string) error {
	switch strings.ToLower(level) {
	case "", "info":
		s.LogLevel = slog.LevelInfo
	case "debug":
		s.LogLevel = slog.LevelDebug
	case "warn", "warning":
		s.LogLevel = slog.LevelWarn
	case "error":
		s.LogLevel = slog.LevelError
	default:
		return &VariableError{EnvLogLevel, fmt.Sprintf("%q: use debug, info, warn or error", level)}
	}
	switch strings.ToLower(format) {
	case "", "json":
		s.LogFormat = "json"
	case "text":
		s.LogFormat = "text"
	default:
		return &VariableError{EnvLogFormat, fmt.Sprintf("%q: use json or text", format)}
	}
	return nil
}

func intVar(get func(string) string, name string, def, lo, hi int) (int, error) {
	raw := get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, &VariableError{name, fmt.Sprintf("%q: use a whole number from %d to %d", raw, lo, hi)}
	}
	return n, nil
}

func durationVar(get func(string) string, name string, def, lo, hi time.Duration) (time.Duration, error) {
	raw := get(name)
	if raw == "" {
		return def, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < lo || d > hi {
		return 0, &VariableError{name, fmt.Sprintf("%q: use a duration such as 500ms or 2s, from %s to %s", raw, lo, hi)}
	}
	return d, nil
}
