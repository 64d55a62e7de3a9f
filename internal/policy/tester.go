package policy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego test rule.
type TestResult struct {
	File     string
	Line     int
	Package  string
	Name     string
	Passed   bool
	Skipped  bool
	Err      string
	Output   string
	Duration time.Duration
}

// maxTestOutput bounds the print() output kept of one test.
const maxTestOutput = 64 << 10

// RunTests runs the Rego unit tests (test_* rules) in modules against the same
// sandbox the engine uses, so a test cannot pass on a builtin that production
// would reject; opts.Timeout bounds each test. With opts.Workers they run in
// a policy worker, within its memory limit. Compile problems are returned as
// *CompileError.
func RunTests(ctx context.Context, modules []Module, opts Options) ([]TestResult, error) {
	if opts.Workers != nil {
		return opts.Workers.runTests(ctx, modules, opts.Timeout)
	}
	return runTests(ctx, modules, opts.Timeout, nil, nil)
}

// testObserver is told when each test starts and how it ended: a policy
// worker streams both, so that a worker that dies is known to have died in
// a particular test.
type testObserver interface {
	compiling() error
	starting(c testCase) error
	finished(r TestResult) error
}

// testCase is one test rule: its qualified name (data.pkg.test_x) and where
// it is.
type testCase struct {
	name string
	ref  ast.Ref
	id   TestResult
}

// runTests runs the tests in this process one at a time, in file and line
// order, leaving out those named in skip (as testNames names them).
func runTests(ctx context.Context, modules []Module, timeout time.Duration, skip []string, obs testObserver) ([]TestResult, error) {
	if obs != nil {
		if err := obs.compiling(); err != nil {
			return nil, err
		}
	}
	parsed, err := parse(modules)
	if err != nil {
		return nil, err
	}
	compiler := ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithEnablePrintStatements(true).
		WithDefaultRegoVersion(ast.RegoV1)
	// The tester compiles the modules with its own stages (numbering
	// duplicate test names, recording test cases); a filter that matches
	// no name compiles without running anything.
	if _, err := drain(newRunner(compiler, timeout, `^$`).SetModules(parsed).RunTests(ctx, nil)); err != nil {
		return nil, &CompileError{Problems: problemsFromAST(err)}
	}
	var out []TestResult
	for _, c := range testCases(compiler) {
		if slices.Contains(skip, c.name) {
			continue
		}
		if obs != nil {
			if err := obs.starting(c); err != nil {
				return nil, err
			}
		}
		results, err := drain(newRunner(compiler, timeout, "").SetPrefixMatchers(c.ref).RunTests(ctx, nil))
		if err != nil {
			return nil, err
		}
		for _, r := range results {
			tr := testResult(r)
			if obs != nil {
				if err := obs.finished(tr); err != nil {
					return nil, err
				}
			}
			out = append(out, tr)
		}
	}
	sortTests(out)
	return out, nil
}

// newRunner runs the tests whose qualified name matches filter ("" for all
// of them).
func newRunner(compiler *ast.Compiler, timeout time.Duration, filter string) *tester.Runner {
	r := tester.NewRunner().
		SetCompiler(compiler).
		CapturePrintOutput(true).
		SetDefaultRegoVersion(ast.RegoV1).
		SetParallel(1).
		Filter(filter)
	if timeout > 0 {
		r = r.SetTimeout(timeout)
	}
	return r
}

func drain(ch chan *tester.Result, err error) ([]*tester.Result, error) {
	if err != nil {
		return nil, err
	}
	var out []*tester.Result
	for r := range ch {
		out = append(out, r)
	}
	return out, nil
}

// testCases lists the compiled test rules in file and line order.
func testCases(compiler *ast.Compiler) []testCase {
	var cases []testCase
	for _, mod := range compiler.Modules {
		for _, r := range mod.Rules {
			ref, ok := testRef(r.Head)
			if !ok {
				continue
			}
			full := mod.Package.Path.Extend(ref)
			name := full.String()
			if slices.ContainsFunc(cases, func(c testCase) bool { return c.name == name }) {
				continue // one more definition of the same test
			}
			loc := r.Loc()
			cases = append(cases, testCase{name: name, ref: full, id: TestResult{
				File: loc.File, Line: loc.Row, Package: strings.TrimPrefix(mod.Package.Path.String(), "data."), Name: ref.String(),
			}})
		}
	}
	slices.SortFunc(cases, func(a, b testCase) int { return compareTests(a.id, b.id) })
	return cases
}

// testRef is the head's reference up to the part that names a test
// (test_… or todo_test_…), as OPA's tester decides what is a test.
func testRef(h *ast.Head) (ast.Ref, bool) {
	ground := h.Ref().GroundPrefix()
	for i, t := range ground {
		var n string
		switch v := t.Value.(type) {
		case ast.Var:
			n = string(v)
		case ast.String:
			n = string(v)
		}
		if strings.HasPrefix(n, tester.TestPrefix) || strings.HasPrefix(n, tester.SkipTestPrefix) {
			return ground[:i+1], true
		}
	}
	return nil, false
}

func testResult(r *tester.Result) TestResult {
	tr := TestResult{
		Package:  strings.TrimPrefix(r.Package, "data."),
		Name:     r.Name,
		Passed:   r.Pass(),
		Skipped:  r.Skip,
		Output:   truncate(string(r.Output), maxTestOutput),
		Duration: r.Duration,
	}
	if r.Location != nil {
		tr.File, tr.Line = r.Location.File, r.Location.Row
	}
	switch {
	case r.Error != nil:
		tr.Err = r.Error.Error()
	case r.Fail && r.FailedAt != nil:
		tr.Err = fmt.Sprintf("failed at %s:%d: %s", r.FailedAt.Location.File, r.FailedAt.Location.Row, r.FailedAt.String())
	case r.Fail:
		tr.Err = "test rule is false or undefined"
	}
	return tr
}

func sortTests(out []TestResult) { slices.SortFunc(out, compareTests) }

func compareTests(a, b TestResult) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	return a.Line - b.Line
}
