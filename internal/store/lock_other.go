//go:build !unix

package store

// LockSQLite is a no-op where flock is unavailable; run one server per
// SQLite database there.
func LockSQLite(path string) (release func(), err error) { return func() {}, nil }
