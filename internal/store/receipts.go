package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// GitHub does not retry a failed webhook delivery. mergeguard lists the
// App's deliveries, and asks GitHub to redeliver those that never
// succeeded and never reached it. "Reached it" is what this file records:
// deliveries that became work are in webhook_deliveries (RecordDelivery);
// every other verified delivery leaves a receipt here, so a ping, a push or
// an ignored event whose answer GitHub did not see is not redelivered for
// nothing.

// Receipt is a verified delivery that needed no job of its own
// (decision.Receipt).
type Receipt = decision.Receipt

// RecordReceipt notes a delivery. Noting one twice (GitHub redelivers with
// the same ID) keeps the first.
func RecordReceipt(ctx context.Context, db *DB, r Receipt) error {
	err := db.InTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO webhook_receipts (delivery_id, event, outcome, received_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (delivery_id) DO NOTHING`,
			r.ID, r.Event, r.Outcome, r.ReceivedAt.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("note delivery %s: %w", r.ID, err)
	}
	return nil
}

// idChunk bounds the IDs in one IN list, well below both databases' limits
// on bound parameters.
const idChunk = 200

// KnownDeliveries returns which of ids mergeguard has received, whether
// they became work or left a receipt.
func KnownDeliveries(ctx context.Context, db *DB, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	err := inChunks(ctx, db, ids, func(tx Tx, in string, args []any) error {
		q := `SELECT delivery_id FROM webhook_deliveries WHERE delivery_id IN (` + in + `)
			UNION SELECT delivery_id FROM webhook_receipts WHERE delivery_id IN (` + in + `)`
		return tx.Query(ctx, q, args, func(r Row) error {
			var id string
			if err := r.Scan(&id); err != nil {
				return err
			}
			known[id] = true
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("look up received deliveries: %w", err)
	}
	return known, nil
}

// Redelivery is what mergeguard asked GitHub for one delivery.
type Redelivery struct {
	ID    string
	Event string
	// Requests counts the redeliveries asked for.
	Requests int
	// AttemptID is GitHub's ID of the attempt last asked to redeliver.
	AttemptID   int64
	RequestedAt time.Time
	// GaveUpAt is when mergeguard stopped asking (zero while it has not).
	GaveUpAt time.Time
}

// Redeliveries returns the records of those of ids mergeguard asked GitHub
// to redeliver.
func Redeliveries(ctx context.Context, db *DB, ids []string) (map[string]Redelivery, error) {
	out := map[string]Redelivery{}
	err := inChunks(ctx, db, ids, func(tx Tx, in string, args []any) error {
		q := `SELECT delivery_id, event, requests, attempt_id, requested_at, gave_up_at
			FROM webhook_redeliveries WHERE delivery_id IN (` + in + `)`
		return tx.Query(ctx, q, args, func(r Row) error {
			var d Redelivery
			var requested int64
			var gaveUp *int64
			if err := r.Scan(&d.ID, &d.Event, &d.Requests, &d.AttemptID, &requested, &gaveUp); err != nil {
				return err
			}
			d.RequestedAt = time.UnixMilli(requested)
			if gaveUp != nil {
				d.GaveUpAt = time.UnixMilli(*gaveUp)
			}
			out[d.ID] = d
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("look up requested redeliveries: %w", err)
	}
	return out, nil
}

// RedeliveryClaim is a request about to be made to GitHub.
type RedeliveryClaim struct {
	ID        string
	Event     string
	AttemptID int64
	At        time.Time
	// Since: the claim fails if a redelivery was asked for after it.
	Since time.Time
	// MaxRequests: the claim fails once this many were asked for.
	MaxRequests int
}

// ClaimRedelivery records a redelivery request before it is made. It
// returns false, recording nothing, when one was asked for since c.Since,
// when c.MaxRequests were asked for already, or after giving up: the
// check and the write are one statement, so two replicas running the job
// at once cannot both ask.
func ClaimRedelivery(ctx context.Context, db *DB, c RedeliveryClaim) (bool, error) {
	var n int64
	err := db.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.Exec(ctx, `INSERT INTO webhook_redeliveries (delivery_id, event, requests, attempt_id, requested_at, gave_up_at)
			VALUES ($1, $2, 1, $3, $4, NULL)
			ON CONFLICT (delivery_id) DO UPDATE SET
				requests = webhook_redeliveries.requests + 1,
				attempt_id = excluded.attempt_id,
				requested_at = excluded.requested_at
			WHERE webhook_redeliveries.requested_at < $5
				AND webhook_redeliveries.requests < $6
				AND webhook_redeliveries.gave_up_at IS NULL`,
			c.ID, c.Event, c.AttemptID, c.At.UnixMilli(), c.Since.UnixMilli(), c.MaxRequests)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record the redelivery of %s: %w", c.ID, err)
	}
	return n == 1, nil
}

// UnclaimRedelivery takes back a claim whose request GitHub never took (a
// rate limit): it does not count, and the next run may ask at once.
func UnclaimRedelivery(ctx context.Context, db *DB, id string) error {
	err := db.InTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `UPDATE webhook_redeliveries SET requests = requests - 1, requested_at = 0
			WHERE delivery_id = $1 AND requests > 0`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("take back the redelivery of %s: %w", id, err)
	}
	return nil
}

// GiveUpRedelivery records that mergeguard stops asking for a delivery. It
// returns false when that was recorded already (by another replica), so
// the news is told once.
func GiveUpRedelivery(ctx context.Context, db *DB, id, event string, at time.Time) (bool, error) {
	var n int64
	err := db.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.Exec(ctx, `INSERT INTO webhook_redeliveries (delivery_id, event, requests, attempt_id, requested_at, gave_up_at)
			VALUES ($1, $2, 0, 0, 0, $3)
			ON CONFLICT (delivery_id) DO UPDATE SET gave_up_at = excluded.gave_up_at
			WHERE webhook_redeliveries.gave_up_at IS NULL`, id, event, at.UnixMilli())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("give up the redelivery of %s: %w", id, err)
	}
	return n == 1, nil
}

// pruneReceipts deletes receipts and redelivery records from before the
// cutoff (Unix milliseconds), with the deliveries they stand beside.
func pruneReceipts(ctx context.Context, tx Tx, before int64) (int64, error) {
	a, err := tx.Exec(ctx, `DELETE FROM webhook_receipts WHERE received_at < $1`, before)
	if err != nil {
		return 0, err
	}
	b, err := tx.Exec(ctx, `DELETE FROM webhook_redeliveries WHERE requested_at < $1 AND (gave_up_at IS NULL OR gave_up_at < $1)`, before)
	return a + b, err
}

// inChunks calls fn with IN lists ("$1, $2, …") of at most idChunk ids, in
// one read transaction.
func inChunks(ctx context.Context, db *DB, ids []string, fn func(tx Tx, in string, args []any) error) error {
	if len(ids) == 0 {
		return nil
	}
	return db.InTx(ctx, func(tx Tx) error {
		for start := 0; start < len(ids); start += idChunk {
			chunk := ids[start:min(start+idChunk, len(ids))]
			marks := make([]string, len(chunk))
			args := make([]any, len(chunk))
			for i, id := range chunk {
				marks[i], args[i] = "$"+strconv.Itoa(i+1), id
			}
			if err := fn(tx, strings.Join(marks, ", "), args); err != nil {
				return err
			}
		}
		return nil
	})
}
