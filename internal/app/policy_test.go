package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

const noTodoRule = `# METADATA
# title: No TODOs
# custom:
#   remedy: Resolve the TODO or open an issue for it.
package mergeguard.rules.no_todo

deny contains {"msg": "TODO left in the code", "path": f.path, "line": l.line} if {
	some f in input.files
	some l in f.added_lines
	contains(l.text, "TODO")
}
`

const noTodoTest = `package mergeguard.rules.no_todo_test

import data.mergeguard.rules.no_todo

test_todo_is_denied if {
	count(no_todo.deny) == 1 with input as {"files": [{"path": "a.go", "added_lines": [{"line": 1, "text": "// TODO"}]}]}
}
`

const todoPatch = "@@ -1,2 +1,3 @@\n package shop\n+// TODO: handle refunds\n func Charge() {}\n"

// policyOrg sets up acme with a policy repository holding files and a
// repository acme/shop, and returns both.
func policyOrg(gh *fakegithub.Server, files map[string]string) (policy, shop *fakegithub.Repo) {
	policy = gh.AddRepo(77, "acme", ".github")
	policy.CommitFiles("", "Set up mergeguard", files)
	return policy, gh.AddRepo(77, "acme", "shop")
}

func openTodoPR(shop *fakegithub.Repo) *fakegithub.PR {
	return shop.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev",
		Files: []fakegithub.File{{Path: "shop/charge.go", Status: "modified", Patch: todoPatch}}})
}

func TestCustomRuleFromThePolicyRepository(t *testing.T) {
	gh := fakegithub.New(t)
	policy, shop := policyOrg(gh, map[string]string{
		"mergeguard/policies/no_todo.rego":      noTodoRule,
		"mergeguard/policies/no_todo_test.rego": noTodoTest,
		"mergeguard/config.yaml":                "rules:\n  required_reviewers:\n    enabled: false\n",
	})
	pr := openTodoPR(shop)
	h := start(t, gh, config{})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	cr := runs[0]
	todo := cr.Annotations[0] // failures come first
	if cr.Title != "Blocked by No TODOs" || todo.Title != "No TODOs" || todo.StartLine != 2 || todo.Level != "failure" {
		t.Fatalf("check run %q with annotations %+v", cr.Title, cr.Annotations)
	}
	label := "acme/.github@" + policy.Branch("main")[:7]
	if !strings.Contains(cr.Summary, label) || !strings.Contains(cr.Summary, "| Required reviewers | ⏭️ skipped | disabled in the configuration |") {
		t.Fatalf("summary does not name the policy %s or show the disabled rule:\n%s", label, cr.Summary)
	}
}

