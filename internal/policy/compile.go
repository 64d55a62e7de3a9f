package policy

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/mergeguard/mergeguard/internal/decision"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
)

// DefaultTimeout bounds one rule's evaluation.
const DefaultTimeout = 2 * time.Second

// EvaluationBudget bounds one evaluation of all rules together. Rules run one
// after another, each within its own limit; without an overall bound, many
// slow rules would add up past the worker's job timeout, and the job would
// be cancelled with no verdict at all. A rule that finds the budget spent is
// reported as not evaluated, which blocks like any rule error.
const EvaluationBudget = 30 * time.Second

// rulesRoot is where rule packages live: package mergeguard.rules.<id>.
var rulesRoot = ast.MustParseRef("data.mergeguard.rules")

var ruleIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Options tune compilation.
type Options struct {
	// Timeout bounds each rule's evaluation; zero means DefaultTimeout. It
	// is capped at the budget.
	Timeout time.Duration
	// Budget bounds one evaluation of all rules; zero means EvaluationBudget.
	Budget time.Duration
	// Workers, when set, compiles and runs the policy in isolated worker
	// processes, each within a memory limit; nil runs it in this process,
	// with no memory limit.
	Workers *Workers
}

// withDefaults fills in the default limits.
func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Budget <= 0 {
		o.Budget = EvaluationBudget
	}
	o.Timeout = min(o.Timeout, o.Budget)
	return o
}

// Meta is what a rule's METADATA block says about it.
type Meta struct {
	ID          string
	Title       string
	Description string
	Severity    decision.Severity
	Remedy      string
	// Settings are the configuration keys the rule declares.
	Settings map[string]policyconfig.Setting
	// Locked rules (custom.locked: true) take only stricter settings from a
	// repository, as if the organization had locked them.
	Locked bool
	// WarnOnly rules define warn and no deny.
	WarnOnly bool
	// File is the module holding the package's METADATA.
	File    string
	Bundled bool
}

// Policy is a compiled set of modules: one policy version. Binding a
// configuration to it (Engine) is cheap and cached; compiling is not, so a
// Policy is made once per version and shared.
type Policy struct {
	digest   string
	timeout  time.Duration
	total    time.Duration
	compiler *ast.Compiler
	rules    []ruleMeta
	// notices are what the policy's files hold that is never evaluated.
	notices []string
	// workers run the policy when it was compiled in a policy worker;
	// compiler is nil then, and sources are what a worker compiles (kept
	// in both cases, for replay to see which input fields they read).
	workers *Workers
	sources []Module
	key     string

	mu      sync.Mutex
	engines map[string]*Engine
}

type ruleMeta struct {
	meta Meta
	// which of deny, warn, skip, recheck_at and details the package defines
	sets []string
}

// Compile parses and compiles modules (test modules are ignored). Failures
// are returned as *CompileError, naming the file and line of each problem.
// With opts.Workers, the policy is compiled (and later run) in a policy
// worker, within its memory limit.
func Compile(ctx context.Context, modules []Module, opts Options) (*Policy, error) {
	var sources []Module
	for _, m := range modules {
		if !m.IsTest() {
			sources = append(sources, m)
		}
	}
	opts = opts.withDefaults()
	if opts.Workers != nil {
		return opts.Workers.compile(ctx, sources, opts)
	}
	return compileLocal(sources, opts, nil)
}

// compileLocal compiles non-test modules in this process, telling progress, when
// set, each stage it starts.
func compileLocal(sources []Module, opts Options, progress func(stage, name string) error) (*Policy, error) {
	bundled := map[string]bool{}
	for _, m := range sources {
		bundled[m.Path] = m.Bundled
	}
	var parsing func(string) error
	if progress != nil {
		parsing = func(file string) error { return progress(stageParse, file) }
	}
	parsed, err := parseEach(sources, parsing)
	if err != nil {
		return nil, err
	}
	if progress != nil {
		if err := progress(stageCompile, ""); err != nil {
			return nil, err
		}
	}
	compiler := ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithEnablePrintStatements(true).
		WithDefaultRegoVersion(ast.RegoV1)
	// Namespace problems first: a custom module reusing a bundled package
	// otherwise fails OPA's compiler with an error about the bundled file,
	// which the author cannot see.
	if problems := append(reservedPackages(parsed, bundled), bundledIDClashes(parsed, bundled)...); len(problems) > 0 {
		return nil, &CompileError{Problems: problems}
	}
	compiler.Compile(parsed)
	if compiler.Failed() {
		return nil, &CompileError{Problems: problemsFromAST(compiler.Errors)}
	}
	rules, problems := ruleMetas(compiler, parsed, bundled)
	if len(problems) > 0 {
		return nil, &CompileError{Problems: problems}
	}
	return &Policy{digest: Digest(sources), timeout: opts.Timeout, total: opts.Budget, compiler: compiler, rules: rules, notices: strayRules(parsed, bundled), sources: sources, engines: map[string]*Engine{}}, nil
}

