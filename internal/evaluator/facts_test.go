package evaluator_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/metrics"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/policies"
)

// service evaluates with the bundled policy (the fake has no policy
// repository) unless policy files are given, which are then served from
// acme/.github.
func service(t *testing.T, gh *fakegithub.Server, policy map[string]string) *evaluator.Service {
	t.Helper()
	app := gh.App(t)
	if policy != nil {
		gh.AddRepo(7, "acme", ".github").CommitFiles("", "policy", policy)
	}
	bundled, err := policies.Modules()
	if err != nil {
		t.Fatal(err)
	}
	source, err := policysource.New(context.Background(), policysource.Options{Bundled: bundled})
	if err != nil {
		t.Fatal(err)
	}
	return &evaluator.Service{
		GitHub:         func(id int64) evaluator.GitHub { return app.Installation(id) },
		Policies:       source,
		RepoConfigPath: ".github/mergeguard.yaml",
		Now:            func() time.Time { return time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC) },
		Log:            slog.New(slog.DiscardHandler), Metrics: metrics.New(),
	}
}

func facts_(t *testing.T, s *evaluator.Service, req evaluator.Request) facts.Input {
	t.Helper()
	a, err := s.Assess(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Policy.Problems) > 0 {
		t.Fatalf("the policy did not resolve: %v", a.Policy.Problems)
	}
	return a.Input
}

func request(pr *fakegithub.PR) evaluator.Request {
	owner, name, _ := strings.Cut(pr.Repo().FullName(), "/")
	return evaluator.Request{
		PR: decision.PullRequest{
			Installation: decision.InstallationID(pr.Repo().Installation()), Repo: decision.Repo{Owner: owner, Name: name}, Number: pr.Number,
		},
		RepoID: pr.Repo().ID(), Trigger: facts.Trigger{Event: "pull_request", Action: "synchronize"},
	}
}

func review(t *testing.T, in facts.Input, login string) facts.Review {
	t.Helper()
	for _, r := range in.Reviews {
		if r.Author.Login == login {
			return r
		}
	}
	t.Fatalf("no review by %s in %+v", login, in.Reviews)
	return facts.Review{}
}

