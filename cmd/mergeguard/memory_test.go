//go:build linux

// The policy memory limit is the operating system's on Linux only;
// elsewhere this test's policy would take the machine's memory.
package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The report's reproduction: about 1.9 GB in one concat call.
var concatBomb = `a := sprintf("%1000000d", [1])
	b := concat(a, [a, a, a, a, a, a, a, a, a, a])
	c := concat(b, [` + strings.TrimSuffix(strings.Repeat("b, ", 50), ", ") + `])
	count(c) > 0`

func TestAPolicyThatExhaustsMemoryFailsOnlyItsRule(t *testing.T) {
	dir := t.TempDir()
	policies := filepath.Join(dir, "mergeguard", "policies")
	if err := os.MkdirAll(policies, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(policies, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bomb.rego", `# METADATA
# title: Huge strings
# custom:
#   remedy: Build smaller strings.
package mergeguard.rules.bomb

deny contains "built" if {
	`+concatBomb+`
}
`)
	write("bomb_test.rego", `package mergeguard.rules.bomb_test

test_small if true

test_huge if {
	`+concatBomb+`
}
`)
	env := map[string]string{"MERGEGUARD_POLICY_MEMORY": "64MiB"}

	out, errOut, code := runMain(t, env, "eval", "--policy-dir", dir, "--at", weekday, approved)
	if code != 1 || !strings.Contains(out, "Huge strings") || !strings.Contains(out, "rule bomb: the policy worker exceeded its 64 MiB memory limit") ||
		!strings.Contains(out, "mergeguard/policies/bomb.rego") {
		t.Fatalf("eval: exit %d\n%s%s", code, out, errOut)
	}
	// The bundled rules were still evaluated, by a fresh worker.
	if !strings.Contains(out, "Required reviewers") || strings.Count(out, "exceeded its") != 1 {
		t.Fatalf("eval: the other rules\n%s", out)
	}

	out, errOut, code = runMain(t, env, "test", dir)
	if code != 1 || !strings.Contains(out, "test_huge: FAIL") || !strings.Contains(out, "exceeded its 64 MiB memory limit while running test data.mergeguard.rules.bomb_test.test_huge") ||
		!strings.Contains(out, "FAIL: 1/2") {
		t.Fatalf("test: exit %d\n%s%s", code, out, errOut)
	}
}