// Digest identifies the compiled policy by content.
func (p *Policy) Digest() string { return p.digest }

func (p *Policy) budget() time.Duration { return p.total }

// DefaultEngine binds the configuration that applies when nothing is
// configured.
func (p *Policy) DefaultEngine(ctx context.Context) (*Engine, error) {
	return p.Engine(ctx, policyconfig.Defaults(p.Schema()))
}

// Rules describes the compiled rules in id order.
func (p *Policy) Rules() []Meta {
	out := make([]Meta, len(p.rules))
	for i, r := range p.rules {
		out[i] = r.meta
	}
	return out
}

// Sources are the Rego sources of the policy's modules.
func (p *Policy) Sources() [][]byte {
	out := make([][]byte, len(p.sources))
	for i, m := range p.sources {
		out[i] = m.Source
	}
	return out
}

// Notices say what the custom modules hold that mergeguard never
// evaluates, such as deny rules outside mergeguard.rules.*.
func (p *Policy) Notices() []string { return slices.Clone(p.notices) }

// Schema is what the policy's configuration may contain.
func (p *Policy) Schema() policyconfig.Schema {
	s := policyconfig.Schema{Rules: map[string]policyconfig.RuleSchema{}, Severities: map[string]decision.Severity{}}
	for _, r := range p.rules {
		s.Rules[r.meta.ID] = policyconfig.RuleSchema{ID: r.meta.ID, Settings: r.meta.Settings, Locked: r.meta.Locked}
		s.Severities[r.meta.ID] = r.meta.Severity
	}
	return s
}

// reservedPackages keeps custom modules out of mergeguard's namespace: they
// may define rule packages (mergeguard.rules.<id>, and <id>_test for tests)
// and packages of their own outside mergeguard.*, but not add to
// mergeguard.lib or other bundled packages, whose functions a single extra
// clause could change for every rule.
func reservedPackages(mods map[string]*ast.Module, bundled map[string]bool) []Problem {
	var problems []Problem
	root := ast.MustParseRef("data.mergeguard")
	for file, mod := range mods {
		path := mod.Package.Path
		if bundled[file] || !path.HasPrefix(root) {
			continue
		}
		if path.HasPrefix(rulesRoot) && len(path) == len(rulesRoot)+1 {
			continue
		}
		problems = append(problems, problemAt(mod.Package.Location, fmt.Sprintf(
			"package %s is reserved for mergeguard: name rule packages mergeguard.rules.<id>, and helper packages outside mergeguard (for example acme.lib)", trimData(path))))
	}
	slices.SortFunc(problems, func(a, b Problem) int { return strings.Compare(a.File, b.File) })
	return problems
}

// bundledIDClashes finds custom modules declaring a bundled rule's package.
func bundledIDClashes(mods map[string]*ast.Module, bundled map[string]bool) []Problem {
	owner := map[string]string{}
	for file, mod := range mods {
		if bundled[file] {
			owner[mod.Package.Path.String()] = file
		}
	}
	var problems []Problem
	for file, mod := range mods {
		path := mod.Package.Path
		b, ok := owner[path.String()]
		if bundled[file] || !ok || !path.HasPrefix(rulesRoot) || len(path) != len(rulesRoot)+1 {
			continue
		}
		if s, isString := path[len(path)-1].Value.(ast.String); isString {
			problems = append(problems, problemAt(mod.Package.Location, fmt.Sprintf("package %s is mergeguard's bundled rule (%s): give your rule another id, or configure the bundled one in config.yaml (rules.%s)", trimData(path), b, string(s))))
		}
	}
	slices.SortFunc(problems, func(a, b Problem) int { return strings.Compare(a.File, b.File) })
	return problems
}

