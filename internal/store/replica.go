package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// replicaLockClass is the first key of the advisory locks that mark live
// replicas ("mgrp"); the second key is the replica's number.
const replicaLockClass = 0x6d677270

// Replica is this server's membership among the servers sharing one
// PostgreSQL database. It holds a session advisory lock on a connection of
// its own for as long as the process lives: when the process dies its
// socket closes and PostgreSQL drops the lock, so the other replicas learn
// of it without a heartbeat table. (A host that vanishes without closing
// its sockets is noticed through TCP keepalives, within about 15 seconds.)
//
// The membership fences the replica's own work too: a job runs under Guard,
// whose context ends when the membership has not been confirmed for half
// of ReplicaGrace, so a replica cut off from the database stops touching
// GitHub before anyone can take its jobs over.
type Replica struct {
	number     int32
	connConfig *pgx.ConnConfig
	log        *slog.Logger

	mu        sync.Mutex
	conn      *pgx.Conn
	closed    bool
	confirmed time.Time // last time the lock was known held
	lapsed    bool
	guards    map[*int]context.CancelCauseFunc
	stop      chan struct{}
	done      chan struct{}
}

// ErrMembershipLapsed ends the jobs of a replica that could not confirm its
// membership: other replicas may take them over.
var ErrMembershipLapsed = errors.New("this replica lost its connection to PostgreSQL for too long; its running jobs were stopped so that other replicas can take them over")

// JoinReplicas registers this server as a replica. On SQLite, where one
// server owns the database (see LockSQLite), it returns nil and no error.
func (db *DB) JoinReplicas(ctx context.Context, log *slog.Logger) (*Replica, error) {
	if db.Pool == nil {
		return nil, nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cc := db.Pool.Config().ConnConfig.Copy()
	// Have the server probe the membership connection, so a replica whose
	// host vanished (no socket closed) loses its lock in seconds rather
	// than after the operating system's two-hour keepalive default.
	for k, v := range map[string]string{"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"} {
		cc.RuntimeParams[k] = v
	}
	r := &Replica{connConfig: cc, log: log, guards: map[*int]context.CancelCauseFunc{}, stop: make(chan struct{}), done: make(chan struct{})}
	conn, err := pgx.ConnectConfig(ctx, r.connConfig)
	if err != nil {
		return nil, fmt.Errorf("open the replica membership connection: %w", redact(err))
	}
	// Numbers are random so that no table or sequence is needed; a number
	// another live replica holds is simply drawn again.
	for range 20 {
		n := rand.Int32N(math.MaxInt32-1) + 1
		ok, err := tryReplicaLock(ctx, conn, n)
		if err != nil {
			conn.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("register as a replica: %w", err)
		}
		if ok {
			r.number, r.conn, r.confirmed = n, conn, time.Now()
			go r.keep()
			return r, nil
		}
	}
	conn.Close(context.WithoutCancel(ctx))
	return nil, errors.New("register as a replica: no free replica number after 20 tries")
}

// Number identifies the replica; it is unique among the live replicas of
// the database.
func (r *Replica) Number() int32 { return r.number }

func tryReplicaLock(ctx context.Context, conn *pgx.Conn, n int32) (bool, error) {
	var ok bool
	err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, int32(replicaLockClass), n).Scan(&ok)
	return ok, err
}

// replicaCheckEvery is how often the membership connection is checked, and
// replicaCheckTimeout how long one check may take: together well within
// half of ReplicaGrace, when jobs are fenced.
const (
	replicaCheckEvery   = time.Second
	replicaCheckTimeout = 2 * time.Second
)

// ReplicaGrace is how long a replica must be seen gone before its running
// jobs and publishing leases are taken over. It covers a live replica
// re-taking its lock after its membership connection dropped; a replica
// that really died costs only this delay. A replica fences its own jobs
// after half of it.
const ReplicaGrace = 10 * time.Second

// Guard returns a context for one job that ends, with ErrMembershipLapsed
// as its cause, when this replica's membership lapses.
func (r *Replica) Guard(ctx context.Context) (context.Context, context.CancelFunc) {
	gctx, cancel := context.WithCancelCause(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lapsed {
		cancel(ErrMembershipLapsed)
		return gctx, func() {}
	}
	key := new(int)
	r.guards[key] = cancel
	return gctx, func() {
		r.mu.Lock()
		delete(r.guards, key)
		r.mu.Unlock()
		cancel(context.Canceled)
	}
}

// keep checks the membership connection, re-takes the lock when it was
// lost, and fences the jobs when it stays lost.
func (r *Replica) keep() {
	defer close(r.done)
	t := time.NewTicker(replicaCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), replicaCheckTimeout)
		err := r.check(ctx)
		cancel()
		r.settle(err, time.Now())
	}
}

