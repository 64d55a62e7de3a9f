package facts

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestHeadCodeOwnersReadsOnlyWhatTheChangesLeaveUnknown(t *testing.T) {
	base := CodeOwnersFile{Path: "CODEOWNERS", Content: []byte("* @acme/all\n")}
	none := CodeOwnersFile{}
	tests := []struct {
		name  string
		base  CodeOwnersFile
		files []File
		// atHead are the files the head has at CODEOWNERS' locations.
		atHead   map[string]string
		wantPath string
		wantBody string
		wantRead []string
	}{
		{
			name: "the base's file modified", base: base,
			files:  []File{{Path: "CODEOWNERS", Status: "modified"}},
			atHead: map[string]string{"CODEOWNERS": "* @acme/new\n"}, wantPath: "CODEOWNERS", wantBody: "* @acme/new\n",
			wantRead: []string{"CODEOWNERS"},
		},
		{
			name: "a file added before the base's wins", base: base,
			files:  []File{{Path: ".github/CODEOWNERS", Status: "added"}},
			atHead: map[string]string{".github/CODEOWNERS": "x @a\n", "CODEOWNERS": "* @acme/all\n"}, wantPath: ".github/CODEOWNERS", wantBody: "x @a\n",
			wantRead: []string{".github/CODEOWNERS"},
		},
		{
			name: "a file added after the base's changes nothing", base: base,
			files:    []File{{Path: "docs/CODEOWNERS", Status: "added"}},
			atHead:   map[string]string{"docs/CODEOWNERS": "x @a\n", "CODEOWNERS": "* @acme/all\n"},
			wantPath: "CODEOWNERS", wantBody: "* @acme/all\n",
		},
		{
			name: "the base's file removed: the later location, unknown at the base, is read", base: base,
			files:  []File{{Path: "CODEOWNERS", Status: "removed"}},
			atHead: map[string]string{"docs/CODEOWNERS": "d @d\n"}, wantPath: "docs/CODEOWNERS", wantBody: "d @d\n",
			wantRead: []string{"docs/CODEOWNERS"},
		},
		{
			name: "the base's file moved to a later location", base: CodeOwnersFile{Path: ".github/CODEOWNERS", Content: []byte("* @o\n")},
			files:  []File{{Path: "docs/CODEOWNERS", PreviousPath: ".github/CODEOWNERS", Status: "renamed"}},
			atHead: map[string]string{"docs/CODEOWNERS": "* @o\n"}, wantPath: "docs/CODEOWNERS", wantBody: "* @o\n",
			// CODEOWNERS at the root was never looked up at the base.
			wantRead: []string{"CODEOWNERS", "docs/CODEOWNERS"},
		},
		{
			name: "none at the base, one added", base: none,
			files:  []File{{Path: "docs/CODEOWNERS", Status: "added"}},
			atHead: map[string]string{"docs/CODEOWNERS": "d @d\n"}, wantPath: "docs/CODEOWNERS", wantBody: "d @d\n",
			wantRead: []string{"docs/CODEOWNERS"},
		},
		{
			name: "the only file removed", base: base,
			files:    []File{{Path: "CODEOWNERS", Status: "removed"}},
			atHead:   map[string]string{},
			wantRead: []string{"docs/CODEOWNERS"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !ChangesCodeOwners(tt.files) {
				t.Fatal("ChangesCodeOwners is false")
			}
			var read []string
			got, err := HeadCodeOwners(tt.base, tt.files, func(path string) (CodeOwnersFile, bool, error) {
				read = append(read, path)
				c, ok := tt.atHead[path]
				return CodeOwnersFile{Content: []byte(c)}, ok, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Path != tt.wantPath || string(got.Content) != tt.wantBody || !slices.Equal(read, tt.wantRead) {
				t.Errorf("got %q %q after reading %q; want %q %q after %q", got.Path, got.Content, read, tt.wantPath, tt.wantBody, tt.wantRead)
			}
		})
	}
}

func TestHeadCodeOwnersStopsAtAnUnreadableLocation(t *testing.T) {
	_, err := HeadCodeOwners(CodeOwnersFile{}, []File{{Path: ".github/CODEOWNERS", Status: "added"}, {Path: "CODEOWNERS", Status: "added"}},
		func(string) (CodeOwnersFile, bool, error) { return CodeOwnersFile{}, false, errors.New("HTTP 502") })
	if err == nil || !strings.Contains(err.Error(), ".github/CODEOWNERS at the head: HTTP 502") {
		t.Fatalf("err %v: a later location must not win because an earlier one was unreadable", err)
	}
}

func TestChangesCodeOwners(t *testing.T) {
	tests := []struct {
		files []File
		want  bool
	}{
		{[]File{{Path: "src/CODEOWNERS"}, {Path: "docs/CODEOWNERS.md"}}, false},
		{[]File{{Path: "a.go"}, {Path: "CODEOWNERS"}}, true},
		{[]File{{Path: "old/OWNERS", PreviousPath: ".github/CODEOWNERS", Status: "renamed"}}, true},
		{nil, false},
	}
	for _, tt := range tests {
		if got := ChangesCodeOwners(tt.files); got != tt.want {
			t.Errorf("%+v: %v", tt.files, got)
		}
	}
}

func TestWithCodeOwnersMatchesEachFileAndStatesTheProblems(t *testing.T) {
	base := CodeOwnersFile{Path: ".github/CODEOWNERS", Content: []byte(
		"* @acme/everyone\n/payments/ @acme/payments @ana\n/payments/generated/\n!/x/ @acme/x\n/ops/ @acme/ghost\n"),
		// GitHub's check reports line 4 too, which is already a problem
		// of the file's reading, and the team it does not know on line 5.
		Reported: []CodeOwnersProblem{{Line: 5, Message: "Unknown owner: make sure @acme/ghost exists"}, {Line: 4, Message: "Invalid pattern"}},
	}
	files := []File{
		{Path: "payments/charge.go", Status: "modified"},
		{Path: "payments/generated/api.go", Status: "added"},
		{Path: "web/pay.ts", PreviousPath: "payments/pay.ts", Status: "renamed"},
	}
	head := &CodeOwnersFile{Path: ".github/CODEOWNERS", Content: []byte("* @acme/everyone\n/payments/ acme/payments\n")}
	got, co := WithCodeOwners(files, base, head)
	doc, err := json.Marshal(struct {
		Files      []File      `json:"files"`
		CodeOwners *CodeOwners `json:"codeowners"`
	}{got, co})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"path":"payments/charge.go"`, `"owners":{"line":2,"pattern":"/payments/","owners":["@acme/payments","@ana"]}`,
		// A line without owners leaves the file without one: owners [], not null.
		`"owners":{"line":3,"pattern":"/payments/generated/","owners":[]}`,
		// The moved file: the default owner at its new path, the payments
		// team at its old one.
		`"owners":{"line":1,"pattern":"*","owners":["@acme/everyone"]},"previous_owners":{"line":2`,
		`"codeowners":{"path":".github/CODEOWNERS","problems":[{"line":4,"message":"pattern \"!/x/\": negation with ! does not work in CODEOWNERS","github":false},{"line":5,"message":"Unknown owner: make sure @acme/ghost exists","github":true}]`,
		`"head":{"path":".github/CODEOWNERS","problems":[{"line":2,"message":"owner \"acme/payments\" is not @user, @org/team or an email address","github":false}]}`,
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("the document lacks %s:\n%s", want, doc)
		}
	}
	if teams := OwningTeams(got, "ACME"); !slices.Equal(teams, []string{"everyone", "payments"}) {
		t.Errorf("owning teams %q", teams)
	}
}

func TestWithCodeOwnersGroupsFilesByTheirOwners(t *testing.T) {
	base := CodeOwnersFile{Path: "CODEOWNERS", Content: []byte(
		"* @acme/everyone\n/payments/ @acme/Payments @ana\n/billing/ @ana @acme/payments @ANA\n/gen/\n*.md docs@example.com\n")}
	files := []File{
		{Path: "payments/b.go", Status: "modified"},
		{Path: "billing/x.go", Status: "added"},
		{Path: "payments/a.go", Status: "modified"},
		{Path: "gen/z.go", Status: "added"},
		{Path: "web/pay.ts", PreviousPath: "payments/pay.ts", Status: "renamed"},
		{Path: "README.md", Status: "modified"},
	}
	_, co := WithCodeOwners(files, base, nil)
	want := []CodeOwnersGroup{
		{Key: "@acme/everyone", Owners: []string{"@acme/everyone"}, Lines: []CodeOwnersGroupLine{{Line: 1, Pattern: "*", Files: []string{"web/pay.ts"}}}},
		// Two lines naming the same owners, in another order and case, are
		// one group; the renamed file counts under its old path.
		{Key: "@acme/payments @ana", Owners: []string{"@acme/payments", "@ana"}, Lines: []CodeOwnersGroupLine{
			{Line: 2, Pattern: "/payments/", Files: []string{"payments/a.go", "payments/b.go", "payments/pay.ts"}},
			{Line: 3, Pattern: "/billing/", Files: []string{"billing/x.go"}},
		}},
		// The line without owners owns nothing.
		{Key: "docs@example.com", Owners: []string{"docs@example.com"}, Lines: []CodeOwnersGroupLine{{Line: 5, Pattern: "*.md", Files: []string{"README.md"}}}},
	}
	if !reflect.DeepEqual(co.Groups, want) {
		t.Errorf("groups\n got %+v\nwant %+v", co.Groups, want)
	}
	_, co = WithCodeOwners(files, CodeOwnersFile{}, nil)
	if co.Groups == nil || len(co.Groups) != 0 {
		t.Errorf("without CODEOWNERS the groups are empty, not null: %#v", co.Groups)
	}
}

func TestWithCodeOwnersLeavesOutAnUnchangedHead(t *testing.T) {
	base := CodeOwnersFile{Path: ".github/CODEOWNERS", Content: []byte("!x @a\n")}
	// The pull request changed docs/CODEOWNERS, which GitHub does not use.
	_, co := WithCodeOwners(nil, base, &CodeOwnersFile{Path: ".github/CODEOWNERS", Content: []byte("!x @a\n")})
	if co.Head != nil || len(co.Problems) != 1 {
		t.Errorf("the base's problems must stay the base's: %+v", co)
	}
	_, co = WithCodeOwners(nil, base, &CodeOwnersFile{Path: "docs/CODEOWNERS", Content: []byte("!x @a\n")})
	if co.Head == nil || co.Head.Path != "docs/CODEOWNERS" {
		t.Errorf("another file applies at the head: %+v", co)
	}
}

func TestWithCodeOwnersWithoutAFile(t *testing.T) {
	tests := []struct {
		name    string
		base    CodeOwnersFile
		problem string
	}{
		{"no file on the base branch", CodeOwnersFile{}, ""},
		{"a file too large for GitHub", CodeOwnersFile{Path: "CODEOWNERS", TooLarge: true}, "GitHub does not load a CODEOWNERS file of 3 MB or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, co := WithCodeOwners([]File{{Path: "a.go"}}, tt.base, nil)
			if files[0].Owners != nil || co.Path != tt.base.Path || co.Head != nil || co.Problems == nil {
				t.Fatalf("%+v %+v", files[0], co)
			}
			if tt.problem == "" && len(co.Problems) != 0 || tt.problem != "" && (len(co.Problems) != 1 || co.Problems[0].Line != 0 || !strings.Contains(co.Problems[0].Message, tt.problem)) {
				t.Errorf("problems %+v", co.Problems)
			}
		})
	}
}

func TestOwningTeamsLeavesOutUsersEmailsAndOtherOrganizations(t *testing.T) {
	_, co := WithCodeOwners(nil, CodeOwnersFile{}, nil)
	if co == nil {
		t.Fatal("nil")
	}
	files, _ := WithCodeOwners([]File{{Path: "a"}, {Path: "b"}}, CodeOwnersFile{Path: "CODEOWNERS", Content: []byte(
		"a @ana ops@acme.example @globex/sre @acme/Platform\nb @acme/platform @acme/dba\nc @acme/unrelated\n")}, nil)
	if got := OwningTeams(files, "acme"); !slices.Equal(got, []string{"dba", "platform"}) {
		t.Errorf("got %q", got)
	}
}

func TestApplyPatchRebuildsTheHeadVersion(t *testing.T) {
	base := "# owners\n* @acme/all\n/api/ @acme/api\n/web/ @acme/web\n"
	diff := func(body string) File {
		files, err := ParseUnifiedDiff([]byte("diff --git a/CODEOWNERS b/CODEOWNERS\n--- a/CODEOWNERS\n+++ b/CODEOWNERS\n" + body))
		if err != nil || len(files) != 1 {
			t.Fatalf("%v %+v", err, files)
		}
		return files[0]
	}
	tests := []struct {
		name, base string
		file       File
		want       string
		ok         bool
	}{
		{"a changed line", base, diff("@@ -2,3 +2,3 @@\n * @acme/all\n-/api/ @acme/api\n+/api/ @acme/api @acme/sre\n /web/ @acme/web\n"),
			"# owners\n* @acme/all\n/api/ @acme/api @acme/sre\n/web/ @acme/web\n", true},
		{"lines added at the end", base, diff("@@ -4 +4,2 @@\n /web/ @acme/web\n+/db/ @acme/dba\n"),
			base + "/db/ @acme/dba\n", true},
		{"a line removed", base, diff("@@ -1,2 +1 @@\n-# owners\n * @acme/all\n"), "* @acme/all\n/api/ @acme/api\n/web/ @acme/web\n", true},
		{"a new file", "", diff("@@ -0,0 +1,2 @@\n+* @a\n+x @b\n"), "* @a\nx @b\n", true},
		{"a patch for a longer file", "* @a\n", diff("@@ -1,3 +1,3 @@\n * @a\n-b @b\n+b @c\n c @c\n"), "", false},
		{"no patch", base, File{Path: "CODEOWNERS", PatchMissing: true}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ApplyPatch([]byte(tt.base), tt.file)
			if ok != tt.ok || string(got) != tt.want {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
