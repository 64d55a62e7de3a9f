package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var codeOwnersExample = filepath.Join("..", "..", "testdata", "prs", "codeowners")

// TestCodeOwnersExampleOutputIsCurrent keeps the output quoted in the
// example's README identical to what the command prints.
func TestCodeOwnersExampleOutputIsCurrent(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(codeOwnersExample, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const prompt = "$ go run ./cmd/mergeguard eval --repo-config testdata/prs/codeowners/mergeguard.yaml testdata/prs/codeowners\n"
	_, block, ok := strings.Cut(string(readme), prompt)
	if !ok {
		t.Fatal("the example's README no longer quotes the command")
	}
	block, _, _ = strings.Cut(block, "```")
	out, errOut, code := runMain(t, nil, "eval", "--repo-config", filepath.Join(codeOwnersExample, "mergeguard.yaml"), codeOwnersExample)
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if strings.TrimSpace(out) != strings.TrimSpace(block) {
		t.Fatalf("the README shows:\n%s\nthe command prints:\n%s", block, out)
	}
	// Without the repository's configuration the rule is off.
	out, _, code = runMain(t, nil, "eval", codeOwnersExample)
	if code != 0 || !strings.Contains(out, "SKIP   code_owners") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// copyExample copies the example to a temporary directory, replacing or
// adding the files in change.
func copyExample(t *testing.T, change map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(codeOwnersExample)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(codeOwnersExample, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range change {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCodeOwnersOffline(t *testing.T) {
	reviews, err := os.ReadFile(filepath.Join(codeOwnersExample, "reviews.json"))
	if err != nil {
		t.Fatal(err)
	}
	// tom, of the web team, approves too.
	var list []map[string]any
	if err := json.Unmarshal(reviews, &list); err != nil || len(list) != 1 {
		t.Fatalf("reviews.json: %v", err)
	}
	tom := maps.Clone(list[0])
	user := maps.Clone(tom["user"].(map[string]any))
	user["login"] = "tom"
	tom["user"], tom["id"] = user, 2417731
	approvedByWeb, err := json.Marshal(append(list, tom))
	if err != nil {
		t.Fatal(err)
	}
	owners, err := os.ReadFile(filepath.Join(codeOwnersExample, "CODEOWNERS"))
	if err != nil {
		t.Fatal(err)
	}
	changeOwners := "diff --git a/CODEOWNERS b/CODEOWNERS\n--- a/CODEOWNERS\n+++ b/CODEOWNERS\n" +
		"@@ -5,3 +5,3 @@\n /web/               @acme/web @lena\n-/deploy/            @acme/platform\n+/deploy/            acme/platform\n /legacy/[a-z]*/     @acme/legacy\n"
	tests := []struct {
		name   string
		change map[string]string
		code   int
		says   []string
	}{
		{"the web team approves", map[string]string{"reviews.json": string(approvedByWeb)}, 0,
			[]string{"WARN   code_owners", "CODEOWNERS:7: pattern"}},
		{"CODEOWNERS in .github/ wins over the root's", map[string]string{".github/CODEOWNERS": "* @acme/storefront\n"}, 1,
			[]string{"Needs an approval from @acme/storefront for 4 files (`*`): ask @ada."}},
		{"the pull request breaks a line of CODEOWNERS", map[string]string{"diff.patch": changeOwners}, 1,
			[]string{`This pull request leaves a problem in CODEOWNERS: CODEOWNERS:6: owner "acme/platform" is not @user, @org/team or an email address; GitHub skips this line. (CODEOWNERS:6)`,
				"Needs an approval from @acme/storefront for 1 file (`*`): ask @ada."}},
		{"a diff that does not apply to the file given", map[string]string{"diff.patch": changeOwners, "CODEOWNERS": string(owners[:40])}, 2,
			[]string{"the changes to CODEOWNERS do not apply"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyExample(t, tt.change)
			out, errOut, code := runMain(t, nil, "eval", "--repo-config", filepath.Join(dir, "mergeguard.yaml"), dir)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			for _, s := range tt.says {
				if !strings.Contains(out+errOut, s) {
					t.Errorf("the output lacks %q:\n%s%s", s, out, errOut)
				}
			}
		})
	}
}
