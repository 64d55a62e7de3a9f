package oidcauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// token returns a token maker: the workflow claims, changed by edit,
// signed with the published key.
func token(edit func(c map[string]any)) func(*testing.T, *testIssuer) string {
	return func(t *testing.T, iss *testIssuer) string {
		c := workflowClaims(iss.srv.URL)
		if edit != nil {
			edit(c)
		}
		return sign(t, testKeys()[0], "k1", jose.RS256, c)
	}
}

func TestVerify(t *testing.T) {
	keys := testKeys()
	unsigned := func(t *testing.T, iss *testIssuer) string {
		enc := base64.RawURLEncoding.EncodeToString
		payload, _ := json.Marshal(workflowClaims(iss.srv.URL))
		return enc([]byte(`{"alg":"none","typ":"JWT","kid":"k1"}`)) + "." + enc(payload) + "."
	}
	tests := []struct {
		name   string
		token  func(*testing.T, *testIssuer) string
		reason string // "" when the token is accepted
		detail string // a part of Detail, when rejected
		want   Claims // when accepted
	}{
		{
			name:  "valid",
			token: token(nil),
			want: Claims{Repository: "octo/widgets", SHA: "0123456789abcdef0123456789abcdef01234567", Ref: "refs/pull/42/merge",
				EventName: "pull_request", Actor: "octocat", Workflow: "CI", RunID: "9876543210"},
		},
		{
			name:  "audience among several",
			token: token(func(c map[string]any) { c["aud"] = []string{"sigstore", testAudience} }),
			want: Claims{Repository: "octo/widgets", SHA: "0123456789abcdef0123456789abcdef01234567", Ref: "refs/pull/42/merge",
				EventName: "pull_request", Actor: "octocat", Workflow: "CI", RunID: "9876543210"},
		},
		{
			// The caller compares the repository with the upload's.
			name:  "any repository is returned, not judged",
			token: token(func(c map[string]any) { c["repository"] = "someone/else" }),
			want: Claims{Repository: "someone/else", SHA: "0123456789abcdef0123456789abcdef01234567", Ref: "refs/pull/42/merge",
				EventName: "pull_request", Actor: "octocat", Workflow: "CI", RunID: "9876543210"},
		},
		{
			name:   "expired",
			token:  token(func(c map[string]any) { c["exp"] = t0.Add(-2 * time.Minute).Unix() }),
			reason: reasonExpired,
			detail: "expired at 2031-05-06T07:06:09Z",
		},
		{
			name:  "expired within the leeway",
			token: token(func(c map[string]any) { c["exp"] = t0.Add(-expiryLeeway + time.Second).Unix() }),
			want: Claims{Repository: "octo/widgets", SHA: "0123456789abcdef0123456789abcdef01234567", Ref: "refs/pull/42/merge",
				EventName: "pull_request", Actor: "octocat", Workflow: "CI", RunID: "9876543210"},
		},
		{
			name:   "expired just past the leeway",
			token:  token(func(c map[string]any) { c["exp"] = t0.Add(-expiryLeeway - time.Second).Unix() }),
			reason: reasonExpired,
		},
		{
			name: "not yet valid",
			token: token(func(c map[string]any) {
				c["nbf"] = t0.Add(10 * time.Minute).Unix()
				c["exp"] = t0.Add(15 * time.Minute).Unix()
			}),
			reason: reasonNotYetValid,
			detail: "this server's time, 2031-05-06T07:08:09Z",
		},
		{
			name:  "not yet valid, within the skew allowed",
			token: token(func(c map[string]any) { c["nbf"] = t0.Add(notBeforeSkew - time.Second).Unix() }),
			want: Claims{Repository: "octo/widgets", SHA: "0123456789abcdef0123456789abcdef01234567", Ref: "refs/pull/42/merge",
				EventName: "pull_request", Actor: "octocat", Workflow: "CI", RunID: "9876543210"},
		},
		{
			name:   "missing repository",
			token:  token(func(c map[string]any) { delete(c, "repository") }),
			reason: reasonMissing,
			detail: "no repository claim",
		},
		{
			name:   "missing sha",
			token:  token(func(c map[string]any) { delete(c, "sha") }),
			reason: reasonMissing,
			detail: "no sha claim",
		},
		{
			name: "missing both",
			token: token(func(c map[string]any) {
				delete(c, "repository")
				delete(c, "sha")
			}),
			reason: reasonMissing,
			detail: "no repository or sha claim",
		},
		{
			name:   "claim of the wrong type",
			token:  token(func(c map[string]any) { c["sha"] = 42 }),
			reason: reasonMalformed,
		},
		{
			name:   "wrong audience",
			token:  token(func(c map[string]any) { c["aud"] = "https://elsewhere.example" }),
			reason: reasonWrongAud,
			detail: `core.getIDToken("https://mergeguard.example")`,
		},
		{
			name:   "no audience",
			token:  token(func(c map[string]any) { delete(c, "aud") }),
			reason: reasonWrongAud,
		},
		{
			name:   "wrong issuer",
			token:  token(func(c map[string]any) { c["iss"] = "https://token.actions.githubusercontent.com" }),
			reason: reasonWrongIssuer,
		},
		{
			name: "bad signature: another key under the published key ID",
			token: func(t *testing.T, iss *testIssuer) string {
				return sign(t, keys[1], "k1", jose.RS256, workflowClaims(iss.srv.URL))
			},
			reason: reasonBadSignature,
		},
		{
			name: "bad signature: payload swapped",
			token: func(t *testing.T, iss *testIssuer) string {
				good := strings.Split(token(nil)(t, iss), ".")
				forged := strings.Split(token(func(c map[string]any) { c["repository"] = "evil/repo" })(t, iss), ".")
				return good[0] + "." + forged[1] + "." + good[2]
			},
			reason: reasonBadSignature,
		},
		{
			name: "unknown key ID",
			token: func(t *testing.T, iss *testIssuer) string {
				return sign(t, keys[1], "k9", jose.RS256, workflowClaims(iss.srv.URL))
			},
			reason: reasonUnknownKey,
			detail: `key "k9"`,
		},
		{
			// The classic forgery: HMAC keyed with the public key.
			name: "HS256",
			token: func(t *testing.T, iss *testIssuer) string {
				der, _ := json.Marshal(jose.JSONWebKey{Key: &keys[0].PublicKey})
				return sign(t, der, "k1", jose.HS256, workflowClaims(iss.srv.URL))
			},
			reason: reasonBadSignature,
			detail: `"HS256"`,
		},
		{
			name:   "alg none",
			token:  unsigned,
			reason: reasonBadSignature,
			detail: `"none"`,
		},
		{
			// The right key, but not the algorithm GitHub uses.
			name: "PS256 with the published key",
			token: func(t *testing.T, iss *testIssuer) string {
				return sign(t, keys[0], "k1", jose.PS256, workflowClaims(iss.srv.URL))
			},
			reason: reasonBadSignature,
			detail: `"PS256"`,
		},
		{
			name: "RS512 with the published key",
			token: func(t *testing.T, iss *testIssuer) string {
				return sign(t, keys[0], "k1", jose.RS512, workflowClaims(iss.srv.URL))
			},
			reason: reasonBadSignature,
		},
		{
			name:   "empty",
			token:  func(*testing.T, *testIssuer) string { return "" },
			reason: reasonMalformed,
			detail: "id-token: write",
		},
		{
			name:   "not a JWT",
			token:  func(*testing.T, *testIssuer) string { return "ghp_notajwtatall" },
			reason: reasonMalformed,
		},
		{
			name:   "two parts",
			token:  func(*testing.T, *testIssuer) string { return "eyJhbGciOiJSUzI1NiJ9.eyJ9" },
			reason: reasonMalformed,
		},
		{
			name:   "four parts",
			token:  func(t *testing.T, iss *testIssuer) string { return token(nil)(t, iss) + ".x" },
			reason: reasonMalformed,
		},
		{
			name:   "not base64url",
			token:  func(*testing.T, *testIssuer) string { return "!!!.@@@.###" },
			reason: reasonMalformed,
		},
		{
			name: "header not JSON",
			token: func(*testing.T, *testIssuer) string {
				enc := base64.RawURLEncoding.EncodeToString
				return enc([]byte("RS256")) + "." + enc([]byte("{}")) + "." + enc([]byte("sig"))
			},
			reason: reasonMalformed,
		},
		{
			name:   "Bearer prefix",
			token:  func(t *testing.T, iss *testIssuer) string { return "Bearer " + token(nil)(t, iss) },
			reason: reasonMalformed,
			detail: "Bearer",
		},
		{
			name:   "trailing newline",
			token:  func(t *testing.T, iss *testIssuer) string { return token(nil)(t, iss) + "\n" },
			reason: reasonMalformed,
			detail: "line breaks",
		},
		{
			name:   "quoted",
			token:  func(t *testing.T, iss *testIssuer) string { return `"` + token(nil)(t, iss) + `"` },
			reason: reasonMalformed,
		},
		{
			// go-jose would take the JSON serialization; a JWT is compact.
			name: "JWS JSON serialization",
			token: func(t *testing.T, iss *testIssuer) string {
				signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: keys[0], KeyID: "k1"}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				payload, _ := json.Marshal(workflowClaims(iss.srv.URL))
				jws, err := signer.Sign(payload)
				if err != nil {
					t.Fatal(err)
				}
				return jws.FullSerialize()
			},
			reason: reasonMalformed,
			detail: "JSON form",
		},
		{
			name:   "oversized",
			token:  token(func(c map[string]any) { c["padding"] = strings.Repeat("x", maxTokenBytes) }),
			reason: reasonMalformed,
			detail: "bytes",
		},
		{
			name: "signed payload that is not JSON",
			token: func(t *testing.T, iss *testIssuer) string {
				return sign(t, keys[0], "k1", jose.RS256, []byte("coverage please"))
			},
			reason: reasonMalformed,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iss := newTestIssuer(t)
			iss.publish("k1", keys[0])
			raw := tc.token(t, iss)
			got, err := iss.verifier(t).Verify(context.Background(), raw)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got != tc.want {
					t.Fatalf("claims:\n got %+v\nwant %+v", got, tc.want)
				}
				return
			}
			e := checkRejected(t, err, raw, tc.reason)
			if got != (Claims{}) {
				t.Errorf("claims returned with an error: %+v", got)
			}
			if !strings.Contains(e.Detail, tc.detail) {
				t.Errorf("detail %q does not mention %q", e.Detail, tc.detail)
			}
		})
	}
}

