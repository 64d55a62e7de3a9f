package localpr

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHeadReaderReadsChangedMigrationsFromFiles covers files/<path>: a
// changed migration's whole content for the projection, what is said when
// it is not given, and a path that would leave the directory.
func TestHeadReaderReadsChangedMigrationsFromFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, HeadFilesDir, "db", "migrations", "0042_orders.sql")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("SET lock_timeout = '1s';\nDROP INDEX i;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	read := HeadReader(dir)
	tests := []struct {
		path, content, why string
	}{
		{path: "db/migrations/0042_orders.sql", content: "SET lock_timeout = '1s';\nDROP INDEX i;\n"},
		{path: "db/migrations/0043_missing.sql", why: "its whole content is not given as files/db/migrations/0043_missing.sql"},
		{path: "../outside.sql", why: "cannot be looked up under files/"},
		{path: "/etc/passwd.sql", why: "cannot be looked up under files/"},
	}
	for _, tt := range tests {
		content, why, err := read(context.Background(), tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if string(content) != tt.content || (tt.why == "") != (why == "") || !strings.Contains(why, tt.why) {
			t.Errorf("%s: content %q why %q, want %q and %q", tt.path, content, why, tt.content, tt.why)
		}
	}
}

// TestLoadProjectsMigrations is the whole path of `mergeguard eval`: the
// new file from its diff, the changed one from files/<path>.
func TestLoadProjectsMigrations(t *testing.T) {
	dir := t.TempDir()
	pr, err := os.ReadFile(filepath.Join("..", "..", "testdata", "prs", "unreviewed", PullRequestFile))
	if err != nil {
		t.Fatal(err)
	}
	diff := "diff --git a/db/migrations/2.sql b/db/migrations/2.sql\nnew file mode 100644\n--- /dev/null\n+++ b/db/migrations/2.sql\n@@ -0,0 +1 @@\n+CREATE INDEX i ON t (c);\n" +
		"diff --git a/db/migrations/1.sql b/db/migrations/1.sql\n--- a/db/migrations/1.sql\n+++ b/db/migrations/1.sql\n@@ -1,1 +1,2 @@\n BEGIN;\n+DROP INDEX j;\n"
	files := map[string]string{
		PullRequestFile: string(pr),
		DiffFile:        diff,
		filepath.Join(HeadFilesDir, "db", "migrations", "1.sql"): "BEGIN;\nDROP INDEX j;\nCOMMIT;\n",
	}
	for name, data := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := Load(context.Background(), dir, time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"db/migrations/2.sql": "create_index", "db/migrations/1.sql": "begin drop_index commit"}
	for _, f := range src.Files {
		if f.Migration == nil {
			t.Fatalf("%s: no projection (%s)", f.Path, f.MigrationUnread)
		}
		var kinds []string
		for _, st := range f.Migration.Statements {
			kinds = append(kinds, st.Kind)
		}
		if got := strings.Join(kinds, " "); got != want[f.Path] {
			t.Errorf("%s: statements %q, want %q", f.Path, got, want[f.Path])
		}
	}
}
