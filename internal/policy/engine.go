package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/print"

	"github.com/mergeguard/mergeguard/internal/decision"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
)

// maxEngines bounds the configurations prepared per policy version; there is
// one per distinct repository configuration.
const maxEngines = 256

type rule struct {
	meta     Meta
	query    rego.PreparedEvalQuery
	enabled  bool
	severity decision.Severity
}

// Engine is a policy bound to one configuration. It is safe for concurrent
// use.
type Engine struct {
	policy *Policy
	rules  []rule
	debug  bool
	// authz decides who may override a rule (data.mergeguard.overrides).
	authz rego.PreparedEvalQuery
	// key and raw are the binding, by which a policy worker prepares the
	// same engine.
	key string
	raw []byte
}

// binding is everything an Engine depends on besides the policy: the
// configuration data (data.mergeguard.config), which rules run at what
// severity, and whether print() output is kept. It is plain data, so that a
// policy worker can bind the same configuration.
type binding struct {
	Data  map[string]any         `json:"data"`
	Debug bool                   `json:"debug,omitempty"`
	Rules map[string]ruleBinding `json:"rules,omitempty"`
}

type ruleBinding struct {
	Enabled  bool              `json:"enabled"`
	Severity decision.Severity `json:"severity,omitempty"`
}

func bindingOf(cfg policyconfig.Config) binding {
	b := binding{Data: cfg.Data(), Debug: cfg.Debug, Rules: map[string]ruleBinding{}}
	for id, rc := range cfg.Rules {
		b.Rules[id] = ruleBinding{Enabled: rc.Enabled, Severity: rc.Severity}
	}
	return b
}

// Engine returns the policy bound to cfg (data.mergeguard.config), preparing
// the rules' queries the first time a configuration is seen.
func (p *Policy) Engine(ctx context.Context, cfg policyconfig.Config) (*Engine, error) {
	b := bindingOf(cfg)
	raw, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	key := hex.EncodeToString(sum[:])
	if e := p.cachedEngine(key); e != nil {
		return e, nil
	}
	var e *Engine
	if p.workers != nil {
		e, err = p.workers.bind(ctx, p, b, key, raw)
	} else {
		e, err = p.prepare(ctx, b)
	}
	if err != nil {
		return nil, err
	}
	e.key, e.raw = key, raw
	p.cacheEngine(key, e)
	return e, nil
}

func (p *Policy) cachedEngine(key string) *Engine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.engines[key]
}

func (p *Policy) cacheEngine(key string, e *Engine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.engines) >= maxEngines {
		clear(p.engines)
	}
	p.engines[key] = e
}

// bindRules decides which rules run, and at what severity, under b.
func (p *Policy) bindRules(b binding) []rule {
	rules := make([]rule, 0, len(p.rules))
	for _, rm := range p.rules {
		rc, configured := b.Rules[rm.meta.ID]
		r := rule{meta: rm.meta, enabled: !configured || rc.Enabled, severity: rm.meta.Severity}
		if configured && rc.Severity != "" {
			r.severity = rc.Severity
		}
		rules = append(rules, r)
	}
	return rules
}

// prepare binds the policy in this process: it prepares each enabled rule's
// query against the configuration.
func (p *Policy) prepare(ctx context.Context, b binding) (*Engine, error) {
	store := inmem.NewFromObject(map[string]any{"mergeguard": map[string]any{"config": b.Data}})
	e := &Engine{policy: p, debug: b.Debug, rules: p.bindRules(b)}
	authz, err := rego.New(
		rego.Query("refusals := data.mergeguard.overrides.refusals; keep := data.mergeguard.overrides.keep_on_push"),
		rego.Compiler(p.compiler),
		rego.Store(store),
		rego.Capabilities(Capabilities()),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare the override policy: %w", err)
	}
	e.authz = authz
	for i, rm := range p.rules {
		if !e.rules[i].enabled {
			continue
		}
		parts := make([]string, 0, len(rm.sets))
		for _, set := range rm.sets {
			parts = append(parts, fmt.Sprintf("%s := data.mergeguard.rules.%s.%s", set, rm.meta.ID, set))
		}
		pq, err := rego.New(
			rego.Query(strings.Join(parts, "; ")),
			rego.Compiler(p.compiler),
			rego.Store(store),
			rego.Capabilities(Capabilities()),
			rego.StrictBuiltinErrors(true),
			rego.EnablePrintStatements(true),
		).PrepareForEval(ctx)
		if err != nil {
			return nil, &CompileError{Problems: []Problem{{File: rm.meta.File, Message: fmt.Sprintf("prepare rule %s: %v", rm.meta.ID, err)}}}
		}
		e.rules[i].query = pq
	}
	return e, nil
}

// Digest identifies the compiled policy by content.
func (e *Engine) Digest() string { return e.policy.digest }

// Rules describes the compiled rules in id order.
func (e *Engine) Rules() []Meta { return e.policy.Rules() }

