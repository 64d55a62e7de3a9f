package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEOutputIsCurrent keeps the sample output quoted in the README
// identical to what the command prints.
func TestREADMEOutputIsCurrent(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const prompt = "$ go run ./cmd/mergeguard eval testdata/prs/unreviewed\n"
	_, block, ok := strings.Cut(string(readme), prompt)
	if !ok {
		t.Fatal("README no longer quotes the unreviewed example")
	}
	block, _, _ = strings.Cut(block, "```")
	out, _, code := runMain(t, nil, "eval", filepath.Join("..", "..", "testdata", "prs", "unreviewed"))
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	if strings.TrimSpace(out) != strings.TrimSpace(block) {
		t.Fatalf("README shows:\n%s\nthe command prints:\n%s", block, out)
	}
}
