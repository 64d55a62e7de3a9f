package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// The server's side of each operation a policy worker runs: what to send,
// and what a worker that dies midway means for the result.

// call runs one request about compiled policy p on a worker, sending p's
// modules when the worker has not compiled it (or no longer has it).
func (ws *Workers) call(ctx context.Context, p *Policy, req request, handle func(reply) (bool, error)) error {
	return ws.on(ctx, p.key, func(w *worker) error {
		send := func(modules bool) (unknown bool, err error) {
			req.Policy = &policyRef{Key: p.key, Timeout: p.timeout, Budget: p.total}
			if modules {
				req.Policy.Modules = p.sources
			}
			err = ws.exchange(ctx, w, req, p.timeout+ws.grace, func(rep reply) (bool, error) {
				if rep.Unknown {
					unknown = true
					return true, nil
				}
				if rep.Done && len(rep.Problems) == 0 && rep.Error == "" {
					w.known[p.key] = true
				}
				return handle(rep)
			})
			return unknown, err
		}
		unknown, err := send(!w.known[p.key])
		if err == nil && unknown {
			// The worker dropped the policy from its cache.
			if unknown, err = send(true); err == nil && unknown {
				err = errors.New("the policy worker asked twice for the policy's modules")
			}
		}
		return err
	})
}

// compile compiles sources in a worker, which keeps the compiled policy for
// what follows; the server keeps only what the rules say about themselves.
func (ws *Workers) compile(ctx context.Context, sources []Module, opts Options) (*Policy, error) {
	p := &Policy{digest: Digest(sources), timeout: opts.Timeout, total: opts.Budget, workers: ws, sources: sources, engines: map[string]*Engine{}}
	p.key = workerKey(sources, opts)
	var metas []Meta
	err := ws.call(ctx, p, request{Op: opCompile}, func(rep reply) (bool, error) {
		if !rep.Done {
			return false, nil
		}
		if err := replyError(rep); err != nil {
			return true, err
		}
		metas, p.notices = rep.Rules, rep.Notices
		return true, nil
	})
	var st *stopped
	if errors.As(err, &st) {
		return nil, &CompileError{Problems: []Problem{st.problem()}}
	}
	if err != nil {
		return nil, err
	}
	for _, m := range metas {
		p.rules = append(p.rules, ruleMeta{meta: m})
	}
	return p, nil
}

// problem states a worker stopped while compiling as a policy problem.
func (s *stopped) problem() Problem {
	pr := Problem{Message: s.Error()}
	if s.Stage == stageParse {
		pr.File = s.Name
	}
	if s.Reason == "memory" || s.Reason == "killed" {
		pr.Message += "; a policy must compile within the memory limit for policies (MERGEGUARD_POLICY_MEMORY)"
	}
	return pr
}

// replyError is the failure a final reply reports, if any.
func replyError(rep reply) error {
	switch {
	case len(rep.Problems) > 0:
		return &CompileError{Problems: rep.Problems}
	case rep.Error != "":
		return errors.New(rep.Error)
	}
	return nil
}

// bind prepares the policy's configuration in a worker, which reports a
// rule that cannot be prepared.
func (ws *Workers) bind(ctx context.Context, p *Policy, b binding, key string, raw []byte) (*Engine, error) {
	err := ws.call(ctx, p, request{Op: opBind, Binding: raw, BindingKey: key}, func(rep reply) (bool, error) {
		if !rep.Done {
			return false, nil
		}
		return true, replyError(rep)
	})
	if err != nil {
		return nil, fmt.Errorf("bind the policy's configuration: %w", err)
	}
	return &Engine{policy: p, debug: b.Debug, rules: p.bindRules(b)}, nil
}

