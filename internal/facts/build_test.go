package facts

import (
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

func ptr[T any](v T) *T { return &v }

func review(login, typ, state, sha string, at time.Time) *github.PullRequestReview {
	return &github.PullRequestReview{
		User:        &github.User{Login: ptr(login), Type: ptr(typ)},
		State:       ptr(state),
		CommitID:    ptr(sha),
		SubmittedAt: &github.Timestamp{Time: at},
	}
}

func TestLatestDecisiveReviews(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	got := LatestDecisiveReviews([]*github.PullRequestReview{
		review("alice", "User", "CHANGES_REQUESTED", "old", t0),
		review("alice", "User", "APPROVED", "head", t0.Add(time.Hour)),
		review("alice", "User", "COMMENTED", "head", t0.Add(2*time.Hour)), // does not undo the approval
		review("bob", "User", "APPROVED", "old", t0),
		review("Bob", "User", "DISMISSED", "old", t0.Add(time.Minute)), // logins are case-insensitive
		review("carol", "User", "PENDING", "head", t0),
		review("", "User", "APPROVED", "head", t0),
	}, "head")
	if len(got) != 2 {
		t.Fatalf("got %+v, want alice and bob", got)
	}
	if got[0].Author.Login != "alice" || got[0].State != "APPROVED" || !got[0].OnHead {
		t.Errorf("alice: %+v", got[0])
	}
	if got[1].State != "DISMISSED" || got[1].OnHead {
		t.Errorf("bob: %+v", got[1])
	}
}

func TestBuild(t *testing.T) {
	now := time.Date(2026, 11, 20, 16, 30, 0, 0, time.FixedZone("CET", 3600))
	pr := &github.PullRequest{
		Number: ptr(7), Title: ptr("Add index"), State: ptr("open"),
		User:              &github.User{Login: ptr("dev"), Type: ptr("User")},
		AuthorAssociation: ptr("MEMBER"),
		Labels:            []*github.Label{{Name: ptr("db")}},
		Base: &github.PullRequestBranch{Ref: ptr("main"), SHA: ptr("base1"), Repo: &github.Repository{
			FullName: ptr("acme/shop"), Name: ptr("shop"), Owner: &github.User{Login: ptr("acme")},
			DefaultBranch: ptr("main"), Private: ptr(true),
		}},
		Head: &github.PullRequestBranch{Ref: ptr("feature"), SHA: ptr("head1"), Repo: &github.Repository{FullName: ptr("dev/shop")}},
	}
	in := Build(Sources{
		PullRequest: pr,
		Files: FilesFromGitHub([]*github.CommitFile{
			{Filename: ptr("a.go"), Status: ptr("modified"), Additions: ptr(1), Changes: ptr(1), Patch: ptr("@@ -1,0 +2,1 @@\n+x\n")},
			{Filename: ptr("big.json"), Status: ptr("modified"), Additions: ptr(90000), Changes: ptr(90000)},
			{Filename: ptr("logo.png"), Status: ptr("added")},
			{Filename: ptr("bad.go"), Status: ptr("modified"), Changes: ptr(2), Patch: ptr("@@ -1,4 +1,4 @@\n-a\n+b\n")},
		}),
		Trigger: Trigger{Event: "pull_request", Action: "opened"},
		Now:     now,
	})
	if in.Version != Version || in.Time.RFC3339 != "2026-11-20T15:30:00Z" || in.Time.NS != now.UnixNano() {
		t.Errorf("version/time: %+v %+v", in.Version, in.Time)
	}
	if !in.PullRequest.Head.Fork || in.PullRequest.Base.Fork {
		t.Errorf("fork flags: base %+v head %+v", in.PullRequest.Base, in.PullRequest.Head)
	}
	if in.Repository.Visibility != "private" || in.Repository.Owner != "acme" {
		t.Errorf("repository %+v", in.Repository)
	}
	if in.Files[0].AddedLines[0].Line != 2 {
		t.Errorf("a.go %+v", in.Files[0])
	}
	if !in.Files[1].PatchMissing || in.Files[1].Binary {
		t.Errorf("big.json should be patch_missing, got %+v", in.Files[1])
	}
	if !in.Files[2].Binary || in.Files[2].PatchMissing {
		t.Errorf("logo.png should be binary, got %+v", in.Files[2])
	}
	if in.Files[3].ParseError == "" {
		t.Errorf("bad.go should carry a parse error, got %+v", in.Files[3])
	}
	if in.Reviews == nil || in.PullRequest.Labels[0] != "db" {
		t.Errorf("reviews must be an empty list, not null; labels %v", in.PullRequest.Labels)
	}
}

func TestBuildToleratesAnEmptyPullRequest(t *testing.T) {
	for _, pr := range []*github.PullRequest{nil, {}, {Base: &github.PullRequestBranch{}}, {Head: &github.PullRequestBranch{}, Labels: []*github.Label{nil}}} {
		in := Build(Sources{PullRequest: pr, Reviews: []*github.PullRequestReview{nil, {}}, Commits: []*github.RepositoryCommit{nil}})
		if in.Version != Version || in.Files == nil || in.Reviews == nil || in.Repository.Topics == nil {
			t.Fatalf("input %+v", in)
		}
	}
}

// When the fork a pull request came from is deleted, GitHub keeps the pull
// request and sends head.repo as null.
func TestHeadFromADeletedFork(t *testing.T) {
	pr := &github.PullRequest{
		Number: ptr(3), User: &github.User{Login: ptr("visitor")},
		Base: &github.PullRequestBranch{Ref: ptr("main"), SHA: ptr("b"), Repo: &github.Repository{FullName: ptr("acme/shop")}},
		Head: &github.PullRequestBranch{Ref: ptr("patch-1"), SHA: ptr("h")},
	}
	in := Build(Sources{PullRequest: pr})
	if h := in.PullRequest.Head; !h.Fork || h.Repo != "" || h.SHA != "h" {
		t.Fatalf("head %+v: a head without a repository is not the base repository", h)
	}
}
