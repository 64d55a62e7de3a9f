package githubapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// bodies records the body of each request the App sends.
type bodies struct {
	mu   sync.Mutex
	sent map[string][]byte
}

func (b *bodies) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	b.mu.Lock()
	b.sent[req.Method+" "+req.URL.Path] = body
	b.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// GitHub's description of the token request allows no body, or an object
// of restrictions; ghinstallation's default is the JSON null. (The
// contract test checks every request body against the description; this
// one runs without it.)
func TestTheTokenRequestSendsAnObjectNotNull(t *testing.T) {
	gh := fakegithub.New(t)
	gh.AddRepo(7, "acme", "shop").OpenPR(fakegithub.PRSpec{Title: "one"})
	rec := &bodies{sent: map[string][]byte{}}
	app, err := githubapp.New(githubapp.Config{AppID: gh.AppID(), PrivateKey: gh.PrivateKey(), BaseURL: gh.URL(), Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Installation(7).PullRequest(context.Background(), "acme", "shop", 1); err != nil {
		t.Fatal(err)
	}
	var token []byte
	for k, v := range rec.sent {
		if strings.HasSuffix(k, "/app/installations/7/access_tokens") {
			token = v
		}
	}
	var v any
	if err := json.Unmarshal(token, &v); err != nil {
		t.Fatalf("the token request's body %q is not JSON: %v", token, err)
	}
	if _, ok := v.(map[string]any); !ok {
		t.Errorf("the token request's body is %q, want a JSON object", token)
	}
}