// evaluate evaluates the rules in workers. When a worker dies in a rule,
// that rule fails saying why, and the rules after it are evaluated by a
// fresh worker.
func (ws *Workers) evaluate(ctx context.Context, e *Engine, input any, now time.Time, only []string) ([]decision.RuleResult, error) {
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("convert policy input: %w", err)
	}
	p := e.policy
	// The evaluation's time budget starts when a worker starts on the
	// rules, not while it waits for a worker, compiles or reads the input
	// (as in this process, where those happen elsewhere); a fresh worker
	// after a death gets what is left.
	var started time.Time
	var want []string
	for _, r := range e.rules {
		if len(only) == 0 || slices.Contains(only, r.meta.ID) {
			want = append(want, r.meta.ID)
		}
	}
	got := map[string]decision.RuleResult{}
	for {
		var pending []string
		for _, id := range want {
			if _, ok := got[id]; !ok {
				pending = append(pending, id)
			}
		}
		if len(pending) == 0 {
			break
		}
		budget := p.budget()
		if !started.IsZero() {
			budget = max(budget-time.Since(started), 0)
		}
		req := request{Op: opEvaluate, Binding: e.raw, BindingKey: e.key, Input: raw, Now: now, Only: pending, Budget: budget}
		err := ws.call(ctx, p, req, func(rep reply) (bool, error) {
			if started.IsZero() && (rep.Stage == stageRule || len(rep.Results) > 0) {
				started = time.Now() // when the worker's clock for it started
			}
			for _, r := range rep.Results {
				got[r.ID] = r
			}
			if rep.Done {
				return true, replyError(rep)
			}
			return false, nil
		})
		var st *stopped
		if !errors.As(err, &st) {
			if err != nil {
				return nil, err
			}
			for _, id := range pending {
				if _, ok := got[id]; !ok {
					got[id] = e.failed(id, "not evaluated: the policy worker did not report this rule")
				}
			}
			continue
		}
		if st.Stage == stageRule && slices.Contains(pending, st.Name) {
			got[st.Name] = e.stoppedIn(st.Name, st)
			continue
		}
		// It died outside any rule: no rule can be blamed, and a fresh
		// worker would likely die the same way.
		why := "not evaluated: " + st.Error()
		if st.Stage == "" || st.Stage == stageInput {
			why = fmt.Sprintf("not evaluated: %s; the pull request's input document is %d MiB", st.Error(), len(raw)>>20)
		}
		for _, id := range pending {
			got[id] = e.failed(id, why)
		}
	}
	results := make([]decision.RuleResult, 0, len(want))
	for _, id := range want {
		results = append(results, got[id])
	}
	return results, nil
}

// stoppedIn is the result of rule id when its worker was stopped in it.
func (e *Engine) stoppedIn(id string, st *stopped) decision.RuleResult {
	var why string
	switch {
	case st.Reason == "memory" || st.Reason == "killed":
		why = fmt.Sprintf("rule %s: %s. Look for a rule that builds very large strings, arrays or objects; the memory limit for policies is set by MERGEGUARD_POLICY_MEMORY", id, st.Error())
	case st.Reason == "time":
		why = fmt.Sprintf("rule %s: evaluation did not finish within the %s time limit, and a single builtin call ran on past it, so %s. Look for builtins called on huge values in this rule", id, e.policy.timeout, strings.Replace(st.Error(), "because it ran past its time limit ", "", 1))
	default:
		why = fmt.Sprintf("rule %s: %s", id, st.Error())
	}
	return e.failed(id, why)
}

// failed is the result of rule id, which could not be evaluated: why,
// after the rule's file.
func (e *Engine) failed(id, why string) decision.RuleResult {
	r := e.rules[slices.IndexFunc(e.rules, func(r rule) bool { return r.meta.ID == id })]
	res := ruleResult(r)
	res.Err = fmt.Sprintf("%s: %s", r.meta.File, why)
	return res
}

// authorize evaluates the override policy in a worker.
func (ws *Workers) authorize(ctx context.Context, e *Engine, req OverrideRequest, now time.Time) (Authorization, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return Authorization{}, fmt.Errorf("convert override input: %w", err)
	}
	var out Authorization
	err = ws.call(ctx, e.policy, request{Op: opAuthorize, Binding: e.raw, BindingKey: e.key, Input: raw, Now: now}, func(rep reply) (bool, error) {
		if !rep.Done {
			return false, nil
		}
		if rep.Auth != nil {
			out = *rep.Auth
		}
		return true, replyError(rep)
	})
	if err != nil {
		return Authorization{}, fmt.Errorf("evaluate the override policy: %w", err)
	}
	return out, nil
}

// runTests runs the tests in workers. When a worker dies in a test, that
// test fails saying why, and the tests after it run in a fresh worker.
func (ws *Workers) runTests(ctx context.Context, modules []Module, timeout time.Duration) ([]TestResult, error) {
	if timeout <= 0 {
		timeout = 5 * time.Second // the tester's own default
	}
	var out []TestResult
	var done []string
	for {
		var current *testCase
		err := ws.on(ctx, "", func(w *worker) error {
			return ws.exchange(ctx, w, request{Op: opTest, Modules: modules, Timeout: timeout, Skip: done}, timeout+ws.grace, func(rep reply) (bool, error) {
				switch {
				case rep.Case != nil:
					current = &testCase{name: rep.Name, id: *rep.Case}
				case rep.Test != nil:
					out = append(out, *rep.Test)
					if current != nil {
						done = append(done, current.name)
						current = nil
					}
				case rep.Done:
					return true, replyError(rep)
				}
				return false, nil
			})
		})
		var st *stopped
		if !errors.As(err, &st) {
			if err != nil {
				return nil, err
			}
			break
		}
		if st.Stage != stageTest || current == nil {
			return nil, &CompileError{Problems: []Problem{st.problem()}}
		}
		failed := current.id
		failed.Err = st.Error()
		if st.Reason == "memory" || st.Reason == "killed" {
			failed.Err += "; the memory limit for policies is set by MERGEGUARD_POLICY_MEMORY"
		}
		out = append(out, failed)
		done = append(done, current.name)
	}
	sortTests(out)
	return out, nil
}
