package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `mergeguard eval` reads deployments.json for bake_time and judges at
// --at: the promotion example is baking in the morning and has baked the
// next day; without the file, bake_time says what is missing instead of
// passing.
func TestEvalJudgesBakeTimeFromDeploymentsJSON(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "prs", "promotion")
	config := filepath.Join(dir, "config.yaml")
	noHistory := t.TempDir()
	for _, name := range []string{"pull_request.json", "diff.patch", "reviews.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(noHistory, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, dir, at string
		code          int
		want          string
	}{
		{"baking", dir, "2026-12-07T11:00:00Z", 1, "v1.42.0 has baked in staging for 2 h of 24 h; this check turns green by itself at Tue 8 Dec 2026 09:04 CET (Europe/Berlin)."},
		{"baked", dir, "2026-12-08T09:05:00Z", 0, "Passed"},
		{"no deployments.json", noHistory, "2026-12-08T09:05:00Z", 1, "deployments.json is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runMain(t, nil, "eval", "--config", config, "--at", tt.at, tt.dir)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s%s", code, tt.code, tt.want, out, errOut)
			}
		})
	}
	// The input document shows what was read.
	out, _, code := runMain(t, nil, "eval", "--input-only", "--config", config, "--at", "2026-12-07T11:00:00Z", dir)
	if code != 0 || !strings.Contains(out, `"version": "v1.42.0"`) || !strings.Contains(out, `"staging": [`) {
		t.Fatalf("exit %d, input:\n%s", code, out)
	}
}
