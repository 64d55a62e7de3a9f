package policies_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/mergeguard/mergeguard/policies"
)

// opaTest runs Rego tests as `opa test PATHS...` does: OPA's loader and
// tester, none of mergeguard's sandbox. It returns the passed and failed
// test names.
func opaTest(t *testing.T, paths ...string) (passed, failed []string) {
	t.Helper()
	res, err := loader.NewFileLoader().WithRegoVersion(ast.RegoV1).Filtered(paths, nil)
	if err != nil {
		t.Fatalf("load %v: %v", paths, err)
	}
	ch, err := tester.NewRunner().SetCompiler(ast.NewCompiler().WithEnablePrintStatements(true)).
		SetModules(res.ParsedModules()).RunTests(context.Background(), nil)
	if err != nil {
		t.Fatalf("opa test %v: %v", paths, err)
	}
	for r := range ch {
		name := r.Package + "." + r.Name
		if r.Pass() {
			passed = append(passed, name)
		} else {
			failed = append(failed, name)
			if r.Error != nil {
				t.Logf("%s: %v", name, r.Error)
			}
		}
	}
	return passed, failed
}

// A policy repository's tests run with OPA's own tester once the bundled
// library is exported next to them: `opa test DIR mergeguard/policies`.
func TestExportedPoliciesRunWithOPATest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bundled")
	written, err := policies.Export(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) == 0 {
		t.Fatal("nothing exported")
	}
	for _, p := range written {
		if strings.HasSuffix(p, "_test.rego") {
			t.Errorf("exported a test: %s", p)
		}
	}
	repo := filepath.Join("..", "testdata", "policy-repo", "mergeguard", "policies")
	passed, failed := opaTest(t, dir, repo)
	if want := countRegoTests(t, repo); len(failed) > 0 || len(passed) != want || want == 0 {
		t.Errorf("opa test: passed %v, failed %v; want the example policy's %d tests passing", passed, failed, want)
	}
	// Without the export, the library the rules call is missing: the
	// failure the export fixes.
	if _, err := loader.NewFileLoader().WithRegoVersion(ast.RegoV1).Filtered([]string{repo}, nil); err != nil {
		t.Fatal(err)
	}
	res, _ := loader.NewFileLoader().WithRegoVersion(ast.RegoV1).Filtered([]string{repo}, nil)
	c := ast.NewCompiler()
	c.Compile(res.ParsedModules())
	if !c.Failed() || !strings.Contains(c.Errors.Error(), "undefined function data.mergeguard.lib") {
		t.Errorf("without the export, compiling the example policy should fail on the library: %v", c.Errors)
	}
}

// Every bundled file is as `opa fmt` writes it, so authors who copy from
// them and run opa fmt get no noise.
func TestBundledFilesAreOPAFormatted(t *testing.T) {
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".rego" {
			return err
		}
		src, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return err
		}
		formatted, err := format.SourceWithOpts(p, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if !bytes.Equal(formatted, src) {
			t.Errorf("%s is not opa fmt-clean; run opa fmt -w policies/ (or format.Source) on it", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// countRegoTests counts the test rules (lines starting "test_") in the
// folder's *_test.rego files, so the expectation follows the examples.
func countRegoTests(t *testing.T, dir string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.rego"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(line, "test_") {
				n++
			}
		}
	}
	return n
}
