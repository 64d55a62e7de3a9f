//go:build linux

// The policy memory limit is the operating system's on Linux only;
// elsewhere this test's policy would take the machine's memory.
package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// hugeStrings is the report's reproduction, on pull requests that change
// payments/: about 1.9 GB in one concat call.
const hugeStrings = `# METADATA
# title: Huge strings
# custom:
#   remedy: Build smaller strings.
package mergeguard.rules.huge_strings

deny contains "built" if {
	some f in input.files
	startswith(f.path, "payments/")
	a := sprintf("%1000000d", [1])
	b := concat(a, [a, a, a, a, a, a, a, a, a, a])
	c := concat(b, [b | some _ in numbers.range(1, 50)])
	count(c) > 0
}
`

func TestAPolicyThatExhaustsMemoryTakesDownNeitherTheServerNorOtherOrganizations(t *testing.T) {
	gh := fakegithub.New(t)
	policy, shop := policyOrg(gh, map[string]string{"mergeguard/policies/huge_strings.rego": hugeStrings})
	web := gh.AddRepo(88, "globex", "web")
	h := start(t, gh, config{policyWorkers: 1, policyMemory: 64 << 20})

	// acme's rule fails on its own pull request, saying why.
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev",
		Files: []fakegithub.File{{Path: "payments/refund.go", Status: "added", Patch: "@@ -0,0 +1 @@\n+package payments\n"}}})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if !strings.Contains(cr.Title, "Huge strings") || !strings.Contains(cr.Summary, "rule huge_strings: the policy worker exceeded its 64 MiB memory limit") {
		t.Fatalf("check %q:\n%s", cr.Title, cr.Summary)
	}

	// Another organization's pull request is judged as always.
	other := web.OpenPR(fakegithub.PRSpec{Title: "Copy", Author: "dev",
		Files: []fakegithub.File{{Path: "web/copy.txt", Status: "modified", Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
	review := other.Review("alice", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", other, &review))
	waitCheck(t, gh, "globex/web", other.HeadSHA(), one("success"))

	// A pull request to acme's policy repository whose test exhausts the
	// memory fails the policy check, naming the test.
	head := policy.CommitFiles("huge-test", "A test", map[string]string{"mergeguard/policies/huge_strings_test.rego": `package mergeguard.rules.huge_strings_test

import data.mergeguard.rules.huge_strings

test_small_change if count(huge_strings.deny) == 0 with input as {"files": [{"path": "docs/a.md"}]}

test_payments_change if count(huge_strings.deny) == 1 with input as {"files": [{"path": "payments/a.go"}]}
`})
	ppr := policy.OpenPR(fakegithub.PRSpec{Title: "A test", Author: "platform-dev", HeadRef: "huge-test", HeadSHA: head,
		Files: []fakegithub.File{{Path: "mergeguard/policies/huge_strings_test.rego", Status: "added", Patch: "@@ -0,0 +1 @@\n+x\n"}}})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", ppr, nil))
	check := waitPolicyCheck(t, gh, head)
	found := false
	for _, a := range check.Annotations {
		found = found || a.Path == "mergeguard/policies/huge_strings_test.rego" && a.StartLine == 7 &&
			strings.Contains(a.Message, "test_payments_change failed: the policy worker exceeded its 64 MiB memory limit")
	}
	if check.Conclusion != "failure" || !found {
		t.Fatalf("policy check %s, annotations %+v\n%s", check.Conclusion, check.Annotations, check.Summary)
	}

	if code, _ := h.get("/readyz"); code != http.StatusOK {
		t.Fatalf("readyz %d", code)
	}
	_, metrics := h.get("/metrics")
	if want := `mergeguard_policy_worker_stops_total{reason="memory"} 2`; !strings.Contains(metrics, want) {
		t.Errorf("metrics lack %s", want)
	}
}
