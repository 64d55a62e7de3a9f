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
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
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

// bundled compiles the bundled policies, as the server does at start-up.
func bundled(t *testing.T) ([]policy.Module, *policy.Policy) {
	t.Helper()
	mods, err := policies.Modules()
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := policy.Compile(context.Background(), mods, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return mods, compiled
}

// TestBundledPoliciesCompile keeps the embedded default loadable: a server
// without a policy repository depends on it.
func TestBundledPoliciesCompile(t *testing.T) {
	if _, e := bundled(t); len(e.Rules()) == 0 {
		t.Fatal("bundled policy set has no rules")
	}
}

// TestRegoTestDefaultsMatchTheRules keeps each rule test's `defaults` — the
// configuration its tests start from — equal to the defaults the rule
// declares, so that the tests exercise what an unconfigured install runs.
func TestRegoTestDefaultsMatchTheRules(t *testing.T) {
	ctx := context.Background()
	mods, compiled := bundled(t)
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
	_, compiled := bundled(t)
	file, err := policyconfig.Parse("mergeguard/config.yaml", policyconfig.OrgFile, []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := policyconfig.Resolve(file, nil, compiled.Schema()); err != nil {
		t.Fatalf("the guide's example configuration: %v", err)
	}
}

// TestChangeFreezeRefusesDateWindowsThatFreezeNothing: the bundled rule's
// declarations make the configuration refuse, where it is written, a date
// window that contains no instant.
func TestChangeFreezeRefusesDateWindowsThatFreezeNothing(t *testing.T) {
	_, compiled := bundled(t)
	tests := []struct{ dates, want string }{
		{"[{start: 2026-12-10, end: 2026-12-05}]",
			"mergeguard/config.yaml:5: rules.change_freeze.dates: item 1: 2026-12-10 → 2026-12-05 freezes nothing: it ends before it starts"},
		{`[{start: "2026-03-29 02:30", end: "2026-03-29 03:10"}]`,
			"mergeguard/config.yaml:5: rules.change_freeze.dates: item 1: 2026-03-29 02:30 → 2026-03-29 03:10 freezes nothing in Europe/Berlin: the clocks skip 02:30 that day"},
		{`[{start: "2026-03-29 02:30", end: "2026-03-29 03:40"}, {start: 2026-12-05, end: 2026-12-05}]`, ""},
	}
	for _, tt := range tests {
		src := "rules:\n  change_freeze:\n    timezone: Europe/Berlin\n    windows: [{start: Fri 15:00, end: Mon 08:00}]\n    dates: " + tt.dates + "\n"
		file, err := policyconfig.Parse("mergeguard/config.yaml", policyconfig.OrgFile, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		_, err = policyconfig.Resolve(file, nil, compiled.Schema())
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.dates, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want %q", tt.dates, err, tt.want)
		}
	}
}
