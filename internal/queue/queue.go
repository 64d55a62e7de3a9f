// Package queue is mergeguard's durable work queue, on River. A webhook
// delivery becomes a row and, when needed, a job in the same transaction; a
// worker evaluates the pull request's latest state. Events for one pull
// request are coalesced: while a job is pending or running, further events
// only mark the pull request as changed, and the job evaluates again before
// it lets go.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/store"
)

// Request is one evaluation of a pull request's latest state.
type Request struct {
	InstallationID int64
	RepoID         int64
	// Repo is "owner/name".
	Repo   string
	Number int
	// Event and Action are the latest event in the coalesced burst.
	Event      string
	Action     string
	DeliveryID string
}

// Evaluator evaluates a pull request and publishes the verdict.
//
// Errors steer the job: an error with a RetryAt() time.Time method (a GitHub
// rate limit) reschedules the job for that time; one with Permanent() true
// ends it; any other error is retried with backoff.
type Evaluator interface {
	EvaluatePR(ctx context.Context, req Request) error
}

// EvaluatorFunc adapts a function to Evaluator.
type EvaluatorFunc func(ctx context.Context, req Request) error

// EvaluatePR calls f.
func (f EvaluatorFunc) EvaluatePR(ctx context.Context, req Request) error { return f(ctx, req) }

// Config tunes the queue.
type Config struct {
	// Workers is how many pull requests are evaluated at once.
	Workers int
	// CoalesceQuiet is how long a pull request must go without events before
	// it is evaluated; CoalesceMax bounds that wait from the burst's first
	// event, so a steady trickle of events cannot starve the evaluation.
	CoalesceQuiet time.Duration
	CoalesceMax   time.Duration
	// JobTimeout bounds one job (default 2 minutes).
	JobTimeout time.Duration
	// MaxAttempts bounds retries of a failing job (default 10).
	MaxAttempts int
	// PollInterval is how often workers look for new jobs on SQLite, which
	// has no notifications (default 100ms). PostgreSQL is notified at once.
	PollInterval time.Duration
	Logger       *slog.Logger
	Metrics      *metrics.Metrics
	// Now is the clock (time.Now in production).
	Now func() time.Time
}

// Outcome says what Accept did with a delivery.
type Outcome string

const (
	// Queued: a job was created for the pull request.
	Queued Outcome = "accepted"
	// Coalesced: a job was already pending; it will see this event.
	Coalesced Outcome = "coalesced"
	// Duplicate: this delivery ID was accepted before.
	Duplicate Outcome = "duplicate"
)

// Queue accepts deliveries and runs evaluation jobs.
type Queue struct {
	db        *store.DB
	client    riverClient
	evaluator Evaluator
	cfg       Config
	log       *slog.Logger
}

// New builds the queue. The database must be migrated (see Migrate).
func New(db *store.DB, ev Evaluator, cfg Config) (*Queue, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 10
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 2 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	q := &Queue{db: db, evaluator: ev, cfg: cfg, log: cfg.Logger}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &evaluateWorker{q: q}); err != nil {
		return nil, err
	}
	rc := &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.JobTimeout + 3*time.Minute,
		MaxAttempts:          cfg.MaxAttempts,
		ErrorHandler:         &errorHandler{log: cfg.Logger},
		Logger:               slog.New(minLevel{slog.LevelWarn, cfg.Logger.Handler()}),
	}
	if db.SQL != nil {
		rc.FetchPollInterval = cfg.PollInterval
		rc.FetchCooldown = min(cfg.PollInterval, 50*time.Millisecond)
	}
	client, err := newRiverClient(db, rc)
	if err != nil {
		return nil, fmt.Errorf("create job queue: %w", err)
	}
	q.client = client
	return q, nil
}

// Start begins working jobs.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop stops fetching new jobs and waits for running ones to finish until ctx
// ends; then it cancels them (they are picked up again on the next start).
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	q.log.Warn("running jobs did not finish in time; cancelling them, they resume on the next start", "err", err)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return q.client.StopAndCancel(cctx)
}

// Accept durably records a delivery for a pull request and makes sure a job
// will evaluate it. When Accept returns nil, the delivery is committed to the
// database: it survives a crash right after.
func (q *Queue) Accept(ctx context.Context, d store.Delivery) (Outcome, error) {
	var out Outcome
	err := q.db.InTx(ctx, func(tx store.Tx) error {
		fresh, err := store.RecordDelivery(ctx, tx, d)
		if err != nil {
			return err
		}
		if !fresh {
			out = Duplicate
			return nil
		}
		st, err := store.NotePREvent(ctx, tx, d)
		if err != nil {
			return err
		}
		if st.JobID != nil {
			active, err := q.client.jobActiveTx(ctx, tx.Raw(), *st.JobID)
			if err != nil {
				return err
			}
			if active {
				out = Coalesced
				return nil
			}
		}
		id, err := q.client.insertTx(ctx, tx.Raw(), EvaluateArgs{
			InstallationID: d.InstallationID, RepoID: d.PR.RepoID, Repo: d.PR.Repo, Number: d.PR.Number, DeliveryID: d.ID,
		})
		if err != nil {
			return err
		}
		out = Queued
		return store.SetPRJob(ctx, tx, d.PR, id)
	})
	if err != nil {
		return "", fmt.Errorf("accept delivery %s for %s: %w", d.ID, d.PR, err)
	}
	return out, nil
}

// errorHandler logs failed and panicking jobs with their delivery ID, so an
// operator can trace a failure back to the webhook that caused it. River
// recovers the panic and retries the job.
type errorHandler struct{ log *slog.Logger }

func (h *errorHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.log.Error("evaluation job failed; it will be retried", append(jobAttrs(job), "err", err)...)
	return nil
}

func (h *errorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.log.Error("evaluation job panicked; it will be retried", append(jobAttrs(job), "panic", fmt.Sprint(panicVal), "stack", trace)...)
	return nil
}

func jobAttrs(job *rivertype.JobRow) []any {
	attrs := []any{"job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "max_attempts", job.MaxAttempts}
	if args, err := decodeArgs(job.EncodedArgs); err == nil {
		attrs = append(attrs, "delivery_id", args.DeliveryID, "repo", args.Repo, "pr", args.Number)
	}
	return attrs
}

// minLevel drops records below a level; River logs routine events at info.
type minLevel struct {
	level slog.Level
	slog.Handler
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.level && m.Handler.Enabled(ctx, l)
}

func (m minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{m.level, m.Handler.WithAttrs(as)}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{m.level, m.Handler.WithGroup(name)}
}

var errNotOwner = errors.New("pull request is owned by another job")
