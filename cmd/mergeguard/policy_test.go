package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

var (
	policyRepo = filepath.Join("..", "..", "testdata", "policy-repo")
	approved   = filepath.Join("..", "..", "testdata", "prs", "approved")
	unreviewed = filepath.Join("..", "..", "testdata", "prs", "unreviewed")
	// weekday is an instant outside the example policy's freezes, so that
	// the tests do not depend on the day they run.
	weekday    = "2026-11-25T11:00:00+01:00"
	production = filepath.Join("..", "..", "testdata", "prs", "production-change")
)

func TestTestCommand(t *testing.T) {
	out, errOut, code := runMain(t, nil, "test", policyRepo)
	if code != 0 || !strings.Contains(out, "PASS: 12/12") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}

	// A failing test and a broken rule, in a folder of .rego files.
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rule, _ := os.ReadFile(filepath.Join(policyRepo, "mergeguard", "policies", "changelog.rego"))
	test, _ := os.ReadFile(filepath.Join(policyRepo, "mergeguard", "policies", "changelog_test.rego"))
	write("changelog.rego", string(rule))
	write("changelog_test.rego", strings.Replace(string(test), `{"labelled as needing no changelog entry"}`, `{"wrong"}`, 1))
	out, _, code = runMain(t, nil, "test", dir)
	if code != 1 || !strings.Contains(out, "test_label_skips: FAIL") || !strings.Contains(out, "FAIL: 1/4") {
		t.Fatalf("failing test: exit %d\n%s", code, out)
	}
	write("changelog.rego", string(rule)+"\ndeny contains x if {\n")
	out, _, code = runMain(t, nil, "test", dir)
	if code != 1 || !strings.Contains(out, "The policy cannot be used") || !strings.Contains(out, "mergeguard/policies/changelog.rego:") {
		t.Fatalf("broken rule: exit %d\n%s", code, out)
	}
	_, errOut, code = runMain(t, nil, "test", t.TempDir())
	if code != 2 || !strings.Contains(errOut, "holds no policy") {
		t.Fatalf("empty folder: exit %d %s", code, errOut)
	}

	// mergeguard's own policies folder is tested as the bundled set, as the
	// command's help suggests.
	out, errOut, code = runMain(t, nil, "test", filepath.Join("..", "..", "policies"))
	if code != 0 || !strings.Contains(out, "PASS: ") || strings.Contains(out, "FAIL") || !strings.Contains(errOut, "bundled policies") {
		t.Fatalf("the bundled policies: exit %d\n%s%s", code, out, errOut)
	}

	// A misnamed file in a checkout is reported, not silently skipped.
	checkout := t.TempDir()
	os.MkdirAll(filepath.Join(checkout, "mergeguard"), 0o755)
	os.WriteFile(filepath.Join(checkout, "mergeguard", "config.yaml"), []byte("rules: {}\n"), 0o644)
	os.WriteFile(filepath.Join(checkout, "mergeguard", "config.yml"), []byte("rules: {}\n"), 0o644)
	_, errOut, code = runMain(t, nil, "test", checkout)
	if code != 0 || !strings.Contains(errOut, "warning: mergeguard/config.yml is not read") {
		t.Fatalf("a misnamed file: exit %d %s", code, errOut)
	}
}

