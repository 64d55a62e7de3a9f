package evaluator_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/deployhistory"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

const bakeConfig = `rules:
  bake_time:
    promotion_paths: ["deploy/production/**"]
    promotion_patterns: ['image: ghcr.io/acme/shop:(?P<version>\S+)']
    environments: [staging]
    min_bake_hours: 24
`

// promotionPR opens a pull request that promotes v1.42.0 to production.
func promotionPR(repo *fakegithub.Repo) *fakegithub.PR {
	return repo.OpenPR(fakegithub.PRSpec{Title: "Promote v1.42.0", Author: "dev", Files: []fakegithub.File{{
		Path: "deploy/production/shop.yaml", Status: "modified",
		Patch: "@@ -3,1 +3,1 @@\n-    image: ghcr.io/acme/shop:v1.41.0\n+    image: ghcr.io/acme/shop:v1.42.0\n",
	}}})
}

func bakeRule(t *testing.T, v decision.Verdict) decision.RuleResult {
	t.Helper()
	for _, r := range v.Rules {
		if r.ID == "bake_time" {
			return r
		}
	}
	t.Fatalf("no bake_time result in %+v", v.Rules)
	return decision.RuleResult{}
}

// The deployment history is read only for a promotion pull request, only
// when bake_time is configured, and becomes input.deployments; GitHub's
// refusal is the missing permission and any other failure an error the
// rule fails on, never a pass.
func TestBakeTimeReadsTheDeploymentHistory(t *testing.T) {
	// The service's clock: 2026-11-20 15:00 UTC.
	stagedAt := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		config    string
		promotion bool
		setup     func(gh *fakegithub.Server, repo *fakegithub.Repo)
		// requests to the deployments list (-1: some; environments are
		// read at once); status of input.deployments
		// ("" for absent); what the rule says.
		lists      int
		status     string
		outcome    decision.Outcome
		finding    string
		noPromoted bool
	}{
		{name: "not configured", config: "mode: enforce\n", promotion: true, lists: 0, status: "", outcome: decision.Skip, noPromoted: true},
		{name: "no promotion", config: bakeConfig, promotion: false, lists: 0, status: "", outcome: decision.Skip},
		{name: "baking", config: bakeConfig, promotion: true, lists: 2, status: deployhistory.StatusOK, outcome: decision.Fail, finding: "3 h of 24 h",
			setup: func(gh *fakegithub.Server, repo *fakegithub.Repo) {
				repo.Deploy("staging", fakegithub.FakeSHA("v1.42.0"), "v1.42.0", stagedAt).SetStatus("success", stagedAt)
			}},
		{name: "rollback", config: bakeConfig, promotion: true, lists: 2, status: deployhistory.StatusOK, outcome: decision.Warn, finding: "rollback",
			setup: func(gh *fakegithub.Server, repo *fakegithub.Repo) {
				repo.Deploy("production", fakegithub.FakeSHA("v1.42.0"), "v1.42.0", stagedAt.Add(-72*time.Hour)).SetStatus("success", stagedAt.Add(-72*time.Hour))
			}},
		{name: "permission missing", config: bakeConfig, promotion: true, lists: -1, status: deployhistory.StatusPermissionMissing, outcome: decision.Fail, finding: "Deployments: read",
			setup: func(gh *fakegithub.Server, repo *fakegithub.Repo) { repo.DenyDeployments(true) }},
		{name: "GitHub fails", config: bakeConfig, promotion: true, lists: -1, status: deployhistory.StatusError, outcome: decision.Fail, finding: "could not be read",
			setup: func(gh *fakegithub.Server, repo *fakegithub.Repo) {
				gh.Fail("GET", "/repos/{owner}/{repo}/deployments", 100, http.StatusUnprocessableEntity, nil, `{"message":"Validation Failed"}`)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := fakegithub.New(t)
			repo := gh.AddRepo(7, "acme", "shop")
			if tt.setup != nil {
				tt.setup(gh, repo)
			}
			var pr *fakegithub.PR
			if tt.promotion {
				pr = promotionPR(repo)
			} else {
				pr = repo.OpenPR(fakegithub.PRSpec{Title: "Fix", Author: "dev", Files: []fakegithub.File{{Path: "main.go", Patch: "@@ -0,0 +1 @@\n+package main\n"}}})
			}
			s := service(t, gh, map[string]string{"mergeguard/config.yaml": tt.config})
			gh.ResetRequests()
			a, err := s.Assess(context.Background(), request(pr))
			if err != nil {
				t.Fatal(err)
			}
			lists := gh.Count("GET", "/repos/{owner}/{repo}/deployments")
			if tt.lists >= 0 && lists != tt.lists || tt.lists < 0 && lists == 0 {
				t.Errorf("%d listings of deployments, want %d", lists, tt.lists)
			}
			got := ""
			if a.Input.Deployments != nil {
				got = a.Input.Deployments.Status
			}
			if got != tt.status {
				t.Errorf("input.deployments.status %q, want %q", got, tt.status)
			}
			if tt.noPromoted != (a.Input.Promotion == nil) {
				t.Errorf("input.promotion %+v", a.Input.Promotion)
			}
			r := bakeRule(t, a.Judgement.Verdict)
			if r.Outcome != tt.outcome {
				t.Fatalf("outcome %s, want %s: %+v", r.Outcome, tt.outcome, r)
			}
			var all []string
			for _, f := range append(r.Denials, r.Warnings...) {
				all = append(all, f.Message)
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.finding) {
				t.Errorf("findings %q lack %q", all, tt.finding)
			}
		})
	}
}
