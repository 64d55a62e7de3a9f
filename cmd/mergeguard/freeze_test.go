package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

func TestFreezeCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mergeguard.db")
	env := map[string]string{"MERGEGUARD_DATABASE_URL": "sqlite:" + path, "USER": "ines"}

	// Before any server has used the database, a freeze would reach no
	// one: it is refused, saying which setting points at the server's.
	out, errOut, code := runMain(t, env, "freeze", "start", "--org", "acme", "--for", "2h", "x")
	if code != 2 || out != "" || !strings.Contains(errOut, "holds no mergeguard database: set MERGEGUARD_DATABASE_URL") {
		t.Fatalf("freeze on a database no server uses: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the refused freeze created %s", path)
	}
	dbtest.Open(t, settings.Database{Driver: store.SQLite, Path: path}) // the server's first start

	out, errOut, code = runMain(t, env, "freeze", "start", "--org", "acme", "--for", "2h", "checkout", "errors,", "INC-42")
	if code != 0 || !strings.Contains(out, "Merges are frozen: freeze 1 in all repositories of acme, until ") || !strings.Contains(out, ": checkout errors, INC-42") {
		t.Fatalf("start: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runMain(t, env, "freeze", "start", "--org", "acme", "--repo", "shop", "--until", "Mon 08:00", "--timezone", "Europe/Berlin", "--by", "dora", "db", "migration")
	if code != 0 || !strings.Contains(out, "freeze 2 in shop, until Mon ") || !strings.Contains(out, "(Europe/Berlin)") {
		t.Fatalf("start with --until: exit %d\n%s", code, out)
	}
	// Listing needs no one to act: a container has no $USER.
	out, _, code = runMain(t, map[string]string{"MERGEGUARD_DATABASE_URL": "sqlite:" + path}, "freeze", "list", "--org", "acme")
	if code != 0 || !strings.Contains(out, "1   in effect  all") || !strings.Contains(out, "2   in effect  shop") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	out, _, code = runMain(t, env, "freeze", "end", "--org", "acme", "1")
	if code != 0 || !strings.Contains(out, "Ended freeze 1 in all repositories of acme") {
		t.Fatalf("end: exit %d\n%s", code, out)
	}
	_, errOut, code = runMain(t, env, "freeze", "end", "--org", "acme", "1")
	if code != 2 || !strings.Contains(errOut, "no such freeze is in effect") {
		t.Fatalf("ending again: exit %d %s", code, errOut)
	}

	// Each change is audited, and queues a sweep for a running server.
	ctx := context.Background()
	db, err := store.Open(ctx, settings.Database{Driver: store.SQLite, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var entries, sweeps int
	db.InTx(ctx, func(tx store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE owner = 'acme'`).Scan(&entries); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'sweep_org'`).Scan(&sweeps)
	})
	if entries != 3 || sweeps != 3 {
		t.Fatalf("%d audit entries and %d sweeps, want 3 and 3", entries, sweeps)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"freeze", "start", "--for", "2h", "x"}, "--org is required"},
		{[]string{"freeze", "start", "--org", "acme", "--for", "2h", "--indefinitely", "x"}, "exactly one of"},
		{[]string{"freeze", "start", "--org", "acme", "--for", "soon", "x"}, "--for:"},
		{[]string{"freeze", "start", "--org", "acme", "--until", "2001-01-01 00:00", "x"}, "already past"},
		{[]string{"freeze", "start", "--org", "acme", "--for", "2h", "--timezone", "Mars/Olympus", "x"}, "--timezone"},
		{[]string{"freeze", "end", "--org", "acme", "seven"}, "not a freeze number"},
	} {
		_, errOut, code := runMain(t, env, tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d %s, want %q", tt.args, code, errOut, tt.want)
		}
	}
}
