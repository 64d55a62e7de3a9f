// Package reference locates GitHub's reference material (its OpenAPI
// description and example webhook payloads), kept beside the repository in
// ../shared/github. A fresh clone does not have it, so tests that need it
// skip there; CI always has it, so with CI=true a missing folder fails the
// test instead of silently turning the contract checks off.
package reference

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// SpecFile is GitHub's OpenAPI description inside Dir.
const SpecFile = "openapi-api.github.com.json"

// ModuleRoot walks up from the test's working directory to the directory
// holding go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's working directory")
		}
		dir = parent
	}
}

// Dir returns the reference folder, or skips (fails under CI=true) when it
// or the entry it must contain is missing.
func Dir(t testing.TB, mustContain string) string {
	t.Helper()
	dir := filepath.Join(ModuleRoot(t), "..", "shared", "github")
	if _, err := os.Stat(filepath.Join(dir, mustContain)); err != nil {
		missing := fmt.Sprintf("GitHub reference material not found at %s", dir)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: CI=true, and CI always has it, so the contract tests fail here instead of skipping", missing)
		}
		t.Skipf("%s: contract tests skipped", missing)
	}
	return dir
}

// At reads a nested value from decoded JSON (maps of string keys), or nil
// when a key is missing or a value on the way is not an object.
func At(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
