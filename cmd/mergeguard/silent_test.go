package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// todoRule is a warn-only rule; pkg is its package.
func todoRule(pkg string) string {
	return `# METADATA
# title: TODO lines
# custom:
#   remedy: Resolve the TODO or link an issue.
package ` + pkg + `

warn contains "a TODO line was added" if {
	some f in input.files
	some l in f.added_lines
	contains(l.content, "TODO")
}

deny_placeholder := false
`
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// copyPR copies an example pull request directory, changing
// pull_request.json and leaving out the files named in drop.
func copyPR(t *testing.T, from string, edit func(string) string, drop ...string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if slices.Contains(drop, e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "pull_request.json" && edit != nil {
			b = []byte(edit(string(b)))
		}
		writeFiles(t, dir, map[string]string{e.Name(): string(b)})
	}
	return dir
}

// Each mistake of issue 20's walk through the author's guide is now a
// message naming the file, field or setting, instead of silence.
func TestMistakesAreNamedNotDropped(t *testing.T) {
	config := "rules:\n  required_reviewers:\n    approvals: 2\n"
	// A checkout whose policy folder is policy/, not mergeguard/.
	renamed := t.TempDir()
	writeFiles(t, renamed, map[string]string{"policy/config.yaml": config, "policy/policies/todo.rego": todoRule("mergeguard.rules.todo_lines")})
	// Rules beside the policy folder, not in it.
	beside := t.TempDir()
	writeFiles(t, beside, map[string]string{"mergeguard/config.yaml": "rules: {}\n", "policies/todo.rego": todoRule("mergeguard.rules.todo_lines"), ".git/hooks/x.rego": "not policy"})
	// A rule in a package mergeguard never evaluates.
	stray := t.TempDir()
	writeFiles(t, stray, map[string]string{"mergeguard/policies/todo.rego": todoRule("acme.todo_lines")})
	// A file adding to the bundled library, and one reusing a bundled id.
	lib := t.TempDir()
	writeFiles(t, lib, map[string]string{"mergeguard/policies/lib.rego": "package mergeguard.lib\n\nmatches(a, b) if a == b\n"})
	reuse := t.TempDir()
	writeFiles(t, reuse, map[string]string{"mergeguard/policies/freeze.rego": strings.Replace(todoRule("mergeguard.rules.change_freeze"), "warn contains", "deny :=", 1)})
	// Several problems at once.
	broken := t.TempDir()
	writeFiles(t, broken, map[string]string{
		"mergeguard/policies/a.rego": "package mergeguard.rules.a\n\ndeny contains \"x\" if true\n",
		"mergeguard/policies/b.rego": "package mergeguard.rules.b\n\ndeny contains \"x\" if true\n",
	})
	// A rule that takes hundreds of milliseconds (within the default limit),
	// to show that test applies the server's per-rule limit.
	slow := t.TempDir()
	writeFiles(t, slow, map[string]string{
		"mergeguard/policies/slow.rego":      strings.Replace(todoRule("mergeguard.rules.slow"), "warn contains \"a TODO line was added\" if {", "warn contains \"slow\" if {\n\tcount(numbers.range(1, 2000000)) > 0", 1),
		"mergeguard/policies/slow_test.rego": "package mergeguard.rules.slow_test\n\nimport data.mergeguard.rules.slow\n\ntest_slow if {\n\tslow.warn with input as {\"files\": []}\n}\n",
	})
	// debug: true keeps print() output, which eval writes to stderr.
	printing := t.TempDir()
	writeFiles(t, printing, map[string]string{
		"mergeguard/config.yaml":        "debug: true\n",
		"mergeguard/policies/todo.rego": strings.Replace(todoRule("mergeguard.rules.todo_lines"), "some f in input.files", "print(\"files:\", count(input.files))\n\tsome f in input.files", 1),
	})
	noDefault := copyPR(t, approved, func(s string) string { return strings.Replace(s, `"default_branch": "main",`, "", -1) })

	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		out, err string
		notOut   string
		notErr   string
	}{
		{name: "test: config in a renamed policy folder", args: []string{"test", renamed}, code: 0,
			err: "policy/config.yaml is not read: there is no mergeguard/ folder here", notErr: ""},
		{name: "test: rules beside the policy folder", args: []string{"test", beside}, code: 0,
			err: "warning: " + filepath.Join(beside, "policies", "todo.rego") + " is not read: mergeguard reads only the policy folder mergeguard/ (rules under mergeguard/policies/", notErr: ".git"},
		{name: "test: renamed policy folder named by flag", args: []string{"test", "--policy-folder", "policy", renamed}, code: 0, notErr: "is not read"},
		{name: "test: renamed policy folder named by the new variable", env: map[string]string{"MERGEGUARD_POLICY_FOLDER": "policy"}, args: []string{"test", renamed}, code: 0, notErr: "warning"},
		{name: "test: the old variable still works, with a notice", env: map[string]string{"MERGEGUARD_POLICY_DIR": "policy"}, args: []string{"test", renamed}, code: 0,
			err: "warning: MERGEGUARD_POLICY_DIR is deprecated: rename it to MERGEGUARD_POLICY_FOLDER", notErr: "is not read"},
		{name: "eval: a checkout given as the folder variable", env: map[string]string{"MERGEGUARD_POLICY_FOLDER": renamed}, args: []string{"eval", approved}, code: 2,
			err: "MERGEGUARD_POLICY_FOLDER: \"" + renamed + "\" looks like a path on this machine"},
		{name: "eval: config in a renamed policy folder", args: []string{"eval", "--at", weekday, "--policy-dir", renamed, approved}, code: 0,
			out: "notice: " + filepath.Join(renamed, "policy", "config.yaml") + " is not read"},
		{name: "test: rule outside mergeguard.rules", args: []string{"test", stray}, code: 0,
			err: "warning: mergeguard/policies/todo.rego: package acme.todo_lines defines warn and package METADATA, but mergeguard evaluates rules only in packages mergeguard.rules.<id>"},
		{name: "eval: rule outside mergeguard.rules", args: []string{"eval", "--at", weekday, "--policy-dir", stray, approved}, code: 0,
			out: "notice: mergeguard/policies/todo.rego: package acme.todo_lines defines warn"},
		{name: "test: the bundled library cannot be replaced", args: []string{"test", lib}, code: 1, out: "package mergeguard.lib is reserved for mergeguard"},
		{name: "eval: the bundled library cannot be replaced", args: []string{"eval", "--policy-dir", lib, approved}, code: 2, err: "package mergeguard.lib is reserved for mergeguard"},
		{name: "test: a bundled rule id", args: []string{"test", reuse}, code: 1, out: "mergeguard/policies/freeze.rego:5: package mergeguard.rules.change_freeze is mergeguard's bundled rule"},
		{name: "eval: a bundled rule id", args: []string{"eval", "--policy-dir", reuse, approved}, code: 2, err: "mergeguard/policies/freeze.rego:5: package mergeguard.rules.change_freeze is mergeguard's bundled rule"},
		{name: "eval: one problem a line", args: []string{"eval", "--policy-dir", broken, approved}, code: 2,
			err: "the policy is not usable (2 problems):\n  rule a: add a METADATA block", notErr: "; rule b"},
		{name: "test: the server's per-rule time limit", env: map[string]string{"MERGEGUARD_POLICY_TIMEOUT": "20ms"}, args: []string{"test", slow}, code: 1, out: "test_slow: FAIL"},
		{name: "eval: print() output goes to stderr", args: []string{"eval", "--at", weekday, "--policy-dir", printing, approved}, code: 0,
			err: "print(todo_lines): mergeguard/policies/todo.rego:8: files: 2", notOut: "files: 2"},
		{name: "freeze start without $USER", args: []string{"freeze", "start", "--org", "acme", "--for", "2h", "INC-42"}, code: 2, err: "--by is required when $USER is unset"},
		{name: "eval offline without coverage says to add a file", args: []string{"eval", "--at", weekday, copyPR(t, approved, nil, "coverage.out")}, code: 0,
			out: "add one as coverage.*", notOut: "mergeguard coverage upload"},
		{name: "eval: no default branch", args: []string{"eval", noDefault}, code: 2, err: "missing base.repo.default_branch"},
		{name: "eval: no such directory", args: []string{"eval", filepath.Join(t.TempDir(), "nope")}, code: 2, err: "does not exist: give a directory holding pull_request.json and diff.patch", notErr: "lstat"},
		{name: "eval: a file as the directory", args: []string{"eval", filepath.Join(approved, "diff.patch")}, code: 2, err: "is a file, not a directory", notErr: "open "},
		{name: "eval: no such policy folder", args: []string{"eval", "--policy-dir", filepath.Join(t.TempDir(), "nope"), approved}, code: 2, err: "does not exist: give a checkout of the policy repository", notErr: "lstat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runMain(t, tt.env, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) ||
				tt.notOut != "" && strings.Contains(out, tt.notOut) || tt.notErr != "" && strings.Contains(errOut, tt.notErr) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant stdout %q, stderr %q", code, tt.code, out, errOut, tt.out, tt.err)
			}
		})
	}
}
