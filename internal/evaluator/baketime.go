package evaluator

import (
	"context"
	"errors"

	"golang.org/x/sync/errgroup"

	"github.com/mergeguard/mergeguard/internal/deployhistory"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
)

// Deployments reads a repository's deployment history.
type Deployments interface {
	Deployments(ctx context.Context, owner, repo, environment, sha, ref string) ([]deployhistory.Deployment, error)
}

// BakeTime fills src.Promotion and src.Deployments for the bake_time rule:
// what the pull request promotes and, when it names a version, that
// version's deployment history in each environment the rule looks at.
// Nothing is read unless bake_time is enabled and configured (promotion
// paths), so other users pay no requests. `mergeguard eval` calls it with
// a deployments.json in place of GitHub.
func BakeTime(ctx context.Context, gh Deployments, resolved policysource.Resolved, owner, repo string, src *facts.Sources) {
	if resolved.Engine == nil {
		return
	}
	rc, ok := resolved.Config.Rules["bake_time"]
	if !ok || !rc.Enabled {
		return
	}
	bt, on, err := facts.BakeTimeSettings(rc.Values)
	switch {
	case !on:
		return
	case err != nil:
		src.Promotion = facts.PromotionProblem(err)
		return
	}
	src.Promotion = facts.Promotion(bt.Promotion, src.Files)
	p := src.Promotion
	if !p.Promotes() || len(p.Problems) > 0 || (p.Version == "" && p.SHA == "") {
		return
	}
	hist := History(ctx, gh, owner, repo, bt.Environments, p.SHA, p.Version)
	src.Deployments = &hist
}

// History reads the deployments of sha (or version) to each environment,
// at once: GitHub's 403 or 404 is the missing permission, anything else a
// failure.
func History(ctx context.Context, gh Deployments, owner, repo string, environments []string, sha, version string) deployhistory.Input {
	lists := make([][]deployhistory.Deployment, len(environments))
	g, gctx := errgroup.WithContext(ctx)
	for i, env := range environments {
		g.Go(func() error {
			var err error
			lists[i], err = gh.Deployments(gctx, owner, repo, env, sha, version)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		if errors.Is(err, githubapp.ErrNoDeploymentsAccess) {
			return deployhistory.PermissionMissing()
		}
		return deployhistory.Failed(err)
	}
	var all []deployhistory.Deployment
	for _, l := range lists {
		all = append(all, l...)
	}
	return deployhistory.FromDeployments(all)
}
