//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// LockSQLite takes an exclusive lock on a file beside the SQLite database, so
// that only one `mergeguard serve` works its jobs. That is what makes it safe
// to resume, at start-up, jobs left running by a process that died. Several
// replicas need PostgreSQL.
func LockSQLite(path string) (release func(), err error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another mergeguard server is using %s: SQLite supports one server process; stop the other one, or use PostgreSQL (MERGEGUARD_DATABASE_URL=postgres://…) to run several replicas", path)
		}
		return nil, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
