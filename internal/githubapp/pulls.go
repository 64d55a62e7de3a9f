package githubapp

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// PullRef is the little of an open pull request needed to decide whether to
// evaluate it again.
type PullRef struct {
	Number  int
	BaseRef string
	HeadSHA string
	Draft   bool
}

// OpenPullRequests lists a repository's open pull requests, 100 per page.
// A full page (about 1.5 MB: each pull request carries its repository
// twice) is more than the conditional-request cache keeps per entry, so only
// a last, partial page is answered 304 when listed again unchanged.
func (i *Installation) OpenPullRequests(ctx context.Context, owner, repo string) ([]PullRef, error) {
	var out []PullRef
	opts := &github.PullRequestListOptions{State: "open", ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := i.client.PullRequests.List(ctx, owner, repo, opts)
		if err != nil {
			return nil, fmt.Errorf("list open pull requests of %s/%s (page %d): %w", owner, repo, max(opts.Page, 1), i.explain(err))
		}
		for _, pr := range page {
			out = append(out, PullRef{Number: pr.GetNumber(), BaseRef: pr.GetBase().GetRef(), HeadSHA: pr.GetHead().GetSHA(), Draft: pr.GetDraft()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}
