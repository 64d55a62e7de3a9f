package oidcauth

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config says which tokens are accepted.
type Config struct {
	// Issuer is the token issuer: https://token.actions.githubusercontent.com for github.com,
	// https://HOST/_services/token for GitHub Enterprise Server. Its discovery document
	// (/.well-known/openid-configuration) names the JWKS.
	Issuer string
	// Audience is the aud the token must carry (the audience CI requests the token for).
	Audience string
	// HTTPClient fetches discovery and keys (http.DefaultClient when nil).
	// Each fetch is bounded in time and size by this package whatever the
	// client, because key refreshes run in the background, outside any
	// request's context.
	HTTPClient *http.Client
	// Now is the clock (time.Now when nil); expiry and not-before are checked against it.
	Now func() time.Time
}

// githubIssuer is the issuer for github.com, named in configuration errors
// as the value most operators want.
const githubIssuer = "https://token.actions.githubusercontent.com"

// validate reports a configuration that could never accept a token, so
// the mistake shows when the server starts rather than as 401s in CI.
func (c Config) validate() error {
	if c.Issuer == "" {
		return fmt.Errorf("oidcauth: no issuer configured; set it to %s for github.com, or https://HOST/_services/token for GitHub Enterprise Server", githubIssuer)
	}
	u, err := url.Parse(c.Issuer)
	if err != nil {
		return fmt.Errorf("oidcauth: issuer %q is not a URL (%v); use %s for github.com, or https://HOST/_services/token for GitHub Enterprise Server", c.Issuer, err, githubIssuer)
	}
	switch {
	case u.Host == "":
		return fmt.Errorf("oidcauth: issuer %q has no host; use %s for github.com, or https://HOST/_services/token for GitHub Enterprise Server", c.Issuer, githubIssuer)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		// Keys fetched over plain HTTP could be swapped in transit, and
		// anyone who can do that can mint accepted tokens. Loopback is
		// allowed for tests and local issuers only.
		return fmt.Errorf("oidcauth: issuer %q must use https (plain http is allowed only on loopback, for tests)", c.Issuer)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("oidcauth: issuer %q must be an https URL such as %s", c.Issuer, githubIssuer)
	case u.User != nil:
		return fmt.Errorf("oidcauth: issuer must not carry credentials; remove the user:password@ part")
	case u.RawQuery != "" || u.Fragment != "":
		// The discovery path is appended to the issuer, and tokens must
		// name it exactly, so a query or fragment can only be a mistake.
		return fmt.Errorf("oidcauth: issuer %q must not have a query or fragment", c.Issuer)
	}
	if strings.TrimSpace(c.Audience) == "" {
		return errors.New("oidcauth: no audience configured; set it to the audience the workflows request their ID token for (for example the mergeguard URL)")
	}
	if strings.TrimSpace(c.Audience) != c.Audience {
		return fmt.Errorf("oidcauth: audience %q has leading or trailing spaces, which no token would match; remove them", c.Audience)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