// settle records a check's result and fences or unfences the jobs.
func (r *Replica) settle(err error, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		if !r.lapsed && now.Sub(r.confirmed) >= ReplicaGrace/2 {
			// Confirmed again, but after a gap (the process was frozen,
			// or checks hung): its running jobs may have been taken over
			// meanwhile, so they stop all the same.
			r.log.Error("replica membership was unconfirmed for too long: stopping the jobs that were running, other replicas may have taken them over",
				"replica", r.number, "since", r.confirmed.Format(time.RFC3339))
			r.fenceLocked()
		}
		r.confirmed = now
		if r.lapsed {
			r.lapsed = false
			r.log.Warn("replica membership restored; taking jobs again", "replica", r.number)
		}
		return
	}
	if r.lapsed || now.Sub(r.confirmed) < ReplicaGrace/2 {
		if !r.lapsed {
			r.log.Warn("replica membership connection to PostgreSQL lost; re-taking it", "replica", r.number, "err", redact(err))
		}
		return
	}
	r.lapsed = true
	r.log.Error("replica membership lost for too long: stopping this replica's running jobs so other replicas can take them over",
		"replica", r.number, "since", r.confirmed.Format(time.RFC3339), "err", redact(err))
	r.fenceLocked()
}

// fenceLocked ends the running jobs' contexts; r.mu is held.
func (r *Replica) fenceLocked() {
	for key, cancel := range r.guards {
		cancel(ErrMembershipLapsed)
		delete(r.guards, key)
	}
}

// check pings the membership connection, or reconnects and re-takes the
// lock. Network waits happen outside the mutex, so Close is never held up.
func (r *Replica) check(ctx context.Context) error {
	r.mu.Lock()
	conn, closed := r.conn, r.closed
	r.mu.Unlock()
	if closed {
		return nil
	}
	if conn != nil {
		err := conn.Ping(ctx)
		if err == nil {
			return nil
		}
		conn.Close(ctx)
		r.mu.Lock()
		if r.conn == conn {
			r.conn = nil
		}
		r.mu.Unlock()
	}
	conn, err := pgx.ConnectConfig(ctx, r.connConfig)
	if err != nil {
		return err
	}
	ok, err := tryReplicaLock(ctx, conn, r.number)
	if err != nil || !ok {
		conn.Close(ctx)
		if err == nil {
			err = fmt.Errorf("replica number %d was taken by another server", r.number)
		}
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		conn.Close(ctx)
		return nil
	}
	r.conn = conn
	return nil
}

// Close leaves the replicas: the lock is released with its connection.
// Call it after the queue has stopped, so no running job is left behind.
func (r *Replica) Close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	conn := r.conn
	r.conn = nil
	r.mu.Unlock()
	close(r.stop)
	<-r.done
	if conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), replicaCheckTimeout)
		defer cancel()
		conn.Close(ctx)
	}
}

// HoldDeadReplica takes replica n's lock for the rest of the transaction
// and reports whether it could: false means the replica is alive (it holds
// its lock). While the transaction holds it, the replica cannot come back,
// so its work can be taken over safely. PostgreSQL only.
func HoldDeadReplica(ctx context.Context, tx Tx, n int32) (bool, error) {
	var held bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1, $2)`, int32(replicaLockClass), n).Scan(&held); err != nil {
		return false, fmt.Errorf("hold the lock of stopped replica %d: %w", n, err)
	}
	return held, nil
}

// LiveReplicas returns the numbers of the replicas of this database whose
// process is alive.
func (db *DB) LiveReplicas(ctx context.Context) (map[int32]bool, error) {
	if db.Pool == nil {
		return nil, errors.New("live replicas: only PostgreSQL has several replicas")
	}
	rows, err := db.Pool.Query(ctx, `SELECT objid::bigint FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1::bigint::oid AND objsubid = 2 AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, int64(replicaLockClass))
	if err != nil {
		return nil, fmt.Errorf("list live replicas: %w", err)
	}
	live := map[int32]bool{}
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list live replicas: %w", err)
		}
		live[int32(n)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list live replicas: %w", err)
	}
	return live, nil
}
