package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
)

// openServerDB opens the database `mergeguard serve` uses, read from the
// environment or the configuration file as serve reads it. It refuses a
// database that holds no mergeguard tables: a freeze written there would
// reach no server, and an audit read from it would show nothing.
func openServerDB(ctx context.Context, getenv Env) (*store.DB, error) {
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
