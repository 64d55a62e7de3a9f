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

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/print"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/policyconfig"
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
}

// Engine returns the policy bound to cfg (data.mergeguard.config), preparing
// the rules' queries the first time a configuration is seen.
func (p *Policy) Engine(ctx context.Context, cfg policyconfig.Config) (*Engine, error) {
	data := cfg.Data()
	// The key covers everything the engine depends on: the rules' data and
	// whether print() output is kept.
	raw, err := json.Marshal(map[string]any{"data": data, "debug": cfg.Debug})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	key := hex.EncodeToString(sum[:])

	p.mu.Lock()
	if e, ok := p.engines[key]; ok {
		p.mu.Unlock()
		return e, nil
	}
	p.mu.Unlock()

	store := inmem.NewFromObject(map[string]any{"mergeguard": map[string]any{"config": data}})
	e := &Engine{policy: p, debug: cfg.Debug}
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
	for _, rm := range p.rules {
		rc, configured := cfg.Rules[rm.meta.ID]
		r := rule{meta: rm.meta, enabled: !configured || rc.Enabled, severity: rm.meta.Severity}
		if configured && rc.Severity != "" {
			r.severity = rc.Severity
		}
		if r.enabled {
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
			r.query = pq
		}
		e.rules = append(e.rules, r)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.engines) >= maxEngines {
		clear(p.engines)
	}
	p.engines[key] = e
	return e, nil
}

// Digest identifies the compiled policy by content.
func (e *Engine) Digest() string { return e.policy.digest }

// Rules describes the compiled rules in id order.
func (e *Engine) Rules() []Meta { return e.policy.Rules() }

// Evaluate runs every enabled rule against one input document at instant
// now, each within the policy's time limit and all within EvaluationBudget.
// A rule that fails to evaluate yields a result with Err set; the other
// rules still report. With only, just the rules with those IDs are
// evaluated. The returned error is for a document that cannot be converted,
// or a cancelled ctx.
func (e *Engine) Evaluate(ctx context.Context, input any, now time.Time, only ...string) ([]decision.RuleResult, error) {
	value, err := inputValue(input)
	if err != nil {
		return nil, fmt.Errorf("convert policy input: %w", err)
	}
	deadline := time.Now().Add(e.policy.budget())
	results := make([]decision.RuleResult, 0, len(e.rules))
	for _, r := range e.rules {
		if len(only) > 0 && !slices.Contains(only, r.meta.ID) {
			continue
		}
		res := decision.RuleResult{
			ID: r.meta.ID, Title: r.meta.Title, Description: r.meta.Description,
			Severity: r.severity, Remedy: r.meta.Remedy,
		}
		if !r.enabled {
			res.SkipReasons = []string{"disabled in the configuration"}
			results = append(results, res)
			continue
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			res.Err = fmt.Sprintf("%s: not evaluated: the rules before it used up the %s that one evaluation of all rules may take; make the slow rules faster (each rule's time is in the server's logs at debug level)", r.meta.File, e.policy.budget())
			results = append(results, res)
			continue
		}
		prints := &printed{}
		// Each rule has its own time limit, so one runaway rule cannot
		// silence the others.
		limit := min(e.policy.timeout, remaining)
		rctx, cancel := context.WithTimeout(ctx, limit)
		rs, err := r.query.Eval(rctx, rego.EvalParsedInput(value), rego.EvalTime(now), rego.EvalPrintHook(prints))
		cancel()
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err() // the caller gave up: not the rule's fault
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
		results = append(results, res)
	}
	return results, nil
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

const maxPrintLines = 100

func (p *printed) Print(pctx print.Context, msg string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.lines) < maxPrintLines {
		loc := ""
		if pctx.Location != nil {
			loc = fmt.Sprintf("%s:%d: ", pctx.Location.File, pctx.Location.Row)
		}
		p.lines = append(p.lines, loc+msg)
	}
	return nil
}
