// Package evaluator is what a worker does for one pull request: fetch the
// facts from GitHub, resolve the policy that applies, evaluate it, publish
// the verdict as the check run. Fetching is done first and deciding is pure,
// so the same policy code runs here, in `mergeguard eval`, and in tests.
package evaluator

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mergeguard/mergeguard/internal/checkrun"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/metrics"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/replay"
	"github.com/mergeguard/mergeguard/internal/report"
)

// GitHub is what an evaluation reads and writes on GitHub.
type GitHub interface {
	PullRequest(ctx context.Context, owner, repo string, number int) (decision.PullRequestDetails, error)
	PullRequestFiles(ctx context.Context, owner, repo string, number, changedFiles int) ([]decision.ChangedFile, bool, error)
	PullRequestReviews(ctx context.Context, owner, repo string, number int) ([]decision.Review, error)
	PullRequestCommits(ctx context.Context, owner, repo string, number int) ([]decision.Commit, error)
	Compare(ctx context.Context, owner, repo, base, head string) (githubapp.Comparison, error)
	TeamMembers(ctx context.Context, org, slug string) ([]string, error)
	CodeOwnersErrors(ctx context.Context, owner, repo, ref string) ([]githubapp.CodeOwnersError, error)
	Deployments
	FileReader
	checkrun.GitHub
	policysource.GitHub
	// Permission is a user's permission on a repository: admin, write,
	// read or none.
	Permission(ctx context.Context, owner, repo, user string) (string, error)
	// RequestReviewers asks users (logins) and teams (slugs) to review.
	RequestReviewers(ctx context.Context, owner, repo string, number int, users, teams []string) error
}

// PolicyReplays replays a proposed policy on the organization's recent
// pull requests, for the policy repository's check.
type PolicyReplays interface {
	// Replay judges the latest stored input of each of the organization's
	// pull requests evaluated recently by the proposed version and by the
	// one in use.
	Replay(ctx context.Context, gh policysource.GitHub, owner string, proposed *policysource.Version) (Replayed, error)
}

// Replayed is a replay and the window it covered.
type Replayed struct {
	Report replay.Report
	// Days and Max are the window and the cap; Missing counts pull
	// requests evaluated in it without a stored input.
	Days, Max, Missing int
}

// Policies says which policy applies to a pull request.
type Policies interface {
	// Prepare reads the organization's policy and the repository's
	// configuration, so that Resolve finds them cached.
	Prepare(ctx context.Context, gh policysource.GitHub, owner, repo, baseRef string) error
	Resolve(ctx context.Context, gh policysource.GitHub, f policysource.For) (policysource.Resolved, error)
	// PolicyRepo is the name of each organization's policy repository.
	PolicyRepo() string
	// CheckCommit checks the policy folder of a policy repository commit.
	CheckCommit(ctx context.Context, gh policysource.GitHub, owner, repo, sha string) (policysource.CheckResult, error)
}

// Service evaluates pull requests.
type Service struct {
	// GitHub returns the client for an installation.
	GitHub   func(installationID int64) GitHub
	Policies Policies
	// Publisher writes the check run; PolicyPublisher the policy
	// repository's own check (MERGEGUARD_CHECK_NAME + "/policy").
	Publisher       *checkrun.Publisher
	PolicyPublisher *checkrun.Publisher
	// DefaultMode applies when the policy is too broken to say.
	DefaultMode    decision.Mode
	MaxAnnotations int
	// RepoConfigPath is the repository's own configuration file.
	RepoConfigPath string
	// Freezes reads the organization's incident freezes; nil means none.
	Freezes Freezes
	// Coverage reads uploaded coverage reports; nil means none.
	Coverage Coverage
	// Audit reads overrides and holds and records evaluations; nil means
	// neither (offline evaluation).
	Audit Audit
	// Replays replays a policy repository pull request's policy on the
	// organization's recent pull requests; nil means no replay.
	Replays PolicyReplays
	// WebURL is GitHub's web address (https://github.com/), for links.
	WebURL string
	// Scheduler re-evaluates a repository's open pull requests when a rule
	// says its verdict will change with time; nil means no re-evaluation.
	Scheduler Scheduler
	// ReviewRequests remembers the review requests made per head commit;
	// nil means rules' review requests are not acted on.
	ReviewRequests ReviewRequests
	Now            func() time.Time
	Log            *slog.Logger
	Metrics        *metrics.Metrics
}

