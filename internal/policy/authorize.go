package policy

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// OverrideRequest is the input of the override policy: who asks to
// override which rule on whose pull request, and the members of the teams
// the configuration names (facts.Team shape).
type OverrideRequest struct {
	Rule        string `json:"rule"`
	Actor       string `json:"actor"`
	PullRequest struct {
		Author struct {
			Login string `json:"login"`
		} `json:"author"`
	} `json:"pull_request"`
	Repository struct {
		Owner string `json:"owner"`
	} `json:"repository"`
	Teams any `json:"teams"`
}

// Authorization is the override policy's answer.
type Authorization struct {
	// Refusals say why the actor may not override; empty means allowed.
	Refusals []string
	// KeepOnPush says the override survives later pushes.
	KeepOnPush bool
}

// Allowed reports whether the override may be made.
func (a Authorization) Allowed() bool { return len(a.Refusals) == 0 }

// AuthorizeOverride evaluates the bundled override policy
// (policies/overrides.rego) with the engine's configuration: who may
// override a rule is policy, decided by the same engine as the rules.
func (e *Engine) AuthorizeOverride(ctx context.Context, req OverrideRequest, now time.Time) (Authorization, error) {
	if e.policy.workers != nil {
		return e.policy.workers.authorize(ctx, e, req, now)
	}
	value, err := inputValue(req)
	if err != nil {
		return Authorization{}, fmt.Errorf("convert override input: %w", err)
	}
	return e.authorize(ctx, value, now)
}

func (e *Engine) authorize(ctx context.Context, value ast.Value, now time.Time) (Authorization, error) {
	rctx, cancel := context.WithTimeout(ctx, e.policy.timeout)
	defer cancel()
	rs, err := e.authz.Eval(rctx, rego.EvalParsedInput(value), rego.EvalTime(now))
	if err != nil {
		return Authorization{}, fmt.Errorf("evaluate the override policy: %w", err)
	}
	if len(rs) != 1 {
		return Authorization{}, fmt.Errorf("the override policy produced no decision")
	}
	var out Authorization
	if set, ok := rs[0].Bindings["refusals"].([]any); ok {
		for _, v := range set {
			if s, ok := v.(string); ok {
				out.Refusals = append(out.Refusals, s)
			}
		}
	}
	sort.Strings(out.Refusals)
	out.KeepOnPush, _ = rs[0].Bindings["keep"].(bool)
	return out, nil
}
