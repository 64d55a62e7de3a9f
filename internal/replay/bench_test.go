package replay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/localpr"
	"github.com/mergeguard/mergeguard/internal/policy"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/replay"
	"github.com/mergeguard/mergeguard/policies"
)

// BenchmarkReplay500 replays 500 stored inputs (the example pull requests,
// at instants spread over two weeks) with the example policy repository
// against the bundled policy: both sides evaluated in two policy workers,
// as `mergeguard replay` and the policy repository's check run it.
func BenchmarkReplay500(b *testing.B) {
	ctx := context.Background()
	bundled, err := policies.Modules()
	if err != nil {
		b.Fatal(err)
	}
	ws, err := policy.NewWorkers(policy.WorkerConfig{Size: 2, Memory: policy.DefaultMemory})
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	resolve := func(dir string) replay.Engine {
		res, err := policysource.Local{PolicyDir: dir, Bundled: bundled, Workers: ws, Timeout: 2 * time.Second}.Resolve(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return res.Engine
	}
	repo := filepath.Join("..", "..", "testdata", "policy-repo")
	proposed := resolve(repo)
	folder, err := policysource.ReadDir(repo, policysource.Layout{})
	if err != nil {
		b.Fatal(err)
	}
	var sources [][]byte
	for _, m := range bundled {
		sources = append(sources, m.Source)
	}
	for _, src := range folder.Files {
		sources = append(sources, src)
	}
	reads := replay.ReadsIn(sources)
	current := resolve("")
	start := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	var inputs []replay.Input
	for i := range 500 {
		dir := filepath.Join("..", "..", "testdata", "prs", []string{"approved", "unreviewed", "changes-requested", "production-change"}[i%4])
		src, err := localpr.Load(context.Background(), dir, start.Add(time.Duration(i)*37*time.Minute))
		if err != nil {
			b.Fatal(err)
		}
		doc, err := json.Marshal(facts.Build(src))
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, replay.Input{Repo: "acme/storefront", Number: i + 1, HeadSHA: fmt.Sprint(i), Document: doc})
	}
	b.ResetTimer()
	for range b.N {
		rep, err := replay.Run(ctx, inputs, replay.Options{New: proposed, Old: current, Parallel: 4, Fields: facts.FieldPaths(), Reads: reads})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Inputs != 500 || len(rep.Failures) > 0 {
			b.Fatalf("replayed %d, failures %v", rep.Inputs, rep.Failures)
		}
	}
}