// Freezes reads incident freezes.
type Freezes interface {
	// Freezes returns the organization's freezes that have not ended by now.
	Freezes(ctx context.Context, owner string, now time.Time) ([]facts.Freeze, error)
}

// Audit is the record of what people decided and what was evaluated.
type Audit interface {
	// Interventions returns the pull request's overrides and holds.
	Interventions(ctx context.Context, repoID int64, repo string, number int) (decision.Interventions, error)
	// Evaluated records a published evaluation.
	Evaluated(ctx context.Context, e Evaluated) error
	// Merged records that a pull request merged, once per head commit.
	Merged(ctx context.Context, repo string, number int, headSHA, by string, at time.Time) error
}

// Evaluated is what the audit trail keeps of one evaluation.
type Evaluated struct {
	At         time.Time
	Repo       string // owner/name
	Number     int
	HeadSHA    string
	Policy     string
	Trigger    string
	Verdict    decision.Verdict
	Took       time.Duration
	DeliveryID string
	// Input is the document the verdict was made from, kept so that a
	// policy change can be replayed on it.
	Input facts.Input
}

// Scheduler schedules re-evaluations.
type Scheduler interface {
	ScheduleSweep(ctx context.Context, installationID, repoID int64, repo string, at time.Time, reason string) error
}

// maxCompares bounds the comparisons one evaluation makes to learn what
// changed after each review; reviews on further commits count as unknown.
const maxCompares = 10

// Request names the pull request and why it is evaluated.
type Request struct {
	PR         decision.PullRequest
	RepoID     int64
	Trigger    facts.Trigger
	DeliveryID string
	// MergeGroup is set when the pull request is checked as the tip of a
	// merge queue entry.
	MergeGroup *facts.MergeGroup
	// Rerun is set when someone asked to see the check again: the check
	// run is written even if the verdict is unchanged.
	Rerun *decision.Rerun
}

// PermanentError is an evaluation that cannot succeed by retrying (the pull
// request or repository is gone, or the App lost access to it).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string   { return e.Err.Error() }
func (e *PermanentError) Unwrap() error   { return e.Err }
func (e *PermanentError) Permanent() bool { return true }

// Assessment is an evaluation's result before anything is published.
type Assessment struct {
	// Head is the pull request at the head commit GitHub gave: what the
	// check run is attached to and the overrides are bound to. It is
	// carried as read, not taken back out of the input document.
	Head decision.Head
	// BaseRef is the branch the pull request would merge into.
	BaseRef   string
	Input     facts.Input
	Policy    policysource.Resolved
	Judgement Judgement
	// RequestedUsers and RequestedTeams are the pull request's pending
	// review requests (logins, team slugs) when it was read.
	RequestedUsers []string
	RequestedTeams []string
	// Closed is true for a closed pull request: nothing was judged.
	Closed bool
	// MergedBy is who merged a closed pull request ("" if it was not
	// merged), for the audit trail.
	MergedBy string
}

