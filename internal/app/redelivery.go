package app

import (
	"context"
	"time"

	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/store"
)

// hookDeliveries reads and redelivers the App's webhook deliveries for the
// queue's redelivery job.
type hookDeliveries struct{ app *githubapp.App }

func (h hookDeliveries) ListDeliveries(ctx context.Context, since time.Time, maxPages int) ([]queue.HookDelivery, bool, error) {
	list, complete, err := h.app.HookDeliveries(ctx, since, maxPages)
	if err != nil {
		return nil, false, err
	}
	out := make([]queue.HookDelivery, len(list))
	for i, d := range list {
		out[i] = queue.HookDelivery{
			ID: d.GetID(), GUID: d.GetGUID(), DeliveredAt: d.GetDeliveredAt().Time, Redelivery: d.GetRedelivery(),
			StatusCode: d.GetStatusCode(), Event: d.GetEvent(), Action: d.GetAction(),
		}
	}
	return out, complete, nil
}

func (h hookDeliveries) Redeliver(ctx context.Context, attemptID int64) error {
	return h.app.RedeliverHook(ctx, attemptID)
}

// redelivery turns on the redelivery of missed deliveries, with the
// timings tests may shorten.
func redelivery(app *githubapp.App, tuned queue.RedeliveryConfig) queue.RedeliveryConfig {
	tuned.Deliveries = hookDeliveries{app}
	return tuned
}

// receipts records the verified deliveries that need no job, so they are
// not redelivered for nothing.
func receipts(db *store.DB) func(context.Context, store.Receipt) error {
	return func(ctx context.Context, r store.Receipt) error { return store.RecordReceipt(ctx, db, r) }
}
