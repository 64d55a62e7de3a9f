package app_test

import (
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// reviewPolicy configures the bundled review rules as an organization would:
// a production-access team, a platform team guarding CODEOWNERS and
// workflows, and the database team for migrations.
const reviewPolicy = `rules:
  production_access:
    teams: [prod-access]
    guard_teams: [platform]
  required_reviewers:
    requirements:
      - paths: ["db/migrations/**"]
        teams: [dba]
`

func reviewOrg(t *testing.T, gh *fakegithub.Server) *fakegithub.Repo {
	t.Helper()
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": reviewPolicy})
	gh.AddTeam("acme", "prod-access", "dev", "olga")
	gh.AddTeam("acme", "platform", "pat")
	gh.AddTeam("acme", "dba", "dora", "dan")
	return shop
}

func summaryHas(t *testing.T, cr fakegithub.CheckRun, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(cr.Summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, cr.Summary)
		}
	}
}

const yamlPatch = "@@ -4,3 +4,3 @@ spec:\n   namespace: shop\n-  replicas: 6\n+  replicas: 10\n   selector:\n"

func TestProductionChangeNeedsASecondPersonFromTheTeamAtTheCurrentCode(t *testing.T) {
	gh := fakegithub.New(t)
	shop := reviewOrg(t, gh)
	h := start(t, gh, config{})
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "More replicas", Author: "dev", Files: []fakegithub.File{
		{Path: "deploy/prod/api.yaml", Status: "modified", Patch: yamlPatch},
		{Path: "shop/charge.go", Status: "modified", Patch: goPatch},
	}})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	summaryHas(t, cr,
		"needs 1 more approval from @acme/prod-access, other than the author (can approve: @olga)",
		"The author's own membership does not count",
	)
	if len(cr.Annotations) == 0 || cr.Annotations[0].Path != "deploy/prod/api.yaml" {
		t.Errorf("the production file must be annotated: %+v", cr.Annotations)
	}

	// The author approving their own change, and a teammate outside the
	// team: required reviewers is satisfied, production access is not.
	pr.Review("dev", "APPROVED")
	alice := pr.Review("alice", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &alice))
	cr = waitCheck(t, gh, "acme/shop", pr.HeadSHA(), func(runs []fakegithub.CheckRun) bool {
		return one("failure")(runs) && runs[0].Title == "Blocked by Production access"
	})[0]

	// A second member of the production-access team approves: it passes.
	olga := pr.Review("olga", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &olga))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))

	// A later push that only touches documentation keeps both approvals.
	docs := fakegithub.FakeSHA("docs")
	pr.Push(docs, "Document the change", fakegithub.File{Path: "README.md", Status: "modified", Patch: "@@ -1 +1,2 @@\n # shop\n+Replicas: 10\n"})
	h.deliver("pull_request", "", gh.Payload("pull_request", "synchronize", pr, nil))
	waitCheck(t, gh, "acme/shop", docs, one("success"))

	// A push that changes the production file again: Olga approved a
	// version that no longer exists, so the check blocks again and says why.
	prod := fakegithub.FakeSHA("prod again")
	pr.Push(prod, "12 replicas", fakegithub.File{Path: "deploy/prod/api.yaml", Status: "modified", Patch: strings.Replace(yamlPatch, "10", "12", 1)})
	h.deliver("pull_request", "", gh.Payload("pull_request", "synchronize", pr, nil))
	cr = waitCheck(t, gh, "acme/shop", prod, one("failure"))[0]
	summaryHas(t, cr,
		"@olga's approval does not count for production paths: given on "+olga.CommitSHA[:7]+", before `deploy/prod/api.yaml` changed.",
		"needs 1 more approval from @acme/prod-access",
	)

	// Olga looks again and approves the current version.
	again := pr.Review("olga", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &again))
	waitCheck(t, gh, "acme/shop", prod, one("success"))
}