// strayRules finds custom modules that look like rules but are outside
// mergeguard.rules.<id>, where mergeguard never evaluates them: they define
// deny or warn, or carry package METADATA. Helper packages define neither.
func strayRules(mods map[string]*ast.Module, bundled map[string]bool) []string {
	var out []string
	for file, mod := range mods {
		path := mod.Package.Path
		if bundled[file] || path.HasPrefix(rulesRoot) {
			continue
		}
		var what []string
		for _, r := range mod.Rules {
			name := r.Head.Name.String()
			if len(r.Head.Reference) > 0 {
				name = r.Head.Reference[0].String()
			}
			if (name == "deny" || name == "warn") && !slices.Contains(what, name) {
				what = append(what, name)
			}
		}
		for _, a := range mod.Annotations {
			if a.Scope == "package" {
				what = append(what, "package METADATA")
				break
			}
		}
		if len(what) == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s: package %s defines %s, but mergeguard evaluates rules only in packages mergeguard.rules.<id>, so it is never evaluated; rename the package (for example mergeguard.rules.%s)",
			file, trimData(path), strings.Join(what, " and "), suggestID(path)))
	}
	slices.Sort(out)
	return out
}

// suggestID proposes a rule id from a package path's last part.
func suggestID(path ast.Ref) string {
	if s, ok := path[len(path)-1].Value.(ast.String); ok && ruleIDPattern.MatchString(string(s)) {
		return string(s)
	}
	return "<id>"
}

// ruleMetas finds the rule packages and checks their METADATA. bundled says
// which files are mergeguard's own: a custom module may not add to a bundled
// rule's package.
func ruleMetas(compiler *ast.Compiler, mods map[string]*ast.Module, bundled map[string]bool) ([]ruleMeta, []Problem) {
	byID := map[string]*ruleMeta{}
	var problems []Problem
	files := make([]string, 0, len(mods))
	for f := range mods {
		files = append(files, f)
	}
	slices.Sort(files)
	// Which rule ids mergeguard itself defines, before looking at the rest.
	bundledIDs := map[string]string{}
	for _, file := range files {
		if path := mods[file].Package.Path; bundled[file] && len(path) == len(rulesRoot)+1 && path.HasPrefix(rulesRoot) {
			if id, ok := path[len(path)-1].Value.(ast.String); ok {
				bundledIDs[string(id)] = file
			}
		}
	}
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
		if b, ok := bundledIDs[string(id)]; ok && !bundled[file] {
			problems = append(problems, problemAt(loc, fmt.Sprintf("package %s is mergeguard's bundled rule (%s): give your rule another id, or configure the bundled one in config.yaml (rules.%s)", trimData(path), b, id)))
			continue
		}
		rm := byID[string(id)]
		if rm == nil {
			rm = &ruleMeta{meta: Meta{ID: string(id), Severity: decision.SeverityError, Bundled: bundled[file]}}
			byID[string(id)] = rm
		}
		for _, r := range mod.Rules {
			name := r.Head.Name.String()
			if len(r.Head.Reference) > 0 {
				name = r.Head.Reference[0].String()
			}
			if (name == "deny" || name == "warn" || name == "skip" || name == "recheck_at" || name == "details" || name == "request_reviewers") && !slices.Contains(rm.sets, name) {
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
			if l, ok := a.Custom["locked"]; ok {
				locked, isBool := l.(bool)
				if !isBool {
					problems = append(problems, problemAt(a.Location, fmt.Sprintf("rule %s: custom.locked is %v; use true or false", id, l)))
				}
				rm.meta.Locked = locked
			}
			settings, err := policyconfig.ParseSettings(string(id), a.Custom["config"])
			if err != nil {
				problems = append(problems, problemAt(a.Location, err.Error()))
			}
			rm.meta.Settings = settings
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
		case !slices.Contains(rm.sets, "deny") && !slices.Contains(rm.sets, "warn"):
			problems = append(problems, Problem{File: rm.meta.File, Message: fmt.Sprintf("rule %s defines neither deny nor warn, so it can never say anything", id)})
		default:
			slices.Sort(rm.sets)
			rm.meta.WarnOnly = !slices.Contains(rm.sets, "deny")
			if rm.meta.Settings == nil {
				rm.meta.Settings = map[string]policyconfig.Setting{}
			}
			out = append(out, *rm)
		}
	}
	return out, problems
}

func trimData(r ast.Ref) string { return strings.TrimPrefix(r.String(), "data.") }
