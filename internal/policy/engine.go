package policy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// DefaultTimeout bounds one evaluation of all rules.
const DefaultTimeout = 2 * time.Second

// rulesRoot is where rule packages live: package mergeguard.rules.<id>.
var rulesRoot = ast.MustParseRef("data.mergeguard.rules")

var ruleIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Options tune compilation.
type Options struct {
	// Timeout bounds one Evaluate call; zero means DefaultTimeout.
	Timeout time.Duration
	// Config is exposed to rules as data.mergeguard.config.
	Config map[string]any
}

// Meta is what a rule's METADATA block says about it.
type Meta struct {
	ID          string
	Title       string
	Description string
	Severity    decision.Severity
	Remedy      string
	// File is the module holding the package's METADATA.
	File string
}

type rule struct {
	meta  Meta
	query rego.PreparedEvalQuery
	// which of deny, warn and skip the package defines
	sets []string
}

// Engine holds compiled policies. It is safe for concurrent use.
type Engine struct {
	digest  string
	timeout time.Duration
	rules   []rule
}

// Compile parses and compiles modules (test modules are ignored) and prepares
// one query per rule. Failures are returned as *CompileError, naming the file
// and line of each problem.
func Compile(ctx context.Context, modules []Module, opts Options) (*Engine, error) {
	var sources []Module
	for _, m := range modules {
		if !m.IsTest() {
			sources = append(sources, m)
		}
	}
	parsed, err := parse(sources)
	if err != nil {
		return nil, err
	}

	compiler := ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithDefaultRegoVersion(ast.RegoV1)
	compiler.Compile(parsed)
	if compiler.Failed() {
		return nil, &CompileError{Problems: problemsFromAST(compiler.Errors)}
	}

	metas, problems := ruleMetas(compiler, parsed)
	if len(problems) > 0 {
		return nil, &CompileError{Problems: problems}
	}

	config := opts.Config
	if config == nil {
		config = map[string]any{}
	}
	store := inmem.NewFromObject(map[string]any{"mergeguard": map[string]any{"config": config}})

	e := &Engine{digest: Digest(sources), timeout: opts.Timeout}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	for _, rm := range metas {
		var parts []string
		for _, set := range rm.sets {
			parts = append(parts, fmt.Sprintf("%s := data.mergeguard.rules.%s.%s", set, rm.meta.ID, set))
		}
		pq, err := rego.New(
			rego.Query(strings.Join(parts, "; ")),
			rego.Compiler(compiler),
			rego.Store(store),
			rego.Capabilities(Capabilities()),
			rego.StrictBuiltinErrors(true),
		).PrepareForEval(ctx)
		if err != nil {
			return nil, &CompileError{Problems: []Problem{{File: rm.meta.File, Message: fmt.Sprintf("prepare rule %s: %v", rm.meta.ID, err)}}}
		}
		e.rules = append(e.rules, rule{meta: rm.meta, query: pq, sets: rm.sets})
	}
	return e, nil
}

type ruleMeta struct {
	meta Meta
	sets []string
}

