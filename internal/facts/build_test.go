package facts

import (
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

func review(login, typ, state, sha string, at time.Time) decision.Review {
	return decision.Review{
		Author:      decision.Account{Login: login, Type: typ},
		State:       state,
		CommitSHA:   sha,
		SubmittedAt: at,
	}
}

func TestLatestDecisiveReviews(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	got := LatestDecisiveReviews([]decision.Review{
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
	pr := decision.PullRequestDetails{
		Number: 7, Title: "Add index", State: "open",
		Author:            decision.Account{Login: "dev", Type: "User"},
		AuthorAssociation: "MEMBER",
		Labels:            []string{"db"},
		Base:              decision.Branch{Ref: "main", SHA: "base1", RepoFullName: "acme/shop"},
		BaseRepo: &decision.RepoDetails{
			FullName: "acme/shop", Name: "shop", Owner: "acme", DefaultBranch: "main", Private: true,
		},
		Head: decision.Branch{Ref: "feature", SHA: "head1", RepoFullName: "dev/shop"},
	}
	in := Build(Sources{
		PullRequest: pr,
		Files: FilesFromGitHub([]decision.ChangedFile{
			{Path: "a.go", Status: "modified", Additions: 1, Changes: 1, Patch: "@@ -1,0 +2,1 @@\n+x\n"},
			{Path: "big.json", Status: "modified", Additions: 90000, Changes: 90000},
			{Path: "logo.png", Status: "added"},
			{Path: "bad.go", Status: "modified", Changes: 2, Patch: "@@ -1,4 +1,4 @@\n-a\n+b\n"},
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
	for _, pr := range []decision.PullRequestDetails{{}, {BaseRepo: &decision.RepoDetails{}}, {Base: decision.Branch{Ref: "main"}}, {Head: decision.Branch{SHA: "h"}, Labels: []string{""}}} {
		in := Build(Sources{PullRequest: pr, Reviews: []decision.Review{{}, {State: "APPROVED"}}, Commits: []decision.Commit{{}}})
		if in.Version != Version || in.Files == nil || in.Reviews == nil || in.Repository.Topics == nil {
			t.Fatalf("input %+v", in)
		}
	}
}

// When the fork a pull request came from is deleted, GitHub keeps the pull
// request and sends head.repo as null.
func TestHeadFromADeletedFork(t *testing.T) {
	pr := decision.PullRequestDetails{
		Number: 3, Author: decision.Account{Login: "visitor"},
		Base:     decision.Branch{Ref: "main", SHA: "b", RepoFullName: "acme/shop"},
		BaseRepo: &decision.RepoDetails{FullName: "acme/shop"},
		Head:     decision.Branch{Ref: "patch-1", SHA: "h"},
	}
	in := Build(Sources{PullRequest: pr})
	if h := in.PullRequest.Head; !h.Fork || h.Repo != "" || h.SHA != "h" {
		t.Fatalf("head %+v: a head without a repository is not the base repository", h)
	}
}
