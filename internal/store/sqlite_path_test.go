package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
)

// TestSQLiteOpensTheFileNamedWhateverItsCharacters: characters that mean
// something in an SQLite URI (%, ?, #) are part of the path, not syntax.
func TestSQLiteOpensTheFileNamedWhateverItsCharacters(t *testing.T) {
	for _, name := range []string{"50%25 off", "a?b", "c#d", "plain"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "mergeguard.db")
			db, err := store.Open(context.Background(), settings.Database{Driver: store.SQLite, Path: path})
			if err != nil {
				t.Fatalf("open %s: %v", path, err)
			}
			defer db.Close()
			if err := db.Migrate(context.Background()); err != nil {
				t.Fatalf("migrate %s: %v", path, err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("the database is not at the path named: %v", err)
			}
		})
	}
}
