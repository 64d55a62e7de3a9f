package codeowners

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	hmarr "github.com/hmarr/codeowners"
)

// githubExample is the example file from GitHub's "About code owners"
// page, line for line, so that the line numbers below are the page's.
const githubExample = `# This is a comment.
# Each line is a file pattern followed by one or more owners.

# These owners will be the default owners for everything in
# the repo. Unless a later match takes precedence,
# @global-owner1 and @global-owner2 will be requested for
# review when someone opens a pull request.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most
# precedence. When someone opens a pull request that only
# modifies JS files, only @js-owner and not the global
# owner(s) will be requested for a review.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer. They'll be
# used to look up users just like we do for commit author
# emails.
*.go docs@example.com

# Teams can be specified as code owners as well. Teams should
# be identified in the format @org/team-name. Teams must have
# explicit write access to the repository. In this example,
# the octocats team in the octo-org organization owns all .txt files.
*.txt @octo-org/octocats

# In this example, @doctocat owns any files in the build/logs
# directory at the root of the repository and any of its
# subdirectories.
/build/logs/ @doctocat

# The 'docs/*' pattern will match files like
# 'docs/getting-started.md' but not further nested files like
# 'docs/build-app/troubleshooting.md'.
docs/*  docs@example.com

# In this example, @octocat owns any file in an apps directory
# anywhere in your repository.
apps/ @octocat

# In this example, @doctocat owns any file in the '/docs'
# directory in the root of your repository and any of its
# subdirectories.
/docs/ @doctocat

# In this example, any change inside the '/scripts' directory
# will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# In this example, @octocat owns any file in a '/logs' directory such as
# '/build/logs', '/scripts/logs', and '/deeply/nested/logs'. Any changes
# in a '/logs' directory will require approval from @octocat.
**/logs @octocat

# In this example, @octocat owns any file in the '/apps'
# directory in the root of your repository except for the '/apps/github'
# subdirectory, as its owners are left empty. Without an owner, changes
# to '/apps/github' can be made with the approval of any user who has
# write access to the repository.
/apps/ @octocat
/apps/github

# In this example, @octocat owns any file in the '/apps'
# directory in the root of your repository except for the '/apps/github'
# subdirectory, as this subdirectory has its own owner @doctocat
/apps/ @octocat
/apps/github @doctocat
`

func TestGitHubDocumentedExamples(t *testing.T) {
	f, problems := Parse([]byte(githubExample))
	if len(problems) != 0 {
		t.Fatalf("problems in GitHub's own example: %v", problems)
	}
	tests := []struct {
		path    string
		line    int
		pattern string
		owners  []string
	}{
		{"README.md", 8, "*", []string{"@global-owner1", "@global-owner2"}},
		{"src/app.js", 14, "*.js", []string{"@js-owner"}},
		{"main.go", 19, "*.go", []string{"docs@example.com"}},
		{"notes/a.txt", 25, "*.txt", []string{"@octo-org/octocats"}},
		// build/logs/ (line 30) matches, but **/logs is later and wins.
		{"build/logs/x.log", 53, "**/logs", []string{"@octocat"}},
		{"build/other/x.log", 8, "*", []string{"@global-owner1", "@global-owner2"}},
		// docs/getting-started.md: docs/* matches, but /docs/ (line 44)
		// is later and also matches.
		{"docs/getting-started.md", 44, "/docs/", []string{"@doctocat"}},
		// Nested under a docs folder that is not the root one: docs/* is
		// anchored and does not reach it, /docs/ neither.
		{"x/docs/getting-started.md", 8, "*", []string{"@global-owner1", "@global-owner2"}},
		{"lib/apps/main.rb", 39, "apps/", []string{"@octocat"}},
		{"scripts/deploy.sh", 48, "/scripts/", []string{"@doctocat", "@octocat"}},
		{"scripts/logs/out.txt", 53, "**/logs", []string{"@octocat"}},
		{"deeply/nested/logs/a.txt", 53, "**/logs", []string{"@octocat"}},
		{"apps/web/index.html", 66, "/apps/", []string{"@octocat"}},
		{"apps/github/index.js", 67, "/apps/github", []string{"@doctocat"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m, ok := f.Match(tt.path)
			if !ok {
				t.Fatalf("no line matches")
			}
			want := Match{Line: tt.line, Pattern: tt.pattern, Owners: tt.owners}
			if !reflect.DeepEqual(m, want) {
				t.Errorf("got %+v, want %+v", m, want)
			}
		})
	}
}