func TestPathRequirementNamesTheTeamAndWhoCanApprove(t *testing.T) {
	gh := fakegithub.New(t)
	shop := reviewOrg(t, gh)
	h := start(t, gh, config{})
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Index orders", Author: "dev", Files: []fakegithub.File{
		{Path: "db/migrations/0042_add_index.sql", Status: "added", Patch: "@@ -0,0 +1 @@\n+CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id);\n"},
	}})
	alice := pr.Review("alice", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &alice))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	summaryHas(t, cr, "Needs 1 more approval from @acme/dba for `db/migrations/0042_add_index.sql` (can approve: @dan, @dora).")

	dora := pr.Review("dora", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &dora))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))

	// Each evaluation asks for the configured teams only, and GitHub answers
	// the repeat with 304 Not Modified (free of rate limit).
	if n := gh.Count("GET", "/orgs/{org}/teams/{team_slug}/members"); n != 6 {
		t.Errorf("%d team requests for two evaluations of three configured teams, want 6", n)
	}
	conditional := 0
	for _, r := range gh.Requests() {
		if r.Route == "/orgs/{org}/teams/{team_slug}/members" && r.IfNoneMatch && r.Status == 304 {
			conditional++
		}
	}
	if conditional != 3 {
		t.Errorf("%d of the second evaluation's 3 team requests were conditional and answered 304 Not Modified", conditional)
	}
}

func TestUnknownTeamIsAConfigurationErrorInTheCheck(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules:\n  production_access:\n    teams: [prod-acess]\n"})
	h := start(t, gh, config{})
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "More replicas", Author: "dev", Files: []fakegithub.File{
		{Path: "deploy/prod/api.yaml", Status: "modified", Patch: yamlPatch},
	}})
	olga := pr.Review("olga", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &olga))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	summaryHas(t, cr, "team acme/prod-acess does not exist, or the App cannot see it", "(rules.production_access.teams)")
}

// migrationPolicy names the database team for the migration rule.
const migrationPolicy = `rules:
  migration_safety:
    reviewers:
      teams: [dba]
`

func TestAMigrationThatLocksATableIsAnnotatedAndNeedsTheDatabaseTeam(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": migrationPolicy})
	gh.AddTeam("acme", "dba", "dora", "dan")
	h := start(t, gh, config{})
	migration := "@@ -0,0 +1,4 @@\n+-- Orders are looked up by customer on the account page.\n+SET lock_timeout = '5s';\n+\n+CREATE INDEX ON orders (customer_id);\n"
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Index orders by customer", Author: "dev", Files: []fakegithub.File{
		{Path: "db/migrations/0042_orders_customer.sql", Status: "added", Patch: migration},
	}})
	alice := pr.Review("alice", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &alice))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	summaryHas(t, cr, "Migration safety", "CREATE INDEX CONCURRENTLY", "need 1 more approval from @acme/dba")
	var onLine bool
	for _, a := range cr.Annotations {
		if a.Path == "db/migrations/0042_orders_customer.sql" && a.StartLine == 4 && a.EndLine == 4 &&
			a.Level == "failure" && strings.Contains(a.Message, "CREATE INDEX CONCURRENTLY") {
			onLine = true
		}
	}
	if !onLine {
		t.Errorf("want a failure annotation on line 4 naming CREATE INDEX CONCURRENTLY, got %+v", cr.Annotations)
	}

	// The database team looks and accepts it: the finding stays, as a warning.
	dora := pr.Review("dora", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &dora))
	cr = waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))[0]
	summaryHas(t, cr, "Accepted by the database team's approval (@dora)")
}

func TestAnIgnoredMigrationFindingPassesAndIsShown(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, nil)
	h := start(t, gh, config{})
	migration := "@@ -0,0 +1,3 @@\n+SET lock_timeout = '5s';\n+-- mergeguard:ignore create_index countries has 250 rows\n+CREATE INDEX ON countries (iso_code);\n"
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Index countries", Author: "dev", Files: []fakegithub.File{
		{Path: "db/migrations/0043_countries.sql", Status: "added", Patch: migration},
	}})
	alice := pr.Review("alice", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &alice))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))[0]
	summaryHas(t, cr, "CREATE INDEX without CONCURRENTLY ignored here: countries has 250 rows")
}
