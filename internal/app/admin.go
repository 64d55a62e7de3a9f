package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/incident"
	"github.com/mergeguard/mergeguard/internal/queue"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
)

// Admin is what the CLI's commands on a server's database use: the database
// and, for the commands that hand work to the server, an insert-only queue
// client. The server's workers do the work.
type Admin struct {
	DB *store.DB
	// Jobs inserts work for the server (nil when opened by OpenDatabase).
	Jobs *queue.Client
}

// Close closes the database.
func (a *Admin) Close() { a.DB.Close() }

// OpenDatabase opens the server's database to read it.
func OpenDatabase(ctx context.Context, getenv func(string) string) (*Admin, error) {
	db, err := openServerDB(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return &Admin{DB: db}, nil
}

// OpenJobs opens the server's database, migrated as the server migrates
// it, with a client that inserts jobs for the server's workers.
func OpenJobs(ctx context.Context, getenv func(string) string) (*Admin, error) {
	db, err := openServerDB(ctx, getenv)
	if err != nil {
		return nil, err
	}
	if err := queue.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	jobs, err := queue.NewClient(db, queue.ClientConfig{})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Admin{DB: db, Jobs: jobs}, nil
}

// openServerDB opens the database `mergeguard serve` uses, read from the
// environment or the configuration file as serve reads it. It refuses a
// database that holds no mergeguard tables: a freeze written there would
// reach no server, and an audit read from it would show nothing.
func openServerDB(ctx context.Context, getenv func(string) string) (*store.DB, error) {
	env, err := settings.WithConfigFile(getenv)
	if err != nil {
		return nil, err
	}
	raw := strings.TrimSpace(env(settings.EnvDatabaseURL))
	dbc, err := settings.ParseDatabaseURL(raw)
	if err != nil {
		return nil, err
	}
	where := dbc.Path
	if dbc.Driver == store.SQLite {
		if _, err := os.Stat(dbc.Path); errors.Is(err, os.ErrNotExist) {
			return nil, noServerDB(where, raw)
		}
	} else {
		where = "the PostgreSQL database"
	}
	db, err := store.Open(ctx, dbc)
	if err != nil {
		return nil, err
	}
	ok, err := db.Migrated(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if !ok {
		db.Close()
		return nil, noServerDB(where, raw)
	}
	return db, nil
}

func noServerDB(where, raw string) error {
	if raw == "" {
		return fmt.Errorf("no mergeguard database at %s (the default): set %s to the database `mergeguard serve` uses, in the environment or in %s",
			where, settings.EnvDatabaseURL, settings.DefaultConfigFile)
	}
	return fmt.Errorf("%s holds no mergeguard database: set %s to the database `mergeguard serve` uses", where, settings.EnvDatabaseURL)
}

// AuditTrail reads the audit trail's records that f selects, oldest first,
// in one transaction so that the records agree with each other.
func (a *Admin) AuditTrail(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	var records []store.AuditRecord
	err := a.DB.InTx(ctx, func(tx store.Tx) error {
		var err error
		records, err = store.AuditTrail(ctx, tx, f)
		return err
	})
	return records, err
}

// Freezes reads the organization's freezes in effect at now and those that
// started since then, in one transaction so that the two lists agree.
func (a *Admin) Freezes(ctx context.Context, org string, now, since time.Time) (active, recent []store.Freeze, err error) {
	err = a.DB.InTx(ctx, func(tx store.Tx) error {
		var err error
		if active, err = store.Freezes(ctx, tx, org, now); err != nil {
			return err
		}
		recent, err = store.RecentFreezes(ctx, tx, org, since)
		return err
	})
	return active, recent, err
}

// StartFreeze starts an incident freeze and has the server's workers
// re-evaluate the organization's open pull requests under it. It needs an
// Admin opened by OpenJobs.
func (a *Admin) StartFreeze(ctx context.Context, s incident.Start, now time.Time) (store.Freeze, error) {
	if a.Jobs == nil {
		return store.Freeze{}, errors.New("start a freeze: the database was opened without a job client (use OpenJobs)")
	}
	return incident.StartFreeze(ctx, a.DB, a.Jobs, s, now)
}

// EndFreezes ends the freezes e names and has the server's workers
// re-evaluate the pull requests they held. It needs an Admin opened by
// OpenJobs.
func (a *Admin) EndFreezes(ctx context.Context, e incident.End, now time.Time) ([]store.Freeze, error) {
	if a.Jobs == nil {
		return nil, errors.New("end freezes: the database was opened without a job client (use OpenJobs)")
	}
	return incident.EndFreezes(ctx, a.DB, a.Jobs, e, now)
}
