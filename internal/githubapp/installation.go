package githubapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// MaxListedFiles is GitHub's cap on the list-files API: a pull request with
// more changed files is listed only up to this many.
const MaxListedFiles = 3000

// maxCommits is GitHub's cap on a pull request's listed commits.
const maxCommits = 250

// Installation is a client for one installation of the App.
type Installation struct {
	id     int64
	client *github.Client
}

// ID is the installation ID.
func (i *Installation) ID() int64 { return i.id }

// PullRequest fetches a pull request.
func (i *Installation) PullRequest(ctx context.Context, owner, repo string, number int) (decision.PullRequestDetails, error) {
	pr, _, err := i.client.PullRequests.Get(ctx, owner, repo, number)
	if err != nil {
		return decision.PullRequestDetails{}, fmt.Errorf("get pull request %s/%s#%d: %w", owner, repo, number, i.explain(err))
	}
	return pullRequestDetails(pr), nil
}

// PullRequestFiles lists the changed files, 100 per page, up to GitHub's cap.
// truncated is true when the pull request has more files than were listed.
func (i *Installation) PullRequestFiles(ctx context.Context, owner, repo string, number, changed int) (_ []decision.ChangedFile, truncated bool, err error) {
	var files []*github.CommitFile
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := i.client.PullRequests.ListFiles(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, false, fmt.Errorf("list files of %s/%s#%d (page %d): %w", owner, repo, number, max(opts.Page, 1), i.explain(err))
		}
		files = append(files, page...)
		if resp.NextPage == 0 || len(files) >= MaxListedFiles {
			break
		}
		opts.Page = resp.NextPage
	}
	return changedFiles(files), changed > len(files), nil
}

// PullRequestReviews lists every review, oldest first.
func (i *Installation) PullRequestReviews(ctx context.Context, owner, repo string, number int) ([]decision.Review, error) {
	var all []*github.PullRequestReview
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := i.client.PullRequests.ListReviews(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, fmt.Errorf("list reviews of %s/%s#%d: %w", owner, repo, number, i.explain(err))
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			return reviews(all), nil
		}
		opts.Page = resp.NextPage
	}
}

// PullRequestCommits lists the commits (GitHub lists at most 250).
func (i *Installation) PullRequestCommits(ctx context.Context, owner, repo string, number int) ([]decision.Commit, error) {
	var all []*github.RepositoryCommit
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := i.client.PullRequests.ListCommits(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, fmt.Errorf("list commits of %s/%s#%d: %w", owner, repo, number, i.explain(err))
		}
		all = append(all, page...)
		if resp.NextPage == 0 || len(all) >= maxCommits {
			return commits(all), nil
		}
		opts.Page = resp.NextPage
	}
}

// maxComparedFiles is GitHub's cap on the files of a comparison.
const maxComparedFiles = 300

// Comparison is what changed between two commits.
type Comparison struct {
	// Status is "ahead", "behind", "diverged" or "identical": "diverged"
	// means base is not in head's history (the branch was rewritten).
	Status string
	Files  []string
	// Truncated is true when GitHub's 300-file cap may have cut Files.
	Truncated bool
	// MergeBase is the newest commit both have: what a pull request's diff
	// (base...head) is taken against.
	MergeBase string
}

// Compare lists the files changed from base to head. Only the first page is
// read: the file list is not paginated, and the commits are not needed.
func (i *Installation) Compare(ctx context.Context, owner, repo, base, head string) (Comparison, error) {
	cmp, _, err := i.client.Repositories.CompareCommits(ctx, owner, repo, base, head, &github.ListOptions{PerPage: 1})
	if err != nil {
		return Comparison{}, fmt.Errorf("compare %s...%s in %s/%s: %w", decision.ShortSHA(base), decision.ShortSHA(head), owner, repo, i.explain(err))
	}
	out := Comparison{Status: cmp.GetStatus(), Truncated: len(cmp.Files) >= maxComparedFiles, MergeBase: cmp.GetMergeBaseCommit().GetSHA()}
	for _, f := range cmp.Files {
		out.Files = append(out.Files, f.GetFilename())
		if prev := f.GetPreviousFilename(); prev != "" {
			out.Files = append(out.Files, prev)
		}
	}
	return out, nil
}

