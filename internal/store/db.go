// Package store is mergeguard's database: SQLite (embedded, the default) or
// PostgreSQL, with the same SQL and migrations on both. River's job tables live
// in the same database, so a delivery and its job commit in one transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go, no cgo)

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/settings"
)

// Driver names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DB is an open database. Exactly one of SQL and Pool is set.
type DB struct {
	Driver string
	// SQL is the SQLite handle. It holds a single connection: SQLite allows
	// one writer, and River's SQLite driver expects one connection.
	SQL *sql.DB
	// Pool is the PostgreSQL pool.
	Pool *pgxpool.Pool
	// Tightened lists the SQLite files that every user on the host could
	// access, and that Open made private (see secureSQLite), for the
	// caller to report.
	Tightened []string
}

// ErrNotFound is returned when a row does not exist (decision.ErrNotFound,
// so that those who read through an interface recognise it too).
var ErrNotFound = decision.ErrNotFound

// Open connects to the database. It does not migrate; call Migrate.
func Open(ctx context.Context, cfg settings.Database) (*DB, error) {
	switch cfg.Driver {
	case SQLite:
		return openSQLite(ctx, cfg.Path)
	case Postgres:
		pool, err := pgxpool.New(ctx, cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", redact(err))
		}
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("connect to PostgreSQL (%s): %w; check that the server is running and the URL's host, user, password and database are right", settings.EnvDatabaseURL, redact(err))
		}
		return &DB{Driver: Postgres, Pool: pool}, nil
	}
	return nil, fmt.Errorf("unknown database driver %q", cfg.Driver)
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open SQLite database %s: directory %s does not exist; create it or point %s elsewhere", path, dir, settings.EnvDatabaseURL)
		}
	}
	tightened, err := secureSQLite(path)
	if err != nil {
		return nil, err
	}
	dsn := "file:" + sqliteURIPath(path) +
		"?_pragma=busy_timeout(10000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	return &DB{Driver: SQLite, SQL: db, Tightened: tightened}, nil
}

// secureSQLite keeps the SQLite database private to its owner: it holds
// the names, reviews and verdicts of private repositories' pull requests,
// coverage reports and the audit trail. A new database is created with mode
// 0600 (SQLite gives the -wal and -shm files beside it the database's
// mode). Releases before this one created it with the umask's mode,
// usually 0644: an existing database, or a file beside it, that every user
// may access is made the owner's alone, and the files changed are returned
// so that the server can say so. Access given to the file's group but not
// to everyone (0640) is the operator's choice and is left alone. A file mergeguard cannot change is refused with the command that
// fixes it.
func secureSQLite(path string) ([]string, error) {
	if runtime.GOOS == "windows" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return nil, f.Close()
	}
	if !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create SQLite database %s: %w", path, err)
	}
	var tightened []string
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		info, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
		}
		perm := info.Mode().Perm()
		if perm&0o007 == 0 {
			continue
		}
		if err := os.Chmod(p, perm&0o700); err != nil {
			return nil, fmt.Errorf("SQLite database file %s is open to every user on this host (mode %04o) and mergeguard cannot change that (%v): run chmod 600 %s as its owner", p, perm, err, p)
		}
		tightened = append(tightened, fmt.Sprintf("%s (mode %04o, now %04o)", p, perm, perm&0o700))
	}
	return tightened, nil
}

// Close releases the database.
func (db *DB) Close() {
	if db.SQL != nil {
		db.SQL.Close()
	}
	if db.Pool != nil {
		db.Pool.Close()
	}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if db.SQL != nil {
		return db.SQL.PingContext(ctx)
	}
	return db.Pool.Ping(ctx)
}

// Tx is an open transaction on either backend.
type Tx interface {
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Query calls fn for each row of the result.
	Query(ctx context.Context, query string, args []any, fn func(Row) error) error
	// Raw returns the driver's transaction (*sql.Tx or pgx.Tx), for River's InsertTx.
	Raw() any
}

// Row is a single-row result; Scan returns ErrNotFound when there is none.
type Row interface{ Scan(dest ...any) error }

// InTx runs fn in a transaction, committing when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(Tx) error) error {
	d, err := db.begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx{d}); err != nil {
		_ = d.rollback(ctx)
		return err
	}
	if err := d.commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// begin opens a transaction on whichever backend is open.
func (db *DB) begin(ctx context.Context) (driverTx, error) {
	if db.SQL != nil {
		t, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return sqlTx{t}, nil
	}
	t, err := db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return pgTx{t}, nil
}

// driverTx is what the two drivers' transactions differ in; tx is the one
// Tx written on it, so the backends share every body but these calls.
type driverTx interface {
	exec(ctx context.Context, q string, args []any) (int64, error)
	queryRow(ctx context.Context, q string, args []any) Row
	query(ctx context.Context, q string, args []any) (cursor, error)
	commit(ctx context.Context) error
	rollback(ctx context.Context) error
	raw() any
}

// cursor is a query's rows, on either driver.
type cursor interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type tx struct{ d driverTx }

func (t tx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return t.d.exec(ctx, q, args)
}

func (t tx) QueryRow(ctx context.Context, q string, args ...any) Row {
	return t.d.queryRow(ctx, q, args)
}

func (t tx) Raw() any { return t.d.raw() }

func (t tx) Query(ctx context.Context, q string, args []any, fn func(Row) error) error {
	rows, err := t.d.query(ctx, q, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) exec(ctx context.Context, q string, args []any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t sqlTx) queryRow(ctx context.Context, q string, args []any) Row {
	return sqlRow{t.tx.QueryRowContext(ctx, q, args...)}
}

func (t sqlTx) query(ctx context.Context, q string, args []any) (cursor, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (t sqlTx) commit(context.Context) error   { return t.tx.Commit() }
func (t sqlTx) rollback(context.Context) error { return t.tx.Rollback() }
func (t sqlTx) raw() any                       { return t.tx }

// sqlRows closes as pgx's rows do; the error of closing is the one Err
// reports.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type sqlRow struct{ row *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

type pgTx struct{ tx pgx.Tx }

func (t pgTx) exec(ctx context.Context, q string, args []any) (int64, error) {
	tag, err := t.tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t pgTx) queryRow(ctx context.Context, q string, args []any) Row {
	return pgRow{t.tx.QueryRow(ctx, q, args...)}
}

func (t pgTx) query(ctx context.Context, q string, args []any) (cursor, error) {
	return t.tx.Query(ctx, q, args...)
}

func (t pgTx) commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t pgTx) rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
func (t pgTx) raw() any                           { return t.tx }

type pgRow struct{ row pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// redact drops the connection string (which may hold a password) from pgx's
// configuration errors.
func redact(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string: check " + settings.EnvDatabaseURL)
	}
	return err
}

// sqliteURIPath escapes the characters that mean something in an SQLite URI
// filename, so a database in a folder named "50%" or "a?b" opens the file the
// operator named instead of failing or opening another one.
func sqliteURIPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}
