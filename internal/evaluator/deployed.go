package evaluator

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
)

// Deployed acts on deployment statuses: a deployment to an environment the
// bake_time rule reads changed state, so the repository's open pull
// requests are evaluated again at once rather than at the next event.
// Repositories whose policy does not read that environment (bake_time off,
// no promotion paths, another environment) cost nothing but the resolve of
// their cached policy.
type Deployed struct {
	// GitHub returns the client for an installation.
	GitHub   func(installationID int64) policysource.GitHub
	Policies interface {
		Resolve(ctx context.Context, gh policysource.GitHub, f policysource.For) (policysource.Resolved, error)
	}
	Sweeps Sweeps
	Now    func() time.Time
}

// DeploymentStatus acts on one deployment status. The policy is the one
// that applies to pull requests into the default branch, where promotions
// go. A policy that cannot be resolved re-evaluates anyway: a needless
// evaluation is cheaper than a check left stale.
//
// It runs while GitHub waits for the webhook's answer, and a cold policy
// cache (or a rate limit waited out in place) would make it read GitHub
// for long: the resolve gets at most resolveOnDelivery, and past it the
// repository is swept as when the policy cannot be resolved.
func (d Deployed) DeploymentStatus(ctx context.Context, ds decision.DeploymentStatus) error {
	repo := decision.Repo{Owner: ds.Owner, Name: ds.Repo}.String()
	rctx, cancel := context.WithTimeout(ctx, resolveOnDelivery)
	defer cancel()
	resolved, err := d.Policies.Resolve(rctx, d.GitHub(ds.InstallationID), policysource.For{Owner: ds.Owner, Repo: ds.Repo, BaseRef: ds.DefaultBranch})
	if err == nil && !readsEnvironment(resolved, ds.Environment) {
		return nil
	}
	return d.Sweeps.ScheduleSweep(ctx, ds.InstallationID, ds.RepoID, repo, d.Now(),
		fmt.Sprintf("deployment %d to %s: %s", ds.DeploymentID, ds.Environment, ds.State))
}

// resolveOnDelivery bounds the policy resolve a deployment status makes
// while its webhook delivery waits for an answer.
const resolveOnDelivery = 2 * time.Second

// readsEnvironment reports whether the policy's bake_time rule reads the
// deployment history of env.
func readsEnvironment(resolved policysource.Resolved, env string) bool {
	if resolved.Engine == nil {
		return false
	}
	rc := resolved.Config.Rules["bake_time"]
	if !rc.Enabled {
		return false
	}
	bt, on, err := facts.BakeTimeSettings(rc.Values)
	return on && (err != nil || slices.Contains(bt.Environments, env))
}

// PermissionsAccepted re-evaluates the organization's open pull requests
// when its owner accepts the App's new permissions: a promotion blocked
// because the Deployments permission was missing can be judged now, and
// its check says so at once rather than at its next event.
func (d Deployed) PermissionsAccepted(ctx context.Context, pa decision.PermissionsAccepted) error {
	return d.Sweeps.SweepOrg(ctx, pa.InstallationID, pa.Owner, "permissions-"+pa.DeliveryID, "new permissions accepted")
}
