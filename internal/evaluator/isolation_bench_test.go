package evaluator_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/policy"
)

// TestMain lets the test binary serve as a policy worker for the
// benchmarks that start workers.
func TestMain(m *testing.M) {
	policy.RunAsWorker()
	os.Exit(m.Run())
}

// BenchmarkIsolation is what running policies in a worker process (within
// its memory limit) costs over running them in the server: the input
// document crosses a pipe as JSON and the results come back the same way.
// It decides a pull request of 20 files with 10 added lines each, one
// approval and the bundled defaults (the usual case), and the 3000-file one
// of BenchmarkReviewRulesOnTheLargestPullRequest with the review rules
// configured as there.
func BenchmarkIsolation(b *testing.B) {
	workers, err := policy.NewWorkers(policy.WorkerConfig{Size: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer workers.Close()
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	for _, pr := range []struct {
		name   string
		in     facts.Input
		config string
	}{
		{"20 files", typicalInput(20, now), "{}"},
		{"3000 files", reviewInput(3000), reviewConfig},
	} {
		for _, where := range []struct {
			name    string
			workers *policy.Workers
		}{{"in process", nil}, {"worker", workers}} {
			b.Run(pr.name+"/"+where.name, func(b *testing.B) {
				in := pr.in
				judge := evaluator.Judge{Engine: engineIn(b, where.workers, pr.config), Mode: decision.Enforce, Policy: "bundled", HeadSHA: in.PullRequest.Head.SHA}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					j, err := judge.Decide(context.Background(), in, now)
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range j.Verdict.Rules {
						if r.Err != "" {
							b.Fatalf("%s: %s", r.ID, r.Err)
						}
					}
				}
			})
		}
	}
}

// typicalInput is a pull request of files Go files with 10 added and 2
// removed lines each, approved on its head.
func typicalInput(files int, now time.Time) facts.Input {
	in := facts.Input{
		Version:     facts.Version,
		PullRequest: facts.PullRequest{Number: 7, Title: "Handle refunds", State: "open", Author: facts.Actor{Login: "dev", Type: "User"}},
		Repository:  facts.Repository{Owner: "acme", Name: "shop", FullName: "acme/shop"},
		Reviews: []facts.Review{{Author: facts.Actor{Login: "alice", Type: "User"}, State: "APPROVED", OnHead: true,
			CommitSHA: "0123456789012345678901234567890123456789", ChangesSinceKnown: true, FilesChangedSince: []string{}}},
		Teams: map[string]facts.Team{},
		Time:  facts.Time{RFC3339: now.Format(time.RFC3339), NS: now.UnixNano()},
	}
	for i := range files {
		f := facts.File{Path: fmt.Sprintf("services/svc%d/handler%d.go", i%4, i), Status: "modified", Additions: 10, Deletions: 2,
			Hunks: []facts.Hunk{{OldStart: 10, OldLines: 4, NewStart: 10, NewLines: 12}}, RemovedLines: []int{11, 12}}
		for l := range 10 {
			f.AddedLines = append(f.AddedLines, facts.Line{Line: 11 + l, Text: fmt.Sprintf("\tif err := step%d(ctx); err != nil { return err }", l)})
		}
		in.Files = append(in.Files, f)
	}
	return in
}
