package queue

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// waitFor puts a job aside, without spending an attempt, when its error
// means "not now" rather than "failed":
//
//   - a rate limit (RetryAt) the GitHub client did not wait out in place
//     because it was too long: the job runs again at that time, and its
//     next attempt re-reads what it had with conditional requests, which
//     cost nothing against the limit;
//   - another evaluation publishing on the same commit (RetryAt, Busy);
//   - GitHub answering none of the installation's requests (OutageSince):
//     the job looks again every OutagePoll or so, and the first to find
//     GitHub back ends the outage for all.
//
// It returns the snooze to hand to River, or nil; outageOver is true when
// GitHub has not answered for OutageMax, and the job should give up.
func (q *Queue) waitFor(log *slog.Logger, err error) (snooze error, outageOver bool) {
	var rl interface{ RetryAt() time.Time }
	if errors.As(err, &rl) {
		wait := max(rl.RetryAt().Sub(q.cfg.Now()), time.Second)
		reason := metrics.DeferredRateLimit
		var busy interface{ Busy() bool }
		if errors.As(err, &busy) && busy.Busy() {
			reason = metrics.DeferredBusy
		}
		q.cfg.Metrics.JobsDeferred.WithLabelValues(reason).Inc()
		log.Info("job must wait (a GitHub rate limit longer than is waited out in place, or another evaluation publishing on the same commit); rescheduled without spending an attempt",
			"retry_in", wait.Round(time.Second).String(), "err", err)
		return river.JobSnooze(wait), false
	}
	var down interface{ OutageSince() time.Time }
	if errors.As(err, &down) && !down.OutageSince().IsZero() {
		if q.cfg.Now().Sub(down.OutageSince()) >= q.cfg.OutageMax {
			return nil, true
		}
		q.cfg.Metrics.JobsDeferred.WithLabelValues(metrics.DeferredUnavailable).Inc()
		// The GitHub client logs the outage once; a line per job and
		// look would drown it.
		log.Debug("GitHub is not answering; the job waits for it without spending an attempt", "err", err)
		return river.JobSnooze(q.outageWait()), false
	}
	return nil, false
}

// outageWait is how long a job waiting for GitHub is put aside: about
// OutagePoll, spread so that the jobs do not all look at once.
func (q *Queue) outageWait() time.Duration {
	p := q.cfg.OutagePoll
	return p/2 + rand.N(p+1)
}
