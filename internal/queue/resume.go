package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/mergeguard/mergeguard/internal/store"
)

// ResumeInterrupted makes jobs that a previous process left running
// available again at once, recording the interruption as a failed attempt.
// It is only correct when no other process can be working jobs on this
// database: on SQLite, after store.LockSQLite. (River's rescuer would get to
// them too, but only after its rescue delay of several minutes.)
func ResumeInterrupted(ctx context.Context, db *store.DB, now time.Time) (int, error) {
	if db.SQL == nil {
		return 0, nil
	}
	exec := riversqlite.New(db.SQL).GetExecutor()
	now = now.UTC()
	jobs, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{Max: 10_000, StuckHorizon: now})
	if err != nil {
		return 0, fmt.Errorf("find interrupted jobs: %w", err)
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	params := &riverdriver.JobRescueManyParams{}
	for _, j := range jobs {
		errData, err := json.Marshal(rivertype.AttemptError{
			At: now, Attempt: max(j.Attempt, 0),
			Error: "the server stopped while this job was running (crash or kill); resumed at start-up",
		})
		if err != nil {
			return 0, err
		}
		params.ID = append(params.ID, j.ID)
		params.Error = append(params.Error, errData)
		params.FinalizedAt = append(params.FinalizedAt, nil)
		params.ScheduledAt = append(params.ScheduledAt, now)
		params.State = append(params.State, string(rivertype.JobStateAvailable))
	}
	if _, err := exec.JobRescueMany(ctx, params); err != nil {
		return 0, fmt.Errorf("resume interrupted jobs: %w", err)
	}
	return len(jobs), nil
}
