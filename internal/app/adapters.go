package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/coverage"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/incident"
	"github.com/mergeguard/mergeguard/internal/prcommand"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/store"
)

// The adapters below connect the parts: each part declares the small
// interface it needs, and these satisfy them with the others.

// lister reads open pull requests and repositories for the queue's sweeps.
type lister struct{ app *githubapp.App }

func (l lister) OpenPullRequests(ctx context.Context, installationID int64, repo string) ([]int, error) {
	owner, name, _ := strings.Cut(repo, "/")
	prs, err := l.app.Installation(installationID).OpenPullRequests(ctx, owner, name)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(prs))
	for i, p := range prs {
		out[i] = p.Number
	}
	return out, nil
}

func (l lister) Repositories(ctx context.Context, installationID int64) ([]queue.Repository, error) {
	repos, err := l.app.Installation(installationID).Repositories(ctx)
	if err != nil {
		return nil, err
	}
	var out []queue.Repository
	for _, r := range repos {
		if !r.Archived { // archived repositories take no merges
			out = append(out, queue.Repository{ID: r.ID, FullName: r.Owner + "/" + r.Name})
		}
	}
	return out, nil
}

// mergeGroups hands merge group jobs to the evaluator.
type mergeGroups struct{ ev *evaluator.Service }

func (m mergeGroups) EvaluateMergeGroup(ctx context.Context, r queue.MergeGroupRequest) error {
	owner, name, _ := strings.Cut(r.Repo, "/")
	return m.ev.EvaluateMergeGroup(ctx, evaluator.Request{
		PR:      decision.PullRequest{Installation: decision.InstallationID(r.InstallationID), Repo: decision.Repo{Owner: owner, Name: name}, Number: r.Number},
		RepoID:  r.RepoID,
		Trigger: facts.Trigger{Event: "merge_group", Action: "checks_requested"}, DeliveryID: r.DeliveryID,
		MergeGroup: &facts.MergeGroup{HeadSHA: r.HeadSHA, HeadRef: r.HeadRef, BaseSHA: r.BaseSHA, BaseRef: r.BaseRef},
	})
}

// evaluations lets commands re-evaluate a pull request (through the
// queue, like any event) and explain its verdict (evaluated now, without
// publishing).
type evaluations struct {
	jobs *queue.Client
	ev   *evaluator.Service
	// prefix starts a command ("/guard"), to name the recheck command.
	prefix string
}

func (e evaluations) Recheck(ctx context.Context, pr prcommand.PR, key, requestedBy string) error {
	d := store.Delivery{
		ID: "command-" + key, Event: "issue_comment", Action: "created", InstallationID: int64(pr.Installation),
		PR: store.PRKey{RepoID: pr.RepoID, Repo: pr.Repo.String(), Number: pr.Number},
	}
	if requestedBy != "" {
		prefix := e.prefix
		if prefix == "" {
			prefix = command.DefaultPrefix
		}
		d.Rerun = &decision.Rerun{By: requestedBy, Via: "`" + strings.ReplaceAll(prefix, "`", "'") + " recheck`"}
	}
	_, err := e.jobs.Accept(ctx, d)
	return err
}

func (e evaluations) Verdict(ctx context.Context, pr prcommand.PR) (decision.Verdict, error) {
	a, err := e.ev.Assess(ctx, evaluator.Request{
		PR:      pr.PullRequest,
		RepoID:  pr.RepoID,
		Trigger: facts.Trigger{Event: "issue_comment", Action: "created"},
	})
	if err != nil {
		return decision.Verdict{}, err
	}
	return a.Judgement.Verdict, nil
}

// freezes reads incident freezes for the evaluator.
type freezes struct{ db *store.DB }

func (f freezes) Freezes(ctx context.Context, owner string, now time.Time) ([]facts.Freeze, error) {
	var out []facts.Freeze
	err := f.db.InTx(ctx, func(tx store.Tx) error {
		fs, err := store.Freezes(ctx, tx, owner, now)
		for _, fr := range fs {
			out = append(out, facts.NewFreeze(fr.ID, fr.Reason, fr.Repositories, fr.CreatedBy, fr.StartsAt, fr.End()))
		}
		return err
	})
	return out, err
}

