package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// bundledFreeze stands for a bundled rule a custom module might clash with.
var bundledFreeze = Module{Path: "change_freeze.rego", Bundled: true, Source: []byte(`# METADATA
# title: Freeze
# custom:
#   remedy: Wait.
package mergeguard.rules.change_freeze

deny contains "frozen" if input.frozen
`)}

// Reusing a bundled rule's id names the author's file and says what to do,
// instead of OPA's error about a bundled file the author cannot see.
func TestReusingABundledRuleIDNamesTheAuthorsFile(t *testing.T) {
	custom := Module{Path: "mergeguard/policies/freeze.rego", Source: []byte(`# METADATA
# title: Mine
# custom:
#   remedy: Do.
package mergeguard.rules.change_freeze

deny := "conflicts with the bundled deny set"
`)}
	for _, isolated := range []bool{false, true} {
		opts := Options{}
		if isolated {
			opts.Workers, _ = newTestWorkers(t, testMemory, 1)
		}
		_, err := Compile(context.Background(), []Module{bundledFreeze, custom}, opts)
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Fatalf("isolated=%v: want a CompileError, got %v", isolated, err)
		}
		if len(ce.Problems) != 1 || ce.Problems[0].File != custom.Path ||
			!strings.Contains(ce.Problems[0].Message, "is mergeguard's bundled rule (change_freeze.rego): give your rule another id") {
			t.Errorf("isolated=%v: problems %+v", isolated, ce.Problems)
		}
	}
}

// Modules that look like rules outside mergeguard.rules.* are reported,
// whether the policy runs in this process or in a worker.
func TestStrayRulesAreReported(t *testing.T) {
	for _, tt := range []struct {
		name, src, want string
	}{
		{"deny and warn with metadata", `# METADATA
# title: TODO lines
# custom:
#   remedy: Remove them.
package acme.todo_lines

warn contains "todo" if input.x
`, `acme/todo.rego: package acme.todo_lines defines warn and package METADATA, but mergeguard evaluates rules only in packages mergeguard.rules.<id>, so it is never evaluated; rename the package (for example mergeguard.rules.todo_lines)`},
		{"deny only", "package acme.checks\n\ndeny contains \"x\" if input.x\n", "acme/todo.rego: package acme.checks defines deny, but"},
		{"helper package", "package acme.lib\n\nis_bot(login) if endswith(login, \"[bot]\")\n", ""},
	} {
		for _, isolated := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				opts := Options{}
				if isolated {
					opts.Workers, _ = newTestWorkers(t, testMemory, 1)
				}
				p, err := Compile(context.Background(), []Module{bundledFreeze, {Path: "acme/todo.rego", Source: []byte(tt.src)}}, opts)
				if err != nil {
					t.Fatal(err)
				}
				got := strings.Join(p.Notices(), "\n")
				if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
					t.Errorf("isolated=%v: notices %q, want %q", isolated, got, tt.want)
				}
			})
		}
	}
}

// A rule without deny is marked warn-only, so its remedy is shown with its
// warnings.
func TestWarnOnlyRulesAreMarked(t *testing.T) {
	for src, want := range map[string]bool{
		header + `warn contains "todo" if input.x`:                                          true,
		header + `warn contains "todo" if input.x` + "\n" + `deny contains "no" if input.y`: false,
	} {
		e := mustCompile(t, src)
		res, err := e.Evaluate(context.Background(), map[string]any{"x": true}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].WarnOnly != want || !res[0].ShowsRemedy() != !want {
			t.Errorf("%s: results %+v, want warn-only %v", src, res, want)
		}
	}
}