// TeamMembers lists the logins of a team's members, child teams included.
func (i *Installation) TeamMembers(ctx context.Context, org, slug string) ([]string, error) {
	var logins []string
	opts := &github.TeamListTeamMembersOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := i.client.Teams.ListTeamMembersBySlug(ctx, org, slug, opts)
		if err != nil {
			return nil, fmt.Errorf("list members of team %s/%s: %w", org, slug, i.explain(err))
		}
		for _, u := range page {
			logins = append(logins, u.GetLogin())
		}
		if resp.NextPage == 0 {
			return logins, nil
		}
		opts.Page = resp.NextPage
	}
}

// FindCheckRun returns the ID of the latest check run with this name that
// this App created on the commit, or 0 when there is none.
func (i *Installation) FindCheckRun(ctx context.Context, owner, repo, sha, name string, appID int64) (int64, error) {
	filter := "latest"
	res, _, err := i.client.Checks.ListCheckRunsForRef(ctx, owner, repo, sha, &github.ListCheckRunsOptions{
		CheckName: &name, AppID: &appID, Filter: &filter, ListOptions: github.ListOptions{PerPage: 100},
	})
	if err != nil {
		return 0, fmt.Errorf("list check runs on %s/%s@%s: %w", owner, repo, decision.ShortSHA(sha), i.explain(err))
	}
	var id int64
	for _, cr := range res.CheckRuns {
		if cr.GetName() == name && cr.GetApp().GetID() == appID && cr.GetID() > id {
			id = cr.GetID()
		}
	}
	return id, nil
}

// CreateCheckRun creates a check run and returns its ID.
func (i *Installation) CreateCheckRun(ctx context.Context, owner, repo string, w decision.CheckRunWrite) (int64, error) {
	cr, _, err := i.client.Checks.CreateCheckRun(ctx, owner, repo, createOptions(w))
	if err != nil {
		return 0, fmt.Errorf("create check run %q on %s/%s@%s: %w", w.Name, owner, repo, decision.ShortSHA(w.HeadSHA), i.explain(err))
	}
	return cr.GetID(), nil
}

// UpdateCheckRun updates a check run. w.Name must be set: go-github v60
// always sends it. An update without annotations sets the same state when
// sent twice, so GitHub's server errors are retried; one with annotations
// is not (they would be appended twice).
func (i *Installation) UpdateCheckRun(ctx context.Context, owner, repo string, id int64, w decision.CheckRunWrite) error {
	if w.Name == "" {
		return errors.New("update check run: name is required")
	}
	opts := updateOptions(w)
	if opts.Output == nil || len(opts.Output.Annotations) == 0 {
		ctx = sameTwice(ctx)
	}
	if _, _, err := i.client.Checks.UpdateCheckRun(ctx, owner, repo, id, opts); err != nil {
		return fmt.Errorf("update check run %d on %s/%s: %w", id, owner, repo, i.explain(err))
	}
	return nil
}

// StatusCode returns the HTTP status of a GitHub API error (including a
// failed installation-token request), or 0.
func StatusCode(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var he *ghinstallation.HTTPError
	if errors.As(err, &he) && he.Response != nil {
		return he.Response.StatusCode
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return ue.Status
	}
	return 0
}

// explain adds what to do next to errors an operator must act on.
func (i *Installation) explain(err error) error {
	if rl := fromGoGitHub(err); rl != nil {
		return rl
	}
	var he *ghinstallation.HTTPError
	if !errors.As(err, &he) || he.Response == nil {
		return err
	}
	switch he.Response.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("GitHub rejected the App's credentials when creating a token for installation %d: check that MERGEGUARD_APP_ID and the private key belong to the same GitHub App: %w", i.id, err)
	case http.StatusForbidden:
		return fmt.Errorf("GitHub refused a token for installation %d (suspended, or missing permissions): check the installation in the organization's settings: %w", i.id, err)
	case http.StatusNotFound:
		return fmt.Errorf("installation %d no longer exists (the App was uninstalled): %w", i.id, err)
	}
	return err
}

// IsTokenError reports whether err came from creating the installation's
// token rather than from the API call itself: a 403 or 404 then concerns the
// installation, not the resource asked for.
func IsTokenError(err error) bool {
	var he *ghinstallation.HTTPError
	return errors.As(err, &he)
}

// IsNotFound reports whether GitHub answered 404 (or 410 Gone).
func IsNotFound(err error) bool {
	s := StatusCode(err)
	return s == http.StatusNotFound || s == http.StatusGone
}
