// Package source decides which policy applies to a pull request: the
// bundled rules, the organization's policy repository (<owner>/.github,
// folder mergeguard/) read at a commit and compiled once per commit, and the
// repository's .github/mergeguard.yaml. It also checks a policy folder the
// way `mergeguard test` and the policy repository's own check run do.
package source

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/policy"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
)

// Files are the files of a policy folder, by repository-relative path
// (mergeguard/config.yaml, mergeguard/policies/deploy.rego, …).
type Files map[string][]byte

// Layout says where policy lives in a policy repository.
type Layout struct {
	// Dir is the policy folder (default "mergeguard").
	Dir string
}

// ConfigPath is the organization's configuration file.
func (l Layout) ConfigPath() string { return path.Join(l.dir(), "config.yaml") }

// PoliciesDir holds custom rules and their tests.
func (l Layout) PoliciesDir() string { return path.Join(l.dir(), "policies") }

func (l Layout) dir() string {
	if l.Dir == "" {
		return "mergeguard"
	}
	return strings.Trim(l.Dir, "/")
}

// Contains reports whether a repository path belongs to the policy folder.
func (l Layout) Contains(p string) bool {
	return p == l.ConfigPath() || strings.HasPrefix(p, l.PoliciesDir()+"/") && strings.HasSuffix(p, ".rego")
}

// Problem is something wrong with the policy, at a file and line when known.
type Problem = policy.Problem

// Folder is a policy folder as read from a commit or from disk.
type Folder struct {
	Files Files
	// Unread says which files under the folder mergeguard does not read,
	// and why, so that a misnamed file is not silently ignored.
	Unread []string
	// Problems make the folder unusable as read: more files, or larger
	// ones, than mergeguard reads.
	Problems []Problem
}

// note records a path under the policy folder that is not read, when it
// looks like it was meant to be.
func (f *Folder) note(layout Layout, p string) {
	if why := layout.whyUnread(p); why != "" {
		f.Unread = append(f.Unread, fmt.Sprintf("%s is not read: %s.", p, why))
	}
}

// tooLarge is the problem of a folder over maxFolderBytes.
func tooLarge(l Layout) Problem {
	return Problem{Message: fmt.Sprintf("%s holds more than %d MiB of policy files; mergeguard reads at most %d MiB", l.dir(), maxFolderBytes>>20, maxFolderBytes>>20)}
}

// whyUnread says why a path under the policy folder that looks like policy
// is not read, or "" when it is read or is not meant to be (a README).
func (l Layout) whyUnread(p string) string {
	if l.Contains(p) || !strings.HasPrefix(p, l.dir()+"/") {
		return ""
	}
	ext := strings.ToLower(path.Ext(p))
	switch {
	case ext == ".rego" && path.Ext(p) != ".rego":
		return "policy files end in .rego, in lower case"
	case ext == ".rego":
		return fmt.Sprintf("rules and their tests go under %s/", l.PoliciesDir())
	case ext == ".yaml" || ext == ".yml" || ext == ".json":
		return fmt.Sprintf("the configuration is read from %s only", l.ConfigPath())
	}
	return ""
}

// Version is one compiled policy: the bundled rules plus a policy folder at
// one commit.
type Version struct {
	// Label names the version in check runs, e.g. acme/.github@3f2a1c0.
	Label  string
	SHA    string
	Policy *policy.Policy
	// Org is the organization's configuration file, if any.
	Org *policyconfig.File
	// Tests are the folder's Rego tests.
	Tests []policy.Module
	// Problems make the version unusable; Policy is nil then.
	Problems []Problem
	// Notices are shown on every check run the version decides: files of
	// the policy folder that were not read.
	Notices []string
}

// OK reports whether the version compiled and its configuration is valid.
func (v *Version) OK() bool { return v != nil && len(v.Problems) == 0 && v.Policy != nil }

// OnPolicyError is what the version's configuration chose for a broken
// policy, or "" when it could not be read.
func (v *Version) OnPolicyError() string {
	if v == nil || v.Org == nil {
		return ""
	}
	s, _ := v.Org.Values["on_policy_error"].(string)
	return s
}

