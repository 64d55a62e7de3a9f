package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MaxPagerDutyEventAge is the oldest event the PagerDuty receiver acts on.
// Its records are kept for the state retention (90 days by default, far
// longer), so an event old enough to have been pruned is refused for its
// age rather than acted on again.
const MaxPagerDutyEventAge = 7 * 24 * time.Hour

// PagerDutyEventSeen reports whether a PagerDuty event was recorded, and
// with what outcome.
func PagerDutyEventSeen(ctx context.Context, tx Tx, eventID string) (outcome string, seen bool, err error) {
	err = tx.QueryRow(ctx, `SELECT outcome FROM pagerduty_events WHERE event_id = $1`, eventID).Scan(&outcome)
	switch {
	case errors.Is(err, ErrNotFound):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("look up PagerDuty event %s: %w", eventID, err)
	}
	return outcome, true, nil
}

// RecordPagerDutyEvent records that an event was handled. Recording one
// twice (two deliveries at once) keeps the first.
func RecordPagerDutyEvent(ctx context.Context, tx Tx, eventID, incidentID, outcome string, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO pagerduty_events (event_id, incident_id, outcome, received_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING`, eventID, incidentID, outcome, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("record PagerDuty event %s: %w", eventID, err)
	}
	return nil
}
