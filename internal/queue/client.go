package queue

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/mergeguard/mergeguard/internal/store"
)

// ClientConfig tunes an insert-only client.
type ClientConfig struct {
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// CoalesceQuiet is the quiet period a pull request's events are
	// coalesced over (Config.CoalesceQuiet).
	CoalesceQuiet time.Duration
	// MaxAttempts is written into each job it inserts: the workers read it
	// from the job, so it must be the server's (default 10).
	MaxAttempts int
	// StubRiverTime makes River read Now for the jobs' times (tests).
	StubRiverTime bool
	Logger        *slog.Logger
}

// Client inserts work for the queue's workers without running any: the
// webhook intake, the commands and the CLI hand work to whichever server
// runs the workers. It is built before the parts that insert, so that the
// worker Queue, which needs those parts, can be built last.
type Client struct {
	db            *store.DB
	inserter      riverClient
	now           func() time.Time
	coalesceQuiet time.Duration
}

// NewClient builds an insert-only client (River's client without workers).
// The database must be migrated (see Migrate).
func NewClient(db *store.DB, cfg ClientConfig) (*Client, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = defaultMaxAttempts
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	rc := &river.Config{
		MaxAttempts: cfg.MaxAttempts,
		Logger:      slog.New(minLevel{slog.LevelWarn, cfg.Logger.Handler()}),
	}
	if cfg.StubRiverTime {
		rc.Test.Time = riverTime{cfg.Now}
	}
	inserter, err := newRiverClient(db, rc)
	if err != nil {
		return nil, fmt.Errorf("create the job queue's client: %w", err)
	}
	return &Client{db: db, inserter: inserter, now: cfg.Now, coalesceQuiet: cfg.CoalesceQuiet}, nil
}

// Accept durably records a delivery for a pull request and makes sure a job
// will evaluate it. When Accept returns nil, the delivery is committed to the
// database: it survives a crash right after.
func (q *Client) Accept(ctx context.Context, d store.Delivery) (Outcome, error) {
	if d.ReceivedAt.IsZero() {
		// Commands and sweeps are events too; their time drives
		// coalescing and retention like a webhook's.
		d.ReceivedAt = q.now()
	}
	out, err := q.acceptFresh(ctx, d, func(tx store.Tx) (Outcome, error) {
		if d.Head.SHA != "" {
			if err := store.RecordHeadSighting(ctx, tx, store.PRRef{RepoID: d.PR.RepoID, Repo: d.PR.Repo, Number: d.PR.Number}, d.Head); err != nil {
				return "", err
			}
		}
		st, err := store.NotePREvent(ctx, tx, d, q.coalesceQuiet)
		if err != nil {
			return "", err
		}
		if st.JobID != nil {
			job, err := q.inserter.jobTx(ctx, tx.Raw(), *st.JobID)
			if err != nil {
				return "", err
			}
			if active(job) {
				if backingOff(job, q.now()) {
					// A new event is new information: do not let it wait
					// out the backoff of an earlier failure.
					return Coalesced, q.inserter.retryNowTx(ctx, tx.Raw(), job.ID)
				}
				return Coalesced, nil
			}
		}
		return Queued, q.enqueue(ctx, tx, st)
	})
	if err != nil {
		return "", fmt.Errorf("accept delivery %s for %s: %w", d.ID, d.PR, err)
	}
	return out, nil
}

// acceptFresh records d and, when it is new, lets queue create its work,
// in one transaction, so that a delivery is never recorded without its work
// or the other way round. A delivery recorded before is a Duplicate and
// queues nothing.
func (q *Client) acceptFresh(ctx context.Context, d store.Delivery, queue func(store.Tx) (Outcome, error)) (Outcome, error) {
	out := Duplicate
	err := q.db.InTx(ctx, func(tx store.Tx) error {
		fresh, err := store.RecordDelivery(ctx, tx, d)
		if err != nil || !fresh {
			return err
		}
		out, err = queue(tx)
		return err
	})
	return out, err
}

// enqueue creates the job that will evaluate the pull request's latest state.
func (q *Client) enqueue(ctx context.Context, tx store.Tx, st store.PRState) error {
	id, err := q.inserter.insertTx(ctx, tx.Raw(), EvaluateArgs{
		InstallationID: st.InstallationID, RepoID: st.Key.RepoID, Repo: st.Key.Repo, Number: st.Key.Number, DeliveryID: st.DeliveryID,
	})
	if err != nil {
		return err
	}
	return store.SetPRJob(ctx, tx, st.Key, id)
}

// AcceptJob durably records a delivery and creates its job: a merge group
// check (MergeGroupArgs) or a command (CommentArgs).
func (q *Client) AcceptJob(ctx context.Context, d store.Delivery, args Job) (Outcome, error) {
	out, err := q.acceptFresh(ctx, d, func(tx store.Tx) (Outcome, error) {
		_, err := q.inserter.insertTx(ctx, tx.Raw(), args)
		return Queued, err
	})
	if err != nil {
		return "", fmt.Errorf("accept delivery %s: %w", d.ID, err)
	}
	return out, nil
}

// ScheduleSweep schedules a sweep of a repository at an instant (at once if
// it has passed). A sweep already scheduled for the same repository and
// instant is not scheduled again.
func (q *Client) ScheduleSweep(ctx context.Context, installationID, repoID int64, repo string, at time.Time, reason string) error {
	return q.db.InTx(ctx, func(tx store.Tx) error {
		_, err := q.inserter.insertOptsTx(ctx, tx.Raw(), SweepArgs{
			InstallationID: installationID, RepoID: repoID, Repo: repo, At: at.Unix(), Cause: reason, Reason: reason,
		}, &river.InsertOpts{ScheduledAt: at, UniqueOpts: *uniqueForever})
		return err
	})
}

// SweepOrgTx sweeps every repository of an organization, in the caller's
// transaction: a freeze and the sweep that applies it commit together.
func (q *Client) SweepOrgTx(ctx context.Context, tx store.Tx, installationID int64, owner, key, reason string) error {
	_, err := q.inserter.insertOptsTx(ctx, tx.Raw(), OrgSweepArgs{
		InstallationID: installationID, Owner: strings.ToLower(owner), Key: key, Reason: reason,
	}, &river.InsertOpts{UniqueOpts: *uniqueForever})
	return err
}

// AcceptMergeGroup records a delivery and creates its merge group check.
func (q *Client) AcceptMergeGroup(ctx context.Context, d store.Delivery, mg MergeGroupRequest) (Outcome, error) {
	return q.AcceptJob(ctx, d, MergeGroupArgs{MergeGroupRequest: mg})
}

// AcceptComment records a delivery and creates its command job.
func (q *Client) AcceptComment(ctx context.Context, d store.Delivery, c Comment) (Outcome, error) {
	return q.AcceptJob(ctx, d, CommentArgs{Comment: c})
}

// SweepOrg sweeps every repository of an organization, in a transaction
// of its own (see SweepOrgTx).
func (q *Client) SweepOrg(ctx context.Context, installationID int64, owner, key, reason string) error {
	return q.db.InTx(ctx, func(tx store.Tx) error {
		return q.SweepOrgTx(ctx, tx, installationID, owner, key, reason)
	})
}