// ruleMetas finds the rule packages and checks their METADATA.
func ruleMetas(compiler *ast.Compiler, mods map[string]*ast.Module) ([]ruleMeta, []Problem) {
	byID := map[string]*ruleMeta{}
	var problems []Problem
	files := make([]string, 0, len(mods))
	for f := range mods {
		files = append(files, f)
	}
	slices.Sort(files)
	annotations := compiler.GetAnnotationSet()
	for _, file := range files {
		mod := mods[file]
		path := mod.Package.Path
		if !path.HasPrefix(rulesRoot) {
			continue
		}
		loc := mod.Package.Location
		if len(path) != len(rulesRoot)+1 {
			problems = append(problems, problemAt(loc, fmt.Sprintf("package %s: rule packages are named mergeguard.rules.<id>, one level below mergeguard.rules", trimData(path))))
			continue
		}
		id, ok := path[len(path)-1].Value.(ast.String)
		if !ok || !ruleIDPattern.MatchString(string(id)) {
			problems = append(problems, problemAt(loc, fmt.Sprintf("package %s: a rule id is lower_snake_case", trimData(path))))
			continue
		}
		rm := byID[string(id)]
		if rm == nil {
			rm = &ruleMeta{meta: Meta{ID: string(id), Severity: decision.SeverityError}}
			byID[string(id)] = rm
		}
		for _, r := range mod.Rules {
			name := r.Head.Name.String()
			if len(r.Head.Reference) > 0 {
				name = r.Head.Reference[0].String()
			}
			if (name == "deny" || name == "warn" || name == "skip") && !slices.Contains(rm.sets, name) {
				rm.sets = append(rm.sets, name)
			}
		}
		if a := annotations.GetPackageScope(mod.Package); a != nil && rm.meta.File == "" {
			rm.meta.File = file
			rm.meta.Title = strings.TrimSpace(a.Title)
			rm.meta.Description = strings.TrimSpace(a.Description)
			if s, ok := a.Custom["severity"]; ok {
				sev, _ := s.(string)
				rm.meta.Severity = decision.Severity(sev)
				if !rm.meta.Severity.Valid() {
					problems = append(problems, problemAt(a.Location, fmt.Sprintf("rule %s: custom.severity is %v; use \"error\" (blocks the merge) or \"warning\" (reported only)", id, s)))
				}
			}
			if r, ok := a.Custom["remedy"].(string); ok {
				rm.meta.Remedy = strings.TrimSpace(r)
			}
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []ruleMeta
	for _, id := range ids {
		rm := byID[id]
		switch {
		case rm.meta.File == "":
			problems = append(problems, Problem{Message: fmt.Sprintf("rule %s: add a METADATA block above \"package mergeguard.rules.%s\" with a title and custom.remedy", id, id)})
		case rm.meta.Title == "":
			problems = append(problems, Problem{File: rm.meta.File, Message: fmt.Sprintf("rule %s: METADATA needs a title: it names the rule in the check run", id)})
		case rm.meta.Remedy == "":
			problems = append(problems, Problem{File: rm.meta.File, Message: fmt.Sprintf("rule %s: METADATA needs custom.remedy: one sentence telling the author what to do next", id)})
		case len(rm.sets) == 0:
			problems = append(problems, Problem{File: rm.meta.File, Message: fmt.Sprintf("rule %s defines neither deny nor warn, so it can never say anything", id)})
		default:
			slices.Sort(rm.sets)
			out = append(out, *rm)
		}
	}
	return out, problems
}

func trimData(r ast.Ref) string { return strings.TrimPrefix(r.String(), "data.") }

// Digest identifies the compiled policy by content.
func (e *Engine) Digest() string { return e.digest }

// Rules describes the compiled rules in id order.
func (e *Engine) Rules() []Meta {
	out := make([]Meta, len(e.rules))
	for i, r := range e.rules {
		out[i] = r.meta
	}
	return out
}

// Evaluate runs every rule against one input document at instant now. A rule
// that fails to evaluate yields a result with Err set; the other rules still
// report. The returned error is only for a document that cannot be converted.
func (e *Engine) Evaluate(ctx context.Context, input any, now time.Time) ([]decision.RuleResult, error) {
	value, err := inputValue(input)
	if err != nil {
		return nil, fmt.Errorf("convert policy input: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	results := make([]decision.RuleResult, 0, len(e.rules))
	for _, r := range e.rules {
		res := decision.RuleResult{
			ID: r.meta.ID, Title: r.meta.Title, Description: r.meta.Description,
			Severity: r.meta.Severity, Remedy: r.meta.Remedy,
		}
		rs, err := r.query.Eval(ctx, rego.EvalParsedInput(value), rego.EvalTime(now))
		switch {
		case err != nil:
			res.Err = e.describeEvalError(err)
		case len(rs) != 1:
			res.Err = fmt.Sprintf("rule %s produced no result: a deny, warn or skip rule is undefined (for example a partial set with an error in its head)", r.meta.ID)
		default:
			res.Err = fillFindings(&res, rs[0].Bindings)
		}
		results = append(results, res)
	}
	return results, nil
}

func (e *Engine) describeEvalError(err error) string {
	var te *topdown.Error
	if errors.As(err, &te) && te.Code == topdown.CancelErr || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("evaluation did not finish within the %s time limit; look for unbounded iteration in this rule", e.timeout)
	}
	if errors.As(err, &te) && te.Location != nil {
		return fmt.Sprintf("%s:%d: %s", te.Location.File, te.Location.Row, te.Message)
	}
	return err.Error()
}
