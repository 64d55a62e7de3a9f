package incident

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/decision"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

// fakeGitHub records replies and reactions and knows one team.
type fakeGitHub struct {
	policysource.GitHub
	replies   []string
	reactions []string
	members   map[string][]string
}

func (f *fakeGitHub) TeamMembers(_ context.Context, _, slug string) ([]string, error) {
	m, ok := f.members[slug]
	if !ok {
		return nil, &github.ErrorResponse{Response: &http.Response{StatusCode: http.StatusNotFound}, Message: "Not Found"}
	}
	return m, nil
}

func (f *fakeGitHub) CreateComment(_ context.Context, _, _ string, _ int, body string) error {
	f.replies = append(f.replies, body)
	return nil
}

func (f *fakeGitHub) AddReaction(_ context.Context, _, _ string, _ int64, content string) error {
	f.reactions = append(f.reactions, content)
	return nil
}

// fixedPolicy resolves to a configuration with the given change_freeze
// settings.
type fixedPolicy map[string]any

func (p fixedPolicy) Resolve(context.Context, policysource.GitHub, policysource.For) (policysource.Resolved, error) {
	return policysource.Resolved{Config: policyconfig.Config{Rules: map[string]policyconfig.RuleConfig{"change_freeze": {Enabled: true, Values: p}}}}, nil
}

func (fixedPolicy) PolicyRepo() string { return ".github" }

type countSweeps struct{ n int }

func (c *countSweeps) SweepOrgTx(context.Context, store.Tx, int64, string, string, string) error {
	c.n++
	return nil
}

func TestCommands(t *testing.T) {
	now := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		repo     string
		author   string
		body     string
		settings map[string]any
		reply    string
		reaction string
		freezes  int
		sweeps   int
	}{
		{"not a command", ".github", "ic", "thanks", nil, "", "", 0, 0},
		{"help anywhere", "shop", "dev", "/guard help", nil, "`/guard freeze 2h <reason>`", "+1", 0, 0},
		{"freeze outside the policy repository", "shop", "ic", "/guard freeze 2h x", nil, "Freezes are started and ended in acme/.github", "confused", 0, 0},
		{"no incident team configured", ".github", "ic", "/guard freeze 2h x", map[string]any{}, "none is configured", "confused", 0, 0},
		{"not in the team", ".github", "mallory", "/guard freeze 2h x", teams, "Only members of @acme/incident may start or end freezes, and @mallory is not one.", "confused", 0, 0},
		{"a team that cannot be read", ".github", "ic", "/guard freeze 2h x", map[string]any{"incident_teams": []any{"ghosts"}}, "Only members of @acme/ghosts", "confused", 0, 0},
		{"malformed", ".github", "ic", "/guard freeze soon x", teams, "`soon` is not a duration", "confused", 0, 0},
		{"until a past time", ".github", "ic", "/guard freeze until 2026-11-01 08:00 x", teams, "The freeze was not started: Sun 1 Nov 2026 08:00 CET is already past.", "confused", 0, 0},
		{"freeze", ".github", "IC", "/guard freeze until Mon 08:00 repo:shop db failover", teams,
			"Merges are frozen: freeze 1 in shop, until Mon 30 Nov 2026 08:00 CET (Europe/Berlin): db failover.", "+1", 1, 1},
		{"unfreeze with nothing frozen", ".github", "ic", "/guard unfreeze", teams, "No freeze is in effect", "confused", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := dbtest.Open(t, dbtest.SQLiteConfig(t))
			gh := &fakeGitHub{members: map[string][]string{"incident": {"ic"}}}
			sweeps := &countSweeps{}
			settings := map[string]any{"timezone": "Europe/Berlin"}
			for k, v := range tt.settings {
				settings[k] = v
			}
			c := &Commands{DB: db, GitHub: func(int64) GitHub { return gh }, Policies: fixedPolicy(settings), Sweeps: sweeps,
				Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}
			cm := Comment{Installation: 1, Repo: decision.Repo{Owner: "acme", Name: tt.repo}, Number: 3, CommentID: 9, URL: "https://github.com/acme/x/issues/3#issuecomment-9", Author: tt.author, Commands: command.ParseAll(tt.body, command.Options{})}
			if err := c.Handle(context.Background(), cm); err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.reply == "" && len(gh.replies) != 0:
				t.Fatalf("unexpected reply %q", gh.replies)
			case tt.reply != "" && (len(gh.replies) != 1 || !strings.Contains(gh.replies[0], tt.reply)):
				t.Fatalf("replies %q, want %q", gh.replies, tt.reply)
			case tt.reaction != "" && (len(gh.reactions) != 1 || gh.reactions[0] != tt.reaction):
				t.Fatalf("reactions %q, want %q", gh.reactions, tt.reaction)
			}
			var n int
			db.InTx(context.Background(), func(tx store.Tx) error {
				return tx.QueryRow(context.Background(), `SELECT count(*) FROM freezes`).Scan(&n)
			})
			if n != tt.freezes || sweeps.n != tt.sweeps {
				t.Fatalf("%d freezes and %d sweeps, want %d and %d", n, sweeps.n, tt.freezes, tt.sweeps)
			}
			if tt.freezes == 1 {
				// The job is retried (say the reply failed): no second freeze.
				if err := c.Handle(context.Background(), cm); err != nil {
					t.Fatal(err)
				}
				db.InTx(context.Background(), func(tx store.Tx) error {
					return tx.QueryRow(context.Background(), `SELECT count(*) FROM freezes`).Scan(&n)
				})
				if n != 1 || !strings.Contains(gh.replies[1], "freeze 1") {
					t.Fatalf("a retried command: %d freezes, replies %q", n, gh.replies)
				}
			}
		})
	}
}

var teams = map[string]any{"incident_teams": []any{"@acme/incident"}}