func TestFactsSayWhatChangedAfterEachReview(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Add charge retries", Author: "dev", Files: []fakegithub.File{
		{Path: "payments/charge.go", Status: "modified", Patch: "@@ -1 +1 @@\n-a\n+b\n"},
	}})
	first := pr.HeadSHA()
	pr.Review("early", "APPROVED")
	pr.Push(fakegithub.FakeSHA("second"), "Retry on timeout",
		fakegithub.File{Path: "payments/retry.go", Status: "added", Patch: "@@ -0,0 +1 @@\n+package payments\n"})
	pr.Review("current", "APPROVED")
	pr.ReviewOn("ghost", "APPROVED", fakegithub.FakeSHA("a commit that no longer exists"))
	other := repo.OpenPR(fakegithub.PRSpec{Title: "Rewrite", Author: "dev", Files: []fakegithub.File{{Path: "x.go", Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
	other.Review("before-force-push", "APPROVED")
	other.ForcePush(fakegithub.FakeSHA("rewritten"), "Squash")

	s := service(t, gh, nil)
	in := facts_(t, s, request(pr))
	gh.ResetRequests()
	in = facts_(t, s, request(pr))
	if r := review(t, in, "early"); !r.ChangesSinceKnown || r.OnHead || r.CommitSHA != first || !slices.Equal(r.FilesChangedSince, []string{"payments/retry.go"}) {
		t.Errorf("approval on the first commit: %+v", r)
	}
	if r := review(t, in, "current"); !r.OnHead || !r.ChangesSinceKnown || len(r.FilesChangedSince) != 0 {
		t.Errorf("approval on the head: %+v", r)
	}
	if r := review(t, in, "ghost"); r.ChangesSinceKnown {
		t.Errorf("a review on a vanished commit must be unknown, got %+v", r)
	}
	// Again, with the token, the policy and the repository's configuration
	// cached: pull request, files, reviews, commits, and one compare per
	// reviewed commit that is not the head (the first commit, the vanished one).
	if n := len(gh.Requests()); n != 6 || gh.Count("GET", "/repos/{owner}/{repo}/compare/{basehead}") != 2 {
		t.Errorf("%d requests: %+v", n, gh.Requests())
	}

	in = facts_(t, s, request(other))
	if r := review(t, in, "before-force-push"); r.ChangesSinceKnown {
		t.Errorf("a review before a force-push must be unknown, got %+v", r)
	}
}

// teamPolicy is a custom rule that names teams in its configuration.
var teamPolicy = map[string]string{
	"mergeguard/policies/db.rego": `# METADATA
# title: Database owners
# custom:
#   remedy: Ask the database team.
#   config:
#     teams:
#       default: []
#       type: list
package mergeguard.rules.db_owners

warn contains "database change" if {
	some f in input.files
	startswith(f.path, "db/")
}
`,
	"mergeguard/config.yaml": "rules:\n  db_owners:\n    teams: [dba, dbas]\n",
}

func TestFactsHoldOnlyTheConfiguredTeams(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	gh.AddTeam("acme", "dba", "dora", "dan")
	gh.AddTeam("acme", "everyone-else", "x", "y", "z")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Index", Author: "dev", Files: []fakegithub.File{{Path: "db/1.sql", Patch: "@@ -0,0 +1 @@\n+select 1;\n"}}})
	in := facts_(t, service(t, gh, teamPolicy), request(pr))
	if len(in.Teams) != 2 {
		t.Fatalf("teams %+v: only configured teams are fetched", in.Teams)
	}
	if dba := in.Teams["dba"]; !dba.Found || !slices.Equal(dba.Members, []string{"dora", "dan"}) {
		t.Errorf("dba: %+v", dba)
	}
	if typo := in.Teams["dbas"]; typo.Found || !strings.Contains(typo.Error, "team acme/dbas does not exist") || typo.Members == nil {
		t.Errorf("an unknown team must be reported, not dropped: %+v", typo)
	}
}

func TestFactsReportATeamTheAppMayNotRead(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	gh.AddTeam("acme", "dba", "dora")
	gh.AddTeam("acme", "dbas", "x")
	gh.Fail("GET", "/orgs/{org}/teams/{team_slug}/members", 100, http.StatusForbidden, nil, `{"message":"Resource not accessible by integration"}`)
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Index", Author: "dev", Files: []fakegithub.File{{Path: "db/1.sql", Patch: "@@ -0,0 +1 @@\n+select 1;\n"}}})
	in := facts_(t, service(t, gh, teamPolicy), request(pr))
	if dba := in.Teams["dba"]; dba.Found || !strings.Contains(dba.Error, "Members: read") {
		t.Fatalf("a 403 must be reported in the check, not retried forever: %+v", dba)
	}
}

func TestFactsOfAPullRequestBeyondGitHubsFileCap(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "monorepo")
	files := make([]fakegithub.File, 3001)
	for i := range files {
		files[i] = fakegithub.File{Path: fmt.Sprintf("gen/file%04d.go", i), Status: "added", Patch: "@@ -0,0 +1 @@\n+package gen\n"}
	}
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Regenerate", Author: "dev", Files: files})
	s := service(t, gh, nil)
	gh.ResetRequests()
	in := facts_(t, s, request(pr))
	if !in.FilesTruncated || len(in.Files) != 3000 {
		t.Fatalf("files_truncated=%v with %d files", in.FilesTruncated, len(in.Files))
	}
	if n := gh.Count("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files"); n != 30 {
		t.Fatalf("%d pages of files, want 30 (100 per page)", n)
	}
}

// An evaluation reads each fact once, and the facts that do not depend on
// each other at once: the files, reviews and commits of the pull request,
// the organization's policy and the repository's configuration, then the
// comparisons for reviews on older commits and the teams the policy names.
func TestEachFactIsReadOnceAndIndependentFactsAtOnce(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	gh.AddTeam("acme", "dba", "dora", "dan")
	gh.AddTeam("acme", "dbas", "x")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Index", Author: "dev", Files: []fakegithub.File{{Path: "db/1.sql", Patch: "@@ -0,0 +1 @@\n+select 1;\n"}}})
	pr.Review("early", "APPROVED")
	pr.Push(fakegithub.FakeSHA("second"), "More", fakegithub.File{Path: "db/2.sql", Status: "added", Patch: "@@ -0,0 +1 @@\n+select 2;\n"})
	pr.Review("middle", "APPROVED")
	pr.Push(fakegithub.FakeSHA("third"), "More", fakegithub.File{Path: "db/3.sql", Status: "added", Patch: "@@ -0,0 +1 @@\n+select 3;\n"})
	s := service(t, gh, teamPolicy)
	gh.SetLatency(40 * time.Millisecond)
	gh.ResetMaxInFlight()

	in := facts_(t, s, request(pr))
	if len(in.Teams) != 2 || len(in.Reviews) != 2 || !review(t, in, "early").ChangesSinceKnown {
		t.Fatalf("facts: teams %+v, reviews %+v", in.Teams, in.Reviews)
	}
	seen := map[string]int{}
	for _, r := range gh.Requests() {
		seen[r.Method+" "+r.Path+"?"+r.Query]++
	}
	for req, n := range seen {
		if n > 1 {
			t.Errorf("%s was requested %d times in one evaluation", req, n)
		}
	}
	if n := gh.Count("GET", "/repos/{owner}/{repo}/compare/{basehead}"); n != 2 {
		t.Errorf("%d comparisons, want one per reviewed commit that is not the head", n)
	}
	// Files, reviews, commits, the policy repository and the repository's
	// configuration go out together.
	if n := gh.MaxInFlight(); n < 5 {
		t.Errorf("at most %d requests were in flight at once, want the independent facts read together", n)
	}
}

// A migration is read whole at the head commit, not rebuilt from its
// patch: a changed file's BEGIN above the changed lines is seen, and a
// file the head does not hold says so.
func TestFactsReadMigrationsWholeAtTheHead(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	head := repo.CommitFiles("orders", "migrations", map[string]string{
		"db/migrations/0001_orders.sql": "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX CONCURRENTLY i ON orders (note);\nCOMMIT;\n",
	})
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Orders", Author: "dev", HeadSHA: head, Files: []fakegithub.File{
		{Path: "db/migrations/0001_orders.sql", Status: "modified", Patch: "@@ -2,1 +2,2 @@\n ALTER TABLE orders ADD COLUMN note text;\n+CREATE INDEX CONCURRENTLY i ON orders (note);\n"},
		{Path: "db/migrations/0002_gone.sql", Status: "added", Patch: "@@ -0,0 +1 @@\n+DROP TABLE t;\n"},
	}})
	in := facts_(t, service(t, gh, nil), request(pr))
	byPath := map[string]facts.File{}
	for _, f := range in.Files {
		byPath[f.Path] = f
	}
	m := byPath["db/migrations/0001_orders.sql"].Migration
	if m == nil || len(m.Statements) != 4 || !m.Statements[2].InTransaction {
		t.Fatalf("the changed migration was not read whole: %+v", m)
	}
	if f := byPath["db/migrations/0002_gone.sql"]; f.Migration != nil || !strings.Contains(f.MigrationUnread, "not in the head commit") {
		t.Fatalf("a migration missing at the head: %+v, %q", f.Migration, f.MigrationUnread)
	}
}
