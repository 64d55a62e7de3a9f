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
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/store"
)

// Request is one evaluation of a pull request's latest state.
type Request struct {
	// PR is the pull request, with the installation to act as.
	PR decision.PullRequest
	// RepoID is GitHub's immutable id of PR.Repo.
	RepoID int64
	// Event and Action are the latest event in the coalesced burst.
	Event      string
	Action     string
	DeliveryID string
}

// pullRequest is the pull request a job's or a row's fields name. The
// repository's name was written from GitHub's owner and name, joined by a
// slash, so it always splits; a name that somehow does not is kept whole as
// the owner, and GitHub answers that it does not know it.
func pullRequest(installationID int64, repo string, number int) decision.PullRequest {
	owner, name, _ := strings.Cut(repo, "/")
	return decision.PullRequest{Installation: decision.InstallationID(installationID), Repo: decision.Repo{Owner: owner, Name: name}, Number: number}
}

// Evaluator evaluates a pull request and publishes the verdict.
//
// Errors steer the job: an error with a RetryAt() time.Time method (a GitHub
// rate limit longer than the client waits in place) reschedules the job for
// that time; one with a non-zero OutageSince() time.Time (GitHub answers
// nothing) puts it aside for a few seconds without spending an attempt,
// until Config.OutageMax has passed since then; one with Permanent() true
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
	// The first event after a quiet period is evaluated at once (the
	// leading edge); what arrives after it is coalesced into one
	// evaluation that waits for the quiet period.
	CoalesceQuiet time.Duration
	CoalesceMax   time.Duration
	// JobTimeout bounds one job (default 2 minutes).
	JobTimeout time.Duration
	// MaxAttempts bounds retries of a failing job (default 10).
	MaxAttempts int
	// OutageMax bounds how long a job waits for GitHub to answer again
	// during an outage, counted from the outage's start (default an hour);
	// then it gives up. Waiting for GitHub spends no attempt.
	OutageMax time.Duration
	// OutagePoll is about how often a job waiting for GitHub looks again
	// (default 10s, with jitter): the first to find GitHub answering ends
	// the outage for all.
	OutagePoll time.Duration
	// PollInterval is how often workers look for new jobs on SQLite, which
	// has no notifications (default 50ms: half of it is the average wait a
	// new job adds, on a local query of well under a millisecond).
	// PostgreSQL is notified at once.
	PollInterval time.Duration
	Logger       *slog.Logger
	Metrics      *metrics.Metrics
	// Now is the clock (time.Now in production).
	Now func() time.Time
	// Retention bounds how long deliveries and state are kept
	// (store.DefaultRetention when zero).
	Retention store.Retention
	// Lister reads open pull requests and repositories for sweeps;
	// MergeGroups checks merge groups; Comments runs commands. A job of a
	// kind without its handler is cancelled with a message.
	Lister      Lister
	MergeGroups MergeGroupEvaluator
	Comments    CommentHandler
	// OnGiveUp, when set, shows an evaluation that ends without a verdict
	// (out of attempts, or unable to succeed) on the pull request.
	OnGiveUp GiveUpFunc
	// Redelivery asks GitHub to redeliver missed webhook deliveries (off
	// when its Deliveries is nil).
	Redelivery RedeliveryConfig
	// Replica is this server's membership on PostgreSQL
	// (store.JoinReplicas); nil on SQLite. With it, jobs run fenced by the
	// membership, and this server takes over the running jobs of replicas
	// that died, after ReplicaGrace (store.ReplicaGrace when zero).
	Replica      Replica
	ReplicaGrace time.Duration
	// StubRiverTime makes River read Now too, for scheduled jobs; tests set
	// it with a controllable clock. Otherwise River uses the database's
	// clock.
	StubRiverTime bool
}

// Outcome says what Accept did with a delivery (decision.Acceptance).
type Outcome = decision.Acceptance

const (
	Queued    = decision.Queued
	Coalesced = decision.Coalesced
	Duplicate = decision.Duplicate
)

// defaultMaxAttempts bounds retries of a failing job when not configured.
const defaultMaxAttempts = 10

