package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
)

// RedeliveryRun says what one run of the redelivery job did.
type RedeliveryRun struct {
	// Listed counts the attempts read from GitHub's log; Complete is false
	// when the page bound stopped the listing before the lookback window.
	Listed   int
	Complete bool
	// Missed counts deliveries past the grace period that failed, never
	// reached mergeguard and are not given up (those asked for included).
	Missed int
	// Requested lists the GUIDs whose redelivery GitHub accepted, oldest
	// delivery first.
	Requested []string
	// GaveUp lists the GUIDs given up in this run.
	GaveUp []string
	// Errors counts redelivery requests GitHub refused.
	Errors int
	// Unsettled counts failed deliveries never received whose latest
	// attempt is within the grace period: too recent to judge. NextPass is
	// when the first of them will be settled (zero when there are none):
	// the job looks again then rather than a whole period later.
	Unsettled int
	NextPass  time.Time
}

// missedDelivery is one delivery none of whose attempts succeeded.
type missedDelivery struct {
	guid, event, action string
	// first and last are its earliest and latest attempts in the log.
	first, last time.Time
	// attemptID is the latest attempt's: the one to redeliver.
	attemptID int64
	status    int
}

// RedeliverMissed runs the redelivery job once: it lists GitHub's webhook
// log back to the lookback window, and asks GitHub to redeliver, oldest
// first and at most MaxPerRun, the deliveries that failed, never reached
// mergeguard, and were not asked for within RetryAfter. A delivery still
// missing after MaxRequests requests is given up and logged.
func (q *Queue) RedeliverMissed(ctx context.Context) (RedeliveryRun, error) {
	cfg := q.cfg.Redelivery
	run := RedeliveryRun{Complete: true}
	if cfg.Deliveries == nil {
		return run, nil
	}
	now := q.cfg.Now()
	since := now.Add(-cfg.Lookback)
	attempts, complete, err := cfg.Deliveries.ListDeliveries(ctx, since, cfg.MaxPages)
	if err != nil {
		return run, fmt.Errorf("list the App's webhook deliveries: %w", err)
	}
	run.Listed, run.Complete = len(attempts), complete
	m := q.cfg.Metrics.Redelivery
	m.LastRun.Set(float64(now.Unix()))
	failed := failedDeliveries(attempts, since)

	ids := make([]string, len(failed))
	for i, c := range failed {
		ids[i] = c.guid
	}
	known, err := store.KnownDeliveries(ctx, q.db, ids)
	if err != nil {
		return run, err
	}
	asked, err := store.Redeliveries(ctx, q.db, ids)
	if err != nil {
		return run, err
	}

	deferred := 0
	settled := now.Add(-cfg.Grace)
	for _, c := range failed {
		rec := asked[c.guid]
		if known[c.guid] || !rec.GaveUpAt.IsZero() {
			continue
		}
		if c.last.After(settled) {
			// Its answer may still be on its way: look again once it is
			// settled (a second late, so it is).
			run.Unsettled++
			if at := c.last.Add(cfg.Grace + time.Second); run.NextPass.IsZero() || at.Before(run.NextPass) {
				run.NextPass = at
			}
			continue
		}
		recent := rec.RequestedAt.After(now.Add(-cfg.RetryAfter))
		if rec.Requests >= cfg.MaxRequests && !recent {
			if err := q.abandonRedelivery(ctx, c, rec, now, &run); err != nil {
				return run, err
			}
			continue
		}
		run.Missed++
		if recent {
			continue // asked recently: GitHub's attempt is due
		}
		if len(run.Requested) >= cfg.MaxPerRun {
			deferred++
			continue
		}
		claimed, err := store.ClaimRedelivery(ctx, q.db, store.RedeliveryClaim{
			ID: c.guid, Event: c.event, AttemptID: c.attemptID, At: now,
			Since: now.Add(-cfg.RetryAfter), MaxRequests: cfg.MaxRequests,
		})
		if err != nil {
			return run, err
		}
		if !claimed {
			continue // another replica asked meanwhile
		}
		attrs := []any{"delivery_id", c.guid, "event", c.event, "action", c.action, "status", c.status,
			"first_attempt_at", c.first.UTC().Format(time.RFC3339), "request", rec.Requests + 1}
		if err := cfg.Deliveries.Redeliver(ctx, c.attemptID); err != nil {
			var rl interface{ RetryAt() time.Time }
			if errors.As(err, &rl) || ctx.Err() != nil {
				// GitHub never took the request: it must not count.
				if uerr := store.UnclaimRedelivery(context.WithoutCancel(ctx), q.db, c.guid); uerr != nil {
					q.log.Error("could not take back a redelivery request GitHub did not take", append(attrs, "err", uerr)...)
				}
				return run, err
			}
			run.Errors++
			m.Errors.Inc()
			q.log.Warn("GitHub refused to redeliver a missed webhook delivery; a later run may ask again", append(attrs, "err", err)...)
			continue
		}
		run.Requested = append(run.Requested, c.guid)
		m.Requested.Inc()
		q.log.Info("asked GitHub to redeliver a webhook delivery that never reached mergeguard", attrs...)
	}
	m.Missed.Set(float64(run.Missed))
	if deferred > 0 {
		q.log.Warn("more missed webhook deliveries than one run redelivers; the rest follow in later runs",
			"deferred", deferred, "per_run", cfg.MaxPerRun, "every", cfg.Every.String())
	}
	return run, nil
}