// reviewRequests remembers the evaluator's review requests per head.
type reviewRequests struct{ db *store.DB }

func (r reviewRequests) Claim(ctx context.Context, pr decision.PullRequest, headSHA string, users, teams []string, at time.Time) (bool, error) {
	var claimed bool
	err := r.db.InTx(ctx, func(tx store.Tx) error {
		var err error
		claimed, err = store.ClaimReviewRequest(ctx, tx, pr.Repo.String(), pr.Number, headSHA, users, teams, at)
		return err
	})
	return claimed, err
}

var _ evaluator.ReviewRequests = reviewRequests{}

var _ incident.Sweeper = (*queue.Client)(nil)
var _ evaluator.Scheduler = (*queue.Client)(nil)
var _ evaluator.Sweeps = (*queue.Client)(nil)

// coverageSource reads uploaded reports for the evaluator.
type coverageSource struct{ db *store.DB }

func (c coverageSource) Reports(ctx context.Context, repo, sha string) (map[string]coverage.Report, error) {
	stored, err := store.Coverage(ctx, c.db, repo, sha)
	if err != nil {
		return nil, err
	}
	out := make(map[string]coverage.Report, len(stored))
	for _, s := range stored {
		r, err := coverage.Decode(s.Data)
		if err != nil {
			return nil, fmt.Errorf("the %q coverage of %s@%s: %w", s.Flag, repo, s.SHA, err)
		}
		out[s.Flag] = r
	}
	return out, nil
}

func (c coverageSource) Uploads(ctx context.Context, repo string, since time.Time) (bool, error) {
	return store.HasCoverage(ctx, c.db, repo, since)
}

func (c coverageSource) HeadSince(ctx context.Context, repoID int64, number int, sha string, now time.Time) (time.Time, error) {
	return store.NoteHead(ctx, c.db, repoID, number, sha, now)
}

// heads reads a pull request's head for uploads from pull_request
// workflows, with the installation mergeguard knows for the organization.
type heads struct {
	app *githubapp.App
	db  *store.DB
}

func (h heads) PullRequestHead(ctx context.Context, repo string, number int) (string, error) {
	owner, name, _ := strings.Cut(repo, "/")
	installation, err := store.InstallationOf(ctx, h.db, owner)
	if err != nil {
		return "", fmt.Errorf("no installation of mergeguard is known for %s yet: %w", owner, err)
	}
	pr, err := h.app.Installation(installation).PullRequest(ctx, owner, name, number)
	if err != nil {
		return "", err
	}
	return pr.Head.SHA, nil
}

// reevaluate queues the pull requests whose head is the commit a report
// arrived for.
func reevaluate(q *queue.Client, db *store.DB, now func() time.Time) func(ctx context.Context, repo, sha string) (int, error) {
	return func(ctx context.Context, repo, sha string) (int, error) {
		prs, err := store.PullRequestsAt(ctx, db, repo, sha)
		if err != nil {
			return 0, err
		}
		at := now()
		for _, pr := range prs {
			if _, err := q.Accept(ctx, store.Delivery{
				ID:    fmt.Sprintf("coverage:%d:%d:%.12s:%d", pr.Key.RepoID, pr.Key.Number, sha, at.UnixMilli()),
				Event: "coverage", Action: "uploaded", InstallationID: pr.InstallationID, PR: pr.Key, ReceivedAt: at,
			}); err != nil {
				return 0, err
			}
		}
		return len(prs), nil
	}
}

// reruns keeps re-run requests for the evaluator.
type reruns struct{ db *store.DB }

func (r reruns) PendingRerun(ctx context.Context, repoID int64, number int) (*decision.Rerun, error) {
	return store.PendingRerun(ctx, r.db, repoID, number)
}

func (r reruns) AnsweredRerun(ctx context.Context, repoID int64, number int, rerun decision.Rerun) error {
	return store.AnsweredRerun(ctx, r.db, repoID, number, rerun)
}
