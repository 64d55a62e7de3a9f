package githubapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/deployhistory"
)

// ErrNoDeploymentsAccess is returned when GitHub refuses the repository's
// deployments (403 or 404 to the installation's token): the installation
// has not granted Deployments: read, which the bake_time rule reports as
// such rather than as GitHub failing.
var ErrNoDeploymentsAccess = errors.New("the installation cannot read deployments (Deployments: read not granted)")

// MaxDeploymentsRead bounds the deployments of one commit to one
// environment whose statuses are read: each costs a request, and the
// newest say whether the commit baked (a commit redeployed more often
// than this is judged by its latest deployments).
const MaxDeploymentsRead = 10

// Deployments lists the deployments to environment of sha (or, when sha is
// empty, of ref: a tag or version as the deployer named it), newest first,
// each with its statuses. Both lists are conditional requests, so an
// unchanged history costs 304s.
func (i *Installation) Deployments(ctx context.Context, owner, repo, environment, sha, ref string) ([]deployhistory.Deployment, error) {
	opts := &github.DeploymentsListOptions{Environment: environment, SHA: sha, ListOptions: github.ListOptions{PerPage: MaxDeploymentsRead}}
	what := sha
	if sha == "" {
		opts.Ref, what = ref, ref
	}
	list, _, err := i.client.Repositories.ListDeployments(ctx, owner, repo, opts)
	if err != nil {
		return nil, fmt.Errorf("list the deployments of %s to %s in %s/%s: %w", what, environment, owner, repo, i.deploymentsError(err))
	}
	out := make([]deployhistory.Deployment, 0, len(list))
	for _, d := range list {
		if len(out) == MaxDeploymentsRead {
			break
		}
		statuses, _, err := i.client.Repositories.ListDeploymentStatuses(ctx, owner, repo, d.GetID(), &github.ListOptions{PerPage: deployhistory.MaxStatusesPerDeployment})
		if err != nil {
			return nil, fmt.Errorf("list the statuses of deployment %d in %s/%s: %w", d.GetID(), owner, repo, i.deploymentsError(err))
		}
		dep := deployhistory.Deployment{
			ID: d.GetID(), SHA: d.GetSHA(), Ref: d.GetRef(), Environment: d.GetEnvironment(),
			CreatedAt: d.GetCreatedAt().Time, Statuses: make([]deployhistory.Status, 0, len(statuses)),
		}
		for _, s := range statuses {
			dep.Statuses = append(dep.Statuses, deployhistory.Status{State: s.GetState(), CreatedAt: s.GetCreatedAt().Time})
		}
		out = append(out, dep)
	}
	return out, nil
}

// deploymentsError tells a refusal of the deployments themselves (the
// permission is missing) from anything else, including a refused token.
func (i *Installation) deploymentsError(err error) error {
	if s := StatusCode(err); !IsTokenError(err) && (s == http.StatusForbidden || s == http.StatusNotFound) {
		return fmt.Errorf("%w: GitHub answered %d", ErrNoDeploymentsAccess, s)
	}
	return i.explain(err)
}
