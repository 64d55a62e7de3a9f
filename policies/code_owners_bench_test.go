package policies_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/policy"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
	"github.com/mergeguard/mergeguard/policies"
)

// codeOwnersEngine binds the bundled policy with code_owners switched on.
func codeOwnersEngine(t testing.TB, config string) *policy.Engine {
	t.Helper()
	mods, err := policies.Modules()
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := policy.Compile(context.Background(), mods, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	org, err := policyconfig.Parse("mergeguard/config.yaml", policyconfig.OrgFile, []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := policyconfig.Resolve(org, nil, compiled.Schema())
	if err != nil {
		t.Fatal(err)
	}
	engine, err := compiled.Engine(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return engine
}

// ownersInput is a pull request as the input document carries it: each
// changed file with the CODEOWNERS line that decides its owners and the
// files grouped by owners (matched by internal/facts, as an evaluation
// does), the file's path and problems, the owning teams, and reviews, half
// of them given before 200 of the files changed.
func ownersInput(content string, paths []string, teams map[string][]string, reviewers []string) map[string]any {
	changed := make([]facts.File, 0, len(paths))
	for _, p := range paths {
		changed = append(changed, facts.File{Path: p, Status: "modified"})
	}
	matched, co := facts.WithCodeOwners(changed, facts.CodeOwnersFile{Path: ".github/CODEOWNERS", Content: []byte(content)}, nil)
	files := make([]any, 0, len(matched))
	for _, f := range matched {
		files = append(files, map[string]any{"path": f.Path, "status": f.Status, "owners": f.Owners})
	}
	teamDocs := map[string]any{}
	for slug, members := range teams {
		teamDocs[slug] = map[string]any{"found": true, "members": members}
	}
	reviews := []any{}
	for r, login := range reviewers {
		changed := []any{}
		if r%2 == 1 {
			for f := range min(200, len(paths)) {
				changed = append(changed, paths[(r*97+f)%len(paths)])
			}
		}
		reviews = append(reviews, map[string]any{
			"author": map[string]any{"login": login, "type": "User"}, "state": "APPROVED",
			"commit_sha": "0123456789012345678901234567890123456789", "on_head": r%2 == 0,
			"changes_since_known": true, "files_changed_since": changed,
		})
	}
	return map[string]any{
		"pull_request": map[string]any{
			"number": 1, "author": map[string]any{"login": "dev", "type": "User"},
			"codeowners": co,
		},
		"repository": map[string]any{"owner": "acme", "name": "shop"},
		"files":      files, "reviews": reviews, "teams": teamDocs,
	}
}

func codeOwnersResult(t testing.TB, engine *policy.Engine, in any) decision.RuleResult {
	t.Helper()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	results, err := engine.Evaluate(context.Background(), in, now, "code_owners")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Err != "" {
		t.Fatalf("results %+v", results)
	}
	return results[0]
}

// TestCodeOwnersFromAFile runs the rule through the engine on an input
// built from a CODEOWNERS file by internal/codeowners, as the facts will be.
func TestCodeOwnersFromAFile(t *testing.T) {
	const file = "* @acme/everyone\n/payments/ @acme/payments @ana\n/payments/generated/\n!/x/ @acme/x\n"
	teams := map[string][]string{"everyone": {"eve"}, "payments": {"bo", "chen"}}
	paths := []string{"payments/a.go", "payments/b.go", "payments/generated/c.go"}
	engine := codeOwnersEngine(t, "rules:\n  code_owners: {enforce: true}\n")

	res := codeOwnersResult(t, engine, ownersInput(file, paths, teams, nil))
	want := "Needs an approval from @acme/payments or @ana for 2 files (`/payments/`): ask @ana, @bo, @chen."
	if len(res.Denials) != 1 || res.Denials[0].Message != want || res.Denials[0].Location == nil || res.Denials[0].Location.Path != "payments/a.go" {
		t.Errorf("without approvals: %+v", res)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, ".github/CODEOWNERS:4: pattern \"!/x/\"") {
		t.Errorf("the skipped line: %+v", res.Warnings)
	}
	res = codeOwnersResult(t, engine, ownersInput(file, paths, teams, []string{"chen"}))
	if len(res.Denials) != 0 {
		t.Errorf("after an owner's approval: %+v", res.Denials)
	}
	// Off by default.
	res = codeOwnersResult(t, codeOwnersEngine(t, "rules: {}\n"), ownersInput(file, paths, teams, nil))
	if len(res.Denials) != 0 || len(res.SkipReasons) != 1 {
		t.Errorf("by default: %+v", res)
	}
}

// BenchmarkCodeOwnersRule is the rule at its most expensive: 3000 changed
// files under a 500-line CODEOWNERS (matching included), 40 owning teams of
// 25 members, 30 approvals of which half are stale with 200 files changed
// since, and a distinct-teams requirement.
func BenchmarkCodeOwnersRule(b *testing.B) {
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
	teams := map[string][]string{"everyone": {"eve"}}
	for t := range 40 {
		for m := range 25 {
			teams[fmt.Sprintf("team%d", t)] = append(teams[fmt.Sprintf("team%d", t)], fmt.Sprintf("user%d", t*20+m))
		}
	}
	var paths []string
	for i := range 3000 {
		switch i % 3 {
		case 0:
			paths = append(paths, fmt.Sprintf("services/svc%d/handler%d.go", (i%125)*4, i))
		case 1:
			paths = append(paths, fmt.Sprintf("services/svc%d/db/q%d.sql", (i%125)*4, i))
		case 2:
			paths = append(paths, fmt.Sprintf("web/lib%d/c%d.tsx", (i%125)*4+2, i))
		}
	}
	var reviewers []string
	for r := range 30 {
		reviewers = append(reviewers, fmt.Sprintf("user%d", r*27))
	}
	engine := codeOwnersEngine(b, "rules:\n  code_owners:\n    enforce: true\n    distinct_teams: [{paths: [\"services/*/db/**\"], teams: 2}]\n")
	content := file.String()
	b.ReportAllocs()
	for b.Loop() {
		res := codeOwnersResult(b, engine, ownersInput(content, paths, teams, reviewers))
		if len(res.Denials) == 0 {
			b.Fatal("expected denials")
		}
	}
}
