// Package dbtest gives tests a fresh, migrated database: SQLite always, and
// PostgreSQL when MERGEGUARD_TEST_POSTGRES_URL is set (each test gets its own
// schema, dropped afterwards).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
)

// EnvPostgresURL names the variable that enables PostgreSQL tests.
const EnvPostgresURL = "MERGEGUARD_TEST_POSTGRES_URL"

// Backends lists the database configurations to test against. Each is a
// fresh database: a new SQLite file, or a new PostgreSQL schema.
func Backends(t testing.TB) map[string]func(testing.TB) settings.Database {
	out := map[string]func(testing.TB) settings.Database{
		store.SQLite: SQLiteConfig,
	}
	if PostgresConfigured() {
		out[store.Postgres] = PostgresConfig
	} else {
		t.Logf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them", EnvPostgresURL)
	}
	return out
}

// Each runs fn once per backend, with a migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for name, cfg := range Backends(t) {
		t.Run(name, func(t *testing.T) {
			fn(t, Open(t, cfg(t)))
		})
	}
}

// Open opens a database and applies every migration (River's and
// mergeguard's, as the server does on start), closing it when the test ends.
func Open(t testing.TB, cfg settings.Database) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := queue.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// SQLiteConfig returns a new SQLite database file in the test's temp dir.
func SQLiteConfig(t testing.TB) settings.Database {
	return settings.Database{Driver: store.SQLite, Path: filepath.Join(t.TempDir(), "mergeguard.db")}
}

// PostgresConfigured reports whether PostgreSQL tests can run.
func PostgresConfigured() bool { return os.Getenv(EnvPostgresURL) != "" }

// PostgresConfig creates an empty schema and returns a configuration whose
// connections use it. The schema is dropped when the test ends.
func PostgresConfig(t testing.TB) settings.Database {
	t.Helper()
	base := os.Getenv(EnvPostgresURL)
	if base == "" {
		t.Skipf("set %s to run PostgreSQL tests", EnvPostgresURL)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v (is PostgreSQL running?)", EnvPostgresURL, err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "mgtest_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return settings.Database{Driver: store.Postgres, URL: u.String()}
}