// Evaluate assesses the pull request and publishes the verdict.
func (s *Service) Evaluate(ctx context.Context, req Request) error {
	log := s.Log.With("delivery_id", req.DeliveryID, "repo", req.PR.Repo.String(), "pr", req.PR.Number)
	gh := s.GitHub(int64(req.PR.Installation))
	a, err := s.assess(ctx, gh, req)
	if err != nil {
		return err
	}
	target := checkrun.Target{Head: a.Head, RepoID: req.RepoID, BaseRef: a.BaseRef, Rerun: req.Rerun}
	if a.Closed {
		// Its verdict no longer holds back commits it shared with other
		// pull requests.
		if err := s.Publisher.Withdraw(ctx, gh, target); err != nil {
			return err
		}
		if s.Audit != nil && a.MergedBy != "" {
			// What merged, by whom, and what the check said of it then: a
			// merge past a failing check (an administrator's bypass) shows
			// in `mergeguard audit --bypasses`.
			if err := s.Audit.Merged(ctx, req.PR.Repo.String(), req.PR.Number, a.Head.SHA, a.MergedBy, s.Now()); err != nil {
				return fmt.Errorf("record the merge of %s: %w", req.PR, err)
			}
		}
		log.Info("pull request is closed; its verdicts are withdrawn")
		return nil
	}
	s.Metrics.EvaluationDuration.Observe(a.Judgement.Took.Seconds())
	verdict, out := a.Judgement.Verdict, a.Judgement.Output
	res, err := s.Publisher.Publish(ctx, gh, target, verdict, out)
	if err != nil {
		return fmt.Errorf("publish check run on %s@%s: %w", req.PR.Repo, decision.ShortSHA(a.Head.SHA), err)
	}
	if !res.Unchanged {
		s.Metrics.Verdicts.WithLabelValues(string(verdict.Conclusion)).Inc()
	}
	if s.Audit != nil {
		err := s.Audit.Evaluated(ctx, Evaluated{
			At: s.Now(), Repo: req.PR.Repo.String(), Number: req.PR.Number, HeadSHA: a.Head.SHA, Policy: a.Policy.Label,
			Trigger: req.Trigger.Event + "." + req.Trigger.Action, Verdict: verdict, Took: a.Judgement.Took, DeliveryID: req.DeliveryID,
			Input: a.Input,
		})
		if err != nil {
			return fmt.Errorf("record the evaluation of %s: %w", req.PR, err)
		}
	}
	if req.MergeGroup == nil {
		s.requestReviews(ctx, gh, log, req, a, verdict)
	}
	recheck, err := s.scheduleRecheck(ctx, req, verdict)
	if err != nil {
		return err
	}
	attrs := []any{
		"head_sha", a.Head.SHA, "conclusion", verdict.Conclusion, "title", out.Title, "policy", a.Policy.Label,
		"check_run_id", res.CheckRunID, "created", res.Created, "unchanged", res.Unchanged, "rerun_by", rerunBy(req.Rerun),
		"annotations_sent", res.AnnotationsSent, "trigger", req.Trigger.Event + "." + req.Trigger.Action,
	}
	if !recheck.IsZero() {
		attrs = append(attrs, "recheck_at", recheck.UTC().Format(time.RFC3339))
	}
	log.Info("pull request evaluated", attrs...)
	if strings.EqualFold(req.PR.Repo.Name, s.Policies.PolicyRepo()) {
		return s.checkPolicyRepo(ctx, gh, target, a.Input.PullRequest.Author)
	}
	return nil
}

// Assess fetches the facts, resolves the policy and decides, publishing
// nothing: what `mergeguard eval --repo --pr` shows.
func (s *Service) Assess(ctx context.Context, req Request) (Assessment, error) {
	return s.assess(ctx, s.GitHub(int64(req.PR.Installation)), req)
}

