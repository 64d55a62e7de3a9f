package evaluator

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
)

type pushedSource struct{ refreshed []string }

func (p *pushedSource) Pushed(owner, repo, branch, _ string, _ []string) {
	p.refreshed = append(p.refreshed, owner+"/"+repo+"@"+branch)
}
func (p *pushedSource) PolicyRepo() string          { return ".github" }
func (p *pushedSource) Layout() policysource.Layout { return policysource.Layout{} }

type recordedSweeps struct{ calls []string }

func (r *recordedSweeps) SweepOrg(_ context.Context, installationID int64, owner, key, reason string) error {
	r.calls = append(r.calls, fmt.Sprintf("org %d %s %s %s", installationID, owner, key, reason))
	return nil
}

func (r *recordedSweeps) ScheduleSweep(_ context.Context, installationID, repoID int64, repo string, at time.Time, reason string) error {
	r.calls = append(r.calls, fmt.Sprintf("repo %d %d %s %s %s", installationID, repoID, repo, at.Format(time.RFC3339), reason))
	return nil
}

func TestPushesSweepWhatThePushedPolicyOrConfigurationJudges(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	const after = "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d"
	base := decision.Push{InstallationID: 7, RepoID: 100, Owner: "acme", Repo: "shop", Branch: "main", DefaultBranch: "main", After: after}
	with := func(edit func(*decision.Push)) decision.Push {
		p := base
		edit(&p)
		return p
	}
	tests := []struct {
		name string
		push decision.Push
		want []string
	}{
		{"the policy repository's configuration on its default branch", with(func(p *decision.Push) {
			p.Repo, p.Files = ".github", []string{"mergeguard/config.yaml"}
		}), []string{"org 7 acme policy-" + after + " policy changed"}},
		{"the policy repository on another branch", with(func(p *decision.Push) {
			p.Repo, p.Branch, p.Files = ".github", "draft", []string{"mergeguard/config.yaml"}
		}), nil},
		{"a repository's own configuration", with(func(p *decision.Push) {
			p.Branch, p.Files = "feature", []string{"src/a.go", ".github/mergeguard.yaml"}
		}), []string{"repo 7 100 acme/shop 2026-12-07T10:00:00Z configuration changed on feature"}},
		{"files that judge nothing", with(func(p *decision.Push) { p.Files = []string{"src/a.go"} }), nil},
		{"a deleted branch", with(func(p *decision.Push) {
			p.After, p.Files = "0000000000000000000000000000000000000000", []string{".github/mergeguard.yaml"}
		}), nil},
		{"not an App delivery", with(func(p *decision.Push) {
			p.InstallationID, p.Files = 0, []string{".github/mergeguard.yaml"}
		}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, sweeps := &pushedSource{}, &recordedSweeps{}
			ps := Pushes{Policies: src, Sweeps: sweeps, RepoConfigPath: ".github/mergeguard.yaml", Now: func() time.Time { return now }}
			if err := ps.Pushed(context.Background(), tt.push); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sweeps.calls, tt.want) {
				t.Fatalf("sweeps %q, want %q", sweeps.calls, tt.want)
			}
			// Whatever the push, what was cached from its branch is refreshed.
			if want := tt.push.Owner + "/" + tt.push.Repo + "@" + tt.push.Branch; !slices.Equal(src.refreshed, []string{want}) {
				t.Fatalf("refreshed %q, want %q", src.refreshed, want)
			}
		})
	}
}
