package evaluator_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/localpr"
	"github.com/mergeguard/mergeguard/internal/migration"
	"github.com/mergeguard/mergeguard/internal/policy"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
	"github.com/mergeguard/mergeguard/policies"
)

// BenchmarkEvaluation is one evaluation of an already fetched pull request:
// build the input document, evaluate the bundled policies, decide, and
// render the check run. Fetching from GitHub is not included.
func BenchmarkEvaluation(b *testing.B) {
	ctx := context.Background()
	compiled := compileBundled(b)
	engine, err := compiled.DefaultEngine(ctx)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	src, err := localpr.Load(context.Background(), filepath.Join("..", "..", "testdata", "prs", "changes-requested"), now)
	if err != nil {
		b.Fatal(err)
	}
	judge := evaluator.Judge{Engine: engine, Mode: decision.Enforce, Policy: "bundled@" + engine.Digest(), HeadSHA: src.PullRequest.Head.SHA}
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

func compileBundled(b *testing.B) *policy.Policy {
	b.Helper()
	mods, err := policies.Modules()
	if err != nil {
		b.Fatal(err)
	}
	compiled, err := policy.Compile(context.Background(), mods, policy.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return compiled
}

// engineWith is the bundled policy bound to an organization configuration.
func engineWith(b *testing.B, config string) *policy.Engine {
	b.Helper()
	return engineIn(b, nil, config)
}

// engineIn is engineWith run by workers (in this process when nil).
func engineIn(b *testing.B, workers *policy.Workers, config string) *policy.Engine {
	b.Helper()
	mods, err := policies.Modules()
	if err != nil {
		b.Fatal(err)
	}
	compiled, err := policy.Compile(context.Background(), mods, policy.Options{Workers: workers})
	if err != nil {
		b.Fatal(err)
	}
	org, err := policyconfig.Parse("mergeguard/config.yaml", policyconfig.OrgFile, []byte(config))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := policyconfig.Resolve(org, nil, compiled.Schema())
	if err != nil {
		b.Fatal(err)
	}
	engine, err := compiled.Engine(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return engine
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

// BenchmarkReviewRulesOnTheLargestPullRequest evaluates the bundled review
// rules at their most expensive: 3000 changed files spread over production,
// migrations and payments paths, 30 reviews of which half are stale with 200
// files changed since, five 50-member teams, and requirements including one
// that needs three distinct teams out of four.
func BenchmarkReviewRulesOnTheLargestPullRequest(b *testing.B) {
	ctx := context.Background()
	engine := engineWith(b, reviewConfig)
	in := reviewInput(3000)
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	judge := evaluator.Judge{Engine: engine, Mode: decision.Enforce, Policy: "bundled", HeadSHA: in.PullRequest.Head.SHA}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j, err := judge.Decide(ctx, in, now)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range j.Verdict.Rules {
			if r.Err != "" {
				b.Fatalf("%s: %s", r.ID, r.Err)
			}
		}
	}
}

// reviewConfig makes the review rules as expensive as they get.
const reviewConfig = `
rules:
  production_access: {teams: [prod], guard_teams: [platform], approvals: 2}
  required_reviewers:
    requirements:
      - {paths: ["db/migrations/**"], teams: [dba]}
      - {paths: ["payments/**"], teams: [payments], approvals: 2}
      - {paths: ["**/*.go"], teams: [dba, payments, prod, platform], approvals: 3, distinct_teams: 3}
`

// reviewInput is a pull request of files changed files spread over
// production, migrations and payments paths, with 30 reviews of which half
// are stale, and five 50-member teams.
func reviewInput(files int) facts.Input {
	in := facts.Input{
		Version:     facts.Version,
		PullRequest: facts.PullRequest{Number: 1, Author: facts.Actor{Login: "dev", Type: "User"}},
		Repository:  facts.Repository{Owner: "acme", Name: "shop", FullName: "acme/shop"},
		Teams:       map[string]facts.Team{},
	}
	dirs := []string{"deploy/prod/svc%d/app.yaml", "db/migrations/%04d.sql", "payments/svc%d/charge.go", "services/svc%d/handler.go"}
	// The migrations' one changed line is a comment: read, with no
	// statements.
	comment := migration.Project(context.Background(), "db/migrations/0001.sql", []byte("-- x\n"), migration.Options{})
	for i := range files {
		path := fmt.Sprintf(dirs[i%len(dirs)], i)
		f := facts.File{Path: path, Status: "modified", Additions: 1,
			Hunks: []facts.Hunk{{OldStart: 1, OldLines: 1, NewStart: 1, NewLines: 1}}, AddedLines: []facts.Line{{Line: 1, Text: "x"}}, RemovedLines: []int{1}}
		if strings.HasSuffix(path, ".sql") {
			m := *comment
			m.Path = path
			f.Migration = &m
		}
		in.Files = append(in.Files, f)
	}
	for t, slug := range []string{"prod", "platform", "dba", "payments", "sre"} {
		var members []string
		for m := range 50 {
			members = append(members, fmt.Sprintf("user%d", t*40+m)) // overlapping teams
		}
		in.Teams[slug] = facts.Team{Found: true, Members: members}
	}
	for r := range 30 {
		rv := facts.Review{Author: facts.Actor{Login: fmt.Sprintf("user%d", r*7), Type: "User"}, State: "APPROVED",
			CommitSHA: "0123456789012345678901234567890123456789", OnHead: r%2 == 0, ChangesSinceKnown: true, FilesChangedSince: []string{}}
		if !rv.OnHead {
			for f := range 200 {
				rv.FilesChangedSince = append(rv.FilesChangedSince, in.Files[(r*97+f)%len(in.Files)].Path)
			}
		}
		in.Reviews = append(in.Reviews, rv)
	}
	return in
}

// BenchmarkFreezeRule is the change-freeze rule with several windows, holiday
// dates and incident freezes, in a zone with daylight saving time: the
// calendar arithmetic runs on every evaluation.
func BenchmarkFreezeRule(b *testing.B) {
	engine := engineWith(b, `
rules:
  change_freeze:
    timezone: Europe/Berlin
    windows:
      - {start: "Fri 15:00", end: "Mon 08:00", reason: weekend}
      - {start: "Mon 22:00", end: "Tue 06:00", reason: nightly batch}
      - {start: "Wed 22:00", end: "Thu 06:00", reason: nightly batch}
      - {start: "Thu 12:00", end: "Thu 13:00", reason: release sync}
      - {start: "Sun 20:00", end: "Sun 23:00", reason: maintenance}
    dates:
      - {start: 2026-12-21, end: 2027-01-04, reason: holidays}
      - {start: 2026-11-26, end: 2026-11-27, reason: black friday}
      - {start: "2027-03-01 18:00", end: "2027-03-02 06:00", reason: datacenter move}
`)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	src, err := localpr.Load(context.Background(), filepath.Join("..", "..", "testdata", "prs", "approved"), now)
	if err != nil {
		b.Fatal(err)
	}
	src.Freezes = []facts.Freeze{
		facts.NewFreeze(1, "checkout errors", nil, "ic", now.Add(-time.Hour), now.Add(time.Hour)),
		facts.NewFreeze(2, "db failover", []string{"storefront"}, "dba", now.Add(-2*time.Hour), time.Time{}),
	}
	benchBlocked(b, engine, facts.Build(src), now, "the incident freezes must block")
}

// benchBlocked times deciding in, which must be blocked.
func benchBlocked(b *testing.B, engine *policy.Engine, in facts.Input, now time.Time, why string) {
	b.Helper()
	ctx := context.Background()
	judge := evaluator.Judge{Engine: engine, Mode: decision.Enforce, Policy: "bundled", MaxAnnotations: 200, HeadSHA: in.PullRequest.Head.SHA}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j, err := judge.Decide(ctx, in, now)
		if err != nil {
			b.Fatal(err)
		}
		if !j.Verdict.Blocked {
			b.Fatal(why)
		}
	}
}

// BenchmarkDiffCoverageOnTheLargestPullRequest is the diff-coverage rule on
// a 3000-file pull request whose every file has 33 measured added lines, a
// third of them uncovered in scattered ranges: the join is done (facts),
// the percentage, the ranges and the per-file table are computed in Rego.
// With branches, every fifth line has two, and 3 lines a file ran with
// only one taken (partly covered, annotated one by one).
func BenchmarkDiffCoverageOnTheLargestPullRequest(b *testing.B) {
	engine := engineWith(b, "rules: {diff_coverage: {target: 80}}\n")
	for _, branches := range []bool{false, true} {
		name := "lines"
		if branches {
			name = "with branches"
		}
		b.Run(name, func(b *testing.B) {
			in := facts.Input{
				Version: facts.Version, Teams: map[string]facts.Team{}, Freezes: []facts.Freeze{},
				Coverage: facts.Coverage{Status: "ready", SHA: strings.Repeat("a", 40), Flags: []string{""}, Files: map[string]facts.CoverageFile{}},
			}
			for i := range 3000 {
				path := fmt.Sprintf("services/svc%03d/handler_%04d.go", i%100, i)
				in.Files = append(in.Files, facts.File{Path: path, Status: "modified"})
				cf := facts.CoverageFile{InReport: true, Partial: []int{}, Branches: []facts.LineBranches{}}
				for l := 1; l <= 33; l++ {
					cf.Measured = append(cf.Measured, l)
					if l%3 != 0 {
						cf.Covered = append(cf.Covered, l)
					}
					// Every fifth line has two branches; a third of those
					// that ran took only one.
					if branches && l%5 == 0 {
						taken := 2
						if l%3 != 0 && l%15 != 5 {
							taken = 1
							cf.Partial = append(cf.Partial, l)
						}
						cf.Branches = append(cf.Branches, facts.LineBranches{Line: l, Total: 2, Taken: taken})
					}
				}
				in.Coverage.Files[path] = cf
			}
			benchBlocked(b, engine, in, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), "66.7% must fail an 80% target")
		})
	}
}

// BenchmarkMigrationSafety is the migration-safety rule alone (the input
// conversion included): on long migrations, one new file of 2000 statements
// and 200 changed files of 10, and on the review benchmark's 3000 files, 750
// of them migrations without statements. The statements mix the checks'
// subjects (indexes, ALTER TABLE clauses, tables created and then altered,
// transactions, ignores), so every check runs on every statement and most
// of them report.
func BenchmarkMigrationSafety(b *testing.B) {
	ctx := context.Background()
	engine := engineWith(b, "rules: {}\n")
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		in       facts.Input
		findings bool
	}{
		{"one file of 2000 statements", migrationInput(1, 2000), true},
		{"200 files of 10 statements", migrationInput(200, 10), true},
		{"3000 files, 750 migrations", reviewInput(3000), false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := engine.Evaluate(ctx, tc.in, now, "migration_safety")
				if err != nil {
					b.Fatal(err)
				}
				if len(res) != 1 || res[0].Err != "" || (len(res[0].Denials) > 0) != tc.findings {
					b.Fatalf("unexpected result %+v", res)
				}
			}
		})
	}
}

