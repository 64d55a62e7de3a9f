package fakegithub

import (
	"crypto/rsa"
	"testing"

	"github.com/mergeguard/mergeguard/internal/githubapp"
)

// PrivateKey is the fake App's private key, parsed.
func (s *Server) PrivateKey() *rsa.PrivateKey { return s.key }

// App is mergeguard's GitHub App client, configured as this fake's App.
func (s *Server) App(t testing.TB) *githubapp.App {
	t.Helper()
	app, err := githubapp.New(githubapp.Config{AppID: s.AppID(), PrivateKey: s.key, BaseURL: s.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return app
}
