package policy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestAllowedBuiltinsAreReviewed pins the builtins policies may call. When an
// OPA upgrade adds one, this fails until someone has checked that it cannot
// reach the network, the file system, the environment, the clock or chance
// (add it to forbiddenBuiltins if it can), and updated the list.
func TestAllowedBuiltinsAreReviewed(t *testing.T) {
	data, err := os.ReadFile("testdata/allowed_builtins.txt")
	if err != nil {
		t.Fatal(err)
	}
	reviewed := strings.Fields(string(data))
	var allowed []string
	for _, b := range Capabilities().Builtins {
		allowed = append(allowed, b.Name)
	}
	slices.Sort(allowed)
	var added, removed []string
	for _, n := range allowed {
		if !slices.Contains(reviewed, n) {
			added = append(added, n)
		}
	}
	for _, n := range reviewed {
		if !slices.Contains(allowed, n) {
			removed = append(removed, n)
		}
	}
	if len(added) > 0 || len(removed) > 0 {
		t.Fatalf("the sandbox's builtins changed.\nnew, not reviewed: %v\ngone: %v\nReview each new builtin for network, file, environment, clock or randomness access before listing it in testdata/allowed_builtins.txt.", added, removed)
	}
	for name := range forbiddenBuiltins {
		if slices.Contains(allowed, name) {
			t.Errorf("forbidden builtin %s is allowed", name)
		}
	}
}

func TestSchemaBuiltinsCannotReadFiles(t *testing.T) {
	_, err := compile(t, header+`deny contains "x" if { [ok, _] := json.match_schema({}, {"$ref": "file:///etc/passwd"}); ok }`, Options{})
	if err == nil || !strings.Contains(err.Error(), "file://") {
		t.Fatalf("want a compile error explaining the file access, got %v", err)
	}
}

// TestBuiltinsAreDeterministic keeps evaluation a pure function of the input,
// the configuration and the evaluation instant: every builtin OPA marks
// non-deterministic is either forbidden or reads only the instant the engine
// pins.
func TestBuiltinsAreDeterministic(t *testing.T) {
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		if !b.Nondeterministic {
			continue
		}
		_, forbidden := forbiddenBuiltins[b.Name]
		_, pinned := clockBuiltins[b.Name]
		if forbidden == pinned {
			t.Errorf("%s is non-deterministic: forbid it, or list it in clockBuiltins if it reads only the evaluation instant (forbidden %v, pinned %v)", b.Name, forbidden, pinned)
		}
	}
}

func TestSigningIsForbiddenBecauseItIsRandomized(t *testing.T) {
	// ES256 signatures differ on every call: the same pull request got a
	// different verdict each time it was evaluated.
	_, err := compile(t, header+`deny contains msg if {
	key := {"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}
	msg := io.jwt.encode_sign({"alg": "ES256"}, {"sub": input.author}, key)
}`, Options{})
	if err == nil || !strings.Contains(err.Error(), "io.jwt.encode_sign") || !strings.Contains(err.Error(), "random") {
		t.Fatalf("want a compile error explaining that signing is randomized, got %v", err)
	}
}

func TestTokenExpiryIsJudgedAtTheEvaluationInstant(t *testing.T) {
	expires := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	token := hs256Token(t, "s3cret", fmt.Sprintf(`{"sub":"ci","exp":%d}`, expires.Unix()))
	e := mustCompile(t, header+`deny contains "expired token" if {
	[valid, _, _] := io.jwt.decode_verify(input.token, {"secret": "s3cret"})
	not valid
}`)
	for _, tt := range []struct {
		at   time.Time
		deny bool
	}{
		{expires.Add(-time.Hour), false},
		{expires.Add(time.Hour), true},
		{expires.Add(-time.Hour), false}, // the same instant again: the same answer
	} {
		res, err := e.Evaluate(context.Background(), map[string]any{"token": token}, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		if denied := len(res[0].Denials) > 0; denied != tt.deny || res[0].Err != "" {
			t.Errorf("at %s: denied %v, want %v (%+v)", tt.at, denied, tt.deny, res[0])
		}
	}
}

func hs256Token(t *testing.T, secret, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(mac.Sum(nil))
}