// abandonRedelivery stops asking for a delivery. One replica records it
// and says so.
func (q *Queue) abandonRedelivery(ctx context.Context, c missedDelivery, rec store.Redelivery, now time.Time, run *RedeliveryRun) error {
	first, err := store.GiveUpRedelivery(ctx, q.db, c.guid, c.event, now)
	if err != nil || !first {
		return err
	}
	run.GaveUp = append(run.GaveUp, c.guid)
	q.cfg.Metrics.Redelivery.GaveUp.Inc()
	q.log.Warn("gave up on a webhook delivery that never reached mergeguard; fix the cause (see the webhook's recent deliveries in the GitHub App's advanced settings) and redeliver it there",
		"delivery_id", c.guid, "event", c.event, "action", c.action, "status", c.status,
		"first_attempt_at", c.first.UTC().Format(time.RFC3339), "requests", rec.Requests)
	return nil
}

// failedDeliveries groups attempts by GUID and returns the deliveries none
// of whose attempts succeeded, whose latest attempt is after since, oldest
// delivery first.
func failedDeliveries(attempts []HookDelivery, since time.Time) []missedDelivery {
	byGUID := map[string]*missedDelivery{}
	ok := map[string]bool{}
	for _, a := range attempts {
		if a.GUID == "" {
			continue
		}
		if a.succeeded() {
			ok[a.GUID] = true
			continue
		}
		m := byGUID[a.GUID]
		if m == nil {
			m = &missedDelivery{guid: a.GUID, event: a.Event, action: a.Action, first: a.DeliveredAt, last: a.DeliveredAt, attemptID: a.ID, status: a.StatusCode}
			byGUID[a.GUID] = m
		}
		if a.DeliveredAt.Before(m.first) {
			m.first = a.DeliveredAt
		}
		if a.DeliveredAt.After(m.last) || a.DeliveredAt.Equal(m.last) && a.ID > m.attemptID {
			m.last, m.attemptID, m.status = a.DeliveredAt, a.ID, a.StatusCode
		}
	}
	var out []missedDelivery
	for guid, m := range byGUID {
		if ok[guid] || m.last.Before(since) {
			continue
		}
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b missedDelivery) int {
		return cmp.Or(a.first.Compare(b.first), cmp.Compare(a.guid, b.guid))
	})
	return out
}