func TestPatterns(t *testing.T) {
	tests := []struct {
		pattern string
		yes, no []string
	}{
		{"docs/*", []string{"docs/getting-started.md"}, []string{"docs/build-app/troubleshooting.md", "docs", "x/docs/a.md"}},
		{"/docs/", []string{"docs/a.md", "docs/b/c.md"}, []string{"docs", "x/docs/a.md"}},
		{"apps/", []string{"apps/a", "x/y/apps/z/a"}, []string{"apps", "x/apps"}},
		{"*.js", []string{"a.js", "x/y/a.js"}, []string{"a.jsx", "a.ts"}},
		{"**/logs", []string{"logs/a", "build/logs/a", "logs"}, []string{"logsx/a", "blogs/a"}},
		{"docs/**", []string{"docs/a", "docs/b/c"}, []string{"docs", "x/docs/a"}},
		{"a/**/b", []string{"a/b", "a/x/b", "a/x/y/b/c"}, []string{"b", "x/a/b"}},
		{"Makefile", []string{"Makefile", "sub/Makefile"}, []string{"makefile", "Makefile.old"}},
		{"/Makefile", []string{"Makefile"}, []string{"sub/Makefile"}},
		{"src/*.go", []string{"src/a.go"}, []string{"src/a/b.go", "a.go"}},
		{"file?.txt", []string{"file1.txt", "sub/fileé.txt"}, []string{"file.txt", "file12.txt"}},
		{`my\ dir/`, []string{"my dir/a"}, []string{"my/a"}},
		{"*", []string{"a", "a/b/c"}, nil},
		{"**", []string{"a", "a/b/c"}, nil},
		{"/", nil, []string{"a", "a/b"}},
		{"ドキュメント/", []string{"ドキュメント/a.md"}, []string{"a.md"}},
		// Paths are case sensitive, as GitHub documents.
		{"/Docs/", []string{"Docs/a"}, []string{"docs/a"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			f, problems := Parse([]byte(tt.pattern + " @owner\n"))
			if len(problems) != 0 {
				t.Fatalf("problems: %v", problems)
			}
			for _, p := range tt.yes {
				if _, ok := f.Match(p); !ok {
					t.Errorf("%s should match", p)
				}
			}
			for _, p := range tt.no {
				if m, ok := f.Match(p); ok {
					t.Errorf("%s should not match, matched %+v", p, m)
				}
			}
		})
	}
}

func TestLastMatchWinsAndNoOwners(t *testing.T) {
	f, _ := Parse([]byte("* @all\n/vendor/\n/vendor/keep/ @keeper\n"))
	tests := []struct {
		path  string
		owner []string
		line  int
	}{
		{"a.go", []string{"@all"}, 1},
		{"vendor/x/y.go", []string{}, 2},
		{"vendor/keep/y.go", []string{"@keeper"}, 3},
	}
	for _, tt := range tests {
		m, ok := f.Match(tt.path)
		if !ok || m.Line != tt.line || !reflect.DeepEqual(m.Owners, tt.owner) {
			t.Errorf("%s: got %+v %v, want line %d owners %v", tt.path, m, ok, tt.line, tt.owner)
		}
		if m.Owners == nil {
			t.Errorf("%s: owners must be an empty list, not nil, so the input says []", tt.path)
		}
	}
	if got, _ := json.Marshal(map[string]any{"none": f.Owners("vendor/a"), "unmatched": (File{}).Owners("a.go")}); string(got) != `{"none":{"line":2,"pattern":"/vendor/","owners":[]},"unmatched":null}` {
		t.Errorf("the input projection: %s", got)
	}
	if _, ok := (File{}).Match("a.go"); ok {
		t.Error("the zero File matches nothing")
	}
}