func TestEvalWithALocalPolicy(t *testing.T) {
	out, _, code := runMain(t, nil, "eval", "--at", weekday, "--policy-dir", policyRepo, approved)
	if code != 0 || !strings.Contains(out, "SKIP   changelog") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	out, _, code = runMain(t, nil, "eval", "--at", weekday, "--policy-dir", policyRepo, production)
	if code != 1 || !strings.Contains(out, "needs 1 more approval from @acme/prod-access, other than the author (can approve: @ada, @sven)") ||
		!strings.Contains(out, "The author's own membership does not count") {
		t.Fatalf("a production change approved outside the team: exit %d\n%s", code, out)
	}
	out, _, code = runMain(t, nil, "eval", production)
	if code != 0 || !strings.Contains(out, "no team is set for production paths") {
		t.Fatalf("without teams configured any approval counts, with a warning: exit %d\n%s", code, out)
	}

	// Offline, teams.json stands in for GitHub: a team the configuration
	// names but the file lacks is reported as GitHub's unknown team would be,
	// and a malformed file is an error.
	noTeams := t.TempDir()
	for _, name := range []string{"pull_request.json", "diff.patch", "reviews.json"} {
		data, err := os.ReadFile(filepath.Join(production, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(noTeams, name), data, 0o644)
	}
	out, _, code = runMain(t, nil, "eval", "--at", weekday, "--policy-dir", policyRepo, noTeams)
	if code != 1 || !strings.Contains(out, "team prod-access is not in "+filepath.Join(noTeams, "teams.json")+": list its members there") {
		t.Fatalf("a team missing from teams.json: exit %d\n%s", code, out)
	}
	os.WriteFile(filepath.Join(noTeams, "teams.json"), []byte(`{"prod-access": "ada"}`), 0o644)
	_, errOut, code := runMain(t, nil, "eval", "--at", weekday, "--policy-dir", policyRepo, noTeams)
	if code != 2 || !strings.Contains(errOut, "teams.json is not valid") {
		t.Fatalf("a malformed teams.json: exit %d %s", code, errOut)
	}

	// The example policy freezes weekends; --at shows the verdict then.
	out, _, code = runMain(t, nil, "eval", "--at", "2026-11-27T16:00:00+01:00", "--policy-dir", policyRepo, approved)
	if code != 1 || !strings.Contains(out, "Merges into `main` are frozen until Mon 30 Nov 2026 08:00 CET (Europe/Berlin): weekend freeze") {
		t.Fatalf("on Friday afternoon: exit %d\n%s", code, out)
	}
	// An incident freeze, described in freezes.json.
	incident := t.TempDir()
	for _, name := range []string{"pull_request.json", "diff.patch", "reviews.json", "teams.json"} {
		data, _ := os.ReadFile(filepath.Join(approved, name))
		os.WriteFile(filepath.Join(incident, name), data, 0o644)
	}
	os.WriteFile(filepath.Join(incident, "freezes.json"), []byte(`[{"id": 3, "reason": "checkout errors, INC-42", "created_by": "ines", "starts_at": "2026-11-25T09:00:00+01:00", "ends_at": "2026-11-25T13:00:00+01:00"}]`), 0o644)
	out, _, code = runMain(t, nil, "eval", "--at", weekday, "--policy-dir", policyRepo, incident)
	if code != 1 || !strings.Contains(out, "frozen until Wed 25 Nov 2026 13:00 CET (Europe/Berlin): checkout errors, INC-42 (incident freeze started by @ines") {
		t.Fatalf("an incident freeze: exit %d\n%s", code, out)
	}
	os.WriteFile(filepath.Join(incident, "freezes.json"), []byte(`[{"id": 3, "reason": "", "starts_at": "yesterday"}]`), 0o644)
	_, errOut, code = runMain(t, nil, "eval", "--at", weekday, incident)
	if code != 2 || !strings.Contains(errOut, "freezes.json: freeze 1: starts_at") {
		t.Fatalf("a malformed freezes.json: exit %d %s", code, errOut)
	}

	dir := t.TempDir()
	strict := filepath.Join(dir, "mergeguard.yaml")
	os.WriteFile(strict, []byte("rules:\n  required_reviewers:\n    approvals: 2\n"), 0o644)
	out, _, code = runMain(t, nil, "eval", "--at", weekday, "--policy-dir", policyRepo, "--repo-config", strict, approved)
	if code != 1 || !strings.Contains(out, "Needs 1 more approval") {
		t.Fatalf("a repository tightening approvals: exit %d\n%s", code, out)
	}
	loose := filepath.Join(dir, "loose.yaml")
	os.WriteFile(loose, []byte("rules:\n  required_reviewers:\n    enabled: false\n  diff_coverage:\n    enabled: false\n"), 0o644)
	out, _, code = runMain(t, nil, "eval", "--config", loose, unreviewed)
	if code != 0 || !strings.Contains(out, "SKIP   required_reviewers") {
		t.Fatalf("a configuration disabling the rule: exit %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("rules:\n  required_reviewers:\n    approvals: lots\n"), 0o644)
	_, errOut, code = runMain(t, nil, "eval", "--config", bad, approved)
	if code != 2 || !strings.Contains(errOut, "config.yaml:3: rules.required_reviewers.approvals: must be an integer") {
		t.Fatalf("an invalid configuration: exit %d %s", code, errOut)
	}
}

func TestEvalALivePullRequest(t *testing.T) {
	gh := fakegithub.New(t)
	policy := gh.AddRepo(5, "acme", ".github")
	policy.CommitFiles("", "Policy", map[string]string{"mergeguard/config.yaml": "rules:\n  required_reviewers:\n    approvals: 2\n"})
	shop := gh.AddRepo(5, "acme", "shop")
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev", Files: []fakegithub.File{{Path: "a.go", Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
	pr.Review("alice", "APPROVED")
	env := map[string]string{"GITHUB_TOKEN": gh.PersonalToken(5), "MERGEGUARD_GITHUB_API_URL": gh.URL()}

	out, errOut, code := runMain(t, env, "eval", "--repo", "acme/shop", "--pr", "1")
	if code != 1 || !strings.Contains(out, "Needs 1 more approval") {
		t.Fatalf("with the organization's policy: exit %d\n%s%s", code, out, errOut)
	}
	if n := gh.Count("POST", "/repos/{owner}/{repo}/check-runs") + gh.Count("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}"); n != 0 {
		t.Fatalf("eval must not post anything: %d check-run writes", n)
	}
	out, _, code = runMain(t, env, "eval", "--at", weekday, "--repo", "acme/shop", "--pr", "1", "--policy-dir", policyRepo)
	if code != 0 {
		t.Fatalf("with a local policy (1 approval): exit %d\n%s", code, out)
	}
	_, errOut, code = runMain(t, map[string]string{"MERGEGUARD_GITHUB_API_URL": gh.URL()}, "eval", "--repo", "acme/shop", "--pr", "1")
	if code != 2 || !strings.Contains(errOut, "GITHUB_TOKEN") {
		t.Fatalf("without a token: exit %d %s", code, errOut)
	}
	_, errOut, code = runMain(t, map[string]string{"GITHUB_TOKEN": "ghp_wrong", "MERGEGUARD_GITHUB_API_URL": gh.URL()}, "eval", "--repo", "acme/shop", "--pr", "1")
	if code != 2 || !strings.Contains(errOut, "rejected GITHUB_TOKEN") {
		t.Fatalf("a wrong token: exit %d %s", code, errOut)
	}

	// The server's settings apply, as the server would use them: another
	// policy repository name, and report mode where no file sets a mode.
	other := gh.AddRepo(5, "acme", "policy")
	other.CommitFiles("", "Policy", map[string]string{"mergeguard/config.yaml": "rules:\n  required_reviewers:\n    approvals: 3\n"})
	out, _, code = runMain(t, map[string]string{"GITHUB_TOKEN": gh.PersonalToken(5), "MERGEGUARD_GITHUB_API_URL": gh.URL(), "MERGEGUARD_POLICY_REPO": "policy", "MERGEGUARD_MODE": "report"},
		"eval", "--repo", "acme/shop", "--pr", "1")
	if code != 1 || !strings.Contains(out, "Needs 2 more approvals") || !strings.Contains(out, "mode: report") {
		t.Fatalf("with MERGEGUARD_POLICY_REPO and MERGEGUARD_MODE: exit %d\n%s", code, out)
	}
}