// Evaluate runs every enabled rule against one input document at instant
// now, each within the policy's time limit and all within EvaluationBudget
// (and, with policy workers, within their memory limit). A rule that fails
// to evaluate yields a result with Err set; the other rules still report.
// With only, just the rules with those IDs are evaluated. The returned error
// is for a document that cannot be converted, or a cancelled ctx.
func (e *Engine) Evaluate(ctx context.Context, input any, now time.Time, only ...string) ([]decision.RuleResult, error) {
	if e.policy.workers != nil {
		return e.policy.workers.evaluate(ctx, e, input, now, only)
	}
	value, err := inputValue(input)
	if err != nil {
		return nil, fmt.Errorf("convert policy input: %w", err)
	}
	return e.evaluate(ctx, value, now, time.Now().Add(e.policy.budget()), only, nil)
}

// ruleObserver is told when each rule starts and what it found: a policy
// worker streams both, so that a worker that dies is known to have died in
// a particular rule.
type ruleObserver interface {
	starting(id string) error
	finished(r decision.RuleResult) error
}

// evaluate runs the rules in this process; all of them must finish by
// deadline.
func (e *Engine) evaluate(ctx context.Context, value ast.Value, now, deadline time.Time, only []string, obs ruleObserver) ([]decision.RuleResult, error) {
	results := make([]decision.RuleResult, 0, len(e.rules))
	for _, r := range e.rules {
		if len(only) > 0 && !slices.Contains(only, r.meta.ID) {
			continue
		}
		if obs != nil && r.enabled {
			if err := obs.starting(r.meta.ID); err != nil {
				return nil, err
			}
		}
		res, err := e.evaluateRule(ctx, r, value, now, deadline)
		if err != nil {
			return nil, err
		}
		if obs != nil {
			if err := obs.finished(res); err != nil {
				return nil, err
			}
		}
		results = append(results, res)
	}
	return results, nil
}

func (e *Engine) evaluateRule(ctx context.Context, r rule, value ast.Value, now, deadline time.Time) (decision.RuleResult, error) {
	res := ruleResult(r)
	if !r.enabled {
		res.SkipReasons = []string{"disabled in the configuration"}
		return res, nil
	}
	remaining := time.Until(deadline)
	if remaining <= 0 {
		res.Err = fmt.Sprintf("%s: not evaluated: the rules before it used up the %s that one evaluation of all rules may take; make the slow rules faster (each rule's time is in the server's logs at debug level)", r.meta.File, e.policy.budget())
		return res, nil
	}
	prints := &printed{}
	// Each rule has its own time limit, so one runaway rule cannot
	// silence the others.
	limit := min(e.policy.timeout, remaining)
	rctx, cancel := context.WithTimeout(ctx, limit)
	rs, err := r.query.Eval(rctx, rego.EvalParsedInput(value), rego.EvalTime(now), rego.EvalPrintHook(prints))
	cancel()
	if err != nil && ctx.Err() != nil {
		return res, ctx.Err() // the caller gave up: not the rule's fault
	}
	switch {
	case err != nil:
		res.Err = e.describeEvalError(err, r.meta, limit)
	case len(rs) != 1:
		res.Err = fmt.Sprintf("%s: rule %s produced no result: a deny, warn or skip rule is undefined (for example a partial set with an error in its head)", r.meta.File, r.meta.ID)
	default:
		res.Err = fillFindings(&res, rs[0].Bindings, now)
	}
	if e.debug {
		res.Prints = prints.lines
	}
	return res, nil
}

// ruleResult is a rule's result before it is evaluated.
func ruleResult(r rule) decision.RuleResult {
	return decision.RuleResult{
		ID: r.meta.ID, Title: r.meta.Title, Description: r.meta.Description,
		Severity: r.severity, Remedy: r.meta.Remedy,
		WarnOnly: r.meta.WarnOnly,
	}
}

func (e *Engine) describeEvalError(err error, meta Meta, limit time.Duration) string {
	var te *topdown.Error
	if errors.As(err, &te) && te.Code == topdown.CancelErr || errors.Is(err, context.DeadlineExceeded) {
		if limit < e.policy.timeout {
			return fmt.Sprintf("%s: evaluation did not finish within the %s left of the %s that one evaluation of all rules may take; look for unbounded iteration in this rule or the ones before it", meta.File, limit.Round(time.Millisecond), e.policy.budget())
		}
		return fmt.Sprintf("%s: evaluation did not finish within the %s time limit; look for unbounded iteration in this rule", meta.File, e.policy.timeout)
	}
	if errors.As(err, &te) && te.Location != nil {
		return fmt.Sprintf("%s:%d: %s", te.Location.File, te.Location.Row, te.Message)
	}
	return err.Error()
}

// printed collects a rule's print() output, for debugging a policy.
type printed struct {
	mu    sync.Mutex
	lines []string
}

const (
	maxPrintLines = 100
	// maxPrintLine keeps one print() of a huge value from filling the
	// check run (and the worker's reply).
	maxPrintLine = 4 << 10
)

func (p *printed) Print(pctx print.Context, msg string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.lines) < maxPrintLines {
		loc := ""
		if pctx.Location != nil {
			loc = fmt.Sprintf("%s:%d: ", pctx.Location.File, pctx.Location.Row)
		}
		p.lines = append(p.lines, loc+truncate(msg, maxPrintLine))
	}
	return nil
}

// truncate cuts s to at most n bytes, at a rune boundary, saying so.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes)", s[:cut], len(s)-cut)
}