// migrationInput is a pull request of files migrations of per statements
// each; the first file is new, the others changed.
func migrationInput(files, per int) facts.Input {
	codes := []string{
		"BEGIN",
		"ALTER TABLE orders ADD COLUMN note text",
		"CREATE INDEX idx_orders_a ON orders (a)",
		"CREATE TABLE audit_%d (id int)",
		"CREATE INDEX idx_audit_%d ON audit_%d (id)",
		"UPDATE orders SET note = 'x'",
		"COMMIT",
		"ALTER TABLE orders ALTER COLUMN note SET NOT NULL, ADD COLUMN y int",
		"CREATE INDEX CONCURRENTLY idx_orders_b ON orders (b)",
		"ALTER TABLE orders RENAME COLUMN a TO b",
		"DROP INDEX idx_old_%d",
		"ALTER TABLE audit_%d ADD COLUMN at timestamptz NOT NULL",
	}
	in := facts.Input{Version: facts.Version, Teams: map[string]facts.Team{}, Freezes: []facts.Freeze{}}
	for f := range files {
		var sql strings.Builder
		for i := range per {
			if i%len(codes) == 10 {
				sql.WriteString("-- mergeguard:ignore drop_index the index is unused\n")
			}
			sql.WriteString(strings.ReplaceAll(codes[i%len(codes)], "%d", fmt.Sprint(i/len(codes))) + ";\n")
		}
		status := "modified"
		if f == 0 {
			status = "added"
		}
		path := fmt.Sprintf("db/migrations/%04d_change.sql", f)
		file := facts.File{Path: path, Status: status, AddedLines: []facts.Line{}}
		if status == "modified" {
			for n := 1; n <= per; n++ {
				file.AddedLines = append(file.AddedLines, facts.Line{Line: n})
			}
		}
		file.Migration = migration.Project(context.Background(), path, []byte(sql.String()), migration.Options{})
		in.Files = append(in.Files, file)
	}
	return in
}

