package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEOutputIsCurrent keeps the sample outputs quoted in the README
// identical to what the command prints.
func TestREADMEOutputIsCurrent(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, example := range []string{"unreviewed", "migration"} {
		prompt := "$ go run ./cmd/mergeguard eval testdata/prs/" + example + "\n"
		_, block, ok := strings.Cut(string(readme), prompt)
		if !ok {
			t.Fatalf("README no longer quotes the %s example", example)
		}
		block, _, _ = strings.Cut(block, "```")
		out, _, code := runMain(t, nil, "eval", filepath.Join("..", "..", "testdata", "prs", example))
		if code != 1 {
			t.Fatalf("%s: exit %d", example, code)
		}
		if strings.TrimSpace(out) != strings.TrimSpace(block) {
			t.Fatalf("README shows:\n%s\nthe command prints:\n%s", block, out)
		}
	}
}
