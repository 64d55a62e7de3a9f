package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/store"
)

// On PostgreSQL, River leaves a job that was running on a process that died
// in "running" until its rescuer's delay passes (the job timeout plus three
// minutes): every pull request the dead replica was evaluating would keep a
// stale verdict that long. Instead, each replica names its River client
// after its replica number (store.JoinReplicas), and the live replicas take
// over the running jobs of a replica that has been gone for the grace
// period.

// Replica is this server's membership among the replicas.
type Replica interface {
	// Number is unique among the live replicas.
	Number() int32
	// Guard returns a context for one job that ends when the membership
	// lapses, before other replicas may take the job over.
	Guard(ctx context.Context) (context.Context, context.CancelFunc)
}

// fence runs every job under the replica's Guard: a replica cut off from
// the database stops its jobs (they stop calling GitHub) before the grace
// period after which others take them over, so no job runs twice at once.
type fence struct {
	river.MiddlewareDefaults
	replica Replica
}

func (f *fence) Work(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
	guarded, cancel := f.replica.Guard(ctx)
	defer cancel()
	if guarded.Err() != nil && ctx.Err() == nil {
		// The membership has lapsed: leave the job to a replica that
		// holds one (or to this one, once it is back).
		return river.JobSnooze(fencedRetry)
	}
	err := doInner(guarded)
	if guarded.Err() != nil && ctx.Err() == nil {
		// Fenced mid-run: whatever the job made of its cancelled context,
		// it must neither use up an attempt nor, on its last, give up and
		// publish a failure from a replica that others may be replacing.
		return river.JobSnooze(fencedRetry)
	}
	return err
}

// fencedRetry is when a job a lapsed replica fetched becomes available again.
const fencedRetry = 5 * time.Second

const clientIDPrefix = "mergeguard-replica-"

// clientID is River's client ID for replica n: unique among live clients
// (River requires it) and naming the host, for people reading job rows.
func clientID(n int32) string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, host)
	if len(host) > 60 {
		host = host[:60]
	}
	return clientIDPrefix + strconv.Itoa(int(n)) + "-" + host
}

// replicaOf returns the replica number in a client ID written by clientID.
func replicaOf(id string) (int32, bool) {
	rest, ok := strings.CutPrefix(id, clientIDPrefix)
	if !ok {
		return 0, false
	}
	num, _, _ := strings.Cut(rest, "-")
	n, err := strconv.ParseInt(num, 10, 32)
	if err != nil || n <= 0 {
		return 0, false
	}
	return int32(n), true
}

// takeoverEvery is how often a replica looks for jobs left by a dead one.
const takeoverEvery = 2 * time.Second

// takeover tracks replicas seen gone, so their jobs are taken over only
// after the grace period.
type takeover struct {
	q         *Queue
	goneSince map[int32]time.Time
}