// Build compiles the bundled modules with a policy folder's policies and
// validates its configuration. Problems are recorded on the version rather
// than returned: a broken policy is a state to report, not an I/O failure.
// opts says how the policy runs (its time limits, and the workers that
// isolate it).
func Build(ctx context.Context, label, sha string, folder Folder, layout Layout, bundled []policy.Module, opts policy.Options) *Version {
	v := &Version{Label: label, SHA: sha, Notices: folder.Unread}
	if len(folder.Problems) > 0 {
		v.Problems = folder.Problems
		return v
	}
	files := folder.Files
	mods := slices.Clone(bundled)
	var names []string
	for p := range files {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		if !strings.HasPrefix(p, layout.PoliciesDir()+"/") || path.Ext(p) != ".rego" {
			continue
		}
		m := policy.Module{Path: p, Source: files[p]}
		if m.IsTest() {
			v.Tests = append(v.Tests, m)
			continue
		}
		mods = append(mods, m)
	}
	if raw, ok := files[layout.ConfigPath()]; ok {
		f, err := policyconfig.Parse(layout.ConfigPath(), policyconfig.OrgFile, raw)
		if err != nil {
			v.Problems = append(v.Problems, configProblems(err)...)
		}
		v.Org = f
	}
	p, err := policy.Compile(ctx, mods, opts)
	if err != nil {
		v.Problems = append(v.Problems, compileProblems(err)...)
		return v
	}
	if len(v.Problems) == 0 {
		// Validate the organization's settings against the rules they name.
		if _, err := policyconfig.Resolve(v.Org, nil, p.Schema()); err != nil {
			v.Problems = append(v.Problems, configProblems(err)...)
		}
	}
	if len(v.Problems) == 0 {
		v.Policy = p
		v.Notices = append(slices.Clone(v.Notices), p.Notices()...)
	}
	return v
}

// CheckResult is what a policy folder's check found.
type CheckResult struct {
	Version *Version
	Tests   []policy.TestResult
}

// Failed reports whether the folder would break the merge gate.
func (r CheckResult) Failed() bool {
	if !r.Version.OK() {
		return true
	}
	for _, t := range r.Tests {
		if !t.Passed && !t.Skipped {
			return true
		}
	}
	return false
}

// Check builds a policy folder and runs its Rego tests together with the
// bundled rules they may refer to; opts.Timeout bounds each rule and test.
// The folder's code is untrusted (a pull request to the policy repository
// need not come from someone who may merge): give opts.Workers.
func Check(ctx context.Context, label string, folder Folder, layout Layout, bundled []policy.Module, opts policy.Options) CheckResult {
	v := Build(ctx, label, "", folder, layout, bundled, opts)
	res := CheckResult{Version: v}
	if v.Policy == nil {
		return res
	}
	mods := slices.Clone(bundled)
	for p, src := range folder.Files {
		if strings.HasPrefix(p, layout.PoliciesDir()+"/") && path.Ext(p) == ".rego" {
			mods = append(mods, policy.Module{Path: p, Source: src})
		}
	}
	var own []policy.Module
	for _, m := range mods {
		if !m.IsTest() || !m.Bundled {
			own = append(own, m)
		}
	}
	results, err := policy.RunTests(ctx, own, opts)
	if err != nil {
		v.Problems = append(v.Problems, compileProblems(err)...)
		v.Policy = nil
		return res
	}
	for _, r := range results {
		if !strings.HasPrefix(r.File, layout.PoliciesDir()+"/") {
			continue // the bundled rules' tests run in mergeguard's own CI
		}
		res.Tests = append(res.Tests, r)
	}
	return res
}