// BenchmarkCodeOwnersOnTheLargestPullRequest is what the code_owners rule
// costs an evaluation at its most expensive, from the fetched CODEOWNERS on:
// parse a 500-line file, match 3000 changed files (facts.WithCodeOwners),
// convert the input document and evaluate the rule, with 40 owning teams of
// 25 members, 30 approvals of which half are stale with 200 files changed
// since, and a distinct-teams requirement.
func BenchmarkCodeOwnersOnTheLargestPullRequest(b *testing.B) {
	ctx := context.Background()
	engine := engineWith(b, "rules:\n  code_owners:\n    enforce: true\n    distinct_teams: [{paths: [\"services/*/db/**\"], teams: 2}]\n")
	var file strings.Builder
	file.WriteString("* @acme/everyone\n")
	for i := 1; i < 500; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&file, "/services/svc%d/ @acme/team%d @user%d\n", i, i%40, i)
		case 1:
			fmt.Fprintf(&file, "/services/svc%d/db/ @acme/team%d @acme/team%d\n", i-1, i%40, (i+1)%40)
		case 2:
			fmt.Fprintf(&file, "lib%d/ @acme/team%d\n", i, i%40)
		case 3:
			fmt.Fprintf(&file, "*.ext%d @user%d\n", i, i)
		}
	}
	owners := facts.CodeOwnersFile{Path: ".github/CODEOWNERS", Content: []byte(file.String())}
	in := facts.Input{
		Version:     facts.Version,
		PullRequest: facts.PullRequest{Number: 1, Author: facts.Actor{Login: "dev", Type: "User"}},
		Repository:  facts.Repository{Owner: "acme", Name: "shop", FullName: "acme/shop"},
		Teams:       map[string]facts.Team{"everyone": {Found: true, Members: []string{"eve"}}},
	}
	for i := range 3000 {
		var path string
		switch i % 3 {
		case 0:
			path = fmt.Sprintf("services/svc%d/handler%d.go", (i%125)*4, i)
		case 1:
			path = fmt.Sprintf("services/svc%d/db/q%d.sql", (i%125)*4, i)
		case 2:
			path = fmt.Sprintf("web/lib%d/c%d.tsx", (i%125)*4+2, i)
		}
		in.Files = append(in.Files, facts.File{Path: path, Status: "modified", Additions: 1,
			Hunks: []facts.Hunk{{OldStart: 1, OldLines: 1, NewStart: 1, NewLines: 1}}, AddedLines: []facts.Line{{Line: 1, Text: "x"}}, RemovedLines: []int{1}})
	}
	for t := range 40 {
		var members []string
		for m := range 25 {
			members = append(members, fmt.Sprintf("user%d", t*20+m))
		}
		in.Teams[fmt.Sprintf("team%d", t)] = facts.Team{Found: true, Members: members}
	}
	for r := range 30 {
		rv := facts.Review{Author: facts.Actor{Login: fmt.Sprintf("user%d", r*27), Type: "User"}, State: "APPROVED",
			CommitSHA: "0123456789012345678901234567890123456789", OnHead: r%2 == 0, ChangesSinceKnown: true, FilesChangedSince: []string{}}
		if !rv.OnHead {
			for f := range 200 {
				rv.FilesChangedSince = append(rv.FilesChangedSince, in.Files[(r*97+f)%len(in.Files)].Path)
			}
		}
		in.Reviews = append(in.Reviews, rv)
	}
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		doc := in
		doc.Files = slices.Clone(in.Files)
		doc.Files, doc.PullRequest.CodeOwners = facts.WithCodeOwners(doc.Files, owners, nil)
		results, err := engine.Evaluate(ctx, doc, now, "code_owners")
		if err != nil {
			b.Fatal(err)
		}
		if len(results) != 1 || results[0].Err != "" || len(results[0].Denials) == 0 {
			b.Fatalf("results %+v", results)
		}
	}
}

