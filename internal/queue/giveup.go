package queue

import (
	"context"
	"log/slog"
	"time"
)

// GiveUpFunc shows on GitHub that an evaluation was given up on; cause is
// the last error. It is called once per job that ends without a verdict,
// before later events for the pull request go to a new job, so a failure
// it publishes cannot overwrite that job's verdict.
type GiveUpFunc func(ctx context.Context, req Request, cause error) error

// giveUpTimeout bounds OnGiveUp. It runs on a context of its own: the job's
// may have ended, and the failure is worth showing even during a shutdown.
const giveUpTimeout = 30 * time.Second

// giveUp counts an evaluation that ends without a verdict (reason is a
// metrics.Failed* label) and hands it to OnGiveUp. It never fails: the job
// ends either way, and a failure to publish is logged and counted for an
// operator to act on.
func (q *Queue) giveUp(ctx context.Context, log *slog.Logger, args EvaluateArgs, reason string, cause error) {
	q.cfg.Metrics.EvaluationsFailed.WithLabelValues(reason).Inc()
	if q.cfg.OnGiveUp == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), giveUpTimeout)
	defer cancel()
	req := Request{PR: pullRequest(args.InstallationID, args.Repo, args.Number), RepoID: args.RepoID, DeliveryID: args.DeliveryID}
	if err := q.cfg.OnGiveUp(ctx, req, cause); err != nil {
		q.cfg.Metrics.FailureReportErrors.Inc()
		log.Error("could not show the failed evaluation on GitHub; the pull request shows no verdict for its head until its next event", "err", err)
	}
}
