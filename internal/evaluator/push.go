package evaluator

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
)

// PushedPolicies is the policy source as a push concerns it: what it
// cached from the pushed branch is refreshed, and it says where the
// organization's policy lives.
type PushedPolicies interface {
	Pushed(owner, repo, branch, defaultBranch string, files []string)
	PolicyRepo() string
	Layout() policysource.Layout
}

// Sweeps re-evaluates the open pull requests of an organization or a
// repository.
type Sweeps interface {
	SweepOrg(ctx context.Context, installationID int64, owner, key, reason string) error
	ScheduleSweep(ctx context.Context, installationID, repoID int64, repo string, at time.Time, reason string) error
}

// Pushes acts on pushes: the policy source refreshes what it cached, and
// the pull requests the pushed policy or configuration judges are evaluated
// again, so a new freeze window or a tightened rule shows at once.
type Pushes struct {
	Policies PushedPolicies
	Sweeps   Sweeps
	// RepoConfigPath is where a repository keeps its own configuration.
	RepoConfigPath string
	Now            func() time.Time
}

// Pushed acts on one push.
func (ps Pushes) Pushed(ctx context.Context, p decision.Push) error {
	ps.Policies.Pushed(p.Owner, p.Repo, p.Branch, p.DefaultBranch, p.Files)
	switch {
	case p.InstallationID == 0 || p.After == "" || strings.Trim(p.After, "0") == "":
		return nil // a branch deleted, or not an App delivery
	case strings.EqualFold(p.Repo, ps.Policies.PolicyRepo()) && p.Branch == p.DefaultBranch && touches(p.Files, path.Dir(ps.Policies.Layout().ConfigPath())):
		return ps.Sweeps.SweepOrg(ctx, p.InstallationID, p.Owner, "policy-"+p.After, "policy changed")
	case touches(p.Files, ps.RepoConfigPath):
		return ps.Sweeps.ScheduleSweep(ctx, p.InstallationID, p.RepoID, p.Owner+"/"+p.Repo, ps.Now(), fmt.Sprintf("configuration changed on %s", p.Branch))
	}
	return nil
}

// touches reports whether any of files is prefix or under it.
func touches(files []string, prefix string) bool {
	for _, f := range files {
		if f == prefix || strings.HasPrefix(f, strings.TrimSuffix(prefix, "/")+"/") {
			return true
		}
	}
	return false
}
