package policies_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/mergeguard/mergeguard/internal/deployhistory"
	"github.com/mergeguard/mergeguard/internal/promotion"
	"github.com/mergeguard/mergeguard/policies"
)

// bakeResult is what the bake_time rule concluded.
type bakeResult struct {
	Deny      []any   `json:"deny"`
	RecheckAt []int64 `json:"recheck_at"`
	Warn      []any   `json:"warn"`
}

// evalBakeTime evaluates the bundled bake_time rule on the document that
// the Go packages produce, marshalled to JSON as the evaluator does: the
// field names the rule reads are the ones internal/promotion and
// internal/deployhistory write.
func evalBakeTime(t *testing.T, now time.Time, files []promotion.File, deployments deployhistory.Input) bakeResult {
	t.Helper()
	ctx := context.Background()
	cfg := promotion.RawConfig{Paths: []string{"deploy/production/**"}, Patterns: []string{`image: ghcr\.io/acme/shop:(?P<version>\S+)`}}
	valid, err := cfg.Validate()
	if err != nil {
		t.Fatal(err)
	}
	var inputFiles []map[string]any
	for _, f := range files {
		var lines []map[string]any
		for _, l := range f.AddedLines {
			lines = append(lines, map[string]any{"line": l.Number, "text": l.Text})
		}
		inputFiles = append(inputFiles, map[string]any{"path": f.Path, "added_lines": lines})
	}
	doc := map[string]any{
		"time":        map[string]any{"ns": now.UnixNano()},
		"repository":  map[string]any{"owner": "acme", "name": "shop"},
		"files":       inputFiles,
		"promotion":   valid.Extract(files),
		"deployments": deployments,
	}
	var input any
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &input); err != nil {
		t.Fatal(err)
	}
	config := map[string]any{"rules": map[string]any{"bake_time": map[string]any{
		"timezone": "Europe/Berlin", "promotion_paths": cfg.Paths, "promotion_patterns": cfg.Patterns,
		"environments": []any{"staging"}, "min_bake_hours": 24, "production_environment": "production", "allow_rollbacks": true,
	}}}
	mods, err := policies.Modules()
	if err != nil {
		t.Fatal(err)
	}
	opts := []func(*rego.Rego){
		rego.Query(`x := {"deny": data.mergeguard.rules.bake_time.deny, "recheck_at": data.mergeguard.rules.bake_time.recheck_at, "warn": data.mergeguard.rules.bake_time.warn}`),
		rego.Input(input),
		rego.Store(inmem.NewFromObject(map[string]any{"mergeguard": map[string]any{"config": config}})),
	}
	for _, m := range mods {
		opts = append(opts, rego.Module(m.Path, string(m.Source)))
	}
	rs, err := rego.New(opts...).Eval(ctx)
	if err != nil || len(rs) != 1 {
		t.Fatalf("eval: %v %v", rs, err)
	}
	out, _ := json.Marshal(rs[0].Bindings["x"])
	var r bakeResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBakeTimeReadsWhatTheGoSideWrites follows one promotion through the
// bake: blocked with the time it turns green, and green at that time with
// no new event, on the clock the evaluation is given.
func TestBakeTimeReadsWhatTheGoSideWrites(t *testing.T) {
	files := []promotion.File{{Path: "deploy/production/shop.yaml", AddedLines: []promotion.Line{{Number: 12, Text: "    image: ghcr.io/acme/shop:v1.42.0"}}}}
	deployedAt := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	history := deployhistory.FromDeployments([]deployhistory.Deployment{{
		ID: 7, SHA: "0123456789abcdef0123456789abcdef01234567", Ref: "v1.42.0", Environment: "staging", CreatedAt: deployedAt,
		Statuses: []deployhistory.Status{{State: "in_progress", CreatedAt: deployedAt}, {State: "success", CreatedAt: deployedAt.Add(time.Minute)}},
	}})

	r := evalBakeTime(t, deployedAt.Add(3*time.Hour+time.Minute), files, history)
	want := "v1.42.0 has baked in staging for 3 h of 24 h; this check turns green by itself at Tue 8 Dec 2026 14:01 CET (Europe/Berlin)."
	flip := deployedAt.Add(24*time.Hour + time.Minute)
	if len(r.Deny) != 1 || r.Deny[0] != want || len(r.RecheckAt) != 1 || r.RecheckAt[0] != flip.UnixNano() {
		t.Fatalf("while baking: %+v", r)
	}
	// At the recheck instant the rule passes: the durable re-evaluation
	// scheduled from recheck_at turns the check green.
	if r := evalBakeTime(t, flip, files, history); len(r.Deny) != 0 || len(r.RecheckAt) != 0 {
		t.Fatalf("at the flip: %+v", r)
	}

	// A pattern that matches nothing is a finding on the file's line.
	unmatched := []promotion.File{{Path: "deploy/production/shop.yaml", AddedLines: []promotion.Line{{Number: 3, Text: "replicas: 4"}}}}
	r = evalBakeTime(t, flip, unmatched, history)
	if len(r.Deny) != 1 {
		t.Fatalf("unmatched: %+v", r)
	}
	finding, _ := r.Deny[0].(map[string]any)
	if finding["path"] != "deploy/production/shop.yaml" || finding["line"] != float64(3) {
		t.Fatalf("unmatched finding %+v", r.Deny[0])
	}

	// Without the permission, the rule fails and says what to grant.
	if r := evalBakeTime(t, flip, files, deployhistory.PermissionMissing()); len(r.Deny) != 1 {
		t.Fatalf("permission missing: %+v", r)
	}
}
