package fakegithub_test

// Behaviour of the fake behind comment commands, merge-queue checks and
// re-evaluation sweeps. These tests need no reference material.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// appClient is the App's client for an installation of the fake.
func appClient(t *testing.T, gh *fakegithub.Server, installation int64) *githubapp.Installation {
	t.Helper()
	return gh.App(t).Installation(installation)
}

// personalClient is a plain go-github client with a personal token, for
// what the App's client does not ask.
func personalClient(t *testing.T, gh *fakegithub.Server, installation int64) *github.Client {
	t.Helper()
	c := github.NewClient(nil).WithAuthToken(gh.PersonalToken(installation))
	base, err := url.Parse(gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = base
	return c
}

func TestListPullsHonoursStateBaseAndDirection(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "storefront")
	repo.OpenPR(fakegithub.PRSpec{Title: "one"})
	repo.OpenPR(fakegithub.PRSpec{Title: "two"}).Close()
	repo.OpenPR(fakegithub.PRSpec{Title: "three", BaseRef: "release-1.x"})
	c := personalClient(t, gh, 7)
	ctx := context.Background()

	for _, tt := range []struct {
		opts github.PullRequestListOptions
		want []int
	}{
		{github.PullRequestListOptions{}, []int{3, 1}},
		{github.PullRequestListOptions{State: "open"}, []int{3, 1}},
		{github.PullRequestListOptions{State: "closed"}, []int{2}},
		{github.PullRequestListOptions{State: "all"}, []int{3, 2, 1}},
		{github.PullRequestListOptions{State: "all", Direction: "asc"}, []int{1, 2, 3}},
		{github.PullRequestListOptions{Base: "main"}, []int{1}},
	} {
		prs, _, err := c.PullRequests.List(ctx, "acme", "storefront", &tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, p := range prs {
			got = append(got, p.GetNumber())
			if want := map[int]string{1: "open", 2: "closed", 3: "open"}[p.GetNumber()]; p.GetState() != want {
				t.Errorf("#%d listed as %q, want %q", p.GetNumber(), p.GetState(), want)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("list %+v: got %v, want %v", tt.opts, got, tt.want)
		}
	}
	if _, resp, err := c.PullRequests.List(ctx, "acme", "storefront", &github.PullRequestListOptions{State: "merged"}); err == nil || resp.StatusCode != 422 {
		t.Errorf("state=merged: %v, want a 422", err)
	}
}

func TestListPullsPaginatesWithLinkHeaders(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "storefront")
	for range 130 {
		repo.OpenPR(fakegithub.PRSpec{Title: "change"})
	}
	repo.PR(42).Close()
	c := personalClient(t, gh, 7)
	ctx := context.Background()

	first, resp, err := c.PullRequests.List(ctx, "acme", "storefront", &github.PullRequestListOptions{ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 100 || resp.NextPage != 2 || resp.LastPage != 2 {
		t.Fatalf("first page: %d pull requests, next %d, last %d; want 100, 2, 2", len(first), resp.NextPage, resp.LastPage)
	}
	second, resp, err := c.PullRequests.List(ctx, "acme", "storefront", &github.PullRequestListOptions{ListOptions: github.ListOptions{PerPage: 100, Page: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 29 || resp.NextPage != 0 {
		t.Fatalf("second page: %d pull requests, next %d; want 29, none", len(second), resp.NextPage)
	}
	seen := map[int]bool{}
	for _, p := range append(first, second...) {
		if seen[p.GetNumber()] || p.GetNumber() == 42 {
			t.Errorf("#%d listed twice, or although closed", p.GetNumber())
		}
		seen[p.GetNumber()] = true
	}
}

func TestInstallationRepositoriesAreTheTokensOnly(t *testing.T) {
	gh := fakegithub.New(t)
	for i := range 3 {
		gh.AddRepo(7, "acme", fmt.Sprintf("svc-%d", i))
	}
	gh.AddRepo(7, "acme", "legacy").Archive()
	gh.AddRepo(8, "globex", "secret")
	repos, err := appClient(t, gh, 7).Repositories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 4 {
		t.Fatalf("got %d repositories, want installation 7's 4: %+v", len(repos), repos)
	}
	for _, r := range repos {
		if r.Owner != "acme" || r.ID == 0 {
			t.Errorf("repository %+v does not belong to installation 7", r)
		}
		if r.Archived != (r.Name == "legacy") {
			t.Errorf("repository %s: archived=%v", r.Name, r.Archived)
		}
	}
	if _, resp, err := personalClient(t, gh, 7).Apps.ListRepos(context.Background(), nil); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a personal token listed an installation's repositories: %v", err)
	}
}

func TestCommentsAndReactionsAreRecorded(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "storefront")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "change"})
	inst := appClient(t, gh, 7)
	ctx := context.Background()

	_, commandID := gh.CommentPayload(repo, pr.Number, "mira", "MEMBER", "/mergeguard recheck")
	for _, content := range []string{"eyes", "eyes", "+1"} {
		if err := inst.AddReaction(ctx, "acme", "storefront", commandID, content); err != nil {
			t.Fatal(err)
		}
	}
	if err := inst.CreateComment(ctx, "acme", "storefront", pr.Number, "Re-evaluated."); err != nil {
		t.Fatal(err)
	}
	got := gh.Comments("acme/storefront", pr.Number)
	want := []fakegithub.Comment{
		// Reacting twice with the same content keeps one reaction.
		{ID: commandID, Author: "mira", Body: "/mergeguard recheck", Reactions: []string{"eyes", "+1"}},
		{Author: "mergeguard[bot]", Body: "Re-evaluated."},
	}
	if len(got) != 2 {
		t.Fatalf("comments: %+v", got)
	}
	want[1].ID = got[1].ID
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Author != want[i].Author || got[i].Body != want[i].Body || !slices.Equal(got[i].Reactions, want[i].Reactions) {
			t.Errorf("comment %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if gh.BotLogin() != "mergeguard[bot]" {
		t.Errorf("BotLogin() = %q", gh.BotLogin())
	}
	if err := inst.CreateComment(ctx, "acme", "storefront", 99, "x"); !githubapp.IsNotFound(err) {
		t.Errorf("a comment on a missing issue: %v, want a 404", err)
	}
	if err := inst.AddReaction(ctx, "acme", "storefront", 12345, "eyes"); !githubapp.IsNotFound(err) {
		t.Errorf("a reaction to a missing comment: %v, want a 404", err)
	}
	repo.Archive()
	if err := inst.CreateComment(ctx, "acme", "storefront", pr.Number, "x"); githubapp.StatusCode(err) != http.StatusForbidden {
		t.Errorf("a comment in an archived repository: %v, want a 403", err)
	}
}

func TestIssuesSharePullRequestNumbers(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", ".github")
	first := repo.OpenPR(fakegithub.PRSpec{Title: "a"}).Number
	issue := repo.OpenIssue("Freeze merges", "jonas")
	next := repo.OpenPR(fakegithub.PRSpec{Title: "b"}).Number
	repo.OpenPR(fakegithub.PRSpec{Number: 10, Title: "c"})
	later := repo.OpenIssue("Another", "")
	if first != 1 || issue != 2 || next != 3 || later != 11 {
		t.Fatalf("numbers: pull request %d, issue %d, pull request %d, issue %d; want 1, 2, 3, 11", first, issue, next, later)
	}
	// An issue takes comments like a pull request, but is not listed as one.
	if err := appClient(t, gh, 7).CreateComment(context.Background(), "acme", ".github", issue, "Noted."); err != nil {
		t.Fatal(err)
	}
	if c := gh.Comments("acme/.github", issue); len(c) != 1 || c[0].Author != gh.BotLogin() {
		t.Fatalf("comments on the issue: %+v", c)
	}
	if open, err := appClient(t, gh, 7).OpenPullRequests(context.Background(), "acme", ".github"); err != nil || len(open) != 3 {
		t.Fatalf("open pull requests: %+v, %v, want 3", open, err)
	}
}

func TestCommentPayloadParsesAsAnIssueCommentEvent(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "storefront")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "change"})
	issue := repo.OpenIssue("Question", "ines")

	for _, tt := range []struct {
		number int
		isPR   bool
	}{{pr.Number, true}, {issue, false}} {
		payload, id := gh.CommentPayload(repo, tt.number, "jonas", "COLLABORATOR", "/mergeguard recheck")
		ev, err := github.ParseWebHook("issue_comment", payload)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := ev.(*github.IssueCommentEvent)
		if !ok {
			t.Fatalf("parsed as %T", ev)
		}
		if e.GetAction() != "created" || e.GetIssue().GetNumber() != tt.number || e.GetIssue().IsPullRequest() != tt.isPR {
			t.Errorf("#%d: action %q, number %d, IsPullRequest %v; want created, %d, %v",
				tt.number, e.GetAction(), e.GetIssue().GetNumber(), e.GetIssue().IsPullRequest(), tt.number, tt.isPR)
		}
		c := e.GetComment()
		if c.GetID() != id || c.GetBody() != "/mergeguard recheck" || c.GetUser().GetLogin() != "jonas" || c.GetAuthorAssociation() != "COLLABORATOR" {
			t.Errorf("#%d: comment %d by %s (%s): %q", tt.number, c.GetID(), c.GetUser().GetLogin(), c.GetAuthorAssociation(), c.GetBody())
		}
		if e.GetSender().GetLogin() != "jonas" || e.GetInstallation().GetID() != 7 || e.GetRepo().GetFullName() != "acme/storefront" || e.GetOrganization().GetLogin() != "acme" {
			t.Errorf("#%d: sender %s, installation %d, repository %s, organization %s", tt.number,
				e.GetSender().GetLogin(), e.GetInstallation().GetID(), e.GetRepo().GetFullName(), e.GetOrganization().GetLogin())
		}
		if got := gh.Comments("acme/storefront", tt.number); len(got) != 1 || got[0].ID != id || got[0].Author != "jonas" {
			t.Errorf("#%d: the comment was not recorded: %+v", tt.number, got)
		}
	}
}

