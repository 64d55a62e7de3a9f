package githubapp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// IsOrgMember reports whether the user is a member of the organization,
// publicly or privately. The App sees private members through its
// organization permission "members: read"; a user account (not an
// organization) has no members and answers false.
func (i *Installation) IsOrgMember(ctx context.Context, org, user string) (bool, error) {
	ok, _, err := i.client.Organizations.IsMember(ctx, org, user)
	if err != nil {
		return false, fmt.Errorf("ask whether @%s is a member of %s: %w", user, org, i.explain(err))
	}
	return ok, nil
}

// Authorizer answers the web view's questions — is this user a member of
// the organization, can they read this repository — with the App's
// installation on the organization, so no user token is kept. It
// implements internal/ui's Authorizer; wrap it in that package's cache.
type Authorizer struct {
	App *App
	// InstallationOf finds the App's installation on an account; an error
	// wrapping decision.ErrNotFound means there is none (mergeguard has no
	// record of the account), and nobody may see its pages.
	InstallationOf func(ctx context.Context, owner string) (int64, error)
}

// IsMember reports whether login is a member of org. The owner of a user
// account counts as its one member.
func (a Authorizer) IsMember(ctx context.Context, org, login string) (bool, error) {
	if strings.EqualFold(org, login) {
		return true, nil
	}
	inst, ok, err := a.installation(ctx, org)
	if !ok || err != nil {
		return false, err
	}
	return inst.IsOrgMember(ctx, org, login)
}

// CanRead reports whether login can read repo ("owner/name"): GitHub
// reports a permission other than none. A repository the App cannot see
// (404) is one nobody may read here.
func (a Authorizer) CanRead(ctx context.Context, repo, login string) (bool, error) {
	owner, name, found := strings.Cut(repo, "/")
	if !found || owner == "" || name == "" {
		return false, fmt.Errorf("%q is not owner/name", repo)
	}
	inst, ok, err := a.installation(ctx, owner)
	if !ok || err != nil {
		return false, err
	}
	p, err := inst.Permission(ctx, owner, name, login)
	switch {
	case IsNotFound(err):
		return false, nil
	case err != nil:
		return false, err
	}
	return p != "" && p != "none", nil
}

func (a Authorizer) installation(ctx context.Context, owner string) (*Installation, bool, error) {
	id, err := a.InstallationOf(ctx, owner)
	switch {
	case errors.Is(err, decision.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("find the installation on %s: %w", owner, err)
	}
	return a.App.Installation(id), true, nil
}
