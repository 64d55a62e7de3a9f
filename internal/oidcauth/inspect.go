package oidcauth

import (
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// maxTokenBytes bounds what is parsed at all. GitHub's ID tokens are 1–2 KB;
// anything this large is not one and is refused before any work.
const maxTokenBytes = 16 << 10

// inspect parses raw as a compact JWS with go-jose, without verifying it,
// and returns the ID of the key it claims to be signed with. go-oidc parses
// it again when verifying: this first look exists to tell CI precisely what
// is wrong with a token that cannot be GitHub's, before contacting the
// issuer. Only the compact form is accepted here, although go-jose would
// also take the JSON form: a JWT is compact (RFC 7519), and GitHub sends
// nothing else.
func inspect(raw string) (keyID string, _ *Error) {
	const send = "send the ID token exactly as the Actions token endpoint returns it (the \"value\" field), with no quotes or surrounding spaces"
	switch {
	case raw == "":
		return "", reject(reasonMalformed, "no token was presented; give the job `permissions: id-token: write`, request an ID token and send it as the bearer token")
	case len(raw) > maxTokenBytes:
		return "", reject(reasonMalformed, fmt.Sprintf("the token is %d bytes, more than the %d accepted; GitHub's ID tokens are 1–2 KB, so this is not one", len(raw), maxTokenBytes))
	case strings.HasPrefix(strings.ToLower(raw), "bearer "):
		return "", reject(reasonMalformed, "the token starts with \"Bearer \"; send the header as `Authorization: Bearer TOKEN` with the word only once")
	case strings.HasPrefix(raw, "{"):
		return "", reject(reasonMalformed, "the token is a JWS in JSON form; "+send)
	case strings.ContainsAny(raw, " \t\r\n\"'"):
		return "", reject(reasonMalformed, "the token contains spaces, line breaks or quotes; "+send)
	}
	algs := make([]jose.SignatureAlgorithm, len(acceptedAlgs))
	for i, a := range acceptedAlgs {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	jws, err := jose.ParseSignedCompact(raw, algs)
	var wrongAlg *jose.ErrUnexpectedSignatureAlgorithm
	switch {
	case errors.As(err, &wrongAlg):
		// The token is well formed, but no key of the issuer can vouch for
		// it: an HMAC or unsigned token is what a forger would try.
		return "", reject(reasonBadSignature, fmt.Sprintf("the token's signature algorithm is %q, but only %s tokens from the issuer are accepted; it was not issued by GitHub Actions", wrongAlg.Got, strings.Join(acceptedAlgs, ", ")))
	case err != nil:
		return "", reject(reasonMalformed, fmt.Sprintf("the token is not a JWT in compact form (three base64url parts separated by dots); %s (%v)", send, err))
	case len(jws.Signatures) != 1:
		// Compact serialization always has exactly one; this guards the
		// index below should go-jose ever say otherwise.
		return "", reject(reasonMalformed, "the token does not carry exactly one signature; "+send)
	}
	return jws.Signatures[0].Header.KeyID, nil
}
