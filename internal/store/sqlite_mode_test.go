//go:build unix

package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

// TestTheSQLiteDatabaseIsTheOwnersAlone: the database holds private
// repositories' pull requests, coverage and audit trail. A new one, and
// the files SQLite keeps beside it, are created 0600 whatever the umask;
// one an earlier release left readable by everyone is made private.
func TestTheSQLiteDatabaseIsTheOwnersAlone(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()

	t.Run("a new database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "mergeguard.db")
		db, err := store.Open(ctx, settings.Database{Driver: store.SQLite, Path: path})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if len(db.Tightened) != 0 {
			t.Errorf("a new database reports tightened files %v", db.Tightened)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if m := mode(t, p); m != 0o600 {
				t.Errorf("%s has mode %04o, want 0600", filepath.Base(p), m)
			}
		}
	})

	t.Run("a database an earlier release created", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "mergeguard.db")
		for _, p := range []string{path, path + "-wal"} {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		db, err := store.Open(ctx, settings.Database{Driver: store.SQLite, Path: path})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if len(db.Tightened) != 2 || !strings.Contains(db.Tightened[0], "mode 0644, now 0600") {
			t.Errorf("tightened %v, want the database and its -wal file named", db.Tightened)
		}
		if m := mode(t, path); m != 0o600 {
			t.Errorf("database mode %04o, want 0600", m)
		}
	})

	t.Run("a group the operator chose is left alone", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "mergeguard.db")
		if err := os.WriteFile(path, nil, 0o640); err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(ctx, settings.Database{Driver: store.SQLite, Path: path})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if len(db.Tightened) != 0 || mode(t, path) != 0o640 {
			t.Errorf("tightened %v, mode %04o", db.Tightened, mode(t, path))
		}
	})
}