func TestProblemsSkipTheirLineOnly(t *testing.T) {
	src := strings.Join([]string{
		"* @all",                     // 1
		"!/vendor/ @nobody",          // 2 negation
		"*.[ch] @c-team",             // 3 range
		`\#notes @scribe`,            // 4 escaped #
		"/api/ acme/api",             // 5 owner without @
		"/web/ @acme/web @bad!owner", // 6 one bad owner skips the line
		"a/***/b @x",                 // 7
		"a//b @x",                    // 8
		"/ok/ @acme/ok @ana_acme # trailing comment, a managed user",
		"x\\",            // 10 dangling escape
		"src/**.go @src", // 11: two ordinary stars
	}, "\n")
	f, problems := Parse([]byte(src))
	var lines []int
	for _, p := range problems {
		lines = append(lines, p.Line)
		if p.Message == "" {
			t.Errorf("line %d: empty message", p.Line)
		}
	}
	if want := []int{2, 3, 4, 5, 6, 7, 8, 10}; !reflect.DeepEqual(lines, want) {
		t.Fatalf("problem lines %v, want %v: %v", lines, want, problems)
	}
	if f.Rules() != 3 {
		t.Errorf("%d rules apply, want 3", f.Rules())
	}
	// The skipped lines leave the earlier line in charge.
	for path, want := range map[string]string{"vendor/a": "@all", "x.c": "@all", "api/a.go": "@all", "web/a": "@all", "ok/a": "@acme/ok", "src/a.go": "@src", "src/x/a.go": "@all"} {
		if m, ok := f.Match(path); !ok || m.Owners[0] != want {
			t.Errorf("%s: got %+v, want %s", path, m, want)
		}
	}
}

func TestFileLevelProblems(t *testing.T) {
	big := bytes.Repeat([]byte("# padding line of a large file\n"), MaxSize/30+1)
	big = append([]byte("* @all\n"), big...)
	f, problems := Parse(big)
	if len(problems) != 1 || problems[0].Line != 0 || f.Rules() != 0 {
		t.Errorf("a file over 3 MB: %d rules, problems %v", f.Rules(), problems)
	}
	f, problems = Parse([]byte("\ufeff* @all\r\n/b/ @b\r\n"))
	if len(problems) != 0 || f.Rules() != 2 {
		t.Errorf("BOM and CRLF: %d rules, %v", f.Rules(), problems)
	}
	if m, _ := f.Match("b/x"); m.Owners[0] != "@b" {
		t.Errorf("CRLF owner: %+v", m)
	}
	_, problems = Parse([]byte("/a/ @x\n\xff\xfe @y\n"))
	if len(problems) != 1 || problems[0].Line != 2 {
		t.Errorf("invalid UTF-8: %v", problems)
	}
}

func TestFind(t *testing.T) {
	files := map[string]string{"CODEOWNERS": "root", "docs/CODEOWNERS": "docs"}
	lookup := func(p string) ([]byte, bool, error) {
		c, ok := files[p]
		return []byte(c), ok, nil
	}
	path, content, found, err := Find(lookup)
	if err != nil || !found || path != "CODEOWNERS" || string(content) != "root" {
		t.Errorf("got %q %q %v %v", path, content, found, err)
	}
	files[".github/CODEOWNERS"] = "github"
	if path, _, _, _ := Find(lookup); path != ".github/CODEOWNERS" {
		t.Errorf(".github/CODEOWNERS comes first, got %q", path)
	}
	if _, _, found, err := Find(func(string) ([]byte, bool, error) { return nil, false, nil }); found || err != nil {
		t.Errorf("no file: %v %v", found, err)
	}
	boom := errors.New("boom")
	_, _, found, err = Find(func(p string) ([]byte, bool, error) {
		if p == ".github/CODEOWNERS" {
			return nil, false, boom
		}
		return []byte("x"), true, nil
	})
	if found || !errors.Is(err, boom) || !strings.Contains(err.Error(), ".github/CODEOWNERS") {
		t.Errorf("an unreadable first location must stop the search: %v %v", found, err)
	}
}

