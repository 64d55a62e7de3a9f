package policy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
)

const configurable = `# METADATA
# title: Small changes
# custom:
#   remedy: Split the change.
#   severity: error
#   config:
#     max_files:
#       description: Most files a pull request may change.
#       default: 2
#       minimum: 1
#       stricter: lower
package mergeguard.rules.small_changes

deny contains msg if {
	count(input.files) > data.mergeguard.config.rules.small_changes.max_files
	print("files:", count(input.files))
	msg := sprintf("%d files changed", [count(input.files)])
}
`

func compilePolicy(t *testing.T, mods ...Module) *Policy {
	t.Helper()
	p, err := Compile(context.Background(), mods, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func resolve(t *testing.T, p *Policy, yaml string) policyconfig.Config {
	t.Helper()
	f, err := policyconfig.Parse("mergeguard/config.yaml", policyconfig.OrgFile, []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	c, err := policyconfig.Resolve(f, nil, p.Schema())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func evaluate(t *testing.T, e *Engine, files int) decision.RuleResult {
	t.Helper()
	in := map[string]any{"files": make([]any, files)}
	res, err := e.Evaluate(context.Background(), in, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res[0].Conclude()
}

func TestConfigurationReachesRules(t *testing.T) {
	p := compilePolicy(t, Module{Path: "small.rego", Source: []byte(configurable)})
	s := p.Schema().Rules["small_changes"].Settings["max_files"]
	if s.Default != int64(2) || s.Stricter != "lower" || s.Description == "" {
		t.Fatalf("declared setting %+v", s)
	}
	tests := []struct {
		name, yaml string
		files      int
		outcome    decision.Outcome
		severity   decision.Severity
	}{
		{"declared default", "", 3, decision.Fail, decision.SeverityError},
		{"configured value", "rules:\n  small_changes:\n    max_files: 5\n", 3, decision.Pass, decision.SeverityError},
		{"disabled", "rules:\n  small_changes:\n    enabled: false\n", 30, decision.Skip, decision.SeverityError},
		{"severity lowered", "rules:\n  small_changes:\n    severity: warning\n", 3, decision.Warn, decision.SeverityWarning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := p.Engine(context.Background(), resolve(t, p, tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			r := evaluate(t, e, tt.files)
			if r.Outcome != tt.outcome || r.Severity != tt.severity {
				t.Fatalf("outcome %s severity %s, want %s %s (%+v)", r.Outcome, r.Severity, tt.outcome, tt.severity, r)
			}
		})
	}
}

func TestPrintOutputIsKeptOnlyWhenDebugging(t *testing.T) {
	p := compilePolicy(t, Module{Path: "small.rego", Source: []byte(configurable)})
	quiet, _ := p.Engine(context.Background(), resolve(t, p, ""))
	if r := evaluate(t, quiet, 3); len(r.Prints) != 0 {
		t.Fatalf("prints without debug: %v", r.Prints)
	}
	loud, _ := p.Engine(context.Background(), resolve(t, p, "debug: true\n"))
	if r := evaluate(t, loud, 3); len(r.Prints) != 1 || !strings.HasPrefix(r.Prints[0], "small.rego:16: files: 3") {
		t.Fatalf("prints %q", r.Prints)
	}
}

func TestEnginesAreCachedPerConfiguration(t *testing.T) {
	p := compilePolicy(t, Module{Path: "small.rego", Source: []byte(configurable)})
	a, _ := p.Engine(context.Background(), resolve(t, p, "rules:\n  small_changes:\n    max_files: 5\n"))
	b, _ := p.Engine(context.Background(), resolve(t, p, "rules:\n  small_changes:\n    max_files: 5\n"))
	c, _ := p.Engine(context.Background(), resolve(t, p, "rules:\n  small_changes:\n    max_files: 6\n"))
	if a != b || a == c {
		t.Fatal("the same configuration must reuse its prepared engine, another must not")
	}
}

func TestCustomRulesCannotExtendBundledOnes(t *testing.T) {
	bundled := Module{Path: "small.rego", Source: []byte(configurable), Bundled: true}
	custom := Module{Path: "mergeguard/policies/extra.rego", Source: []byte("package mergeguard.rules.small_changes\n\nwarn contains \"extra\" if true\n")}
	_, err := Compile(context.Background(), []Module{bundled, custom}, Options{})
	if err == nil || !strings.Contains(err.Error(), "mergeguard/policies/extra.rego:1: package mergeguard.rules.small_changes is mergeguard's bundled rule") {
		t.Fatalf("want a collision error naming the file, got %v", err)
	}
}

func TestBadSettingDeclarationsFailToCompile(t *testing.T) {
	src := strings.Replace(configurable, "default: 2", "default: 0", 1)
	_, err := Compile(context.Background(), []Module{{Path: "small.rego", Source: []byte(src)}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "custom.config.max_files: default must be at least 1") {
		t.Fatalf("got %v", err)
	}
}

func TestCustomModulesStayOutOfMergeguardsNamespace(t *testing.T) {
	lib := Module{Path: "lib.rego", Source: []byte("package mergeguard.lib\n\nmatches(_, _) := true\n"), Bundled: true}
	for name, src := range map[string]string{
		"extend the library":   "package mergeguard.lib\n\nmatches(_, _) := false\n",
		"shadow configuration": "package mergeguard.config\n\nrules := {}\n",
		"nested rule package":  "package mergeguard.rules.team.rule\n\ndeny contains 1 if false\n",
	} {
		_, err := Compile(context.Background(), []Module{lib, {Path: "mergeguard/policies/x.rego", Source: []byte(src)}}, Options{})
		if err == nil || !strings.Contains(err.Error(), "reserved for mergeguard") {
			t.Errorf("%s: got %v", name, err)
		}
	}
	ok := Module{Path: "mergeguard/policies/h.rego", Source: []byte("package acme.lib\n\nowners := {\"dba\"}\n")}
	if _, err := Compile(context.Background(), []Module{lib, ok}, Options{}); err != nil {
		t.Errorf("a helper package of one's own: %v", err)
	}
}
