package oidcauth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// t0 is the injected clock's time. It lies years ahead, so a verifier that
// ignored the injected clock would take every token here as not yet valid.
var t0 = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)

func clock() time.Time { return t0 }

const testAudience = "https://mergeguard.example"

// Keys are generated once: RSA generation is the slow part of these tests.
var testKeys = sync.OnceValue(func() [3]*rsa.PrivateKey {
	var ks [3]*rsa.PrivateKey
	for i := range ks {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ks[i] = k
	}
	return ks
})

// testIssuer is a local OIDC issuer: a discovery document and a key set
// that a test can change, or take down, while a Verifier uses it.
type testIssuer struct {
	srv *httptest.Server

	mu    sync.Mutex
	keys  []jose.JSONWebKey
	down  bool          // answer 503 to everything
	name  string        // issuer named in discovery; the server's URL when ""
	stall chan struct{} // when set, answers wait until it is closed

	discoveries, keyFetches atomic.Int32
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	iss := &testIssuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss.discoveries.Add(1)
		iss.mu.Lock()
		down, name, stall := iss.down, iss.name, iss.stall
		iss.mu.Unlock()
		if stall != nil {
			<-stall
		}
		if down {
			http.Error(w, "issuer down for the test", http.StatusServiceUnavailable)
			return
		}
		if name == "" {
			name = iss.srv.URL
		}
		writeJSON(w, map[string]any{
			"issuer":                                name,
			"jwks_uri":                              iss.srv.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		iss.keyFetches.Add(1)
		iss.mu.Lock()
		defer iss.mu.Unlock()
		if iss.down {
			http.Error(w, "issuer down for the test", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, jose.JSONWebKeySet{Keys: iss.keys})
	})
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	return iss
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// publish adds key's public half to the key set under kid.
func (iss *testIssuer) publish(kid string, key *rsa.PrivateKey) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.keys = append(iss.keys, jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
}

func (iss *testIssuer) setDown(down bool) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.down = down
}

func (iss *testIssuer) verifier(t *testing.T) *Verifier {
	t.Helper()
	v, err := New(Config{Issuer: iss.srv.URL, Audience: testAudience, HTTPClient: iss.srv.Client(), Now: clock})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// workflowClaims are the claims of a token GitHub Actions would issue to a
// pull_request workflow, valid at t0.
func workflowClaims(issuer string) map[string]any {
	return map[string]any{
		"iss":              issuer,
		"aud":              testAudience,
		"sub":              "repo:octo/widgets:pull_request",
		"jti":              "8f0c2b1e-test",
		"iat":              t0.Add(-30 * time.Second).Unix(),
		"nbf":              t0.Add(-30 * time.Second).Unix(),
		"exp":              t0.Add(5 * time.Minute).Unix(),
		"repository":       "octo/widgets",
		"repository_owner": "octo",
		"sha":              "0123456789abcdef0123456789abcdef01234567",
		"ref":              "refs/pull/42/merge",
		"event_name":       "pull_request",
		"actor":            "octocat",
		"workflow":         "CI",
		"run_id":           "9876543210",
	}
}

// sign makes a compact JWS of claims with key under kid and alg; key is an
// *rsa.PrivateKey or, for HMAC, a []byte.
func sign(t *testing.T, key any, kid string, alg jose.SignatureAlgorithm, claims any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	payload, ok := claims.([]byte)
	if !ok {
		if payload, err = json.Marshal(claims); err != nil {
			t.Fatal(err)
		}
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