// TestAgreesWithHmarr compares the matcher with github.com/hmarr/codeowners,
// a widely used reader, on patterns within the character set it accepts.
// (It is a reference only: it stops at the first bad line, and rejects
// characters such as non-ASCII names that GitHub accepts.)
func TestAgreesWithHmarr(t *testing.T) {
	patterns := []string{"*", "*.js", "/build/logs/", "docs/*", "apps/", "/docs/", "**/logs", "/apps/github",
		"a/**/b", "Makefile", "/Makefile", "src/*.go", "file?.txt", "docs/**", "a/*/c", "**/x/*.md", "/a/b/c", "x*y/"}
	paths := []string{"a.js", "x/a.js", "build/logs/a", "build/logs", "docs/a.md", "docs/b/c.md", "x/docs/a.md",
		"apps/a", "x/apps/a", "apps", "logs/a", "x/logs/a", "logs", "apps/github/a", "a/b", "a/x/b", "a/x/y/b/c",
		"Makefile", "s/Makefile", "src/a.go", "src/a/b.go", "file1.txt", "q/file1.txt", "a/q/c", "a/q/c/d",
		"x/y/x/z.md", "x/z.md", "a/b/c", "a/b/c/d", "xay/b", "xy/b", "b/xzzy/c"}
	for _, pat := range patterns {
		ours, problems := Parse([]byte(pat + " @o"))
		if len(problems) != 0 {
			t.Fatalf("%s: %v", pat, problems)
		}
		theirs, err := hmarr.ParseFile(strings.NewReader(pat + " @o"))
		if err != nil {
			t.Fatalf("%s: hmarr: %v", pat, err)
		}
		for _, p := range paths {
			_, got := ours.Match(p)
			r, err := theirs.Match(p)
			if err != nil {
				t.Fatal(err)
			}
			if want := r != nil; got != want {
				t.Errorf("pattern %q, path %q: we say %v, hmarr says %v", pat, p, got, want)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(githubExample), "docs/a/b.md")
	f.Add([]byte("a/**/b/**/c @x\n!x\n[\n\\"), "a/b/c")
	f.Add([]byte("\\ \\*?* @a@b\n/ @x"), "* ?")
	f.Fuzz(func(t *testing.T, content []byte, path string) {
		file, problems := Parse(content)
		for _, p := range problems {
			if p.Line < 0 || p.Line > bytes.Count(content, []byte("\n"))+1 {
				t.Fatalf("problem on line %d of a %d-line file", p.Line, bytes.Count(content, []byte("\n"))+1)
			}
		}
		m, ok := file.Match(path)
		if ok && (m.Owners == nil || m.Line < 1) {
			t.Fatalf("match %+v", m)
		}
		// The index must find what checking every rule finds.
		want := -1
		parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
		if strings.TrimPrefix(path, "/") != "" {
			for i, r := range file.rules {
				if matchSegments(r.segs, parts) {
					want = i
				}
			}
		}
		if got := -1; ok {
			for i, r := range file.rules {
				if r.Line == m.Line {
					got = i
				}
			}
			if got != want {
				t.Fatalf("index found rule %d, a scan finds %d", got, want)
			}
		} else if want >= 0 {
			t.Fatalf("index found nothing, a scan finds rule %d", want)
		}
		// Deep paths take the other matcher; both must agree.
		for _, r := range file.rules {
			if matchSegments(r.segs, parts) != matchSlow(r.segs, parts) {
				t.Fatalf("matchers disagree on %q for %q", r.Pattern, path)
			}
		}
	})
}

// benchFile is a 500-line CODEOWNERS of the usual kinds of lines: a
// default owner, folders at the root, folders anywhere, extensions, globs.
func benchFile() []byte {
	var b strings.Builder
	b.WriteString("* @acme/everyone\n")
	for i := 1; b.Len() >= 0 && i < 500; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "/services/svc%d/ @acme/team%d @user%d\n", i, i%40, i)
		case 1:
			fmt.Fprintf(&b, "services/svc%d/internal/**/*.sql @acme/dba\n", i)
		case 2:
			fmt.Fprintf(&b, "lib%d/ @acme/team%d\n", i, i%40)
		case 3:
			fmt.Fprintf(&b, "*.ext%d @user%d\n", i, i)
		case 4:
			fmt.Fprintf(&b, "/tools/*/gen%d_*.go @acme/tools\n", i)
		}
	}
	return []byte(b.String())
}

func benchPaths() []string {
	paths := make([]string, 0, 3000)
	for i := 0; i < 3000; i++ {
		switch i % 4 {
		case 0:
			paths = append(paths, fmt.Sprintf("services/svc%d/internal/store/q%d.sql", i%600, i))
		case 1:
			paths = append(paths, fmt.Sprintf("services/svc%d/cmd/main%d.go", i%600, i))
		case 2:
			paths = append(paths, fmt.Sprintf("web/lib%d/components/c%d.tsx", i%600, i))
		case 3:
			paths = append(paths, fmt.Sprintf("tools/x/gen%d_%d.go", i%600, i))
		}
	}
	return paths
}

func TestBenchFileIsValid(t *testing.T) {
	f, problems := Parse(benchFile())
	if len(problems) != 0 || f.Rules() != 500 {
		t.Fatalf("%d rules, %v", f.Rules(), problems)
	}
	if m, _ := f.Match("services/svc5/internal/x/q.sql"); m.Line != 6 {
		t.Errorf("got %+v", m)
	}
}

// BenchmarkMatch3000Paths: one pull request's worth of matching, parsing
// included.
func BenchmarkMatch3000Paths(b *testing.B) {
	content, paths := benchFile(), benchPaths()
	b.ReportAllocs()
	for b.Loop() {
		f, _ := Parse(content)
		for _, p := range paths {
			f.Match(p)
		}
	}
}
