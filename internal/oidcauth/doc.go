// Package oidcauth verifies the GitHub Actions OIDC ID tokens that CI
// presents when it uploads coverage reports, so an upload can be tied to the
// repository and commit of the workflow run that made it without handing CI
// a long-lived secret.
//
// Signature, issuer, audience and expiry checks, discovery and key fetching
// are go-oidc's (github.com/coreos/go-oidc/v3): this package only configures
// it for GitHub's tokens, maps its errors to reasons an operator or CI author
// can act on, and extracts the claims mergeguard uses. Whether the token's
// repository and commit match the upload is the caller's check.
//
// Nothing here logs, and no error carries the token itself: a token is a
// credential for as long as it has not expired.
package oidcauth
