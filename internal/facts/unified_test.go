package facts

import (
	"strings"
	"testing"
)

func TestParseUnifiedDiff(t *testing.T) {
	const multi = `diff --git a/app/main.go b/app/main.go
index 1111111..2222222 100644
--- a/app/main.go
+++ b/app/main.go
@@ -1,3 +1,4 @@
 package main
 
+import "fmt"
 func main() {}
diff --git a/old.txt b/new.txt
similarity index 100%
rename from old.txt
rename to new.txt
diff --git a/logo.png b/logo.png
index 3333333..4444444 100644
Binary files a/logo.png and b/logo.png differ
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
index 5555555..0000000
--- a/gone.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-bye
-now
diff --git a/db/migrations/0001_init.sql b/db/migrations/0001_init.sql
new file mode 100644
index 0000000..6666666
--- /dev/null
+++ b/db/migrations/0001_init.sql
@@ -0,0 +1,2 @@
+CREATE TABLE t (id int);
+CREATE INDEX ON t (id);
`
	files, err := ParseUnifiedDiff([]byte(multi))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		path, prev, status string
		binary             bool
		adds, dels         int
	}
	wants := []want{
		{"app/main.go", "", "modified", false, 1, 0},
		{"new.txt", "old.txt", "renamed", false, 0, 0},
		{"logo.png", "", "modified", true, 0, 0},
		{"run.sh", "", "modified", false, 0, 0},
		{"gone.txt", "", "removed", false, 0, 2},
		{"db/migrations/0001_init.sql", "", "added", false, 2, 0},
	}
	if len(files) != len(wants) {
		t.Fatalf("%d files, want %d: %+v", len(files), len(wants), files)
	}
	for i, w := range wants {
		f := files[i]
		if f.Path != w.path || f.PreviousPath != w.prev || f.Status != w.status || f.Binary != w.binary ||
			f.Additions != w.adds || f.Deletions != w.dels || f.ParseError != "" {
			t.Errorf("file %d = %+v, want %+v", i, f, w)
		}
	}
	if got := files[0].AddedLines; len(got) != 1 || got[0].Line != 3 || got[0].Text != `import "fmt"` {
		t.Errorf("added lines of main.go: %+v", got)
	}
	if got := files[5].AddedLines; len(got) != 2 || got[1].Line != 2 {
		t.Errorf("added lines of the migration: %+v", got)
	}
}

func TestParseUnifiedDiffMarksABrokenFileAndKeepsTheRest(t *testing.T) {
	const d = `diff --git a/a.go b/a.go
--- a/a.go
+++ b/a.go
@@ -1,9 +1,9 @@
-x
+y
diff --git a/b.go b/b.go
--- a/b.go
+++ b/b.go
@@ -1 +1 @@
-p
+q
`
	files, err := ParseUnifiedDiff([]byte(d))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("%d files", len(files))
	}
	if !strings.Contains(files[0].ParseError, "truncated or malformed") || len(files[0].AddedLines) != 0 {
		t.Errorf("a.go should be marked, got %+v", files[0])
	}
	if files[1].ParseError != "" || len(files[1].AddedLines) != 1 {
		t.Errorf("b.go should be intact, got %+v", files[1])
	}
}

func TestParseUnifiedDiffRejectsText(t *testing.T) {
	if _, err := ParseUnifiedDiff([]byte("this is not a diff\n")); err == nil {
		t.Fatal("want an error for text without file headers")
	}
	files, err := ParseUnifiedDiff(nil)
	if err != nil || len(files) != 0 {
		t.Fatalf("an empty diff is an empty pull request, got %v %v", files, err)
	}
}

func FuzzParseUnifiedDiff(f *testing.F) {
	f.Add("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
	f.Add("diff --git a/x b/y\nrename from x\nrename to y\n")
	f.Add("--- a/x\n+++ b/x\n@@ -1,3 +1,1 @@\n-a\n")
	f.Fuzz(func(t *testing.T, d string) {
		files, err := ParseUnifiedDiff([]byte(d))
		if err != nil {
			return
		}
		for _, fl := range files {
			if fl.ParseError != "" && (len(fl.AddedLines) > 0 || len(fl.RemovedLines) > 0) {
				t.Fatalf("a file with a parse error must not carry partial lines: %+v", fl)
			}
		}
	})
}
