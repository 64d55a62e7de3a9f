package queue

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/mergeguard/mergeguard/internal/clock"
	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/store"
)

// EvaluateArgs are the arguments of an evaluation job. The pull request's
// latest event is read from its coalescing row when the job runs.
type EvaluateArgs struct {
	InstallationID int64  `json:"installation_id"`
	RepoID         int64  `json:"repo_id"`
	Repo           string `json:"repo"`
	Number         int    `json:"number"`
	// DeliveryID is the delivery that created the job, for tracing.
	DeliveryID string `json:"delivery_id"`
}

// Kind names the job in River's tables.
func (EvaluateArgs) Kind() string { return "evaluate_pr" }

func decodeArgs(b []byte) (EvaluateArgs, error) {
	var a EvaluateArgs
	err := json.Unmarshal(b, &a)
	return a, err
}

// maxRounds bounds how often one job re-evaluates because events kept
// arriving while it worked; after that it yields and runs again shortly.
const maxRounds = 5

type evaluateWorker struct {
	river.WorkerDefaults[EvaluateArgs]
	q *Queue
}

func (w *evaluateWorker) Timeout(*river.Job[EvaluateArgs]) time.Duration { return w.q.cfg.JobTimeout }

func (w *evaluateWorker) Work(ctx context.Context, job *river.Job[EvaluateArgs]) error {
	start := w.q.cfg.Now()
	outcome := "success"
	err := w.q.work(ctx, job.ID, job.Args)
	var snooze *river.JobSnoozeError
	var cancel *river.JobCancelError
	switch {
	case errors.As(err, &snooze):
		outcome = "snoozed"
	case errors.As(err, &cancel):
		outcome = "cancelled"
	case err != nil:
		outcome = "retry"
	}
	w.q.cfg.Metrics.JobDuration.WithLabelValues(outcome).Observe(w.q.cfg.Now().Sub(start).Seconds())
	return err
}

func (q *Queue) work(ctx context.Context, jobID int64, args EvaluateArgs) error {
	log := q.log.With("job_id", jobID, "delivery_id", args.DeliveryID, "repo", args.Repo, "pr", args.Number)
	for round := 1; ; round++ {
		st, err := q.state(ctx, jobID, args)
		if errors.Is(err, errNotOwner) {
			log.Info("pull request is already evaluated or handled by a newer job; nothing to do")
			return nil
		}
		if err != nil {
			return err
		}
		// The event that broke a quiet period is evaluated at once; the
		// rest of a burst waits for the quiet period, then is evaluated
		// once.
		leading := round == 1 && st.LeadingSeq > st.StartedSeq
		if wait := q.quietWait(st); wait > 0 && !leading {
			if err := clock.Sleep(ctx, wait); err != nil {
				return q.interrupted(ctx, err)
			}
			st, err = q.state(ctx, jobID, args)
			if errors.Is(err, errNotOwner) {
				return nil
			}
			if err != nil {
				return err
			}
			if q.quietWait(st) > 0 {
				continue // more events arrived while waiting
			}
		}

		if err := q.db.InTx(ctx, func(tx store.Tx) error { return store.StartPRRound(ctx, tx, st.Key, st.Seq, jobID) }); err != nil {
			return err
		}
		err = q.evaluator.EvaluatePR(ctx, Request{
			PR: pullRequest(st.InstallationID, st.Key.Repo, st.Key.Number), RepoID: st.Key.RepoID,
			Event: st.Event, Action: st.Action, DeliveryID: st.DeliveryID,
		})
		if err != nil {
			return q.steer(ctx, log, jobID, args, err)
		}

		var done bool
		err = q.db.InTx(ctx, func(tx store.Tx) error {
			var err error
			done, err = store.FinishPR(ctx, tx, st.Key, st.Seq, jobID)
			return err
		})
		if err != nil {
			return err
		}
		if done {
			q.cfg.Metrics.EventToVerdict.Observe(q.cfg.Now().Sub(st.FirstEventAt).Seconds())
			return nil
		}
		// Events arrived while evaluating; what was published may be stale.
		if round >= maxRounds {
			log.Info("pull request keeps changing; evaluating again shortly", "rounds", round)
			return river.JobSnooze(time.Second)
		}
		log.Debug("new events arrived during evaluation; evaluating again", "round", round)
	}
}

// state reads the pull request's coalescing row. It returns errNotOwner when
// the row does not point at this job: the job already finished (and is being
// run again after a crash) or a newer job has taken over.
func (q *Queue) state(ctx context.Context, jobID int64, args EvaluateArgs) (store.PRState, error) {
	var st store.PRState
	err := q.db.InTx(ctx, func(tx store.Tx) error {
		var err error
		st, err = store.GetPRState(ctx, tx, args.RepoID, args.Number)
		return err
	})
	if errors.Is(err, store.ErrNotFound) || err == nil && (st.JobID == nil || *st.JobID != jobID) {
		return st, errNotOwner
	}
	return st, err
}

// quietWait is how long to wait before evaluating, so that a burst of events
// is evaluated once.
func (q *Queue) quietWait(st store.PRState) time.Duration {
	now := q.cfg.Now()
	until := st.LastEventAt.Add(q.cfg.CoalesceQuiet)
	if limit := st.FirstEventAt.Add(q.cfg.CoalesceMax); limit.Before(until) {
		until = limit
	}
	return until.Sub(now)
}

// steer turns an evaluation error into River's instructions.
func (q *Queue) steer(ctx context.Context, log *slog.Logger, jobID int64, args EvaluateArgs, err error) error {
	if ctx.Err() != nil {
		return q.interrupted(ctx, err)
	}
	snooze, outageOver := q.waitFor(log, err)
	if snooze != nil {
		return snooze
	}
	reason := metrics.FailedPermanent
	var perm interface{ Permanent() bool }
	switch {
	case outageOver:
		reason = metrics.FailedUnavailable
		log.Warn("GitHub has not answered for longer than an evaluation waits for it; giving up on this job", "waited_at_most", q.cfg.OutageMax.String(), "err", err)
	case errors.As(err, &perm) && perm.Permanent():
		log.Warn("evaluation cannot succeed; giving up on this job", "err", err)
	default:
		return err
	}
	q.giveUp(ctx, log, args, reason, err)
	if rerr := q.release(ctx, jobID, args); rerr != nil {
		return rerr // retried: the release must happen
	}
	return river.JobCancel(err)
}

// interrupted handles a job whose context ended: on shutdown the job is made
// available again at once, without spending an attempt.
func (q *Queue) interrupted(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), context.Canceled) || errors.Is(ctx.Err(), context.Canceled) {
		return river.JobSnooze(0)
	}
	return err
}
