// Package evaluator is what a worker does for one pull request: fetch the
// facts from GitHub, evaluate the policy on them, publish the verdict as the
// check run. Fetching is done first and deciding is pure, so the same policy
// code runs here, in `mergeguard eval`, and in tests.
package evaluator

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/checkrun"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/metrics"
)

// GitHub is what an evaluation reads and writes on GitHub.
type GitHub interface {
	PullRequest(ctx context.Context, owner, repo string, number int) (*github.PullRequest, error)
	PullRequestFiles(ctx context.Context, owner, repo string, number, changedFiles int) ([]*github.CommitFile, bool, error)
	PullRequestReviews(ctx context.Context, owner, repo string, number int) ([]*github.PullRequestReview, error)
	PullRequestCommits(ctx context.Context, owner, repo string, number int) ([]*github.RepositoryCommit, error)
	checkrun.GitHub
}

// Engine evaluates compiled policies.
type Engine interface {
	Evaluate(ctx context.Context, input any, now time.Time) ([]decision.RuleResult, error)
	Digest() string
}

// Service evaluates pull requests.
type Service struct {
	// GitHub returns the client for an installation.
	GitHub    func(installationID int64) GitHub
	Judge     Judge
	Publisher *checkrun.Publisher
	Now       func() time.Time
	Log       *slog.Logger
	Metrics   *metrics.Metrics
}

// Request names the pull request and why it is evaluated.
type Request struct {
	InstallationID int64
	RepoID         int64
	Owner          string
	Repo           string
	Number         int
	Trigger        facts.Trigger
	DeliveryID     string
}

// PermanentError is an evaluation that cannot succeed by retrying (the pull
// request or repository is gone, or the App lost access to it).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string   { return e.Err.Error() }
func (e *PermanentError) Unwrap() error   { return e.Err }
func (e *PermanentError) Permanent() bool { return true }

// Evaluate fetches, decides and publishes.
func (s *Service) Evaluate(ctx context.Context, req Request) error {
	log := s.Log.With("delivery_id", req.DeliveryID, "repo", req.Owner+"/"+req.Repo, "pr", req.Number)
	gh := s.GitHub(req.InstallationID)

	src, err := s.fetch(ctx, gh, req)
	if err != nil {
		return err
	}
	if src.PullRequest.GetState() == "closed" {
		log.Info("pull request is closed; nothing to guard")
		return nil
	}

	j, err := s.Judge.Decide(ctx, facts.Build(src), src.Now)
	if err != nil {
		return fmt.Errorf("%s/%s#%d: %w", req.Owner, req.Repo, req.Number, err)
	}
	s.Metrics.EvaluationDuration.Observe(j.Took.Seconds())
	verdict, out := j.Verdict, j.Output
	head := src.PullRequest.GetHead().GetSHA()
	res, err := s.Publisher.Publish(ctx, gh, checkrun.Target{
		RepoID: req.RepoID, Owner: req.Owner, Repo: req.Repo, HeadSHA: head, Number: req.Number,
	}, verdict, out)
	if err != nil {
		return fmt.Errorf("publish check run on %s/%s@%s: %w", req.Owner, req.Repo, shortSHA(head), err)
	}
	if !res.Unchanged {
		s.Metrics.Verdicts.WithLabelValues(string(verdict.Conclusion)).Inc()
	}
	log.Info("pull request evaluated",
		"head_sha", head, "conclusion", verdict.Conclusion, "title", out.Title,
		"check_run_id", res.CheckRunID, "created", res.Created, "unchanged", res.Unchanged,
		"annotations_sent", res.AnnotationsSent, "trigger", req.Trigger.Event+"."+req.Trigger.Action)
	return nil
}

// fetch reads everything the policy may look at. Each resource is fetched
// once per evaluation; repeated GETs are conditional (see githubapp).
func (s *Service) fetch(ctx context.Context, gh GitHub, req Request) (facts.Sources, error) {
	pr, err := gh.PullRequest(ctx, req.Owner, req.Repo, req.Number)
	if err != nil {
		return facts.Sources{}, s.classify(err)
	}
	src := facts.Sources{PullRequest: pr, Trigger: req.Trigger}
	if pr.GetState() == "closed" {
		return src, nil
	}
	files, truncated, err := gh.PullRequestFiles(ctx, req.Owner, req.Repo, req.Number, pr.GetChangedFiles())
	if err != nil {
		return src, s.classify(err)
	}
	src.Files, src.FilesTruncated = facts.FilesFromGitHub(files), truncated
	if src.Reviews, err = gh.PullRequestReviews(ctx, req.Owner, req.Repo, req.Number); err != nil {
		return src, s.classify(err)
	}
	if src.Commits, err = gh.PullRequestCommits(ctx, req.Owner, req.Repo, req.Number); err != nil {
		return src, s.classify(err)
	}
	// The evaluation instant is taken after fetching: the facts are at
	// least as old as the time the rules see.
	src.Now = s.Now()
	return src, nil
}

func (s *Service) classify(err error) error {
	if githubapp.IsNotFound(err) {
		return &PermanentError{Err: fmt.Errorf("%w (the pull request or repository no longer exists, or the App was removed from it)", err)}
	}
	return err
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return strings.TrimSpace(s)
}
