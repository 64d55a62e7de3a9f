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

// RunTests runs the Rego unit tests (test_* rules) in modules against the same
// sandbox the engine uses, so a test cannot pass on a builtin that production
// would reject. Compile problems are returned as *CompileError.
func RunTests(ctx context.Context, modules []Module, timeout time.Duration) ([]TestResult, error) {
	parsed, err := parse(modules)
	if err != nil {
		return nil, err
	}
	compiler := ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithEnablePrintStatements(true).
		WithDefaultRegoVersion(ast.RegoV1)
	runner := tester.NewRunner().
		SetCompiler(compiler).
		SetModules(parsed).
		CapturePrintOutput(true).
		SetDefaultRegoVersion(ast.RegoV1)
	if timeout > 0 {
		runner = runner.SetTimeout(timeout)
	}
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return nil, &CompileError{Problems: problemsFromAST(err)}
	}
	var out []TestResult
	for r := range ch {
		tr := TestResult{
			Package:  strings.TrimPrefix(r.Package, "data."),
			Name:     r.Name,
			Passed:   r.Pass(),
			Skipped:  r.Skip,
			Output:   string(r.Output),
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
		out = append(out, tr)
	}
	slices.SortFunc(out, func(a, b TestResult) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return out, nil
}
