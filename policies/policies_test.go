package policies_test

import (
	"context"
	"testing"

	"github.com/mergeguard/mergeguard/internal/policy"
	"github.com/mergeguard/mergeguard/policies"
)

// TestRegoUnitTests runs the bundled policies' *_test.rego files through OPA's
// tester, in the same sandbox the server uses; `opa test policies/` runs the
// same tests.
func TestRegoUnitTests(t *testing.T) {
	mods, err := policy.LoadFS(policies.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	results, err := policy.RunTests(context.Background(), mods, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no Rego tests found in policies/")
	}
	for _, r := range results {
		if !r.Passed && !r.Skipped {
			t.Errorf("%s:%d %s.%s: %s\n%s", r.File, r.Line, r.Package, r.Name, r.Err, r.Output)
		}
	}
}

// TestBundledPoliciesCompile keeps the embedded default loadable: a server
// without a policy repository depends on it.
func TestBundledPoliciesCompile(t *testing.T) {
	mods, err := policy.LoadFS(policies.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	e, err := policy.Compile(context.Background(), mods, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Rules()) == 0 {
		t.Fatal("bundled policy set has no rules")
	}
}