func TestRepositoryConfigurationTightensAndLockedSettingsHold(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{
		"mergeguard/config.yaml": "locked: [rules.required_reviewers.approvals]\nrules:\n  required_reviewers:\n    approvals: 2\n",
	})
	payments := gh.AddRepo(77, "acme", "payments")
	shop.CommitFiles("", "Loosen reviews", map[string]string{".github/mergeguard.yaml": "rules:\n  required_reviewers:\n    approvals: 1\n"})
	payments.CommitFiles("", "Tighten reviews", map[string]string{".github/mergeguard.yaml": "rules:\n  required_reviewers:\n    approvals: 3\n"})
	h := start(t, gh, config{})

	// acme/shop tries to loosen the locked setting: the organization's 2 applies.
	loose := shop.OpenPR(fakegithub.PRSpec{Title: "x", Author: "dev", Files: []fakegithub.File{{Path: "a.go", Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
	r1 := loose.Review("alice", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", loose, &r1))
	runs := waitCheck(t, gh, "acme/shop", loose.HeadSHA(), one("failure"))
	for _, want := range []string{"Needs 1 more approval", "sets rules.required_reviewers.approvals to 1, but the organization locks this setting: its value 2 applies"} {
		if !strings.Contains(runs[0].Summary, want) {
			t.Errorf("acme/shop summary lacks %q:\n%s", want, runs[0].Summary)
		}
	}

	// acme/payments tightens it: 3 approvals are needed.
	strict := payments.OpenPR(fakegithub.PRSpec{Title: "y", Author: "dev", Files: []fakegithub.File{{Path: "a.go", Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
	strict.Review("alice", "APPROVED")
	r2 := strict.Review("bob", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", strict, &r2))
	runs = waitCheck(t, gh, "acme/payments", strict.HeadSHA(), one("failure"))
	if !strings.Contains(runs[0].Summary, "Needs 1 more approval") {
		t.Errorf("acme/payments must need a third approval:\n%s", runs[0].Summary)
	}
}

// brokenPolicies are the ways an organization's policy can break, with what
// the check run must name.
var brokenPolicies = []struct {
	name  string
	files map[string]string
	says  []string
}{
	{"syntax error", map[string]string{"mergeguard/policies/bad.rego": "package mergeguard.rules.bad\n\ndeny contains msg if {\n"},
		[]string{"mergeguard/policies/bad.rego:4"}},
	{"type error", map[string]string{"mergeguard/policies/bad.rego": strings.Replace(noTodoRule, `contains(l.text, "TODO")`, `contains(l.text, 42)`, 1)},
		[]string{"mergeguard/policies/bad.rego:10", "contains"}},
	{"runtime type error", map[string]string{"mergeguard/policies/bad.rego": strings.Replace(noTodoRule, `contains(l.text, "TODO")`, `contains(l.line, "TODO")`, 1)},
		[]string{"mergeguard/policies/bad.rego:10", "contains"}},
	{"network access", map[string]string{"mergeguard/policies/bad.rego": strings.Replace(noTodoRule, `contains(l.text, "TODO")`, `http.send({"method": "get", "url": "https://example.com"}).status_code == 200`, 1)},
		[]string{"mergeguard/policies/bad.rego:10", "policies cannot reach the network"}},
	{"invalid configuration", map[string]string{"mergeguard/config.yaml": "rules:\n  required_reviewers:\n    approval: 2\n"},
		[]string{"mergeguard/config.yaml:3", `has no setting "approval"`}},
	{"a number JSON cannot carry", map[string]string{"mergeguard/config.yaml": "rules:\n  diff_coverage:\n    target: .nan\n"},
		[]string{"mergeguard/config.yaml:3", ".nan is not a number"}},
	{"runtime error", map[string]string{"mergeguard/policies/bad.rego": strings.Replace(noTodoRule, "package mergeguard.rules.no_todo\n", "package mergeguard.rules.no_todo\n\nsize := 1 if count(input.files) > 0\n\nsize := 2 if count(input.files) > 0\n", 1) + "\ndeny contains \"x\" if size > 5\n"},
		[]string{"mergeguard/policies/bad.rego:", "conflict"}},
	{"time limit", map[string]string{"mergeguard/policies/bad.rego": strings.Replace(noTodoRule, `contains(l.text, "TODO")`, "some a in numbers.range(1, 100000)\n\tsome b in numbers.range(1, 100000)\n\ta * b == -1", 1)},
		[]string{"did not finish within the 200ms time limit"}},
}

func TestBrokenPolicyFailsClosedNamingTheFileAndLine(t *testing.T) {
	for _, tt := range brokenPolicies {
		t.Run(tt.name, func(t *testing.T) {
			gh := fakegithub.New(t)
			_, shop := policyOrg(gh, tt.files)
			pr := openTodoPR(shop)
			r := pr.Review("alice", "APPROVED")
			h := start(t, gh, config{policyTimeout: 200 * time.Millisecond})
			h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &r))
			runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
			if testing.Verbose() {
				t.Logf("%s:\n%s", tt.name, runs[0].Summary)
			}
			for _, want := range tt.says {
				if !strings.Contains(runs[0].Summary, want) {
					t.Errorf("summary lacks %q:\n%s", want, runs[0].Summary)
				}
			}
			if !strings.Contains(runs[0].Summary, "a problem in the policy, not in your change") {
				t.Errorf("the check must not blame the author:\n%s", runs[0].Summary)
			}
			// The server keeps evaluating other organizations.
			other := gh.AddRepo(88, "globex", "api")
			ok := other.OpenPR(fakegithub.PRSpec{Title: "z", Author: "dev", Files: []fakegithub.File{{Path: "a.go", Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
			rv := ok.Review("alice", "APPROVED")
			h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", ok, &rv))
			waitCheck(t, gh, "globex/api", ok.HeadSHA(), one("success"))
		})
	}
}

func TestLastGoodPolicyIsUsedWhenConfigured(t *testing.T) {
	for _, tt := range brokenPolicies {
		if tt.name == "invalid configuration" {
			continue // it would also replace the on_policy_error setting
		}
		t.Run(tt.name, func(t *testing.T) {
			gh := fakegithub.New(t)
			policy, shop := policyOrg(gh, map[string]string{
				"mergeguard/config.yaml":           "on_policy_error: last_good\n",
				"mergeguard/policies/no_todo.rego": noTodoRule,
			})
			good := policy.Branch("main")
			h := start(t, gh, config{policyTimeout: 200 * time.Millisecond})
			first := openTodoPR(shop)
			h.deliver("pull_request", "", gh.Payload("pull_request", "opened", first, nil))
			waitCheck(t, gh, "acme/shop", first.HeadSHA(), one("failure"))

			// The policy breaks; a push tells the server at once.
			files := map[string]string{}
			for k, v := range tt.files {
				files[strings.Replace(k, "bad.rego", "no_todo.rego", 1)] = v
			}
			policy.CommitFiles("", "Break it", files)
			h.deliver("push", "", gh.PushPayload(policy, "main", "mergeguard/policies/no_todo.rego"))

			pr := openTodoPR(shop)
			r := pr.Review("alice", "APPROVED")
			h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &r))
			runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), func(rs []fakegithub.CheckRun) bool { return len(rs) == 1 })
			if runs[0].Title != "Blocked by No TODOs" || !strings.Contains(runs[0].Summary, "last policy that compiled, acme/.github@"+good[:7]) {
				t.Fatalf("want the last good policy's verdict and a note saying so; got %q:\n%s", runs[0].Title, runs[0].Summary)
			}
		})
	}
}

func TestPolicyIsCompiledOncePerCommit(t *testing.T) {
	gh := fakegithub.New(t)
	policy, shop := policyOrg(gh, map[string]string{"mergeguard/policies/no_todo.rego": noTodoRule})
	h := start(t, gh, config{})
	compilations := func() string {
		_, body := h.get("/metrics")
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, `mergeguard_policy_compilations_total{result="ok"}`) {
				return strings.Fields(l)[1]
			}
		}
		return "0"
	}
	for i := 0; i < 5; i++ {
		pr := openTodoPR(shop)
		h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
		waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	}
	// The bundled policy at start-up, and the organization's once.
	if got := compilations(); got != "2" {
		t.Fatalf("%s compilations for 5 evaluations, want 2", got)
	}
	policy.CommitFiles("", "Touch", map[string]string{"mergeguard/config.yaml": "mode: enforce\n"})
	h.deliver("push", "", gh.PushPayload(policy, "main", "mergeguard/config.yaml"))
	pr := openTodoPR(shop)
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	if got := compilations(); got != "3" {
		t.Fatalf("a new policy commit must be compiled once: %s compilations", got)
	}
}

func TestThePolicyRepositoryChecksItsOwnPullRequests(t *testing.T) {
	gh := fakegithub.New(t)
	policy, _ := policyOrg(gh, map[string]string{
		"mergeguard/policies/no_todo.rego":      noTodoRule,
		"mergeguard/policies/no_todo_test.rego": noTodoTest,
	})
	h := start(t, gh, config{})
	tests := []struct {
		name       string
		files      map[string]string
		conclusion string
		annotation string
	}{
		{"a good change", map[string]string{"mergeguard/config.yaml": "mode: report\n"}, "success", ""},
		{"a syntax error", map[string]string{"mergeguard/policies/no_todo.rego": "package mergeguard.rules.no_todo\n\ndeny contains x if {\n"}, "failure", "mergeguard/policies/no_todo.rego:4"},
		{"a failing test", map[string]string{"mergeguard/policies/no_todo_test.rego": strings.Replace(noTodoTest, "== 1", "== 2", 1)}, "failure", "mergeguard/policies/no_todo_test.rego:5"},
		{"an invalid setting", map[string]string{"mergeguard/config.yaml": "rules:\n  no_todo:\n    severity: fatal\n"}, "failure", "mergeguard/config.yaml:3"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			branch := fmt.Sprintf("change-%d", i)
			head := policy.CommitFiles(branch, tt.name, tt.files)
			pr := policy.OpenPR(fakegithub.PRSpec{Title: tt.name, Author: "platform-dev", HeadRef: branch, HeadSHA: head,
				Files: []fakegithub.File{{Path: "mergeguard/config.yaml", Patch: "@@ -0,0 +1 @@\n+x\n"}}})
			h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
			check := waitPolicyCheck(t, gh, head)
			if check.Conclusion != tt.conclusion {
				t.Fatalf("conclusion %s, want %s:\n%s", check.Conclusion, tt.conclusion, check.Summary)
			}
			if tt.annotation != "" {
				path, line, _ := strings.Cut(tt.annotation, ":")
				found := false
				for _, a := range check.Annotations {
					found = found || a.Path == path && fmt.Sprint(a.StartLine) == line
				}
				if !found {
					t.Fatalf("no annotation at %s: %+v\n%s", tt.annotation, check.Annotations, check.Summary)
				}
			}
		})
	}
}

func TestPolicyChangesFromOutsideContributorsAreNotRun(t *testing.T) {
	gh := fakegithub.New(t)
	policy, _ := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules: {}\n"})
	h := start(t, gh, config{})
	head := policy.CommitFiles("fork-change", "A rule", map[string]string{"mergeguard/policies/no_todo.rego": noTodoRule})
	pr := policy.OpenPR(fakegithub.PRSpec{Title: "A rule", Author: "stranger", AuthorAssociation: "CONTRIBUTOR", HeadRef: "fork-change", HeadSHA: head,
		Files: []fakegithub.File{{Path: "mergeguard/policies/no_todo.rego", Status: "added", Patch: "@@ -0,0 +1 @@\n+x\n"}}})
	gh.ResetRequests()
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	check := waitPolicyCheck(t, gh, head)
	if check.Conclusion != "failure" || !strings.Contains(check.Summary, "does not run policy code proposed by outside contributors") {
		t.Fatalf("conclusion %s:\n%s", check.Conclusion, check.Summary)
	}
	for _, r := range gh.Requests() {
		if strings.Contains(r.Path, head) && r.Route == "/repos/{owner}/{repo}/git/trees/{tree_sha}" {
			t.Fatalf("the proposed policy must not even be read: %s %s", r.Method, r.Path)
		}
	}
}

func TestPushToThePolicyRepositoryAppliesTheNewPolicyAtOnce(t *testing.T) {
	gh := fakegithub.New(t)
	policy, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules:\n  required_reviewers:\n    approvals: 1\n"})
	h := start(t, gh, config{})
	pr := openTodoPR(shop)
	r := pr.Review("alice", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &r))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))

	policy.CommitFiles("", "Two approvals", map[string]string{"mergeguard/config.yaml": "rules:\n  required_reviewers:\n    approvals: 2\n"})
	if code := h.deliver("push", "", gh.PushPayload(policy, "main", "mergeguard/config.yaml")); code != http.StatusAccepted {
		t.Fatalf("push: %d", code)
	}
	h.deliver("pull_request", "", gh.Payload("pull_request", "edited", pr, nil))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
}

func TestABrokenRepositoryConfigurationCannotBeMerged(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules: {}\n"})
	h := start(t, gh, config{})
	head := shop.CommitFiles("tighten", "Tighten reviews", map[string]string{".github/mergeguard.yaml": "rules:\n  required_reviewers:\n    aprovals: 2\n"})
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Tighten reviews", Author: "dev", HeadRef: "tighten", HeadSHA: head,
		Files: []fakegithub.File{{Path: ".github/mergeguard.yaml", Status: "added", Patch: "@@ -0,0 +1,3 @@\n+rules:\n+  required_reviewers:\n+    aprovals: 2\n"}}})
	r := pr.Review("alice", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &r))
	cr := waitCheck(t, gh, "acme/shop", head, one("failure"))[0]
	if cr.Title != "Blocked by Repository configuration" || len(cr.Annotations) != 1 ||
		cr.Annotations[0].Path != ".github/mergeguard.yaml" || cr.Annotations[0].StartLine != 3 ||
		!strings.Contains(cr.Annotations[0].Message, `no setting "aprovals"`) {
		t.Fatalf("check %q, annotations %+v\n%s", cr.Title, cr.Annotations, cr.Summary)
	}
}

// waitPolicyCheck waits for the completed mergeguard/policy check on a
// commit of acme/.github.
func waitPolicyCheck(t *testing.T, gh *fakegithub.Server, head string) fakegithub.CheckRun {
	t.Helper()
	var check fakegithub.CheckRun
	wait.Until(t, 15*time.Second, "the mergeguard/policy check", func() bool {
		for _, cr := range gh.CheckRuns("acme/.github", head) {
			if cr.Name == "mergeguard/policy" && cr.Status == "completed" {
				check = cr
				return true
			}
		}
		return false
	})
	return check
}
