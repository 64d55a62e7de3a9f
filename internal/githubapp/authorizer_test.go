package githubapp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// TestAuthorizer answers the web view's questions from GitHub with the
// installation's token: membership (private members and team members
// count), read access (a permission other than none), and nothing at all
// for an account mergeguard has no installation on.
func TestAuthorizer(t *testing.T) {
	gh := fakegithub.New(t)
	shop := gh.AddRepo(7, "acme", "shop")
	gh.AddMember("acme", "ada")
	gh.AddTeam("acme", "oncall", "sven")
	shop.SetPermission("outsider", "none")
	shop.SetPermission("lena", "triage")
	dbFailure := errors.New("database is down")
	a := githubapp.Authorizer{App: gh.App(t), InstallationOf: func(_ context.Context, owner string) (int64, error) {
		switch owner {
		case "acme":
			return 7, nil
		case "broken":
			return 0, dbFailure
		}
		return 0, fmt.Errorf("no pull request of %s seen: %w", owner, decision.ErrNotFound)
	}}
	ctx := context.Background()

	for _, tt := range []struct {
		org, login string
		want       bool
		err        error
	}{
		{"acme", "ada", true, nil},
		{"acme", "sven", true, nil},
		{"acme", "mallory", false, nil},
		{"ada", "ada", true, nil}, // a user account's owner
		{"elsewhere", "ada", false, nil},
		{"broken", "ada", false, dbFailure},
	} {
		ok, err := a.IsMember(ctx, tt.org, tt.login)
		if ok != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("IsMember(%s, %s) = %v, %v; want %v, %v", tt.org, tt.login, ok, err, tt.want, tt.err)
		}
	}
	for _, tt := range []struct {
		repo, login string
		want        bool
	}{
		{"acme/shop", "ada", true},
		{"acme/shop", "lena", true},
		{"acme/shop", "outsider", false},
		{"acme/secret", "ada", false}, // the App cannot see it: 404
		{"elsewhere/shop", "ada", false},
	} {
		ok, err := a.CanRead(ctx, tt.repo, tt.login)
		if err != nil || ok != tt.want {
			t.Errorf("CanRead(%s, %s) = %v, %v; want %v", tt.repo, tt.login, ok, err, tt.want)
		}
	}
	if _, err := a.CanRead(ctx, "no-slash", "ada"); err == nil {
		t.Error("a repository name without an owner was accepted")
	}

	// An installation without the members permission is an error, not a
	// refusal: the page says GitHub could not tell rather than that the
	// user may not look.
	gh.Fail("GET", "/orgs/{org}/members/{username}", 1, http.StatusForbidden, nil,
		`{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/orgs/members"}`)
	if ok, err := a.IsMember(ctx, "acme", "ada"); err == nil || ok || githubapp.StatusCode(err) != http.StatusForbidden {
		t.Errorf("IsMember without the permission = %v, %v; want a 403 error", ok, err)
	}
}
