package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// twoReplicas joins two replicas to a fresh PostgreSQL database.
func twoReplicas(t *testing.T) (*store.DB, *store.Replica, *store.Replica) {
	t.Helper()
	db := dbtest.Open(t, dbtest.PostgresConfig(t))
	var rs [2]*store.Replica
	for i := range rs {
		r, err := db.JoinReplicas(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Close)
		rs[i] = r
	}
	return db, rs[0], rs[1]
}

func TestReplicasSeeEachOtherComeAndGo(t *testing.T) {
	ctx := context.Background()
	db, a, b := twoReplicas(t)
	if a.Number() == b.Number() || a.Number() <= 0 || b.Number() <= 0 {
		t.Fatalf("replica numbers %d and %d: want distinct and positive", a.Number(), b.Number())
	}
	live, err := db.LiveReplicas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !live[a.Number()] || !live[b.Number()] {
		t.Fatalf("live replicas %v, want %d and %d", live, a.Number(), b.Number())
	}

	// A membership connection that PostgreSQL drops (a restart, a proxy's
	// idle timeout) is re-established with the same number.
	holder := func() (pid int) {
		_ = db.Pool.QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::bigint::oid
			AND objid = $2::bigint::oid AND objsubid = 2 AND granted`, int64(0x6d677270), int64(b.Number())).Scan(&pid)
		return pid
	}
	before := holder()
	if before == 0 {
		t.Fatal("no backend holds the replica's lock")
	}
	if _, err := db.Pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, before); err != nil {
		t.Fatal(err)
	}
	wait.Until(t, 10*time.Second, "the dropped replica to take its number again on a new connection", func() bool {
		now := holder()
		return now != 0 && now != before
	})

	a.Close()
	// The backend ends a moment after the connection closes.
	wait.Until(t, 10*time.Second, "the replica that left to disappear", func() bool {
		live, err := db.LiveReplicas(ctx)
		return err == nil && !live[a.Number()] && live[b.Number()]
	})
}

func TestSQLiteHasNoReplicas(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLiteConfig(t))
	r, err := db.JoinReplicas(context.Background(), nil)
	if err != nil || r != nil {
		t.Fatalf("JoinReplicas on SQLite = %v, %v; want nil, nil (one server owns the file)", r, err)
	}
	r.Close() // a nil replica closes without harm
}

func TestTheLeasesOfAReplicaThatDiedAreFreedForTheOthers(t *testing.T) {
	ctx := context.Background()
	db, a, b := twoReplicas(t)
	key := store.CheckRunKey{RepoID: 1, HeadSHA: "abc123", Name: "mergeguard"}
	until := time.Now().Add(2 * time.Minute)
	onA, onB := store.CheckRuns{DB: db, Replica: a.Number()}, store.CheckRuns{DB: db, Replica: b.Number()}
	if ok, err := onA.Claim(ctx, key, "a-owner", until); err != nil || !ok {
		t.Fatalf("first claim: %v, %v", ok, err)
	}
	if ok, err := onB.Claim(ctx, key, "b-owner", until); err != nil || ok {
		t.Fatalf("claim while the holder lives: %v, %v; want refused", ok, err)
	}
	takeOver := func(n int32) (gone bool) {
		t.Helper()
		err := db.InTx(ctx, func(tx store.Tx) error {
			var err error
			if gone, err = store.HoldDeadReplica(ctx, tx, n); err != nil || !gone {
				return err
			}
			return store.ReleaseLeasesOf(ctx, tx, []int32{n})
		})
		if err != nil {
			t.Fatal(err)
		}
		return gone
	}
	// A live replica's lock cannot be held by another: its work stays.
	if takeOver(a.Number()) {
		t.Fatal("a live replica's lock was taken")
	}
	if ok, err := onB.Claim(ctx, key, "b-owner", until); err != nil || ok {
		t.Fatalf("claim after a refused takeover: %v, %v; want refused", ok, err)
	}
	a.Close() // the holder's process dies
	wait.Until(t, 10*time.Second, "the dead replica's lock to be free", func() bool { return takeOver(a.Number()) })
	if ok, err := onB.Claim(ctx, key, "b-owner", until); err != nil || !ok {
		t.Fatalf("claim after the dead holder's lease was freed: %v, %v", ok, err)
	}
	if ok, err := onA.Claim(ctx, key, "a-owner-again", until); err != nil || ok {
		t.Fatalf("claim against the new holder: %v, %v; want refused", ok, err)
	}
}
