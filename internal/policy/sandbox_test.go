package policy

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestAllowedBuiltinsAreReviewed pins the builtins policies may call. When an
// OPA upgrade adds one, this fails until someone has checked that it cannot
// reach the network, the file system, the environment, the clock or chance
// (add it to forbiddenBuiltins if it can), and updated the list.
func TestAllowedBuiltinsAreReviewed(t *testing.T) {
	data, err := os.ReadFile("testdata/allowed_builtins.txt")
	if err != nil {
		t.Fatal(err)
	}
	reviewed := strings.Fields(string(data))
	var allowed []string
	for _, b := range Capabilities().Builtins {
		allowed = append(allowed, b.Name)
	}
	slices.Sort(allowed)
	var added, removed []string
	for _, n := range allowed {
		if !slices.Contains(reviewed, n) {
			added = append(added, n)
		}
	}
	for _, n := range reviewed {
		if !slices.Contains(allowed, n) {
			removed = append(removed, n)
		}
	}
	if len(added) > 0 || len(removed) > 0 {
		t.Fatalf("the sandbox's builtins changed.\nnew, not reviewed: %v\ngone: %v\nReview each new builtin for network, file, environment, clock or randomness access before listing it in testdata/allowed_builtins.txt.", added, removed)
	}
	for name := range forbiddenBuiltins {
		if slices.Contains(allowed, name) {
			t.Errorf("forbidden builtin %s is allowed", name)
		}
	}
}

func TestSchemaBuiltinsCannotReadFiles(t *testing.T) {
	_, err := compile(t, header+`deny contains "x" if { [ok, _] := json.match_schema({}, {"$ref": "file:///etc/passwd"}); ok }`, Options{})
	if err == nil || !strings.Contains(err.Error(), "file://") {
		t.Fatalf("want a compile error explaining the file access, got %v", err)
	}
}
