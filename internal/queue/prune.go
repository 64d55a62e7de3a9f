package queue

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/mergeguard/mergeguard/internal/store"
)

// PruneArgs is the periodic job that deletes rows past their retention.
type PruneArgs struct{}

// Kind names the job in River's tables.
func (PruneArgs) Kind() string { return "prune" }

type pruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	q *Queue
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	p, err := store.Prune(ctx, w.q.db, w.q.cfg.Now(), w.q.cfg.Retention)
	if err != nil {
		return err
	}
	if p != (store.Pruned{}) {
		w.q.log.Info("pruned old rows", "deliveries", p.Deliveries, "check_runs", p.CheckRuns, "verdicts", p.Verdicts, "pull_requests", p.PullRequests, "coverage_reports", p.Coverage, "head_sightings", p.HeadSightings)
	}
	return nil
}

// prunePeriodically runs the prune job every hour, and once at start-up. Only
// the elected leader inserts periodic jobs, so replicas do not prune twice.
func prunePeriodically() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