func TestMergeGroupPayloadCreatesACommitForChecks(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "storefront")
	baseSHA := repo.CommitFiles("", "Initial", map[string]string{"README.md": "hello\n"})
	headSHA := repo.CommitFiles("feature-1", "Add pricing", map[string]string{"pricing.go": "package pricing\n"})
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Add pricing", Author: "mira", HeadRef: "feature-1", HeadSHA: headSHA})

	payload, sha := gh.MergeGroupPayload(pr)
	ev, err := github.ParseWebHook("merge_group", payload)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := ev.(*github.MergeGroupEvent)
	if !ok {
		t.Fatalf("parsed as %T", ev)
	}
	mg := e.GetMergeGroup()
	branch := "gh-readonly-queue/main/pr-1-" + headSHA
	if e.GetAction() != "checks_requested" || mg.GetHeadSHA() != sha || len(sha) != 40 || mg.GetHeadRef() != "refs/heads/"+branch ||
		mg.GetBaseSHA() != baseSHA || mg.GetBaseRef() != "refs/heads/main" {
		t.Errorf("merge group: action %q, %+v; want head %s on refs/heads/%s, base %s on refs/heads/main", e.GetAction(), mg, sha, branch, baseSHA)
	}
	if !strings.HasPrefix(mg.GetHeadCommit().GetMessage(), "Merge pull request #1 from acme/feature-1") || mg.GetHeadCommit().GetAuthor().GetName() != "mira" {
		t.Errorf("head commit: %+v", mg.GetHeadCommit())
	}
	if e.GetInstallation().GetID() != 7 || e.GetRepo().GetFullName() != "acme/storefront" || e.GetOrg().GetLogin() != "acme" || e.GetSender().GetLogin() != "mira" {
		t.Errorf("installation %d, repository %s, organization %s, sender %s", e.GetInstallation().GetID(), e.GetRepo().GetFullName(), e.GetOrg().GetLogin(), e.GetSender().GetLogin())
	}
	if repo.Branch(branch) != sha {
		t.Errorf("branch %s points at %q, want %s", branch, repo.Branch(branch), sha)
	}

	// The merge group's commit is a commit like any other: it has the
	// pull request's files, and takes check runs.
	inst := appClient(t, gh, 7)
	ctx := context.Background()
	files, err := inst.Files(ctx, "acme", "storefront", sha)
	if err != nil || len(files) != 2 {
		t.Fatalf("files of the merge group: %+v, %v", files, err)
	}
	created, _, err := personalClient(t, gh, 7).Checks.CreateCheckRun(ctx, "acme", "storefront", github.CreateCheckRunOptions{Name: "mergeguard", HeadSHA: sha, Status: github.String("in_progress")})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetID()
	if err := inst.UpdateCheckRun(ctx, "acme", "storefront", id, decision.CheckRunWrite{Name: "mergeguard", Conclusion: decision.Success}); err != nil {
		t.Fatal(err)
	}
	if found, err := inst.FindCheckRun(ctx, "acme", "storefront", sha, "mergeguard", gh.AppID()); err != nil || found != id {
		t.Fatalf("FindCheckRun on the merge group: %d, %v, want %d", found, err, id)
	}
	runs := gh.CheckRuns("acme/storefront", sha)
	if len(runs) != 1 || runs[0].ID != id || runs[0].Conclusion != "success" {
		t.Fatalf("check runs on the merge group: %+v", runs)
	}

	// Entering the queue again makes a new commit.
	if _, again := gh.MergeGroupPayload(pr); again == sha || repo.Branch(branch) != again {
		t.Errorf("a second merge group reused %s (branch at %s)", again, repo.Branch(branch))
	}
}
