package oidcauth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

// classify maps an error from go-oidc's IDTokenVerifier.Verify to a reason.
// Apart from expiry, go-oidc (v3.21) returns unexported errors built with
// %v, so only their words tell them apart:
//
//	*oidc.TokenExpiredError                          -> expired
//	"... before the nbf (not before) time ..."       -> not yet valid
//	"... issued by a different provider ..."         -> wrong issuer
//	"... expected audience ..."                      -> wrong audience
//	"failed to verify signature: fetching keys ..."  -> issuer unreachable (no key set could be fetched)
//	"failed to verify signature: ..." (otherwise)    -> unknown key when the key set just fetched lacks
//	                                                    the token's key ID, else bad signature
//	anything else ("malformed jwt", "failed to unmarshal claims", ...) -> malformed
//
// The tests produce each of these from real tokens, so a go-oidc upgrade
// that rewords one fails them rather than silently changing the reason.
func (v *Verifier) classify(keyID string, err error) *Error {
	msg := strings.TrimSpace(err.Error())
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return reject(reasonExpired, fmt.Sprintf("the token expired at %s (this server's time is %s, and %s of clock skew is allowed); request the ID token right before uploading, since Actions ID tokens are short-lived",
			expired.Expiry.UTC().Format(timeFormat), v.now().UTC().Format(timeFormat), expiryLeeway))
	case strings.Contains(msg, "before the nbf"):
		// go-oidc's message quotes its shifted clock, which would only
		// confuse; this server's own time is what an operator compares.
		return reject(reasonNotYetValid, fmt.Sprintf("the token's not-before time is more than %s after this server's time, %s; if it was requested just now, check this server's time synchronisation",
			notBeforeSkew, v.now().UTC().Format(timeFormat)))
	case strings.Contains(msg, "issued by a different provider"):
		return reject(reasonWrongIssuer, fmt.Sprintf("the token was not issued by %s, the issuer mergeguard is configured for; a github.com token is not accepted by a GitHub Enterprise Server configuration nor the reverse, so check the configured issuer (%s)", v.issuer, msg))
	case strings.Contains(msg, "expected audience"):
		return reject(reasonWrongAud, fmt.Sprintf("the token is not for audience %q; request it for that audience (core.getIDToken(%q), or add &audience=%s to ACTIONS_ID_TOKEN_REQUEST_URL) (%s)", v.audience, v.audience, url.QueryEscape(v.audience), msg))
	case strings.HasPrefix(msg, "failed to verify signature: fetching keys"):
		return reject(reasonUnreachable, fmt.Sprintf("could not fetch the signing keys of %s; retry the upload later, and if it persists check this server's network access to the issuer (%s)", v.issuer, msg))
	case strings.HasPrefix(msg, "failed to verify signature"):
		if has, fetched := v.fetch.published(keyID); fetched && !has && keyID != "" {
			return reject(reasonUnknownKey, fmt.Sprintf("the token is signed with key %q, which %s does not publish even after refetching its keys; the token comes from another issuer (for example another GitHub host) or was forged", keyID, v.issuer))
		}
		return reject(reasonBadSignature, fmt.Sprintf("the token's signature does not verify with the keys %s publishes; it was altered or not issued by GitHub Actions", v.issuer))
	default:
		return reject(reasonMalformed, fmt.Sprintf("the token could not be read as an ID token; send it exactly as the Actions token endpoint returns it (%s)", msg))
	}
}

// timeFormat is how times appear in details: UTC, to the second, as CI logs
// show them.
const timeFormat = "2006-01-02T15:04:05Z"

// discoveryFailed explains a failed discovery. A discovery document naming
// another issuer is a configuration mistake rather than an outage, but it
// is reported under the same reason: no token can be checked until it is
// fixed, and CI can do nothing about either but retry.
func discoveryFailed(issuer string, err error) *Error {
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return reject(reasonUnreachable, fmt.Sprintf("the discovery document at %s names its issuer %q; set mergeguard's issuer to exactly that value", issuer, mismatch.Discovered))
	}
	return reject(reasonUnreachable, fmt.Sprintf("could not fetch the discovery document of %s; retry the upload later, and if it persists check the configured issuer and this server's network access to it (%s)", issuer, strings.TrimSpace(err.Error())))
}
