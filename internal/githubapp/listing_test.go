package githubapp_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

func installation(t *testing.T, gh *fakegithub.Server, id int64) *githubapp.Installation {
	t.Helper()
	return gh.App(t).Installation(id)
}

func TestOpenPullRequestsReadsEveryPage(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "storefront")
	for i := 1; i <= 205; i++ {
		repo.OpenPR(fakegithub.PRSpec{Title: "change", Draft: i == 17, BaseRef: map[bool]string{true: "release-1.x", false: "main"}[i == 18]})
	}
	for _, n := range []int{3, 150} {
		repo.PR(n).Close()
	}
	inst := installation(t, gh, 7)
	ctx := context.Background()

	prs, err := inst.OpenPullRequests(ctx, "acme", "storefront")
	if err != nil {
		t.Fatal(err)
	}
	if len(prs) != 203 {
		t.Fatalf("got %d open pull requests, want 203", len(prs))
	}
	if n := gh.Count("GET", "/repos/{owner}/{repo}/pulls"); n != 3 {
		t.Errorf("listed in %d requests, want 3 pages of 100", n)
	}
	byNumber := map[int]githubapp.PullRef{}
	for _, p := range prs {
		byNumber[p.Number] = p
	}
	if _, ok := byNumber[3]; ok || len(byNumber) != 203 {
		t.Errorf("closed #3 listed, or a pull request listed twice")
	}
	if p := byNumber[17]; !p.Draft || p.BaseRef != "main" || p.HeadSHA != repo.PR(17).HeadSHA() {
		t.Errorf("#17: %+v, want a draft against main at %s", p, repo.PR(17).HeadSHA())
	}
	if p := byNumber[18]; p.Draft || p.BaseRef != "release-1.x" {
		t.Errorf("#18: %+v, want a ready pull request against release-1.x", p)
	}

	// Listed again unchanged, the full pages are too large for the
	// conditional-request cache and come whole; the last, partial page is
	// revalidated. Either way every pull request is there.
	gh.ResetRequests()
	if again, err := inst.OpenPullRequests(ctx, "acme", "storefront"); err != nil || len(again) != 203 {
		t.Fatalf("second listing: %d, %v", len(again), err)
	}
	var statuses []int
	for _, r := range gh.Requests() {
		if r.Route == "/repos/{owner}/{repo}/pulls" {
			statuses = append(statuses, r.Status)
		}
	}
	if len(statuses) != 3 || statuses[0] != http.StatusOK || statuses[1] != http.StatusOK || statuses[2] != http.StatusNotModified {
		t.Errorf("second listing answered %v, want [200 200 304]", statuses)
	}
}

func TestRepositoriesReadsEveryPage(t *testing.T) {
	gh := fakegithub.New(t)
	for i := range 120 {
		gh.AddRepo(7, "acme", fmt.Sprintf("svc-%03d", i))
	}
	gh.AddRepo(7, "acme", "legacy").Archive()
	gh.AddRepo(8, "globex", "other-installation")

	repos, err := installation(t, gh, 7).Repositories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 121 {
		t.Fatalf("got %d repositories, want 121", len(repos))
	}
	if n := gh.Count("GET", "/installation/repositories"); n != 2 {
		t.Errorf("listed in %d requests, want 2 pages", n)
	}
	archived := 0
	for _, r := range repos {
		if r.Owner != "acme" || r.ID == 0 || r.Name == "" {
			t.Errorf("unexpected repository %+v", r)
		}
		if r.Archived {
			archived++
			if r.Name != "legacy" {
				t.Errorf("%s reported archived", r.Name)
			}
		}
	}
	if archived != 1 {
		t.Errorf("%d archived repositories, want 1", archived)
	}
}

func TestCommentAndReaction(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "storefront")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "change"})
	inst := installation(t, gh, 7)
	ctx := context.Background()

	_, id := gh.CommentPayload(repo, pr.Number, "mira", "MEMBER", "/mergeguard recheck")
	if err := inst.AddReaction(ctx, "acme", "storefront", id, "eyes"); err != nil {
		t.Fatal(err)
	}
	if err := inst.CreateComment(ctx, "acme", "storefront", pr.Number, "Re-evaluated: all policies pass."); err != nil {
		t.Fatal(err)
	}
	got := gh.Comments("acme/storefront", pr.Number)
	if len(got) != 2 || len(got[0].Reactions) != 1 || got[0].Reactions[0] != "eyes" || got[1].Author != gh.BotLogin() || got[1].Body != "Re-evaluated: all policies pass." {
		t.Fatalf("comments: %+v", got)
	}

	err := inst.AddReaction(ctx, "acme", "storefront", id, "thumbsup")
	if githubapp.StatusCode(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), `react "thumbsup" to comment`) {
		t.Errorf("an invalid reaction: %v, want a 422 naming the reaction", err)
	}
	if err := inst.CreateComment(ctx, "acme", "storefront", 404, "x"); !githubapp.IsNotFound(err) || !strings.Contains(err.Error(), "comment on acme/storefront#404") {
		t.Errorf("a comment on a missing issue: %v", err)
	}
}

// TestTokenClientListsAndComments: `mergeguard eval` reads with a personal
// token through the same type. It can list pull requests and comment, but
// GitHub lists an installation's repositories only to installation tokens,
// and the error says so.
func TestTokenClientListsAndComments(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "storefront")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "change"})
	inst, err := githubapp.NewTokenClient(gh.PersonalToken(7), gh.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if prs, err := inst.OpenPullRequests(ctx, "acme", "storefront"); err != nil || len(prs) != 1 || prs[0].Number != pr.Number {
		t.Fatalf("open pull requests: %+v, %v", prs, err)
	}
	if err := inst.CreateComment(ctx, "acme", "storefront", pr.Number, "From a person."); err != nil {
		t.Fatal(err)
	}
	c := gh.Comments("acme/storefront", pr.Number)
	if len(c) != 1 || c[0].Author == gh.BotLogin() {
		t.Fatalf("a personal token's comment: %+v, want it written by the token's user", c)
	}
	if err := inst.AddReaction(ctx, "acme", "storefront", c[0].ID, "+1"); err != nil {
		t.Fatal(err)
	}
	_, err = inst.Repositories(ctx)
	if githubapp.StatusCode(err) != http.StatusForbidden || !strings.Contains(err.Error(), "not a personal access token") {
		t.Errorf("a personal token listing repositories: %v, want a 403 that explains why", err)
	}
}
