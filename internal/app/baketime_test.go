package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

const bakePolicy = `rules:
  bake_time:
    timezone: Europe/Berlin
    promotion_paths: ["deploy/production/**"]
    promotion_patterns: ['image: ghcr.io/acme/shop:(?P<version>\S+)']
    environments: [staging]
    min_bake_hours: 24
  # Only the bake decides in these tests.
  required_reviewers: {enabled: false}
  production_access: {enabled: false}
`

// promotePR opens a pull request that promotes version to production.
func promotePR(shop *fakegithub.Repo, version string) *fakegithub.PR {
	return shop.OpenPR(fakegithub.PRSpec{Title: "Promote " + version, Author: "dev", Files: []fakegithub.File{{
		Path: "deploy/production/shop.yaml", Status: "modified",
		Patch: "@@ -3,1 +3,1 @@\n-    image: ghcr.io/acme/shop:v1.41.0\n+    image: ghcr.io/acme/shop:" + version + "\n",
	}}})
}

// A promotion whose version is still baking in staging fails, saying when
// it turns green; it does, with no event, when the bake completes, even
// though the server restarted in between: the re-evaluation is scheduled
// durably, as for freeze windows.
func TestABakingPromotionTurnsGreenByItselfAcrossARestart(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": bakePolicy})
	db := dbtest.SQLiteConfig(t)
	staged := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	shop.Deploy("staging", fakegithub.FakeSHA("v1.42.0"), "v1.42.0", staged).SetStatus("success", staged)
	clk := newClock(staged.Add(3 * time.Hour))
	h := start(t, gh, config{db: db, now: clk.now})

	pr := promotePR(shop, "v1.42.0")
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if want := "v1.42.0 has baked in staging for 3 h of 24 h; this check turns green by itself at Tue 8 Dec 2026 11:00 CET (Europe/Berlin)."; !strings.Contains(cr.Summary, want) {
		t.Fatalf("summary lacks %q:\n%s", want, cr.Summary)
	}

	waitNoPendingEvaluations(t, db)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	clk.jump(staged.Add(24*time.Hour + 5*time.Second))
	start(t, gh, config{db: db, now: clk.now})
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
	waitNoPendingEvaluations(t, db)
}

// A deployment_status event re-evaluates the repository's open pull
// requests at once: a promotion that had baked turns red when its staging
// deployment fails, with no clock moving. A status from an environment the
// rule does not read re-evaluates nothing.
func TestADeploymentStatusReevaluatesPromotionsAtOnce(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": bakePolicy})
	staged := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	staging := shop.Deploy("staging", fakegithub.FakeSHA("v1.42.0"), "v1.42.0", staged)
	staging.SetStatus("success", staged)
	clk := newClock(staged.Add(30 * time.Hour))
	db := dbtest.SQLiteConfig(t)
	h := start(t, gh, config{db: db, now: clk.now})

	pr := promotePR(shop, "v1.42.0")
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
	lists := gh.Count("GET", "/repos/{owner}/{repo}/pulls")

	// A preview deployment is none of the rule's business.
	preview := shop.Deploy("preview", fakegithub.FakeSHA("v1.43.0-rc1"), "v1.43.0-rc1", clk.now())
	preview.SetStatus("success", clk.now())
	if code := h.deliver("deployment_status", "", gh.DeploymentStatusPayload(preview)); code != 202 {
		t.Fatalf("a deployment status was answered %d", code)
	}

	staging.SetStatus("failure", clk.now())
	if code := h.deliver("deployment_status", "", gh.DeploymentStatusPayload(staging)); code != 202 {
		t.Fatalf("a deployment status was answered %d", code)
	}
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if want := "The latest deployment of v1.42.0 to staging ended in failure"; !strings.Contains(cr.Summary, want) {
		t.Fatalf("summary lacks %q:\n%s", want, cr.Summary)
	}
	waitNoPendingEvaluations(t, db)
	if n := gh.Count("GET", "/repos/{owner}/{repo}/pulls") - lists; n != 1 {
		t.Errorf("%d listings of open pull requests after the two statuses; want 1 (the preview one sweeps nothing)", n)
	}
}

// Without the Deployments permission a promotion fails and says what to
// grant; when the owner accepts it, the organization's pull requests are
// evaluated again at once and the promotion is judged on its history.
func TestAcceptingTheDeploymentsPermissionReevaluatesAtOnce(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": bakePolicy})
	staged := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	shop.Deploy("staging", fakegithub.FakeSHA("v1.42.0"), "v1.42.0", staged).SetStatus("success", staged)
	shop.DenyDeployments(true)
	clk := newClock(staged.Add(30 * time.Hour))
	h := start(t, gh, config{now: clk.now})

	pr := promotePR(shop, "v1.42.0")
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if !strings.Contains(cr.Summary, "the GitHub App lacks the Deployments: read permission") {
		t.Fatalf("summary:\n%s", cr.Summary)
	}
	shop.DenyDeployments(false)
	// Only what mergeguard reads of GitHub's installation delivery (the
	// webhook package checks GitHub's own example).
	accepted := fmt.Appendf(nil, `{"action": "new_permissions_accepted", "installation": {"id": %d, "account": {"login": "acme", "type": "Organization"}}}`, shop.Installation())
	if code := h.deliver("installation", "", accepted); code != 202 {
		t.Fatalf("the installation delivery was answered %d", code)
	}
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
}
