package evaluator_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// ownersPolicy turns the code_owners rule on.
var ownersPolicy = map[string]string{"mergeguard/config.yaml": "rules:\n  code_owners:\n    enforce: true\n"}

const ownersFile = "* @acme/everyone\n/payments/ @acme/payments @ana\n/docs/\n/web/ @globex/web\n"

const (
	contentsRoute = "/repos/{owner}/{repo}/contents/{path}"
	errorsRoute   = "/repos/{owner}/{repo}/codeowners/errors"
)

// codeOwnersReads lists the CODEOWNERS reads of the requests so far, as
// path@ref.
func codeOwnersReads(gh *fakegithub.Server) []string {
	var out []string
	for _, r := range gh.Requests() {
		if r.Route == contentsRoute && strings.HasSuffix(r.Path, "CODEOWNERS") {
			out = append(out, strings.TrimPrefix(r.Path, fakegithub.APIPrefix+"/repos/acme/shop/contents/")+"@"+strings.TrimPrefix(r.Query, "ref="))
		}
	}
	return out
}

func TestCodeOwnersAreReadFromTheBaseBranchWithTheOwningTeams(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	repo.CommitFiles("", "Owners", map[string]string{"CODEOWNERS": ownersFile})
	gh.AddTeam("acme", "payments", "bo", "chen")
	gh.AddTeam("acme", "everyone", "eve")
	gh.AddTeam("acme", "unrelated", "x")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev", Files: []fakegithub.File{
		{Path: "payments/refund.go", Status: "added", Patch: "@@ -0,0 +1 @@\n+package payments\n"},
		{Path: "docs/refunds.md", Status: "added", Patch: "@@ -0,0 +1 @@\n+# Refunds\n"},
		{Path: "web/pay.ts", Status: "renamed", PreviousPath: "payments/pay.ts"},
	}})
	s := service(t, gh, ownersPolicy)
	gh.ResetRequests()
	in := facts_(t, s, request(pr))

	// GitHub's check of the file reports the other organization's team,
	// which it does not know.
	co := in.PullRequest.CodeOwners
	if co == nil || co.Path != "CODEOWNERS" || co.Head != nil || len(co.Problems) != 1 || !co.Problems[0].GitHub || co.Problems[0].Line != 4 ||
		co.Problems[0].Message != "Unknown owner: make sure @globex/web exists and has write access to the repository" {
		t.Fatalf("codeowners %+v", co)
	}
	byPath := map[string]string{}
	for _, f := range in.Files {
		if f.Owners == nil {
			t.Fatalf("%s has no owners line", f.Path)
		}
		byPath[f.Path] = strings.Join(f.Owners.Owners, " ")
		if f.PreviousOwners != nil {
			byPath[f.PreviousPath] = strings.Join(f.PreviousOwners.Owners, " ")
		}
	}
	want := map[string]string{"payments/refund.go": "@acme/payments @ana", "docs/refunds.md": "", "web/pay.ts": "@globex/web", "payments/pay.ts": "@acme/payments @ana"}
	for p, w := range want {
		if byPath[p] != w {
			t.Errorf("%s owned by %q, want %q", p, byPath[p], w)
		}
	}
	// The teams owning changed files of the repository's organization,
	// not globex's, nor acme's others.
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range in.Teams {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, []string{"payments"}) {
		t.Errorf("teams fetched: %q", got)
	}
	// .github/CODEOWNERS is missing, CODEOWNERS found; docs/CODEOWNERS is
	// not asked for.
	if got := codeOwnersReads(gh); !slices.Equal(got, []string{".github/CODEOWNERS@main", "CODEOWNERS@main"}) {
		t.Errorf("CODEOWNERS reads %q", got)
	}
	if n := gh.Count("GET", errorsRoute); n != 1 {
		t.Errorf("GitHub's check of CODEOWNERS was asked for %d times, want once", n)
	}

	// Evaluated again: the found file and the team are conditional reads
	// answered 304.
	gh.ResetRequests()
	facts_(t, s, request(pr))
	for _, r := range gh.Requests() {
		found := r.Route == contentsRoute && strings.HasSuffix(r.Path, "/contents/CODEOWNERS") || r.Route == errorsRoute
		if (found || r.Route == "/orgs/{org}/teams/{team_slug}/members") && (!r.IfNoneMatch || r.Status != 304) {
			t.Errorf("%s %s: conditional=%v status %d, want a 304", r.Method, r.Path, r.IfNoneMatch, r.Status)
		}
	}
}

