package evaluator

import (
	"context"
	"fmt"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/report"
)

// Judge is the pure part of an evaluation: policy, decision and rendering,
// with no I/O. The worker and `mergeguard eval` both use it, so an offline
// verdict is the verdict the check run would show.
type Judge struct {
	Engine Engine
	Mode   decision.Mode
	// Policy names the policy in the summary, e.g. "bundled@3f2a1c0b9d8e".
	Policy         string
	MaxAnnotations int
}

// Judgement is a verdict and how the check run shows it.
type Judgement struct {
	Verdict decision.Verdict
	Output  report.Output
	// Took is the policy evaluation time.
	Took time.Duration
}

// Decide evaluates the policy on the input document.
func (j Judge) Decide(ctx context.Context, in facts.Input, now time.Time) (Judgement, error) {
	start := time.Now()
	results, err := j.Engine.Evaluate(ctx, in, now)
	took := time.Since(start)
	if err != nil {
		return Judgement{}, fmt.Errorf("evaluate policy: %w", err)
	}
	v := decision.Decide(j.Mode, results)
	out := report.CheckRun(v, report.Context{HeadSHA: in.PullRequest.Head.SHA, PolicyDigest: j.Policy, MaxAnnotations: j.MaxAnnotations})
	return Judgement{Verdict: v, Output: out, Took: took}, nil
}

// BundledPolicy names the policy compiled into the binary.
func BundledPolicy(e Engine) string { return "bundled@" + e.Digest() }
