package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/text"
)

// maxCauseInID keeps a sweep's cause short enough for a delivery ID.
const maxCauseInID = 48

// Sweeps re-evaluate pull requests without an event: when a freeze starts or
// ends, a rule's verdict changes with the time alone. A sweep lists a
// repository's open pull requests once and hands each to the usual
// coalescing intake, so its evaluations are coalesced with any others and
// check runs are written only when the verdict changes.
//
// Sweeps are River jobs scheduled for their instant and unique by
// repository and instant, so every replica may schedule the same one, and a
// restart neither loses nor doubles it.

// Lister reads what a sweep needs from GitHub.
type Lister interface {
	// OpenPullRequests lists the numbers of a repository's open pull
	// requests ("owner/name").
	OpenPullRequests(ctx context.Context, installationID int64, repo string) ([]int, error)
	// Repositories lists the repositories an installation can access.
	Repositories(ctx context.Context, installationID int64) ([]Repository, error)
}

// Repository is one of an installation's repositories.
type Repository struct {
	ID int64
	// FullName is "owner/name".
	FullName string
}

// SweepArgs re-evaluates every open pull request of a repository at an
// instant.
type SweepArgs struct {
	InstallationID int64  `json:"installation_id" river:"unique"`
	RepoID         int64  `json:"repo_id" river:"unique"`
	Repo           string `json:"repo"`
	// At is the instant, in Unix seconds.
	At int64 `json:"at" river:"unique"`
	// Cause tells sweeps at the same instant apart: the scheduling reason
	// ("recheck" for a time a rule named), or the organization sweep's key.
	Cause  string `json:"cause" river:"unique"`
	Reason string `json:"reason"`
}

// Kind names the job in River's tables.
func (SweepArgs) Kind() string { return "sweep_repo" }

// OrgSweepArgs sweeps every repository of an organization now: when an
// incident freeze starts or ends, or the policy changes.
type OrgSweepArgs struct {
	// InstallationID is 0 when the caller does not know it (the CLI); it is
	// then looked up among the organization's pull requests mergeguard has
	// seen.
	InstallationID int64  `json:"installation_id"`
	Owner          string `json:"owner" river:"unique"`
	// Key is what caused the sweep, e.g. "freeze-7-start"; one sweep per key.
	Key    string `json:"key" river:"unique"`
	Reason string `json:"reason"`
}

// Kind names the job in River's tables.
func (OrgSweepArgs) Kind() string { return "sweep_org" }

var uniqueForever = &river.UniqueOpts{ByArgs: true}

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	q *Queue
}

func (w *sweepWorker) Timeout(*river.Job[SweepArgs]) time.Duration { return w.q.cfg.JobTimeout }

func (w *sweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	a := job.Args
	log, err := w.q.begin(job.ID, w.q.cfg.Lister != nil, "sweeps", "repo", a.Repo, "reason", a.Reason)
	if err != nil {
		return err
	}
	numbers, err := w.q.cfg.Lister.OpenPullRequests(ctx, a.InstallationID, a.Repo)
	if err != nil {
		return w.q.steerOther(ctx, log, fmt.Errorf("list open pull requests of %s: %w", a.Repo, err))
	}
	queued := 0
	for _, n := range numbers {
		out, err := w.q.Accept(ctx, store.Delivery{
			// One delivery per pull request and sweep: a retried sweep
			// does not evaluate a pull request twice.
			ID:    fmt.Sprintf("sweep:%d:%d:%s:%d", a.RepoID, a.At, text.Clip(a.Cause, maxCauseInID), n),
			Event: "schedule", Action: a.Reason, InstallationID: a.InstallationID,
			PR: store.PRKey{RepoID: a.RepoID, Repo: a.Repo, Number: n}, ReceivedAt: w.q.cfg.Now(),
		})
		if err != nil {
			return err
		}
		if out != Duplicate {
			queued++
		}
	}
	log.Info("swept open pull requests", "open", len(numbers), "queued", queued)
	return nil
}

type orgSweepWorker struct {
	river.WorkerDefaults[OrgSweepArgs]
	q *Queue
}

func (w *orgSweepWorker) Timeout(*river.Job[OrgSweepArgs]) time.Duration { return w.q.cfg.JobTimeout }

func (w *orgSweepWorker) Work(ctx context.Context, job *river.Job[OrgSweepArgs]) error {
	a := job.Args
	log, err := w.q.begin(job.ID, w.q.cfg.Lister != nil, "sweeps", "owner", a.Owner, "key", a.Key, "reason", a.Reason)
	if err != nil {
		return err
	}
	installation := a.InstallationID
	if installation == 0 {
		var err error
		if installation, err = store.InstallationOf(ctx, w.q.db, a.Owner); errors.Is(err, store.ErrNotFound) {
			log.Info("no pull request of this organization has been seen; nothing to sweep")
			return nil
		} else if err != nil {
			return err
		}
	}
	repos, err := w.q.cfg.Lister.Repositories(ctx, installation)
	if err != nil {
		return w.q.steerOther(ctx, log, fmt.Errorf("list the repositories of installation %d: %w", installation, err))
	}
	now := w.q.cfg.Now()
	swept := 0
	err = w.q.db.InTx(ctx, func(tx store.Tx) error {
		for _, r := range repos {
			owner, _, _ := strings.Cut(r.FullName, "/")
			if !strings.EqualFold(owner, a.Owner) {
				continue
			}
			if _, err := w.q.client.insertOptsTx(ctx, tx.Raw(), SweepArgs{
				InstallationID: installation, RepoID: r.ID, Repo: r.FullName, At: now.Unix(), Cause: a.Key, Reason: a.Reason,
			}, &river.InsertOpts{UniqueOpts: *uniqueForever}); err != nil {
				return err
			}
			swept++
		}
		return nil
	})
	if err != nil {
		return err
	}
	log.Info("sweeping the organization's repositories", "repositories", swept)
	return nil
}

// steerOther turns an error of a job other than an evaluation into River's
// instructions: wait out a rate limit, give up on what cannot succeed,
// retry the rest with backoff.
func (q *Queue) steerOther(ctx context.Context, log *slog.Logger, err error) error {
	if ctx.Err() != nil {
		return q.interrupted(ctx, err)
	}
	snooze, outageOver := q.waitFor(log, err)
	if snooze != nil {
		return snooze
	}
	var perm interface{ Permanent() bool }
	switch {
	case outageOver:
		log.Warn("GitHub has not answered for longer than a job waits for it; giving up", "waited_at_most", q.cfg.OutageMax.String(), "err", err)
		return river.JobCancel(err)
	case errors.As(err, &perm) && perm.Permanent():
		log.Warn("job cannot succeed; giving up", "err", err)
		return river.JobCancel(err)
	}
	return err
}