func TestCodeOwnersAreNotReadWhenTheRuleIsOff(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	repo.CommitFiles("", "Owners", map[string]string{"CODEOWNERS": ownersFile})
	gh.AddTeam("acme", "payments", "bo")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev", Files: []fakegithub.File{
		{Path: "payments/refund.go", Status: "added", Patch: "@@ -0,0 +1 @@\n+package payments\n"},
	}})
	s := service(t, gh, nil)
	gh.ResetRequests()
	in := facts_(t, s, request(pr))
	if in.PullRequest.CodeOwners != nil || in.Files[0].Owners != nil || len(in.Teams) != 0 {
		t.Errorf("codeowners %+v, owners %+v, teams %+v", in.PullRequest.CodeOwners, in.Files[0].Owners, in.Teams)
	}
	if got := codeOwnersReads(gh); len(got) != 0 || gh.Count("GET", errorsRoute) != 0 {
		t.Errorf("CODEOWNERS read with the rule off: %q, and %d checks of it", got, gh.Count("GET", errorsRoute))
	}
}

func TestAPullRequestChangingCodeOwnersIsCheckedAgainstItsVersion(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	gh.AddTeam("acme", "everyone", "eve")
	gh.AddTeam("acme", "payments", "bo")
	base := repo.CommitFiles("", "Owners", map[string]string{".github/CODEOWNERS": ownersFile})
	proposed := ownersFile + "/api/ acme/api\n"
	head := repo.CommitFiles("owners", "API owners", map[string]string{".github/CODEOWNERS": proposed})
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "API owners", Author: "dev", BaseSHA: base, HeadSHA: head, HeadRef: "owners", Files: []fakegithub.File{
		{Path: ".github/CODEOWNERS", Status: "modified", Patch: "@@ -4,0 +5 @@\n+/api/ acme/api\n"},
	}})
	s := service(t, gh, ownersPolicy)
	gh.ResetRequests()
	in := facts_(t, s, request(pr))
	// Both versions name globex's team, which GitHub's check reports; the
	// head's line 5 cannot be read.
	co := in.PullRequest.CodeOwners
	if co == nil || co.Path != ".github/CODEOWNERS" || len(co.Problems) != 1 || co.Problems[0].Line != 4 || co.Head == nil || co.Head.Path != ".github/CODEOWNERS" ||
		len(co.Head.Problems) != 2 || co.Head.Problems[0].Line != 4 || !co.Head.Problems[0].GitHub ||
		co.Head.Problems[1].Line != 5 || co.Head.Problems[1].GitHub || !strings.Contains(co.Head.Problems[1].Message, `owner "acme/api"`) {
		t.Fatalf("codeowners %+v head %+v", co, co.Head)
	}
	// The base's file and the head's, and GitHub's check of each.
	if got := codeOwnersReads(gh); !slices.Equal(got, []string{".github/CODEOWNERS@main", ".github/CODEOWNERS@" + head}) {
		t.Errorf("CODEOWNERS reads %q", got)
	}
	var checked []string
	for _, r := range gh.Requests() {
		if r.Route == errorsRoute {
			checked = append(checked, r.Query)
		}
	}
	if !slices.Equal(checked, []string{"ref=main", "ref=" + head}) {
		t.Errorf("GitHub's check asked for %q", checked)
	}
}

// failingCheck is GitHub whose check of CODEOWNERS fails (as after the
// transport's retries of a 502 ran out).
type failingCheck struct{ evaluator.GitHub }

func (failingCheck) CodeOwnersErrors(context.Context, string, string, string) ([]githubapp.CodeOwnersError, error) {
	return nil, errors.New("HTTP 502 Bad Gateway")
}

// GitHub's check of the file failing fails the evaluation, to be retried,
// rather than judging without what it would report.
func TestAFailedCheckOfCodeOwnersFailsTheEvaluation(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	repo.CommitFiles("", "Owners", map[string]string{"CODEOWNERS": ownersFile})
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev", Files: []fakegithub.File{
		{Path: "payments/refund.go", Status: "added", Patch: "@@ -0,0 +1 @@\n+package payments\n"},
	}})
	s := service(t, gh, ownersPolicy)
	live := s.GitHub
	s.GitHub = func(id int64) evaluator.GitHub { return failingCheck{live(id)} }
	_, err := s.Assess(context.Background(), request(pr))
	if err == nil || !strings.Contains(err.Error(), "GitHub's check of CODEOWNERS: HTTP 502") {
		t.Fatalf("err %v", err)
	}
}
