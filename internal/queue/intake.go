package queue

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
)

// Merge groups and commands are not coalesced per pull request: each merge
// group head is checked once, and each comment is a request someone made.
// Each is recorded with its delivery and becomes its own job in the same
// transaction, so a redelivery is not handled twice and nothing accepted is
// lost.

// MergeGroupRequest is a merge queue entry to check: the rules for the pull
// request at the queue's tip, evaluated now, published on the merge group's
// head commit.
type MergeGroupRequest struct {
	InstallationID int64  `json:"installation_id"`
	RepoID         int64  `json:"repo_id"`
	Repo           string `json:"repo"`
	Number         int    `json:"number"`
	HeadSHA        string `json:"head_sha"`
	HeadRef        string `json:"head_ref"`
	BaseSHA        string `json:"base_sha"`
	BaseRef        string `json:"base_ref"`
	DeliveryID     string `json:"delivery_id"`
}

// MergeGroupEvaluator checks merge groups.
type MergeGroupEvaluator interface {
	EvaluateMergeGroup(ctx context.Context, req MergeGroupRequest) error
}

// MergeGroupArgs is a merge group check job.
type MergeGroupArgs struct{ MergeGroupRequest }

// Kind names the job in River's tables.
func (MergeGroupArgs) Kind() string { return "evaluate_merge_group" }

// Comment is a comment that may hold a /guard command.
type Comment struct {
	InstallationID int64  `json:"installation_id"`
	RepoID         int64  `json:"repo_id"`
	Repo           string `json:"repo"`
	// Number is the or pull request's number; IsPullRequest says
	// which.
	Number        int    `json:"number"`
	IsPullRequest bool   `json:"is_pull_request"`
	CommentID     int64  `json:"comment_id"`
	URL           string `json:"url"`
	Author        string `json:"author"`
	AuthorType    string `json:"author_type"`
	Association   string `json:"association"`
	Body          string `json:"body"`
	DeliveryID    string `json:"delivery_id"`
	// CreatedAt is when GitHub wrote the comment (zero for jobs queued
	// by a release that did not record it).
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// CommentHandler runs the commands comments hold.
type CommentHandler interface {
	HandleComment(ctx context.Context, c Comment) error
}

// CommentArgs is a command job.
type CommentArgs struct{ Comment }

// Kind names the job in River's tables.
func (CommentArgs) Kind() string { return "command" }

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
	log := w.q.log.With("job_id", job.ID, "delivery_id", job.Args.DeliveryID, "repo", job.Args.Repo, "pr", job.Args.Number, "merge_group", job.Args.HeadSHA)
	if w.q.cfg.MergeGroups == nil {
		return river.JobCancel(errors.New("merge groups are not configured"))
	}
	start := w.q.cfg.Now()
	err := w.q.cfg.MergeGroups.EvaluateMergeGroup(ctx, job.Args.MergeGroupRequest)
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
	log := w.q.log.With("job_id", job.ID, "delivery_id", job.Args.DeliveryID, "repo", job.Args.Repo, "number", job.Args.Number, "comment_id", job.Args.CommentID)
	if w.q.cfg.Comments == nil {
		return river.JobCancel(errors.New("commands are not configured"))
	}
	if err := w.q.cfg.Comments.HandleComment(ctx, job.Args.Comment); err != nil {
		return w.q.steerOther(ctx, log, err)
	}
	return nil
}
