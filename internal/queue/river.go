package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/mergeguard/mergeguard/internal/store"
)

// riverClient hides River's transaction type parameter (*sql.Tx for SQLite,
// pgx.Tx for PostgreSQL) so the rest of the package is written once.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	insertTx(ctx context.Context, tx any, args river.JobArgs) (int64, error)
	// insertOptsTx inserts with options; skipped is true for a unique job
	// that already exists.
	insertOptsTx(ctx context.Context, tx any, args river.JobArgs, opts *river.InsertOpts) (skipped bool, err error)
	// jobTx returns the job, or nil when it no longer exists.
	jobTx(ctx context.Context, tx any, id int64) (*rivertype.JobRow, error)
	retryNowTx(ctx context.Context, tx any, id int64) error
}

type typedClient[TTx any] struct {
	*river.Client[TTx]
}

func (c typedClient[TTx]) insertTx(ctx context.Context, tx any, args river.JobArgs) (int64, error) {
	t, ok := tx.(TTx)
	if !ok {
		return 0, fmt.Errorf("insert job: transaction is %T, River expects %T", tx, *new(TTx))
	}
	res, err := c.InsertTx(ctx, t, args, nil)
	if err != nil {
		return 0, fmt.Errorf("insert %s job: %w", args.Kind(), err)
	}
	return res.Job.ID, nil
}

func (c typedClient[TTx]) insertOptsTx(ctx context.Context, tx any, args river.JobArgs, opts *river.InsertOpts) (bool, error) {
	t, ok := tx.(TTx)
	if !ok {
		return false, fmt.Errorf("insert job: transaction is %T, River expects %T", tx, *new(TTx))
	}
	res, err := c.InsertTx(ctx, t, args, opts)
	if err != nil {
		return false, fmt.Errorf("insert %s job: %w", args.Kind(), err)
	}
	return res.UniqueSkippedAsDuplicate, nil
}

func (c typedClient[TTx]) jobTx(ctx context.Context, tx any, id int64) (*rivertype.JobRow, error) {
	t, ok := tx.(TTx)
	if !ok {
		return nil, fmt.Errorf("get job: transaction is %T, River expects %T", tx, *new(TTx))
	}
	job, err := c.JobGetTx(ctx, t, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, nil // River's cleaner deletes finished jobs
	}
	if err != nil {
		return nil, fmt.Errorf("get job %d: %w", id, err)
	}
	return job, nil
}

func (c typedClient[TTx]) retryNowTx(ctx context.Context, tx any, id int64) error {
	t, ok := tx.(TTx)
	if !ok {
		return fmt.Errorf("retry job: transaction is %T, River expects %T", tx, *new(TTx))
	}
	if _, err := c.JobRetryTx(ctx, t, id); err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	return nil
}

// active reports whether the job can still run.
func active(job *rivertype.JobRow) bool {
	if job == nil {
		return false
	}
	switch job.State {
	case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		return false
	}
	return true
}

// backingOff reports whether the job failed and waits for its retry. River
// keeps short retries "available" with a later time and longer ones
// "retryable"; a rate-limit wait is "scheduled" and is not a backoff.
func backingOff(job *rivertype.JobRow, now time.Time) bool {
	return (job.State == rivertype.JobStateRetryable || job.State == rivertype.JobStateAvailable) &&
		len(job.Errors) > 0 && job.ScheduledAt.After(now)
}

func newRiverClient(db *store.DB, cfg *river.Config) (riverClient, error) {
	switch {
	case db.SQL != nil:
		c, err := river.NewClient(riversqlite.New(db.SQL), cfg)
		if err != nil {
			return nil, err
		}
		return typedClient[*sql.Tx]{c}, nil
	case db.Pool != nil:
		c, err := river.NewClient(riverpgxv5.New(db.Pool), cfg)
		if err != nil {
			return nil, err
		}
		return typedClient[pgx.Tx]{c}, nil
	}
	return nil, errors.New("database is not open")
}

// Migrate applies River's migrations and then mergeguard's, under a lock that
// keeps concurrently starting replicas from racing.
func Migrate(ctx context.Context, db *store.DB) error {
	return db.WithMigrationLock(ctx, func(ctx context.Context) error {
		var err error
		switch {
		case db.SQL != nil:
			err = migrateRiver(ctx, riversqlite.New(db.SQL))
		case db.Pool != nil:
			err = migrateRiver(ctx, riverpgxv5.New(db.Pool))
		}
		if err != nil {
			return fmt.Errorf("migrate job queue: %w", err)
		}
		if err := db.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate mergeguard tables: %w", err)
		}
		return nil
	})
}

func migrateRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