// runTakeovers looks for jobs of dead replicas until ctx ends.
func (q *Queue) runTakeovers(ctx context.Context) {
	t := &takeover{q: q, goneSince: map[int32]time.Time{}}
	tick := time.NewTicker(takeoverEvery)
	defer tick.Stop()
	for {
		if _, err := t.once(ctx, time.Now()); err != nil && ctx.Err() == nil {
			q.log.Error("could not take over the jobs of a stopped replica; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// once takes over the running jobs of replicas that have been gone for the
// grace period (measured on the monotonic clock, wall is time.Now) and
// returns how many it took.
func (t *takeover) once(ctx context.Context, wall time.Time) (int, error) {
	pool := t.q.db.Pool
	rows, err := pool.Query(ctx, `SELECT DISTINCT attempted_by[array_length(attempted_by, 1)]
		FROM river_job WHERE state = 'running' AND array_length(attempted_by, 1) > 0`)
	if err != nil {
		return 0, fmt.Errorf("list running jobs' replicas: %w", err)
	}
	owners := map[int32][]string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("list running jobs' replicas: %w", err)
		}
		if n, ok := replicaOf(id); ok && n != t.q.cfg.Replica.Number() {
			owners[n] = append(owners[n], id)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list running jobs' replicas: %w", err)
	}
	if len(owners) == 0 {
		clear(t.goneSince)
		return 0, nil
	}
	live, err := t.q.db.LiveReplicas(ctx)
	if err != nil {
		return 0, err
	}
	dead := map[int32][]string{}
	for n, ids := range owners {
		if live[n] {
			delete(t.goneSince, n)
			continue
		}
		since, seen := t.goneSince[n]
		if !seen {
			t.goneSince[n] = wall
			continue
		}
		if wall.Sub(since) >= t.q.cfg.ReplicaGrace {
			dead[n] = ids
		}
	}
	for n := range t.goneSince {
		if _, running := owners[n]; !running {
			delete(t.goneSince, n)
		}
	}
	if len(dead) == 0 {
		return 0, nil
	}
	return t.q.takeOver(ctx, dead)
}

// takeOver makes the running jobs of dead replicas available again, or
// discards those that used their last attempt: a job that keeps killing its
// process must not go round the replicas for ever. It frees the replicas'
// publishing leases too.
//
// All of it happens in one transaction that first takes each dead
// replica's lock: a replica that came back since it was seen gone keeps
// its work, and one that comes back now cannot re-take its lock (and so
// fetches nothing unfenced) until the takeover is committed. Only jobs
// still running under those replicas, and started before the grace period,
// are touched: a job that finished meanwhile, or that a fenced replica has
// just fetched (and is snoozing), is left alone.
func (q *Queue) takeOver(ctx context.Context, dead map[int32][]string) (int, error) {
	// River compares job times with the database's clock unless a test
	// stubs its time; so does this update.
	var at *time.Time
	now := q.cfg.Now().UTC()
	if q.cfg.StubRiverTime {
		at = &now
	}
	errData, err := json.Marshal(rivertype.AttemptError{
		At:    now,
		Error: "the replica running this job stopped (crash or kill); another replica took it over",
	})
	if err != nil {
		return 0, err
	}
	type taken struct {
		id                   int64
		kind, state          string
		args                 []byte
		attempt, maxAttempts int
	}
	var jobs []taken
	err = q.db.InTx(ctx, func(tx store.Tx) error {
		var clients []string
		var replicas []int32
		for n, ids := range dead {
			gone, err := store.HoldDeadReplica(ctx, tx, n)
			if err != nil {
				return err
			}
			if gone {
				clients = append(clients, ids...)
				replicas = append(replicas, n)
			}
		}
		if len(replicas) == 0 {
			return nil
		}
		// The leases first, so the jobs taken over can publish at once.
		if err := store.ReleaseLeasesOf(ctx, tx, replicas); err != nil {
			return err
		}
		return tx.Query(ctx, `UPDATE river_job SET
				state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'available' END::river_job_state,
				finalized_at = CASE WHEN attempt >= max_attempts THEN coalesce($3::timestamptz, now()) END,
				scheduled_at = coalesce($3::timestamptz, now()),
				errors = array_append(errors, jsonb_set($2::jsonb, '{attempt}', to_jsonb(attempt)))
			WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = ANY($1::text[])
				AND attempted_at < coalesce($3::timestamptz, now()) - make_interval(secs => $4)
			RETURNING id, kind, state::text, args, attempt, max_attempts`,
			[]any{clients, string(errData), at, q.cfg.ReplicaGrace.Seconds()},
			func(row store.Row) error {
				var j taken
				if err := row.Scan(&j.id, &j.kind, &j.state, &j.args, &j.attempt, &j.maxAttempts); err != nil {
					return err
				}
				jobs = append(jobs, j)
				return nil
			})
	})
	if err != nil {
		return 0, fmt.Errorf("take over jobs of stopped replicas: %w", err)
	}
	for _, j := range jobs {
		log := q.log.With("job_id", j.id, "kind", j.kind, "attempt", j.attempt, "max_attempts", j.maxAttempts)
		if j.state == string(rivertype.JobStateAvailable) {
			q.cfg.Metrics.JobsTakenOver.WithLabelValues(metrics.TakenOverResumed).Inc()
			log.Warn("took over a job from a replica that stopped while running it")
			continue
		}
		q.cfg.Metrics.JobsTakenOver.WithLabelValues(metrics.TakenOverGivenUp).Inc()
		log.Error("a job's last attempt ended with its replica; giving up on it (it may be what stops the replicas)")
		if j.kind != (EvaluateArgs{}).Kind() {
			continue
		}
		args, err := decodeArgs(j.args)
		if err != nil {
			log.Error("could not read the arguments of a given-up job", "err", err)
			continue
		}
		// Neither the failed check run nor the release may be cut short
		// by a shutdown: the job is already discarded.
		ctx := context.WithoutCancel(ctx)
		q.giveUp(ctx, log, args, metrics.FailedCrashed, errors.New("every attempt to evaluate this pull request ended with the mergeguard server that ran it stopping (crash, out of memory, or kill)"))
		if err := q.release(ctx, j.id, args); err != nil {
			log.Error("could not release the pull request of a given-up job", "err", err)
		}
	}
	return len(jobs), nil
}
