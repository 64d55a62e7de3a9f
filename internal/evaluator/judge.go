package evaluator

import (
	"context"
	"fmt"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/report"
)

// Engine evaluates compiled policies; with only, just those rules.
type Engine interface {
	Evaluate(ctx context.Context, input any, now time.Time, only ...string) ([]decision.RuleResult, error)
	Digest() string
}

// Judge is the pure part of an evaluation: policy, decision and rendering,
// with no I/O. The worker and `mergeguard eval` both use it, so an offline
// verdict is the verdict the check run would show.
type Judge struct {
	Engine Engine
	Mode   decision.Mode
	// Policy names the policy in the summary, e.g. "bundled@3f2a1c0b9d8e".
	Policy         string
	MaxAnnotations int
	// Notices go at the top of the summary.
	Notices []string
	// Fallback, when set, supplies the result of a rule that fails at run
	// time (on_policy_error: last_good).
	Fallback      Engine
	FallbackLabel string
	// Extra results are decided alongside the policy's: findings mergeguard
	// makes itself, such as a broken configuration file in the pull request.
	Extra []decision.RuleResult
	// Interventions are the overrides and holds people placed on the pull
	// request; those for other head commits do not apply.
	Interventions decision.Interventions
	// HeadSHA is the pull request's head commit as GitHub gave it (not
	// read back from the input document): the overrides given on it
	// apply, and the check run says it evaluated it.
	HeadSHA string
	// MergeGroupSHA is set when the pull request is checked as the tip of
	// a merge queue entry: the check run says it evaluated that commit.
	MergeGroupSHA string
}

// Judgement is a verdict and how the check run shows it.
type Judgement struct {
	Verdict decision.Verdict
	Output  report.Output
	// Took is the policy evaluation time.
	Took time.Duration
	// Notices are those at the top of the summary, for `mergeguard eval`
	// to print as the check run shows them.
	Notices []string
}

// Decide evaluates the policy on the input document.
func (j Judge) Decide(ctx context.Context, in facts.Input, now time.Time) (Judgement, error) {
	start := time.Now()
	results, err := j.Engine.Evaluate(ctx, in, now)
	if err != nil {
		return Judgement{}, fmt.Errorf("evaluate policy: %w", err)
	}
	notices := j.Notices
	if j.Fallback != nil && anyError(results) {
		results, notices, err = j.fallBack(ctx, in, now, results, notices)
		if err != nil {
			return Judgement{}, err
		}
	}
	took := time.Since(start)
	// Overrides are given for the pull request's head commit, which a merge
	// group's commit contains.
	v := decision.DecideWith(j.Mode, append(results, j.Extra...), j.Interventions.Applicable(j.HeadSHA))
	out := report.CheckRun(v, report.Context{HeadSHA: evaluatedSHA(j.HeadSHA, j.MergeGroupSHA), PolicyDigest: j.Policy, MaxAnnotations: j.MaxAnnotations, Notices: notices})
	return Judgement{Verdict: v, Output: out, Took: took, Notices: notices}, nil
}

// evaluatedSHA is the commit a check run says it evaluated: the merge
// group's when there is one, else the pull request's head.
func evaluatedSHA(head, mergeGroup string) string {
	if mergeGroup != "" {
		return mergeGroup
	}
	return head
}

func anyError(results []decision.RuleResult) bool {
	for _, r := range results {
		if r.Err != "" {
			return true
		}
	}
	return false
}

// fallBack replaces the results of rules that failed at run time with the
// last good policy's results for the same rules, when those succeeded.
func (j Judge) fallBack(ctx context.Context, in facts.Input, now time.Time, results []decision.RuleResult, notices []string) ([]decision.RuleResult, []string, error) {
	var failed []string
	for _, r := range results {
		if r.Err != "" {
			failed = append(failed, r.ID)
		}
	}
	// Only the failed rules: evaluating all of them again would double the
	// time a slow policy takes.
	previous, err := j.Fallback.Evaluate(ctx, in, now, failed...)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate the last good policy: %w", err)
	}
	byID := map[string]decision.RuleResult{}
	for _, r := range previous {
		byID[r.ID] = r
	}
	out := make([]decision.RuleResult, len(results))
	for i, r := range results {
		out[i] = r
		if r.Err == "" {
			continue
		}
		if p, ok := byID[r.ID]; ok && p.Err == "" {
			out[i] = p
			notices = append(notices, fmt.Sprintf("Rule %s failed with %s (%s); its result comes from the last policy that compiled, %s (on_policy_error: last_good).", r.ID, j.Policy, r.Err, j.FallbackLabel))
		}
	}
	return out, notices, nil
}
