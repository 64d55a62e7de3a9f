package evaluator_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/localpr"
	"github.com/mergeguard/mergeguard/internal/policy"
	"github.com/mergeguard/mergeguard/policies"
)

// BenchmarkEvaluation is one evaluation of an already fetched pull request:
// build the input document, evaluate the bundled policies, decide, and
// render the check run. Fetching from GitHub is not included.
func BenchmarkEvaluation(b *testing.B) {
	ctx := context.Background()
	mods, err := policies.Modules()
	if err != nil {
		b.Fatal(err)
	}
	compiled, err := policy.Compile(ctx, mods, policy.Options{})
	if err != nil {
		b.Fatal(err)
	}
	engine, err := compiled.DefaultEngine(ctx)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	src, err := localpr.Load(filepath.Join("..", "..", "testdata", "prs", "changes-requested"), now)
	if err != nil {
		b.Fatal(err)
	}
	judge := evaluator.Judge{Engine: engine, Mode: decision.Enforce, Policy: "bundled@" + engine.Digest()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j, err := judge.Decide(ctx, facts.Build(src), now)
		if err != nil {
			b.Fatal(err)
		}
		if !j.Verdict.Blocked || j.Output.Title == "" {
			b.Fatalf("unexpected verdict %+v", j.Verdict)
		}
	}
}

// BenchmarkCompile is the cost paid once per policy version, never per event.
func BenchmarkCompile(b *testing.B) {
	ctx := context.Background()
	mods, err := policies.Modules()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p, err := policy.Compile(ctx, mods, policy.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.DefaultEngine(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
