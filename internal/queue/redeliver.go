package queue

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/mergeguard/mergeguard/internal/store"
)

// GitHub does not retry a webhook delivery that failed: while mergeguard
// is down, or answers 5xx, or its answer is lost, events are simply gone,
// and a pull request keeps the verdict of an older state. A periodic job
// reads the App's webhook log, finds deliveries that never succeeded and
// never reached mergeguard, and asks GitHub to redeliver them (with the same
// X-GitHub-Delivery, so a delivery that did arrive is not handled twice),
// a bounded number per run and per delivery.

// HookDelivery is one attempt GitHub made to deliver a webhook.
type HookDelivery struct {
	// ID is GitHub's ID of this attempt, the one to redeliver.
	ID int64
	// GUID is the X-GitHub-Delivery header, shared by every attempt of one
	// delivery (a redelivery keeps it).
	GUID        string
	DeliveredAt time.Time
	Redelivery  bool
	// StatusCode is what the webhook answered; GitHub records failures to
	// connect and timeouts as failed attempts too.
	StatusCode int
	Event      string
	Action     string
}

// succeeded reports whether the webhook answered 2xx.
func (d HookDelivery) succeeded() bool { return d.StatusCode >= 200 && d.StatusCode < 300 }

// HookDeliveries reads and redelivers the App's webhook deliveries.
type HookDeliveries interface {
	// ListDeliveries lists attempts newest first, back to since at least,
	// reading at most maxPages pages of GitHub's log; complete is false
	// when older attempts were left unread.
	ListDeliveries(ctx context.Context, since time.Time, maxPages int) (attempts []HookDelivery, complete bool, err error)
	// Redeliver asks GitHub to deliver an attempt's payload again.
	Redeliver(ctx context.Context, attemptID int64) error
}

// RedeliveryConfig tunes the redelivery of missed deliveries. Zero fields
// take the defaults named.
type RedeliveryConfig struct {
	// Deliveries is GitHub's webhook log; nil turns the job off.
	Deliveries HookDeliveries
	// Every is how often the job runs (10 minutes).
	Every time.Duration
	// Lookback is how far back deliveries are checked (71 hours: GitHub
	// redelivers up to three days back).
	Lookback time.Duration
	// MaxPages bounds the log read per run (10 pages of 100 attempts).
	MaxPages int
	// Grace leaves alone a delivery whose latest attempt is more recent
	// (1 minute): its answer may still be on its way, or someone is
	// redelivering it by hand.
	Grace time.Duration
	// MaxPerRun bounds the redeliveries asked for in one run (20), oldest
	// deliveries first.
	MaxPerRun int
	// RetryAfter is how long after asking for a delivery the job may ask
	// again if it is still missing (Every).
	RetryAfter time.Duration
	// MaxRequests is how many times the job asks for one delivery before
	// giving up on it (3).
	MaxRequests int
}

func (c RedeliveryConfig) withDefaults() RedeliveryConfig {
	if c.Every <= 0 {
		c.Every = 10 * time.Minute
	}
	if c.Lookback <= 0 {
		c.Lookback = 71 * time.Hour
	}
	if c.MaxPages <= 0 {
		c.MaxPages = 10
	}
	if c.Grace <= 0 {
		c.Grace = time.Minute
	}
	if c.MaxPerRun <= 0 {
		c.MaxPerRun = 20
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = c.Every
	}
	if c.MaxRequests <= 0 {
		c.MaxRequests = 3
	}
	return c
}

// RedeliverArgs is a run of the job that redelivers missed deliveries:
// periodic (At is 0), or a follow-up for deliveries a run found too recent
// to judge (At is its time, in Unix seconds; one job per time).
type RedeliverArgs struct {
	At int64 `json:"at,omitempty" river:"unique"`
}

// Kind names the job in River's tables.
func (RedeliverArgs) Kind() string { return "redeliver" }

type redeliverWorker struct {
	river.WorkerDefaults[RedeliverArgs]
	q *Queue
}

func (w *redeliverWorker) Timeout(*river.Job[RedeliverArgs]) time.Duration {
	return w.q.cfg.JobTimeout
}

func (w *redeliverWorker) Work(ctx context.Context, job *river.Job[RedeliverArgs]) error {
	log := w.q.log.With("job_id", job.ID, "kind", job.Kind)
	run, err := w.q.RedeliverMissed(ctx)
	if err != nil {
		return w.q.steerOther(ctx, log, err)
	}
	if !run.NextPass.IsZero() {
		if err := w.q.scheduleRedelivery(ctx, run.NextPass); err != nil {
			log.Warn("could not schedule the next look at GitHub's webhook log; the periodic run will look instead", "err", err)
		}
	}
	attrs := []any{"attempts_listed", run.Listed, "missed", run.Missed, "requested", len(run.Requested), "refused", run.Errors,
		"given_up", len(run.GaveUp), "too_recent", run.Unsettled}
	switch {
	case !run.Complete:
		log.Info("checked GitHub's webhook log up to the page bound; older deliveries were not checked in this run", attrs...)
	case run.Missed > 0:
		log.Info("checked GitHub's webhook log for missed deliveries", attrs...)
	default:
		log.Debug("checked GitHub's webhook log: no missed deliveries", attrs...)
	}
	return nil
}

// redeliverPeriodically runs the job every Every, each run scheduled Grace
// after its tick: the first, when a server becomes the queue's leader
// (at start-up), then finds GitHub's log settled rather than racing
// deliveries a restart left in flight. Only the elected leader inserts
// periodic jobs. The run at start-up is not made unique by period: a server
// restarted soon after its previous start would then skip it, and the
// deliveries missed while it was down would wait a whole period. A run that
// fails is retried twice: the next period tries anyway.
func redeliverPeriodically(cfg Config) []*river.PeriodicJob {
	c := cfg.Redelivery
	if c.Deliveries == nil {
		return nil
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(c.Every),
		func() (river.JobArgs, *river.InsertOpts) {
			return RedeliverArgs{}, &river.InsertOpts{ScheduledAt: cfg.Now().Add(c.Grace), MaxAttempts: 3}
		},
		&river.PeriodicJobOpts{RunOnStart: true})}
}

// scheduleRedelivery schedules a run of the job at at, once however many
// runs (or replicas) ask for it.
func (q *Queue) scheduleRedelivery(ctx context.Context, at time.Time) error {
	return q.db.InTx(ctx, func(tx store.Tx) error {
		_, err := q.client.insertOptsTx(ctx, tx.Raw(), RedeliverArgs{At: at.Unix()}, &river.InsertOpts{
			ScheduledAt: at, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true},
		})
		return err
	})
}
