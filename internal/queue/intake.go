package queue

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// Merge groups and commands are not coalesced per pull request: each merge
// group head is checked once, and each comment is a request someone made.
// Each is recorded with its delivery and becomes its own job in the same
// transaction, so a redelivery is not handled twice and nothing accepted is
// lost.

// MergeGroupRequest is a merge queue entry to check
// (decision.MergeGroupRequest).
type MergeGroupRequest = decision.MergeGroupRequest

// MergeGroupEvaluator checks merge groups.
type MergeGroupEvaluator interface {
	EvaluateMergeGroup(ctx context.Context, req MergeGroupRequest) error
}

// MergeGroupArgs is a merge group check job.
type MergeGroupArgs struct{ MergeGroupRequest }

// Kind names the job in River's tables.
func (MergeGroupArgs) Kind() string { return "evaluate_merge_group" }

// Comment is a comment that may hold a command (decision.Comment).
type Comment = decision.Comment

// CommentHandler runs the commands comments hold.
type CommentHandler interface {
	HandleComment(ctx context.Context, c Comment) error
}

// CommentArgs is a command job.
type CommentArgs struct{ Comment }

// Kind names the job in River's tables.
func (CommentArgs) Kind() string { return "command" }

// begin is what every job but an evaluation does first: name the job in
// its log lines, and cancel it, saying which, when its handler (what) is
// not configured, since this server could never run it.
func (q *Queue) begin(jobID int64, configured bool, what string, attrs ...any) (*slog.Logger, error) {
	if !configured {
		return nil, river.JobCancel(fmt.Errorf("%s are not configured", what))
	}
	return q.log.With(append([]any{"job_id", jobID}, attrs...)...), nil
}

// Job is a job's arguments (River's JobArgs): MergeGroupArgs, CommentArgs.
type Job interface{ Kind() string }

type mergeGroupWorker struct {
	river.WorkerDefaults[MergeGroupArgs]
	q *Queue
}

func (w *mergeGroupWorker) Timeout(*river.Job[MergeGroupArgs]) time.Duration {
	return w.q.cfg.JobTimeout
}

func (w *mergeGroupWorker) Work(ctx context.Context, job *river.Job[MergeGroupArgs]) error {
	log, err := w.q.begin(job.ID, w.q.cfg.MergeGroups != nil, "merge groups",
		"delivery_id", job.Args.DeliveryID, "repo", job.Args.Repo, "pr", job.Args.Number, "merge_group", job.Args.HeadSHA)
	if err != nil {
		return err
	}
	start := w.q.cfg.Now()
	err = w.q.cfg.MergeGroups.EvaluateMergeGroup(ctx, job.Args.MergeGroupRequest)
	if err != nil {
		return w.q.steerOther(ctx, log, err)
	}
	w.q.cfg.Metrics.EventToVerdict.Observe(w.q.cfg.Now().Sub(start).Seconds())
	return nil
}

type commentWorker struct {
	river.WorkerDefaults[CommentArgs]
	q *Queue
}

func (w *commentWorker) Timeout(*river.Job[CommentArgs]) time.Duration { return w.q.cfg.JobTimeout }

func (w *commentWorker) Work(ctx context.Context, job *river.Job[CommentArgs]) error {
	log, err := w.q.begin(job.ID, w.q.cfg.Comments != nil, "commands",
		"delivery_id", job.Args.DeliveryID, "repo", job.Args.Repo, "number", job.Args.Number, "comment_id", job.Args.CommentID)
	if err != nil {
		return err
	}
	if err := w.q.cfg.Comments.HandleComment(ctx, job.Args.Comment); err != nil {
		return w.q.steerOther(ctx, log, err)
	}
	return nil
}
