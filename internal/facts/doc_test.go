package facts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/localpr"
)

var update = flag.Bool("update", false, "rewrite the generated example in docs/input.md")

var docPath = filepath.Join("..", "..", "docs", "input.md")

const (
	beginExample = "<!-- BEGIN GENERATED EXAMPLE -->\n"
	endExample   = "<!-- END GENERATED EXAMPLE -->"
)

// exampleInput is the documented example: the approved example pull request,
// plus the shapes it lacks (a review on an older commit, a binary file, a
// file without a patch too large to diff, a patch that cannot be read, a
// partly covered line, teams found and not, CODEOWNERS).
func exampleInput(t *testing.T) facts.Input {
	t.Helper()
	at := time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)
	src, err := localpr.Load(context.Background(), filepath.Join("..", "..", "testdata", "prs", "approved"), at)
	if err != nil {
		t.Fatal(err)
	}
	first := src.Commits[0].SHA
	src.Reviews = append(src.Reviews, decision.Review{
		Author: decision.Account{Login: "priya", Type: "User"}, State: "CHANGES_REQUESTED",
		CommitSHA: first, AuthorAssociation: "MEMBER",
		SubmittedAt: at.Add(-90 * time.Minute),
	})
	src.ReviewChanges = map[string]facts.Changes{first: {Known: true, Files: []string{"checkout/discount.go", "checkout/discount_test.go"}}}
	src.Files = append(src.Files, facts.FilesFromGitHub([]decision.ChangedFile{
		{Path: "assets/banner.png", Status: "added"},
		{Path: "testdata/golden/catalog.json", Status: "modified", Additions: 48210, Deletions: 47988, Changes: 96198},
		{Path: "checkout/legacy.go", Status: "modified", Changes: 2, Patch: "@@ -4,9 +4,9 @@\n-a\n+b\n"},
	})...)
	// The golden file was too large to diff; a line of the discount ran
	// with one of its two branches taken.
	for i, f := range src.Files {
		if f.Path == "testdata/golden/catalog.json" {
			src.Files[i] = facts.Unreadable(f, facts.TooLarge("head", 6_815_744))
		}
	}
	if cf, ok := src.Coverage.Files["checkout/discount.go"]; ok && len(cf.Covered) > 0 {
		l := cf.Covered[len(cf.Covered)-1]
		cf.Partial = []int{l}
		cf.Branches = []facts.LineBranches{{Line: l, Total: 2, Taken: 1}}
		src.Coverage.Files["checkout/discount.go"] = cf
	}
	src.Teams = map[string]facts.Team{
		"payments-core": {Found: true, Members: []string{"jonas", "priya", "wen"}},
		"paymnets":      {Members: []string{}, Error: "team acme/paymnets does not exist, or the App cannot see it: check the team name in the configuration and that the App has the Members: read permission"},
	}
	src.Freezes = []facts.Freeze{facts.NewFreeze(7, "checkout errors, INC-42", []string{"storefront"}, "ines", at.Add(-time.Hour), at.Add(2*time.Hour))}
	// CODEOWNERS on the base branch, with a line GitHub skips; the pull
	// request does not change it.
	src.Files, src.CodeOwners = facts.WithCodeOwners(src.Files, facts.CodeOwnersFile{
		Path: ".github/CODEOWNERS", Content: []byte("* @acme/storefront\n/checkout/ @acme/payments-core @wen\n/assets/\n/testdata/[a-z]*/ @acme/qa\n/ops/ @acme/sre\n"),
		Reported: []facts.CodeOwnersProblem{{Line: 5, Message: "Unknown owner: make sure @acme/sre exists and has write access to the repository"}},
	}, nil)
	src.Trigger = facts.Trigger{Event: "pull_request_review", Action: "submitted"}
	return facts.Build(src)
}

func TestInputDocExampleIsCurrent(t *testing.T) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(exampleInput(t)); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(doc), beginExample)
	_, after, ok2 := strings.Cut(rest, endExample)
	if !ok1 || !ok2 {
		t.Fatalf("%s lost its generated-example markers", docPath)
	}
	want := before + beginExample + "```json\n" + buf.String() + "```\n" + endExample + after
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != string(doc) {
		t.Fatalf("the example in %s is out of date: run go test ./internal/facts/ -run TestInputDoc -update", docPath)
	}
}

// TestInputDocDescribesEveryField walks the Input type and requires a table
// row for every JSON field, so a new fact cannot ship undocumented.
func TestInputDocDescribesEveryField(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	// The migration projection's fields are documented in
	// docs/migrations.md, in tables of their own object's fields.
	migrations, err := os.ReadFile(migrationsDocPath)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, p := range fieldPaths(reflect.TypeOf(facts.Input{}), "input") {
		if rest, ok := strings.CutPrefix(p, migrationPrefix); ok {
			leaf := strings.TrimSuffix(rest[strings.LastIndex(rest, ".")+1:], "[_]")
			if !strings.Contains(string(migrations), "| `"+leaf+"` |") {
				missing = append(missing, p+" (in "+migrationsDocPath+")")
			}
			continue
		}
		if !strings.Contains(string(doc), "| `"+p+"` |") {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%s does not document:\n  %s", docPath, strings.Join(missing, "\n  "))
	}
}

const (
	migrationsDocPath = "../../docs/migrations.md"
	migrationPrefix   = "input.files[_].migration."
)

func fieldPaths(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		return fieldPaths(t.Elem(), prefix+"[_]")
	case reflect.Map:
		return fieldPaths(t.Elem(), prefix+"[slug]")
	case reflect.Struct:
		var out []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			p := prefix + "." + name
			out = append(out, p)
			out = append(out, fieldPaths(f.Type, p)...)
		}
		return out
	}
	return nil
}
