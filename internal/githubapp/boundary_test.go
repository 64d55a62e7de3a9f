package githubapp_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goGitHub is the import path prefix of the GitHub client library.
const goGitHub = "github.com/google/go-github/"

// mayImportGoGitHub are the directories (relative to the module root) whose
// production code may use the client library: this adapter, the webhook
// payload decoder, and the test support that stands in for GitHub.
// Everything else sees GitHub through the adapter's own types, so that the
// policy input and the engine are not shaped by a client library.
var mayImportGoGitHub = []string{"internal/githubapp", "internal/webhook", "internal/testsupport"}

// TestOnlyTheAdaptersImportGoGitHub reads the import clauses of every
// production Go file in the module and fails on a go-github import outside
// the allowed directories. Tests may construct go-github values (an error
// response a fake returns), so _test.go files are not checked.
func TestOnlyTheAdaptersImportGoGitHub(t *testing.T) {
	root := filepath.Join("..", "..")
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if name := d.Name(); rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if strings.HasPrefix(p, goGitHub) && !allowed(rel) {
				t.Errorf("%s imports %s: only %s may use the GitHub client library; use the adapter's types (package decision) instead", rel, p, strings.Join(mayImportGoGitHub, ", "))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The walk must have seen the module, or the test proves nothing.
	if files < 50 {
		t.Fatalf("read %d Go files under %s, expected the whole module", files, root)
	}
}

func allowed(rel string) bool {
	for _, dir := range mayImportGoGitHub {
		if strings.HasPrefix(rel, dir+"/") {
			return true
		}
	}
	return false
}
