package policies_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/mergeguard/mergeguard/internal/policy"
	"github.com/mergeguard/mergeguard/internal/policyconfig"
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
	results, err := policy.RunTests(context.Background(), mods, policy.Options{})
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
	mods, err := policies.Modules()
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

// TestRegoTestDefaultsMatchTheRules keeps each rule test's `defaults` — the
// configuration its tests start from — equal to the defaults the rule
// declares, so that the tests exercise what an unconfigured install runs.
func TestRegoTestDefaultsMatchTheRules(t *testing.T) {
	ctx := context.Background()
	mods, err := policies.Modules()
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := policy.Compile(ctx, mods, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var opts []func(*rego.Rego)
	for _, m := range mods {
		opts = append(opts, rego.Module(m.Path, string(m.Source)))
	}
	defaults := policyconfig.Defaults(compiled.Schema())
	for _, rule := range compiled.Rules() {
		want := map[string]any{}
		for k, v := range defaults.Rules[rule.ID].Values {
			want[k] = v
		}
		if len(want) == 0 {
			continue
		}
		query := fmt.Sprintf("data.mergeguard.rules.%s_test.defaults", rule.ID)
		rs, err := rego.New(append(opts, rego.Query(query))...).Eval(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 {
			t.Errorf("%s: the rule declares settings but its tests define no `defaults`", rule.ID)
			continue
		}
		got, _ := json.Marshal(rs[0].Expressions[0].Value)
		wantJSON, _ := json.Marshal(want)
		if string(got) != string(wantJSON) {
			t.Errorf("%s: test defaults\n%s\ndiffer from the rule's declared defaults\n%s", rule.ID, got, wantJSON)
		}
	}
}

// TestGuideExampleConfigurationIsValid keeps the example configuration in
// the author's guide loadable by the bundled rules.
func TestGuideExampleConfigurationIsValid(t *testing.T) {
	guide, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(guide), "### An example configuration\n\n```yaml\n")
	if !ok {
		t.Fatal("the guide lost its example configuration")
	}
	example, _, _ := strings.Cut(rest, "```")
	mods, err := policies.Modules()
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := policy.Compile(context.Background(), mods, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	file, err := policyconfig.Parse("mergeguard/config.yaml", policyconfig.OrgFile, []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := policyconfig.Resolve(file, nil, compiled.Schema()); err != nil {
		t.Fatalf("the guide's example configuration: %v", err)
	}
}