// Queue runs the jobs; its Client (embedded) accepts deliveries.
type Queue struct {
	*Client
	db        *store.DB
	client    riverClient
	evaluator Evaluator
	cfg       Config
	log       *slog.Logger
	// stopTakeovers ends the loop that takes over dead replicas' jobs;
	// takeoversDone closes when it has.
	stopTakeovers context.CancelFunc
	takeoversDone chan struct{}
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
		cfg.MaxAttempts = defaultMaxAttempts
	}
	if cfg.OutageMax <= 0 {
		cfg.OutageMax = time.Hour
	}
	if cfg.OutagePoll <= 0 {
		cfg.OutagePoll = 10 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 50 * time.Millisecond
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
	if cfg.Retention == (store.Retention{}) {
		cfg.Retention = store.DefaultRetention
	}
	cfg.Redelivery = cfg.Redelivery.withDefaults()
	if cfg.ReplicaGrace <= 0 {
		cfg.ReplicaGrace = store.ReplicaGrace
	}
	ins, err := NewClient(db, ClientConfig{
		Now: cfg.Now, CoalesceQuiet: cfg.CoalesceQuiet, MaxAttempts: cfg.MaxAttempts,
		StubRiverTime: cfg.StubRiverTime, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	q := &Queue{Client: ins, db: db, evaluator: ev, cfg: cfg, log: cfg.Logger}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &evaluateWorker{q: q}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &pruneWorker{q: q}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &sweepWorker{q: q}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &orgSweepWorker{q: q}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &mergeGroupWorker{q: q}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &commentWorker{q: q}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &redeliverWorker{q: q}); err != nil {
		return nil, err
	}
	rc := &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.JobTimeout + 3*time.Minute,
		MaxAttempts:          cfg.MaxAttempts,
		RetryPolicy:          backoff{now: cfg.Now},
		PeriodicJobs:         append([]*river.PeriodicJob{prunePeriodically()}, redeliverPeriodically(cfg)...),
		Logger:               slog.New(minLevel{slog.LevelWarn, cfg.Logger.Handler()}),
	}
	if db.SQL != nil {
		rc.FetchPollInterval = cfg.PollInterval
		rc.FetchCooldown = min(cfg.PollInterval, 50*time.Millisecond)
	}
	rc.ErrorHandler = &errorHandler{q: q}
	if cfg.StubRiverTime {
		rc.Test.Time = riverTime{cfg.Now}
	}
	if cfg.Replica != nil {
		rc.ID = clientID(cfg.Replica.Number())
		rc.Middleware = []rivertype.Middleware{&fence{replica: cfg.Replica}}
	}
	client, err := newRiverClient(db, rc)
	if err != nil {
		return nil, fmt.Errorf("create job queue: %w", err)
	}
	q.client = client
	return q, nil
}

// Start begins working jobs and, on PostgreSQL with a replica number,
// taking over the jobs of replicas that die.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return err
	}
	if q.db.Pool != nil && q.cfg.Replica != nil && q.stopTakeovers == nil {
		tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		q.stopTakeovers, q.takeoversDone = cancel, make(chan struct{})
		go func() {
			defer close(q.takeoversDone)
			q.runTakeovers(tctx)
		}()
	}
	return nil
}

// Stop stops fetching new jobs and waits for running ones to finish until ctx
// ends; then it cancels them (they are picked up again on the next start).
func (q *Queue) Stop(ctx context.Context) error {
	if q.stopTakeovers != nil {
		q.stopTakeovers()
		<-q.takeoversDone
		q.stopTakeovers = nil
	}
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	q.log.Warn("running jobs did not finish in time; cancelling them, they resume on the next start", "err", err)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return q.client.StopAndCancel(cctx)
}

// release detaches a job that is giving up (cancelled, or out of attempts)
// from its pull request. Events that arrived after the job last started
// evaluating go to a new job: a failure must not swallow a later review.
func (q *Queue) release(ctx context.Context, jobID int64, args EvaluateArgs) error {
	return q.db.InTx(ctx, func(tx store.Tx) error {
		st, err := store.GetPRState(ctx, tx, args.RepoID, args.Number)
		if errors.Is(err, store.ErrNotFound) || err == nil && (st.JobID == nil || *st.JobID != jobID) {
			return nil
		}
		if err != nil {
			return err
		}
		if st.Seq > st.StartedSeq {
			return q.enqueue(ctx, tx, st)
		}
		return store.ClearPRJob(ctx, tx, st.Key, jobID)
	})
}

// errorHandler logs failed and panicking jobs with their delivery ID, so an
// operator can trace a failure back to the webhook that caused it. River
// recovers the panic and retries the job; on the last attempt OnGiveUp
// shows the failure, then the pull request is released so later events are
// not lost.
type errorHandler struct{ q *Queue }

func (h *errorHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.finalAttempt(ctx, job, err, job.Kind+" job failed", append(jobAttrs(job), "err", err))
	return nil
}

func (h *errorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.finalAttempt(ctx, job, fmt.Errorf("the evaluation panicked: %v", panicVal), job.Kind+" job panicked", append(jobAttrs(job), "panic", fmt.Sprint(panicVal), "stack", trace))
	return nil
}

func (h *errorHandler) finalAttempt(ctx context.Context, job *rivertype.JobRow, cause error, msg string, attrs []any) {
	if job.Attempt < job.MaxAttempts {
		h.q.log.Error(msg+"; it will be retried", attrs...)
		return
	}
	h.q.log.Error(msg+" on its last attempt; giving up", attrs...)
	if job.Kind != (EvaluateArgs{}).Kind() {
		return // only evaluations hold a pull request's coalescing row
	}
	args, err := decodeArgs(job.EncodedArgs)
	if err == nil {
		h.q.giveUp(ctx, h.q.log.With(jobAttrs(job)...), args, metrics.FailedExhausted, cause)
		err = h.q.release(ctx, job.ID, args)
	}
	if err != nil {
		h.q.log.Error("could not release the pull request of a failed job", append(jobAttrs(job), "err", err)...)
	}
}

// backoff is the retry policy: exponential from 2 seconds, capped at 5
// minutes, with jitter. River's default grows to hours, which would leave a
// verdict stale long after GitHub recovers.
type backoff struct{ now func() time.Time }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := 2 * time.Second << min(max(job.Attempt-1, 0), 8)
	d = min(d, 5*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return b.now().Add(d + jitter)
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

// riverTime hands the queue's clock to River.
type riverTime struct{ now func() time.Time }

func (t riverTime) NowUTC() time.Time { return t.now().UTC() }

func (t riverTime) NowUTCOrNil() *time.Time {
	n := t.now().UTC()
	return &n
}
