package facts

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestProjectMigrations covers where a SQL file's whole content comes
// from: a new file's diff, a reader for a changed file, and what is said
// when it cannot be had.
func TestProjectMigrations(t *testing.T) {
	long := "INSERT INTO settings (v) VALUES ('" + strings.Repeat("x", 3*MaxLineBytes) + "');"
	newFile := "diff --git a/db/migrations/1.sql b/db/migrations/1.sql\nnew file mode 100644\n--- /dev/null\n+++ b/db/migrations/1.sql\n@@ -0,0 +1,2 @@\n+" + long + "\n+CREATE INDEX i ON t (c);\n"
	changed := "diff --git a/db/migrations/2.sql b/db/migrations/2.sql\n--- a/db/migrations/2.sql\n+++ b/db/migrations/2.sql\n@@ -1,1 +1,2 @@\n SET lock_timeout = '1s';\n+DROP INDEX i;\n"
	files, err := ParseUnifiedDiff([]byte(newFile + changed))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		read     HeadReader
		maxReads int
		// kinds are the statement kinds of each file ("" when it has no
		// projection); unread the start of its migration_unread.
		kinds  [2]string
		unread [2]string
		err    bool
	}{
		{
			name: "the new file from its diff, the changed one read", maxReads: 1,
			read: func(_ context.Context, path string) ([]byte, string, error) {
				if path != "db/migrations/2.sql" {
					t.Errorf("read %s: a new file's diff holds all of it", path)
				}
				return []byte("SET lock_timeout = '1s';\nDROP INDEX i;\n"), "", nil
			},
			kinds: [2]string{"insert create_index", "set drop_index"},
		},
		{
			name: "no reader", kinds: [2]string{"insert create_index", ""},
			unread: [2]string{"", "its content at the head commit is not available"},
		},
		{
			name: "no reads left", maxReads: 0,
			read:   func(context.Context, string) ([]byte, string, error) { return nil, "", errors.New("must not be read") },
			kinds:  [2]string{"insert create_index", ""},
			unread: [2]string{"", "the pull request changes more than 0 SQL files"},
		},
		{
			name: "too large", maxReads: 1,
			read:   func(context.Context, string) ([]byte, string, error) { return nil, TooLargeToProject(11 << 20), nil },
			kinds:  [2]string{"insert create_index", ""},
			unread: [2]string{"", "the file is 11534336 bytes, more than the 10 MiB"},
		},
		{
			name: "a failed read fails", maxReads: 1, err: true,
			read: func(context.Context, string) ([]byte, string, error) { return nil, "", errors.New("503") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ProjectMigrations(context.Background(), files, tt.read, tt.maxReads)
			if (err != nil) != tt.err {
				t.Fatalf("err %v, want error %v", err, tt.err)
			}
			if tt.err {
				return
			}
			for i, f := range got {
				kinds := ""
				if f.Migration != nil {
					var ks []string
					for _, st := range f.Migration.Statements {
						ks = append(ks, st.Kind)
					}
					kinds = strings.Join(ks, " ")
				}
				if kinds != tt.kinds[i] || !strings.HasPrefix(f.MigrationUnread, tt.unread[i]) || (tt.unread[i] == "") != (f.MigrationUnread == "") {
					t.Errorf("%s: statements %q unread %q, want %q and %q", f.Path, kinds, f.MigrationUnread, tt.kinds[i], tt.unread[i])
				}
			}
		})
	}
}

func TestProjectMigrationsLeavesOtherFilesAlone(t *testing.T) {
	files := []File{{Path: "main.go", Status: "added"}, {Path: "db/migrations/3.sql", Status: "removed"}}
	got, err := ProjectMigrations(context.Background(), files, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got {
		if f.Migration != nil || f.MigrationUnread != "" {
			t.Errorf("%s was projected: %+v", f.Path, f)
		}
	}
}
