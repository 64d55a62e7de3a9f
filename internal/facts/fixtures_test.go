package facts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDiffFixtures runs every file in testdata/diffs through the unified-diff
// path and checks what each must produce. A fixture without an entry here
// fails the test, so every new shape gets a stated expectation.
func TestDiffFixtures(t *testing.T) {
	type file struct {
		path, prev, status string
		binary             bool
		adds, dels         int
		parseError         string // substring; "" means none
	}
	want := map[string][]file{
		"malformed-hunk-count.patch": {
			{path: "app/config.go", status: "modified", parseError: "truncated or malformed"},
			{path: "app/main.go", status: "modified", adds: 1, dels: 1},
		},
		"garbage-in-hunk.patch":        {{path: "notes.txt", status: "modified", parseError: "truncated or malformed"}},
		"binary.patch":                 {{path: "assets/logo.png", status: "modified", binary: true}, {path: "assets/font.woff2", status: "added", binary: true}},
		"no-newline-at-end.patch":      {{path: "VERSION", status: "modified", adds: 1, dels: 1}},
		"rename-without-changes.patch": {{path: "pkg/strings.go", prev: "pkg/util.go", status: "renamed"}},
		"rename-with-changes.patch":    {{path: "pkg/strings.go", prev: "pkg/util.go", status: "renamed", adds: 1, dels: 1}},
		"mode-only.patch":              {{path: "scripts/deploy.sh", status: "modified"}},
		"crlf.patch":                   {{path: "win/setup.bat", status: "modified", adds: 2, dels: 1}},
		"non-utf8.patch":               {{path: "docs/caf\uFFFD.txt", status: "modified", adds: 1}},
		"empty.patch":                  {},
	}
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "diffs", "*.patch"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, p := range paths {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			expected, ok := want[name]
			if !ok {
				t.Fatalf("fixture %s has no expectation in this test", name)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files, err := ParseUnifiedDiff(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != len(expected) {
				t.Fatalf("%d files, want %d: %+v", len(files), len(expected), files)
			}
			for i, w := range expected {
				f := files[i]
				if f.Path != w.path || f.PreviousPath != w.prev || f.Status != w.status || f.Binary != w.binary || f.Additions != w.adds || f.Deletions != w.dels {
					t.Errorf("file %d: %+v, want %+v", i, f, w)
				}
				if (w.parseError == "") != (f.ParseError == "") || !strings.Contains(f.ParseError, w.parseError) {
					t.Errorf("file %d parse error %q, want %q", i, f.ParseError, w.parseError)
				}
				for _, l := range f.AddedLines {
					if !utf8.ValidString(l.Text) || strings.ContainsAny(l.Text, "\r\n") {
						t.Errorf("added line %+v is not clean single-line UTF-8", l)
					}
				}
			}
			// The whole input document must survive JSON unchanged: that is
			// how it reaches the policy.
			in := Build(Sources{Files: files})
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var back Input
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			for i := range files {
				if back.Files[i].Path != files[i].Path {
					t.Errorf("path %q came back from JSON as %q", files[i].Path, back.Files[i].Path)
				}
			}
		})
	}
}
