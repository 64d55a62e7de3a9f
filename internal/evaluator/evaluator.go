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
	Compare(ctx context.Context, owner, repo, base, head string) (githubapp.Comparison, error)
	TeamMembers(ctx context.Context, org, slug string) ([]string, error)
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
	// Teams are the team slugs whose members rules may ask about (those the
	// configuration mentions).
	Teams   []string
	Now     func() time.Time
	Log     *slog.Logger
	Metrics *metrics.Metrics
}

// maxCompares bounds the comparisons one evaluation makes to learn what
// changed after each review; reviews on further commits count as unknown.
const maxCompares = 10

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

	in, err := s.facts(ctx, gh, req)
	if err != nil {
		return err
	}
	target := checkrun.Target{
		RepoID: req.RepoID, Owner: req.Owner, Repo: req.Repo, HeadSHA: in.PullRequest.Head.SHA,
		Number: req.Number, BaseRef: in.PullRequest.Base.Ref,
	}
	if in.PullRequest.State == "closed" {
		// Its verdict no longer holds back commits it shared with other
		// pull requests.
		if err := s.Publisher.Withdraw(ctx, gh, target); err != nil {
			return err
		}
		log.Info("pull request is closed; its verdicts are withdrawn")
		return nil
	}
	j, err := s.Judge.Decide(ctx, in, time.Unix(0, in.Time.NS))
	if err != nil {
		return fmt.Errorf("%s/%s#%d: %w", req.Owner, req.Repo, req.Number, err)
	}
	s.Metrics.EvaluationDuration.Observe(j.Took.Seconds())
	verdict, out := j.Verdict, j.Output
	head := target.HeadSHA
	res, err := s.Publisher.Publish(ctx, gh, target, verdict, out)
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

// Facts fetches a pull request's facts and builds the policy input document,
// without evaluating or publishing anything.
func (s *Service) Facts(ctx context.Context, req Request) (facts.Input, error) {
	return s.facts(ctx, s.GitHub(req.InstallationID), req)
}

func (s *Service) facts(ctx context.Context, gh GitHub, req Request) (facts.Input, error) {
	src, err := s.fetch(ctx, gh, req)
	if err != nil {
		return facts.Input{}, err
	}
	return facts.Build(src), nil
}

// fetch reads everything the policy may look at. Each resource is fetched
// once per evaluation; repeated GETs are conditional (see githubapp).
func (s *Service) fetch(ctx context.Context, gh GitHub, req Request) (facts.Sources, error) {
	pr, err := gh.PullRequest(ctx, req.Owner, req.Repo, req.Number)
	if err != nil {
		return facts.Sources{}, s.classify(err)
	}
	src := facts.Sources{PullRequest: pr, Trigger: req.Trigger, Now: s.Now()}
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
	head := pr.GetHead().GetSHA()
	if src.ReviewChanges, err = s.reviewChanges(ctx, gh, req, src.Reviews, head); err != nil {
		return src, err
	}
	if src.Teams, err = s.teams(ctx, gh, req.Owner); err != nil {
		return src, err
	}
	// The evaluation instant is taken after fetching: the facts are at
	// least as old as the time the rules see.
	src.Now = s.Now()
	return src, nil
}

// reviewChanges compares each reviewed commit with the head, so stale-
// approval rules know which files changed after a review.
func (s *Service) reviewChanges(ctx context.Context, gh GitHub, req Request, reviews []*github.PullRequestReview, head string) (map[string]facts.Changes, error) {
	out := map[string]facts.Changes{}
	commits := facts.ReviewedCommits(facts.LatestDecisiveReviews(reviews, head))
	for i, sha := range commits {
		if i == maxCompares {
			break
		}
		cmp, err := gh.Compare(ctx, req.Owner, req.Repo, sha, head)
		switch {
		case githubapp.IsNotFound(err):
			continue // the reviewed commit no longer exists: unknown
		case err != nil:
			return nil, err
		case cmp.Status == "ahead" || cmp.Status == "identical":
			out[sha] = facts.Changes{Known: !cmp.Truncated, Files: cmp.Files}
		}
		// "diverged" or "behind": the reviewed commit is not in the head's
		// history (a force-push), so what changed since is unknown.
	}
	return out, nil
}

// teams fetches the members of the configured teams of the repository's
// organization.
func (s *Service) teams(ctx context.Context, gh GitHub, org string) (map[string]facts.Team, error) {
	out := map[string]facts.Team{}
	for _, slug := range s.Teams {
		members, err := gh.TeamMembers(ctx, org, slug)
		switch {
		case githubapp.IsNotFound(err):
			out[slug] = facts.Team{Members: []string{}, Error: fmt.Sprintf(
				"team %s/%s does not exist, or the App cannot see it: check the team name in the configuration and that the App has the Members: read permission", org, slug)}
		case err != nil:
			return nil, err
		default:
			out[slug] = facts.Team{Found: true, Members: members}
		}
	}
	return out, nil
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