// IsBundledSet reports whether a folder is mergeguard's own policies folder
// (a checkout's policies/): it holds a file of every bundled module's name,
// with the bundled library among them. Only then is it tested as the bundled
// set; any other folder is loaded as the server loads a policy repository,
// which refuses additions to mergeguard's packages with the server's message.
func IsBundledSet(folder Folder, bundled []policy.Module) bool {
	names := map[string]bool{}
	for p := range folder.Files {
		names[path.Base(p)] = true
	}
	for _, m := range bundled {
		if !names[path.Base(m.Path)] {
			return false
		}
	}
	return len(bundled) > 0
}

// CheckBundledSet compiles and tests a folder holding mergeguard's own
// policies in place of the embedded ones.
func CheckBundledSet(ctx context.Context, label string, folder Folder, opts policy.Options) CheckResult {
	var mods []policy.Module
	for p, src := range folder.Files {
		if path.Ext(p) == ".rego" {
			mods = append(mods, policy.Module{Path: p, Source: src, Bundled: true})
		}
	}
	slices.SortFunc(mods, func(a, b policy.Module) int { return strings.Compare(a.Path, b.Path) })
	v := &Version{Label: label, Notices: folder.Unread}
	res := CheckResult{Version: v}
	p, err := policy.Compile(ctx, mods, opts)
	if err != nil {
		v.Problems = compileProblems(err)
		return res
	}
	v.Policy = p
	for _, m := range mods {
		if m.IsTest() {
			v.Tests = append(v.Tests, m)
		}
	}
	if res.Tests, err = policy.RunTests(ctx, mods, opts); err != nil {
		v.Problems, v.Policy = compileProblems(err), nil
	}
	return res
}

// Results states the check as rule results, so it renders like any verdict:
// problems and failing tests become annotations on the policy files.
func (r CheckResult) Results() []decision.RuleResult {
	compiles := decision.RuleResult{
		ID: "policy_compiles", Title: "Policy compiles and its configuration is valid", Severity: decision.SeverityError,
		Remedy: "Fix the files at the lines shown; `mergeguard test` runs the same checks on a checkout of this repository.",
	}
	for _, p := range r.Version.Problems {
		f := decision.Finding{Message: p.Message}
		if p.File != "" {
			f.Location = &decision.Location{Path: p.File, StartLine: p.Line}
			if p.Line == 0 {
				f.Location.StartLine = 1
			}
		}
		compiles.Denials = append(compiles.Denials, f)
	}
	for _, n := range r.Version.Notices {
		compiles.Warnings = append(compiles.Warnings, decision.Finding{Message: n})
	}
	tests := decision.RuleResult{
		ID: "policy_tests", Title: "Policy tests pass", Severity: decision.SeverityError,
		Remedy: "Run `mergeguard test` on a checkout to see each failure, then fix the rule or the test.",
	}
	switch {
	case !r.Version.OK():
		tests.SkipReasons = []string{"the policy does not compile, so its tests cannot run"}
	case len(r.Tests) == 0 && len(r.Version.Tests) == 0:
		tests.Warnings = []decision.Finding{{Message: "no Rego tests (*_test.rego) in the policy folder: an untested rule can block every merge by mistake"}}
	}
	for _, t := range r.Tests {
		if t.Passed || t.Skipped {
			continue
		}
		msg := fmt.Sprintf("%s failed", t.Name)
		if t.Err != "" {
			msg += ": " + t.Err
		}
		tests.Denials = append(tests.Denials, decision.Finding{Message: msg, Location: &decision.Location{Path: t.File, StartLine: max(t.Line, 1)}})
	}
	return []decision.RuleResult{compiles, tests}
}

func compileProblems(err error) []Problem {
	var ce *policy.CompileError
	if !errors.As(err, &ce) {
		return []Problem{{Message: err.Error()}}
	}
	return ce.Problems
}

func configProblems(err error) []Problem {
	var ce *policyconfig.Error
	if !errors.As(err, &ce) {
		return []Problem{{Message: err.Error()}}
	}
	return fromConfig(ce.Problems)
}

func fromConfig(ps []policyconfig.Problem) []Problem {
	out := make([]Problem, len(ps))
	for i, p := range ps {
		out[i] = Problem{File: p.File, Line: p.Line, Message: p.Message}
	}
	return out
}
