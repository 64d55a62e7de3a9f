package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/metrics"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/settings"
)

// Live is what `mergeguard eval --repo --pr` evaluates: a pull request on
// GitHub, read with a personal token, judged as the server would judge it,
// and published nowhere.
type Live struct {
	PR decision.PullRequest
	// PolicyRepo is the organization's policy repository.
	PolicyRepo  string
	DefaultMode decision.Mode
	// Local is the policy on disk; Fixed makes it replace the
	// organization's (a policy, configuration or repository configuration
	// given on the command line).
	Local policysource.Local
	Fixed bool
	// Now is the instant the policy judges at.
	Now time.Time
}

// AssessLive builds a GitHub client from GITHUB_TOKEN (and the API URL of
// the server's settings), the policy source and an evaluator, and assesses
// the pull request.
func AssessLive(ctx context.Context, getenv func(string) string, l Live) (evaluator.Assessment, error) {
	apiURL := "https://api.github.com/"
	if v := getenv(settings.EnvGitHubAPIURL); v != "" {
		u, err := settings.ParseAPIURL(v)
		if err != nil {
			return evaluator.Assessment{}, err
		}
		apiURL = u
	}
	gh, err := githubapp.NewTokenClient(getenv("GITHUB_TOKEN"), apiURL, nil)
	if err != nil {
		return evaluator.Assessment{}, err
	}
	source, err := policysource.New(ctx, policysource.Options{
		Repo: l.PolicyRepo, Layout: l.Local.Layout, Bundled: l.Local.Bundled, Timeout: l.Local.Timeout, Workers: l.Local.Workers, DefaultMode: l.DefaultMode,
	})
	if err != nil {
		return evaluator.Assessment{}, err
	}
	var pols evaluator.Policies = source
	if l.Fixed {
		res, err := l.Local.Resolve(ctx)
		if err != nil {
			return evaluator.Assessment{}, err
		}
		pols = policysource.Fixed{Resolved: res, Source: source}
	}
	svc := &evaluator.Service{
		GitHub:         func(int64) evaluator.GitHub { return gh },
		Policies:       pols,
		DefaultMode:    l.DefaultMode,
		RepoConfigPath: repoConfigPath,
		Now:            func() time.Time { return l.Now },
		Log:            slog.New(slog.DiscardHandler),
		Metrics:        metrics.New(),
	}
	a, err := svc.Assess(ctx, evaluator.Request{PR: l.PR, Trigger: facts.Trigger{Event: "eval"}})
	if githubapp.StatusCode(err) == 401 {
		err = fmt.Errorf("GitHub rejected GITHUB_TOKEN (HTTP 401): use a token that can read %s: %w", l.PR.Repo, err)
	}
	return a, err
}