// BenchmarkMigrationEndToEnd is a pull request adding one 5,000-statement
// migration, evaluated as `mergeguard eval` does: the eval directory read
// (the diff, the whole file parsed by PostgreSQL's parser and projected),
// the input built, and every bundled rule decided, in this process and in
// a policy worker as a server does. The parser is compiled before the
// timer starts (a server pays that once, at start-up). It reports this
// process's resident memory at the end (rss-MB) and its peak (peak-rss-MB,
// the module compile included), read from /proc on Linux.
func BenchmarkMigrationEndToEnd(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	pr, err := os.ReadFile(filepath.Join("..", "..", "testdata", "prs", "unreviewed", localpr.PullRequestFile))
	if err != nil {
		b.Fatal(err)
	}
	var sql strings.Builder
	sql.WriteString("SET lock_timeout = '2s';\n")
	for i := range 5000 / 5 {
		fmt.Fprintf(&sql, "ALTER TABLE t%d ADD COLUMN c integer DEFAULT floor(random() * 10) NOT NULL REFERENCES u (id);\n", i)
		fmt.Fprintf(&sql, "CREATE INDEX CONCURRENTLY IF NOT EXISTS i%d ON t%d (c);\n", i, i)
		fmt.Fprintf(&sql, "ALTER TABLE t%d ADD CONSTRAINT k%d CHECK (c > 0) NOT VALID;\n", i, i)
		fmt.Fprintf(&sql, "ALTER TABLE t%d VALIDATE CONSTRAINT k%d;\n", i, i)
		fmt.Fprintf(&sql, "UPDATE t%d SET c = 1 WHERE id < 100;\n", i)
	}
	lines := strings.Split(strings.TrimSuffix(sql.String(), "\n"), "\n")
	var diff strings.Builder
	fmt.Fprintf(&diff, "diff --git a/db/migrations/0001_x.sql b/db/migrations/0001_x.sql\nnew file mode 100644\n--- /dev/null\n+++ b/db/migrations/0001_x.sql\n@@ -0,0 +1,%d @@\n", len(lines))
	for _, l := range lines {
		diff.WriteString("+" + l + "\n")
	}
	for name, data := range map[string][]byte{localpr.PullRequestFile: pr, localpr.DiffFile: []byte(diff.String())} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := migration.Ready(ctx); err != nil {
		b.Fatal(err)
	}
	workers, err := policy.NewWorkers(policy.WorkerConfig{Size: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer workers.Close()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	// A server evaluates in a policy worker (the input crosses a pipe as
	// JSON); `mergeguard eval` and the tests may evaluate in the process.
	for _, where := range []struct {
		name    string
		workers *policy.Workers
	}{{"in-process", nil}, {"policy-worker", workers}} {
		b.Run(where.name, func(b *testing.B) {
			engine := engineIn(b, where.workers, "rules: {}\n")
			judge := evaluator.Judge{Engine: engine, Mode: decision.Enforce, Policy: "bundled", MaxAnnotations: 200}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				src, err := localpr.Load(ctx, dir, now)
				if err != nil {
					b.Fatal(err)
				}
				in := facts.Build(src)
				if n := len(in.Files[0].Migration.Statements); n != 5001 {
					b.Fatalf("%d statements", n)
				}
				j, err := judge.Decide(ctx, in, now)
				if err != nil {
					b.Fatal(err)
				}
				if !j.Verdict.Blocked || len(j.Verdict.Rules) == 0 {
					b.Fatal("1,000 volatile defaults must block")
				}
				for _, r := range j.Verdict.Rules {
					if r.ID == "migration_safety" && len(r.Denials) != 2000 {
						b.Fatalf("%d denials, want 2,000", len(r.Denials))
					}
				}
			}
			b.StopTimer()
			if rss, peak, ok := residentMemory(); ok {
				b.ReportMetric(rss, "rss-MB")
				b.ReportMetric(peak, "peak-rss-MB")
			}
		})
	}
}

// residentMemory reads the process's resident set and its peak, in MB,
// from /proc/self/status (Linux); ok is false elsewhere.
func residentMemory() (rss, peak float64, ok bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kb float64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			if _, err := fmt.Sscanf(strings.TrimPrefix(line, "VmRSS:"), "%f", &kb); err == nil {
				rss = kb / 1000
			}
		case strings.HasPrefix(line, "VmHWM:"):
			if _, err := fmt.Sscanf(strings.TrimPrefix(line, "VmHWM:"), "%f", &kb); err == nil {
				peak = kb / 1000
			}
		}
	}
	return rss, peak, rss > 0 && peak > 0
}
