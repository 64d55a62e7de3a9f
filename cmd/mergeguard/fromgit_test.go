package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// eval --from-git builds the pull request from a local repository: the
// diff and commits from git, the author and labels from flags.
func TestEvalFromGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	gitIn := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitIn("init", "-q", "-b", "main")
	writeFiles(t, dir, map[string]string{"shop/charge.go": "package shop\n"})
	gitIn("add", ".")
	gitIn("commit", "-q", "-m", "Start")
	gitIn("remote", "add", "origin", "https://github.com/acme/shop.git")
	gitIn("checkout", "-q", "-b", "refunds")
	writeFiles(t, dir, map[string]string{"shop/charge.go": "package shop\n\nfunc Refund() {}\n"})
	gitIn("commit", "-q", "-am", "Refunds\n\nTake five days.")
	head := gitIn("rev-parse", "HEAD")
	t.Chdir(dir)

	out, errOut, code := runMain(t, nil, "eval", "--at", weekday, "--from-git", "main...HEAD", "--author", "ada", "--label", "no-tests-needed")
	if code != 1 || !strings.Contains(out, "Needs 1 more approval from someone other than the author (@ada)") ||
		strings.Contains(out, "WARN   tests_with_code") || !strings.Contains(errOut, "main is taken as the default branch") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runMain(t, nil, "eval", "--input-only", "--at", weekday, "--from-git", "main...refunds", "--author", "ada")
	var in struct {
		PullRequest struct {
			Title  string `json:"title"`
			Author struct {
				Login string `json:"login"`
			} `json:"author"`
			Head struct {
				SHA  string `json:"sha"`
				Ref  string `json:"ref"`
				Repo string `json:"repo"`
			} `json:"head"`
			Commits []struct {
				Message string `json:"message"`
			} `json:"commits"`
		} `json:"pull_request"`
		Repository struct {
			DefaultBranch string `json:"default_branch"`
		} `json:"repository"`
		Files []struct {
			Path string `json:"path"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &in); err != nil || code != 0 {
		t.Fatalf("exit %d %v\n%s", code, err, out)
	}
	pr := in.PullRequest
	if pr.Title != "Refunds" || pr.Author.Login != "ada" || pr.Head.SHA != head || pr.Head.Ref != "refunds" || pr.Head.Repo != "acme/shop" ||
		len(pr.Commits) != 1 || pr.Commits[0].Message != "Refunds\n\nTake five days." || len(in.Files) != 1 || in.Files[0].Path != "shop/charge.go" {
		t.Errorf("input %+v", in)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--from-git", "main..HEAD", "--author", "ada"}, "give BASE...HEAD (three dots)"},
		{[]string{"--from-git", "main...HEAD"}, "--from-git needs --author LOGIN"},
		{[]string{"--from-git", "nope...HEAD", "--author", "ada"}, "git rev-parse --verify nope^{commit}"},
		{[]string{"--author", "ada", approved}, "--author and --label go with --from-git"},
	} {
		_, errOut, code := runMain(t, nil, append([]string{"eval"}, tt.args...)...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d %s", tt.args, code, errOut)
		}
	}
}

// eval --from-git reads a changed migration whole at the head, from git:
// the BEGIN above the changed line is seen.
func TestEvalFromGitReadsMigrationsWhole(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	gitIn := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitIn("init", "-q", "-b", "main")
	const path = "db/migrations/0042_orders.sql"
	writeFiles(t, dir, map[string]string{path: "SET lock_timeout = '1s';\nBEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;\n"})
	gitIn("add", ".")
	gitIn("commit", "-q", "-m", "Start")
	gitIn("checkout", "-q", "-b", "index")
	writeFiles(t, dir, map[string]string{path: "SET lock_timeout = '1s';\nBEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX CONCURRENTLY i ON orders (note);\nCOMMIT;\n"})
	gitIn("commit", "-q", "-am", "Index the note")
	t.Chdir(dir)
	out, errOut, code := runMain(t, nil, "eval", "--at", weekday, "--from-git", "main...HEAD", "--author", "ada", "--repo", "acme/shop")
	if code != 1 || !strings.Contains(out, "(concurrently_in_transaction)") || !strings.Contains(out, path+":4") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}