// checkRejected checks err is an *Error with reason that does not give the
// token away, and returns it.
func checkRejected(t *testing.T, err error, raw, reason string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Reason != reason {
		t.Fatalf("reason %q, want %q (detail: %s)", e.Reason, reason, e.Detail)
	}
	if e.Temporary() != (reason == reasonUnreachable) {
		t.Errorf("Temporary() = %v for reason %q", e.Temporary(), reason)
	}
	if e.Detail == "" || strings.ContainsAny(e.Detail, "\r\n") {
		t.Errorf("detail %q is empty or spans lines", e.Detail)
	}
	if !strings.HasPrefix(e.Error(), reason+": ") {
		t.Errorf("Error() = %q does not start with the reason", e.Error())
	}
	noToken(t, e.Error(), raw)
	t.Logf("rejected: %v", e)
	return e
}

// noToken fails if msg holds raw or any long part of it.
func noToken(t *testing.T, msg, raw string) {
	t.Helper()
	if raw == "" {
		return
	}
	if strings.Contains(msg, raw) {
		t.Fatalf("error holds the token: %s", msg)
	}
	for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == '.' || r == ' ' || r == '\n' || r == '"' }) {
		if len(part) >= 16 && strings.Contains(msg, part) {
			t.Fatalf("error holds part of the token (%.20s…): %s", part, msg)
		}
	}
}

func TestErrorRedactsToken(t *testing.T) {
	raw := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9jdG8vd2lkZ2V0cyJ9.c2lnbmF0dXJlc2lnbmF0dXJl"
	e := reject(reasonMalformed, "library said: "+raw+" and "+strings.Split(raw, ".")[2]).redacted(raw)
	noToken(t, e.Error(), raw)
	long := reject(reasonMalformed, strings.Repeat("é", maxDetail)).redacted(raw)
	if len(long.Detail) > maxDetail+len("…") || !strings.HasSuffix(long.Detail, "…") {
		t.Errorf("long detail not cut: %d bytes", len(long.Detail))
	}
}