// assess fetches the facts and decides. After the pull request itself,
// the facts that do not depend on each other are read at once: the files
// (then the policy, which needs them, then the teams it names), the reviews
// (then what changed after each), the commits, and the organization's
// policy and the repository's configuration. The installation's gate bounds
// how many requests are in flight. Each fact is read once per evaluation.
func (s *Service) assess(ctx context.Context, gh GitHub, req Request) (Assessment, error) {
	owner, name := req.PR.Repo.Owner, req.PR.Repo.Name
	pr, err := gh.PullRequest(ctx, owner, name, req.PR.Number)
	if err != nil {
		return Assessment{}, s.classify(err)
	}
	head := decision.Head{PullRequest: req.PR, SHA: pr.Head.SHA}
	src := facts.Sources{PullRequest: pr, Trigger: req.Trigger, MergeGroup: req.MergeGroup, Now: s.Now()}
	if pr.State == "closed" {
		a := Assessment{Head: head, BaseRef: pr.Base.Ref, Input: facts.Build(src), Closed: true}
		if pr.Merged {
			a.MergedBy = pr.MergedBy
			if a.MergedBy == "" {
				a.MergedBy = "(unknown)"
			}
		}
		return a, nil
	}
	var resolved policysource.Resolved
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return s.Policies.Prepare(gctx, gh, owner, name, pr.Base.Ref)
	})
	g.Go(func() error {
		files, truncated, err := gh.PullRequestFiles(gctx, owner, name, req.PR.Number, pr.ChangedFiles)
		if err != nil {
			return s.classify(err)
		}
		changed := facts.FilesFromGitHub(files)
		src.Files, src.FilesTruncated = changed, truncated
		// The policy comes after the files (a change to the repository's
		// configuration is judged by it) and before the teams (it names
		// them).
		target, err := s.policyTarget(gctx, gh, req, pr, changed, truncated)
		if err != nil {
			return err
		}
		if resolved, err = s.Policies.Resolve(gctx, gh, target); err != nil {
			return fmt.Errorf("resolve the policy for %s: %w", req.PR.Repo, err)
		}
		var teams []string
		if resolved.Engine != nil {
			teams = resolved.Config.Teams()
		}
		// CODEOWNERS is read only for the rule that uses it, and then names
		// more teams: those owning the changed files.
		if resolved.Engine != nil && CodeOwnersOn(resolved.Config.Rules[codeOwnersRule]) {
			if src.Files, src.CodeOwners, err = s.codeOwners(gctx, gh, req.PR.Repo, pr, changed, truncated); err != nil {
				return err
			}
			teams = mergeTeams(teams, facts.OwningTeams(src.Files, owner))
		}
		src.Teams, err = s.teams(gctx, gh, owner, teams)
		return err
	})
	g.Go(func() error {
		reviews, err := gh.PullRequestReviews(gctx, owner, name, req.PR.Number)
		if err != nil {
			return s.classify(err)
		}
		src.Reviews = reviews
		src.ReviewChanges, err = s.reviewChanges(gctx, gh, head, reviews)
		return err
	})
	g.Go(func() error {
		commits, err := gh.PullRequestCommits(gctx, owner, name, req.PR.Number)
		if err != nil {
			return s.classify(err)
		}
		src.Commits = commits
		return nil
	})
	if s.Freezes != nil {
		g.Go(func() error {
			freezes, err := s.Freezes.Freezes(gctx, owner, s.Now())
			if err != nil {
				return fmt.Errorf("read the freezes of %s: %w", owner, err)
			}
			src.Freezes = freezes
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Assessment{}, err
	}
	// Coverage is read only when a rule uses it: a report can be large.
	if s.Coverage != nil && resolved.Engine != nil && resolved.Config.Rules["diff_coverage"].Enabled {
		if src.Coverage, src.Files, err = s.coverageFacts(ctx, gh, req, head, pr.Base.SHA, src.Files); err != nil {
			return Assessment{}, err
		}
	}
	// SQL files are read whole at the head and parsed only when the
	// migration rule runs: each costs a read of the rate limit.
	if resolved.Engine != nil && resolved.Config.Rules["migration_safety"].Enabled {
		if src.Files, err = s.migrationFacts(ctx, gh, head, src.Files); err != nil {
			return Assessment{}, err
		}
	}
	BakeTime(ctx, gh, resolved, owner, name, &src)
	// The evaluation instant is taken after fetching: the facts are at
	// least as old as the time the rules see.
	src.Now = s.Now()
	in := facts.Build(src)

	a := Assessment{Head: head, BaseRef: pr.Base.Ref, Input: in, Policy: resolved, RequestedUsers: pr.RequestedUsers, RequestedTeams: pr.RequestedTeams}
	mergeGroupSHA := ""
	if req.MergeGroup != nil {
		mergeGroupSHA = req.MergeGroup.HeadSHA
	}
	if resolved.Engine == nil {
		a.Judgement = s.brokenPolicy(resolved, evaluatedSHA(head.SHA, mergeGroupSHA))
		return a, nil
	}
	judge := Judge{
		Engine: resolved.Engine, Mode: resolved.Config.Mode, Policy: resolved.Label, MaxAnnotations: s.MaxAnnotations,
		Notices: resolved.Notices, FallbackLabel: resolved.FallbackLabel, HeadSHA: head.SHA, MergeGroupSHA: mergeGroupSHA,
	}
	if resolved.Fallback != nil {
		judge.Fallback = resolved.Fallback
	}
	if len(resolved.ProposedProblems) > 0 {
		judge.Extra = append(judge.Extra, proposedConfigResult(resolved.ProposedProblems))
	}
	if s.Audit != nil {
		if judge.Interventions, err = s.Audit.Interventions(ctx, req.RepoID, req.PR.Repo.String(), req.PR.Number); err != nil {
			return a, err
		}
	}
	if a.Judgement, err = judge.Decide(ctx, in, src.Now); err != nil {
		return a, fmt.Errorf("%s: %w", req.PR, err)
	}
	return a, nil
}

// policyTarget describes the pull request to the policy source: whether it
// changes the repository's configuration file (and only that), and the
// version of the file it proposes.
func (s *Service) policyTarget(ctx context.Context, gh GitHub, req Request, pr decision.PullRequestDetails, files []facts.File, truncated bool) (policysource.For, error) {
	f := policysource.For{Owner: req.PR.Repo.Owner, Repo: req.PR.Repo.Name, BaseRef: pr.Base.Ref}
	for _, file := range files {
		if file.Path != s.RepoConfigPath && file.PreviousPath != s.RepoConfigPath {
			continue
		}
		f.ChangesRepoConfig = true
		f.OnlyRepoConfig = len(files) == 1 && !truncated
		if file.Status == "removed" || file.Path != s.RepoConfigPath {
			return f, nil // deleted or moved away: nothing to validate
		}
		// Read from the base repository at the head commit: a fork's
		// commits are reachable there too.
		content, found, err := gh.File(ctx, req.PR.Repo.Owner, req.PR.Repo.Name, s.RepoConfigPath, pr.Head.SHA)
		if err != nil {
			return f, fmt.Errorf("read the proposed %s: %w", s.RepoConfigPath, err)
		}
		if found {
			f.ProposedRepoConfig = append([]byte{}, content...)
		}
		return f, nil
	}
	return f, nil
}

// proposedConfigResult reports problems in the pull request's own version of
// the repository's configuration file as a failing rule, annotated on the
// file's lines, so that a broken file cannot be merged.
func proposedConfigResult(problems []policysource.Problem) decision.RuleResult {
	r := decision.RuleResult{
		ID: "repository_config", Title: "Repository configuration", Severity: decision.SeverityError,
		Remedy: "Fix the file at the lines shown; `mergeguard eval --repo-config FILE` checks it locally.",
	}
	for _, p := range problems {
		f := decision.Finding{Message: p.Message}
		if p.File != "" {
			f.Location = &decision.Location{Path: p.File, StartLine: max(p.Line, 1)}
		}
		r.Denials = append(r.Denials, f)
	}
	return r
}

// brokenPolicy is the verdict when no usable policy applies: blocked, naming
// each problem's file and line.
func (s *Service) brokenPolicy(res policysource.Resolved, head string) Judgement {
	lines := make([]string, len(res.Problems))
	for i, p := range res.Problems {
		lines[i] = res.Label + ": " + p.String()
	}
	mode := res.Mode
	if mode == "" {
		mode = s.DefaultMode
	}
	v := decision.Decide(mode, []decision.RuleResult{{
		ID: "policy", Title: "Organization policy", Severity: decision.SeverityError,
		Err: strings.Join(lines, "\n"),
	}})
	return Judgement{Verdict: v, Output: report.CheckRun(v, report.Context{
		HeadSHA: head, PolicyDigest: res.Label, MaxAnnotations: s.MaxAnnotations, Notices: res.Notices,
	}), Notices: res.Notices}
}

// scheduleRecheck asks for the repository's open pull requests to be
// evaluated again when a rule said its verdict changes with time (a freeze
// starting or ending), and returns when; zero when no rule did (a freeze
// with no end asks for nothing). Every pull request asks for the same
// instants, and the scheduler keeps one sweep per repository and instant.
func (s *Service) scheduleRecheck(ctx context.Context, req Request, v decision.Verdict) (time.Time, error) {
	at, ok := v.RecheckAt()
	if !ok || s.Scheduler == nil {
		return time.Time{}, nil
	}
	repo := req.PR.Repo.String()
	if err := s.Scheduler.ScheduleSweep(ctx, int64(req.PR.Installation), req.RepoID, repo, at, "recheck"); err != nil {
		return time.Time{}, fmt.Errorf("schedule the re-evaluation of %s at %s: %w", repo, at.Format(time.RFC3339), err)
	}
	return at, nil
}

// trusted are the author associations whose policy changes the policy
// repository's check runs: people GitHub lets push to the organization's
// repositories.
var trusted = map[string]bool{"OWNER": true, "MEMBER": true, "COLLABORATOR": true}

// checkPolicyRepo publishes the policy repository's own check: the policy
// as this pull request would merge it compiles, its configuration is valid,
// its tests pass.
func (s *Service) checkPolicyRepo(ctx context.Context, gh GitHub, t checkrun.Target, author facts.Actor) error {
	label := fmt.Sprintf("%s@%s", t.Head.Repo, decision.ShortSHA(t.Head.SHA))
	var v decision.Verdict
	var proposed *policysource.Version
	if trusted[author.Association] {
		res, err := s.Policies.CheckCommit(ctx, gh, t.Head.Repo.Owner, t.Head.Repo.Name, t.Head.SHA)
		if err != nil {
			return fmt.Errorf("check the policy at %s: %w", label, err)
		}
		v, label, proposed = decision.Decide(decision.Enforce, res.Results()), res.Version.Label, res.Version
	} else {
		v = decision.Decide(decision.Enforce, []decision.RuleResult{{
			ID: "policy_outside_contributor", Title: "Policy checked", Severity: decision.SeverityError,
			Denials: []decision.Finding{{Message: fmt.Sprintf(
				"@%s is not a member or collaborator of %s, and mergeguard does not run policy code proposed by outside contributors: a policy and its tests run on the server, unrestricted in memory.", author.Login, t.Head.Repo.Owner)}},
			Remedy: "A member of the organization can review the change and push it to a branch of this repository; its pull request is then checked.",
		}})
	}
	appendix := ""
	if proposed != nil && proposed.OK() && s.Replays != nil {
		appendix = report.Replay(s.replaySection(ctx, gh, t.Head.Repo, author.Login, proposed))
	}
	out := report.CheckRun(v, report.Context{HeadSHA: t.Head.SHA, PolicyDigest: label + " as of this pull request's head", MaxAnnotations: s.MaxAnnotations, Appendix: appendix})
	if _, err := s.PolicyPublisher.Publish(ctx, gh, t, v, out); err != nil {
		return fmt.Errorf("publish the policy check on %s@%s: %w", t.Head.Repo, decision.ShortSHA(t.Head.SHA), err)
	}
	return nil
}

// replaySection replays the proposed policy when the pull request's author
// may write to the policy repository: policy code in a pull request is
// untrusted, and replay runs it over every repository's stored inputs. The
// section links only to pull requests in repositories the author can read.
func (s *Service) replaySection(ctx context.Context, gh GitHub, policyRepo decision.Repo, login string, proposed *policysource.Version) report.ReplaySection {
	perm, err := gh.Permission(ctx, policyRepo.Owner, policyRepo.Name, login)
	if err != nil {
		s.Log.Warn("could not read the policy author's permission; no replay", "repo", policyRepo.String(), "author", login, "err", err)
		return report.ReplaySection{Skipped: fmt.Sprintf("Not replayed: mergeguard could not read @%s's permission on %s.", login, policyRepo)}
	}
	if perm != "admin" && perm != "write" {
		return report.ReplaySection{Skipped: fmt.Sprintf("Not replayed: replay runs the proposed policy over every repository's recent pull requests, so it runs only for authors with write access to %s (@%s has %s).", policyRepo, login, perm)}
	}
	r, err := s.Replays.Replay(ctx, gh, policyRepo.Owner, proposed)
	if err != nil {
		s.Log.Warn("replay of a proposed policy failed", "repo", policyRepo.String(), "policy", proposed.Label, "err", err)
		return report.ReplaySection{Skipped: "Not replayed: the replay failed (the server's log says why)."}
	}
	readable := map[string]bool{}
	linkable := func(repo string) bool {
		if ok, seen := readable[repo]; seen {
			return ok
		}
		owner, name, _ := strings.Cut(repo, "/")
		p, err := gh.Permission(ctx, owner, name, login)
		readable[repo] = err == nil && (p == "admin" || p == "write" || p == "read")
		return readable[repo]
	}
	return report.ReplaySection{Report: r.Report, Days: r.Days, Max: r.Max, Missing: r.Missing, Linkable: linkable, WebURL: s.WebURL}
}

// reviewChanges compares each reviewed commit with the head, so stale-
// approval rules know which files changed after a review. The comparisons
// are made at once.
func (s *Service) reviewChanges(ctx context.Context, gh GitHub, head decision.Head, reviews []decision.Review) (map[string]facts.Changes, error) {
	commits := facts.ReviewedCommits(facts.LatestDecisiveReviews(reviews, head.SHA))
	if len(commits) > maxCompares {
		commits = commits[:maxCompares]
	}
	changes := make([]*facts.Changes, len(commits))
	g, gctx := errgroup.WithContext(ctx)
	for i, sha := range commits {
		g.Go(func() error {
			cmp, err := gh.Compare(gctx, head.Repo.Owner, head.Repo.Name, sha, head.SHA)
			switch {
			case githubapp.IsNotFound(err):
				return nil // the reviewed commit no longer exists: unknown
			case err != nil:
				return err
			case cmp.Status == "ahead" || cmp.Status == "identical":
				changes[i] = &facts.Changes{Known: !cmp.Truncated, Files: cmp.Files}
			}
			// "diverged" or "behind": the reviewed commit is not in the
			// head's history (a force-push), so what changed since is
			// unknown.
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := map[string]facts.Changes{}
	for i, c := range changes {
		if c != nil {
			out[commits[i]] = *c
		}
	}
	return out, nil
}

// teams fetches the members of the configured teams of the repository's
// organization, all at once.
func (s *Service) teams(ctx context.Context, gh GitHub, org string, slugs []string) (map[string]facts.Team, error) {
	found := make([]facts.Team, len(slugs))
	g, gctx := errgroup.WithContext(ctx)
	for i, slug := range slugs {
		g.Go(func() error {
			members, err := gh.TeamMembers(gctx, org, slug)
			switch {
			case githubapp.IsTokenError(err):
				return err // the installation's problem, not the team's
			case githubapp.IsNotFound(err):
				found[i] = facts.Team{Members: []string{}, Error: fmt.Sprintf(
					"team %s/%s does not exist, or the App cannot see it: check the team name in the configuration and that the App has the Members: read permission", org, slug)}
			case githubapp.StatusCode(err) == http.StatusForbidden:
				// Rate limits are classified before this point; a plain 403
				// is a missing permission, which waiting will not fix.
				found[i] = facts.Team{Members: []string{}, Error: fmt.Sprintf(
					"the App may not read the members of team %s/%s: grant it the organization permission Members: read, then accept the new permissions in the installation's settings", org, slug)}
			case err != nil:
				return err
			default:
				found[i] = facts.Team{Found: true, Members: members}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string]facts.Team, len(slugs))
	for i, slug := range slugs {
		out[slug] = found[i]
	}
	return out, nil
}

func (s *Service) classify(err error) error {
	if githubapp.IsNotFound(err) {
		return &PermanentError{Err: fmt.Errorf("%w (the pull request or repository no longer exists, or the App was removed from it)", err)}
	}
	return err
}

// rerunBy names who asked for a re-run, for the log ("" for none).
func rerunBy(r *decision.Rerun) string {
	if r == nil {
		return ""
	}
	return r.By
}
