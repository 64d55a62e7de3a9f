package githubapp

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-github/v60/github"
)

// RepoRef is a repository the installation can access.
type RepoRef struct {
	ID          int64
	Owner, Name string
	// Archived repositories are read-only: nothing can be written to them,
	// check runs included.
	Archived bool
}

// Repositories lists the repositories the installation can access, 100 per
// page.
func (i *Installation) Repositories(ctx context.Context) ([]RepoRef, error) {
	var out []RepoRef
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := i.client.Apps.ListRepos(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list the repositories of installation %d (page %d): %w", i.id, max(opts.Page, 1), i.explainRepositories(err))
		}
		for _, r := range page.Repositories {
			out = append(out, RepoRef{ID: r.GetID(), Owner: r.GetOwner().GetLogin(), Name: r.GetName(), Archived: r.GetArchived()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// explainRepositories says why a token client (NewTokenClient, whose
// installation ID is 0) is refused: GitHub lists an installation's
// repositories only to an installation token (an App's, or GITHUB_TOKEN in
// Actions), never to a personal access token.
func (i *Installation) explainRepositories(err error) error {
	if i.id == 0 && StatusCode(err) == http.StatusForbidden {
		return fmt.Errorf("listing an installation's repositories needs an installation token (a GitHub App's, or GITHUB_TOKEN in GitHub Actions), not a personal access token: %w", err)
	}
	return i.explain(err)
}
