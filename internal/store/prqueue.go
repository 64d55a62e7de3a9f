package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// Delivery and PRKey are the intake's types (see decision.Delivery), named
// here too for the store's many callers.
type (
	Delivery = decision.Delivery
	PRKey    = decision.PRKey
)

// RecordDelivery stores a delivery. It returns false when a delivery with the
// same ID was already recorded, so a redelivery is not processed twice.
func RecordDelivery(ctx context.Context, tx Tx, d Delivery) (bool, error) {
	n, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries
		(delivery_id, event, action, installation_id, repo_id, repo, pr_number, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (delivery_id) DO NOTHING`,
		d.ID, d.Event, d.Action, d.InstallationID, d.PR.RepoID, d.PR.Repo, d.PR.Number, d.ReceivedAt.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record delivery %s: %w", d.ID, err)
	}
	if n == 1 && d.Rerun != nil {
		r := *d.Rerun
		r.At = d.ReceivedAt
		if err := noteRerun(ctx, tx, d.PR, r); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// PRState is the coalescing state of one pull request.
type PRState struct {
	Key            PRKey
	InstallationID int64
	Seq            int64
	// JobID is the job that will evaluate the latest state, if any.
	JobID        *int64
	FirstEventAt time.Time
	LastEventAt  time.Time
	Event        string
	Action       string
	DeliveryID   string
	// StartedSeq is the seq the job last started evaluating at.
	StartedSeq int64
	// LeadingSeq is the seq of the event that began the latest burst after
	// a quiet period: while StartedSeq is below it, that event is still to
	// be evaluated, at once.
	LeadingSeq int64
}

// NotePREvent records an event for the pull request (bumping seq) and
// returns the state after it. A fresh burst (no pending job) restarts the
// first-event clock used to bound coalescing; when the pull request had no
// event for quiet before it, the event leads (LeadingSeq).
func NotePREvent(ctx context.Context, tx Tx, d Delivery, quiet time.Duration) (PRState, error) {
	at := d.ReceivedAt.UnixMilli()
	_, err := tx.Exec(ctx, `INSERT INTO pr_queue
		(repo_id, pr_number, installation_id, repo, seq, job_id, first_event_at, last_event_at, event, action, delivery_id, leading_seq)
		VALUES ($1, $2, $3, $4, 1, NULL, $5, $5, $6, $7, $8, 1)
		ON CONFLICT (repo_id, pr_number) DO UPDATE SET
			installation_id = excluded.installation_id,
			repo = excluded.repo,
			seq = pr_queue.seq + 1,
			first_event_at = CASE WHEN pr_queue.job_id IS NULL THEN excluded.first_event_at ELSE pr_queue.first_event_at END,
			last_event_at = excluded.last_event_at,
			event = excluded.event,
			action = excluded.action,
			delivery_id = excluded.delivery_id,
			leading_seq = CASE WHEN pr_queue.job_id IS NULL AND excluded.last_event_at - pr_queue.last_event_at >= $9
				THEN pr_queue.seq + 1 ELSE pr_queue.leading_seq END`,
		d.PR.RepoID, d.PR.Number, d.InstallationID, d.PR.Repo, at, d.Event, d.Action, d.ID, quiet.Milliseconds())
	if err != nil {
		return PRState{}, fmt.Errorf("note event for %s: %w", d.PR, err)
	}
	return GetPRState(ctx, tx, d.PR.RepoID, d.PR.Number)
}

// GetPRState reads the coalescing state of a pull request.
func GetPRState(ctx context.Context, tx Tx, repoID int64, number int) (PRState, error) {
	var s PRState
	var first, last int64
	err := tx.QueryRow(ctx, `SELECT repo_id, pr_number, installation_id, repo, seq, job_id,
			first_event_at, last_event_at, event, action, delivery_id, started_seq, leading_seq
		FROM pr_queue WHERE repo_id = $1 AND pr_number = $2`, repoID, number).
		Scan(&s.Key.RepoID, &s.Key.Number, &s.InstallationID, &s.Key.Repo, &s.Seq, &s.JobID,
			&first, &last, &s.Event, &s.Action, &s.DeliveryID, &s.StartedSeq, &s.LeadingSeq)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return s, err
		}
		return s, fmt.Errorf("read state of pull request %d in repository %d: %w", number, repoID, err)
	}
	s.FirstEventAt, s.LastEventAt = time.UnixMilli(first), time.UnixMilli(last)
	return s, nil
}

// SetPRJob records the job that will evaluate the pull request.
func SetPRJob(ctx context.Context, tx Tx, key PRKey, jobID int64) error {
	_, err := tx.Exec(ctx, `UPDATE pr_queue SET job_id = $1 WHERE repo_id = $2 AND pr_number = $3`, jobID, key.RepoID, key.Number)
	if err != nil {
		return fmt.Errorf("set job for %s: %w", key, err)
	}
	return nil
}

// StartPRRound records that job jobID starts evaluating the state at seq.
func StartPRRound(ctx context.Context, tx Tx, key PRKey, seq, jobID int64) error {
	_, err := tx.Exec(ctx, `UPDATE pr_queue SET started_seq = $1 WHERE repo_id = $2 AND pr_number = $3 AND job_id = $4`,
		seq, key.RepoID, key.Number, jobID)
	if err != nil {
		return fmt.Errorf("start evaluation of %s: %w", key, err)
	}
	return nil
}

// ClearPRJob detaches job jobID from the pull request, so the next event
// creates a new job.
func ClearPRJob(ctx context.Context, tx Tx, key PRKey, jobID int64) error {
	_, err := tx.Exec(ctx, `UPDATE pr_queue SET job_id = NULL WHERE repo_id = $1 AND pr_number = $2 AND job_id = $3`,
		key.RepoID, key.Number, jobID)
	if err != nil {
		return fmt.Errorf("release %s: %w", key, err)
	}
	return nil
}

// FinishPR releases the pull request from job jobID if no event arrived since
// the job read seq. It returns false when there were new events: the job must
// evaluate again, because the state it published may already be stale.
func FinishPR(ctx context.Context, tx Tx, key PRKey, seq, jobID int64) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE pr_queue SET job_id = NULL
		WHERE repo_id = $1 AND pr_number = $2 AND seq = $3 AND job_id = $4`, key.RepoID, key.Number, seq, jobID)
	if err != nil {
		return false, fmt.Errorf("finish evaluation of %s: %w", key, err)
	}
	return n == 1, nil
}

// InstallationOf returns the installation of the organization's most
// recently active pull request, for work that starts without a webhook (a
// freeze from the CLI).
func InstallationOf(ctx context.Context, db *DB, owner string) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx Tx) error {
		// A prefix compared as a string, not a LIKE pattern: the owner can
		// come from a URL, and '%' or '_' in it must match only themselves.
		prefix := strings.ToLower(owner) + "/"
		return tx.QueryRow(ctx, `SELECT installation_id FROM pr_queue WHERE substr(lower(repo), 1, $2) = $1 ORDER BY last_event_at DESC LIMIT 1`,
			prefix, utf8.RuneCountInString(prefix)).Scan(&id)
	})
	return id, err
}
