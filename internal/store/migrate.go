package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Migrations are plain SQL that both SQLite and PostgreSQL accept, applied in
// order by version (the number before the first underscore).
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockID serialises migrations between replicas starting at once on
// PostgreSQL (an arbitrary constant: "mergegrd").
const migrationLockID = 0x6d657267656772

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and an underscore", e.Name())
		}
		b, err := fs.ReadFile(migrationFS, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	return out, nil
}

// WithMigrationLock runs fn while holding a lock that keeps other replicas
// from migrating concurrently. On SQLite the single connection already
// serialises everything.
func (db *DB) WithMigrationLock(ctx context.Context, fn func(context.Context) error) error {
	if db.Pool == nil {
		return fn(ctx)
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection for migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockID)); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockID)) //nolint:errcheck
	return fn(ctx)
}

// Migrate applies mergeguard's own migrations that have not run yet.
func (db *DB) Migrate(ctx context.Context) error {
	migs, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	err = db.InTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS mergeguard_migrations (
			version BIGINT PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at BIGINT NOT NULL
		)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	for _, m := range migs {
		err := db.InTx(ctx, func(tx Tx) error {
			var applied int64
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM mergeguard_migrations WHERE version = $1`, m.version).Scan(&applied); err != nil {
				return err
			}
			if applied > 0 {
				return nil
			}
			for _, stmt := range splitStatements(m.sql) {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("%s: %w", firstLine(stmt), err)
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO mergeguard_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}

// splitStatements splits a migration on semicolons at line ends. Migrations
// are written one statement per semicolon-terminated block, without
// semicolons inside strings.
func splitStatements(sql string) []string {
	var out []string
	for _, part := range strings.Split(sql, ";\n") {
		var kept []string
		for _, l := range strings.Split(part, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				kept = append(kept, l)
			}
		}
		if s := strings.TrimSuffix(strings.TrimSpace(strings.Join(kept, "\n")), ";"); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}

// Migrated reports whether mergeguard's tables exist in the database (a
// server has started on it).
func (db *DB) Migrated(ctx context.Context) (bool, error) {
	var n int64
	var err error
	if db.SQL != nil {
		err = db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'mergeguard_migrations'`).Scan(&n)
	} else {
		err = db.Pool.QueryRow(ctx, `SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename = 'mergeguard_migrations' AND schemaname = ANY (current_schemas(false))`).Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("look for mergeguard's tables: %w", err)
	}
	return n > 0, nil
}
