package localpr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
)

// Git says which pull request to build from a local git repository.
type Git struct {
	// Dir is the repository's working directory ("" for the current one).
	Dir string
	// Range is BASE...HEAD, as `git diff` takes it: the change HEAD makes
	// since it forked from BASE.
	Range string
	// Author is the pull request author's GitHub login; Labels its labels.
	Author string
	Labels []string
	// Repo is "owner/name"; "" reads it from the origin remote.
	Repo string
	// Number is the pull request's number (default 1: it need not exist).
	Number int
}

// maxGitOutput bounds what is read from one git command, as maxFileBytes
// bounds a diff.patch.
const maxGitOutput = maxFileBytes

// LoadGit builds a pull request from a local git repository: the diff and
// commits of g.Range from the git command, the rest from flags. now becomes
// input.time. Reviews, teams and coverage are empty: a branch has none.
func LoadGit(ctx context.Context, g Git, now time.Time) (facts.Sources, []string, error) {
	src := facts.Sources{Now: now, Trigger: facts.Trigger{Event: "eval"}}
	var notices []string
	base, head, ok := strings.Cut(g.Range, "...")
	if !ok || base == "" || head == "" || strings.Contains(head, "..") {
		return src, nil, fmt.Errorf("--from-git %q: give BASE...HEAD (three dots), e.g. main...HEAD or origin/main...my-branch", g.Range)
	}
	if g.Author == "" {
		return src, nil, errors.New("--from-git needs --author LOGIN: the pull request author's GitHub login, which rules about reviews and teams read")
	}
	run := func(args ...string) (string, error) { return git(ctx, g.Dir, args...) }
	headSHA, err := run("rev-parse", "--verify", head+"^{commit}")
	if err != nil {
		return src, nil, err
	}
	baseSHA, err := run("rev-parse", "--verify", base+"^{commit}")
	if err != nil {
		return src, nil, err
	}
	diff, err := run("diff", "--no-color", "--no-ext-diff", "-M", base+"..."+head)
	if err != nil {
		return src, nil, err
	}
	if src.Files, err = facts.ParseUnifiedDiff([]byte(diff + "\n")); err != nil {
		return src, nil, fmt.Errorf("the diff of %s: %w", g.Range, err)
	}
	// One record per commit: sha and message, split by separators that
	// commit messages do not contain.
	logOut, err := run("log", "--reverse", "--format=%H%x1f%B%x1e", base+".."+head)
	if err != nil {
		return src, nil, err
	}
	var title string
	for _, rec := range strings.Split(logOut, "\x1e") {
		fields := strings.SplitN(strings.TrimLeft(rec, "\n"), "\x1f", 2)
		if len(fields) != 2 {
			continue
		}
		msg := strings.TrimSpace(fields[1])
		// Git knows names and e-mail addresses, not GitHub logins: the
		// commits are attributed to the author given.
		src.Commits = append(src.Commits, decision.Commit{SHA: fields[0], Message: msg, Author: g.Author, Committer: g.Author})
		title, _, _ = strings.Cut(msg, "\n")
	}
	repo := g.Repo
	if repo == "" {
		url, err := run("remote", "get-url", "origin")
		if err != nil {
			return src, nil, fmt.Errorf("find the repository's name (give --repo OWNER/NAME): %w", err)
		}
		if repo = repoFromRemote(url); repo == "" {
			return src, nil, fmt.Errorf("the origin remote %q does not name a GitHub repository; give --repo OWNER/NAME", url)
		}
	}
	owner, name, _ := strings.Cut(repo, "/")
	// The default branch decides freezes: origin's HEAD when the clone
	// knows it, else BASE, said so.
	defaultBranch := ""
	if ref, err := run("symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"); err == nil {
		defaultBranch = strings.TrimPrefix(ref, "origin/")
	}
	baseRef := strings.TrimPrefix(base, "origin/")
	if defaultBranch == "" {
		defaultBranch = baseRef
		notices = append(notices, fmt.Sprintf("The clone does not know origin's default branch (git remote set-head origin --auto sets it); %s is taken as the default branch.", baseRef))
	}
	number := g.Number
	if number <= 0 {
		number = 1
	}
	headRef := head
	if ref, err := run("rev-parse", "--abbrev-ref", head); err == nil && ref != "HEAD" {
		headRef = ref
	}
	src.PullRequest = decision.PullRequestDetails{
		Number: number, Title: title, State: "open", Author: decision.Account{Login: g.Author, Type: "User"},
		AuthorAssociation: "MEMBER",
		Base:              decision.Branch{Ref: baseRef, SHA: baseSHA, RepoFullName: repo},
		Head:              decision.Branch{Ref: headRef, SHA: headSHA, RepoFullName: repo},
		BaseRepo:          &decision.RepoDetails{Owner: owner, Name: name, FullName: repo, DefaultBranch: defaultBranch},
		Labels:            g.Labels,
		Commits:           len(src.Commits),
		ChangedFiles:      len(src.Files),
	}
	if src.Files, err = facts.ProjectMigrations(ctx, src.Files, gitHeadReader(g.Dir, headSHA), math.MaxInt); err != nil {
		return src, nil, err
	}
	return src, notices, nil
}

// gitHeadReader reads a file's whole content at the head commit from git,
// for the migration projection.
func gitHeadReader(dir, headSHA string) facts.HeadReader {
	return func(ctx context.Context, path string) ([]byte, string, error) {
		out, err := git(ctx, dir, "show", headSHA+":"+path)
		if err != nil {
			return nil, fmt.Sprintf("git could not show it at the head commit (%v), so its statements were not checked", err), nil
		}
		if len(out) > facts.MaxMigrationBytes {
			return nil, facts.TooLargeToProject(int64(len(out))), nil
		}
		return []byte(out + "\n"), "", nil
	}
}

var remotePattern = regexp.MustCompile(`[:/]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$`)

// repoFromRemote finds owner/name in a remote URL
// (git@github.com:acme/shop.git, https://github.com/acme/shop).
func repoFromRemote(url string) string {
	m := remotePattern.FindStringSubmatch(strings.TrimSpace(url))
	if m == nil {
		return ""
	}
	return m[1] + "/" + m[2]
}

// git runs a git command in dir and returns its output, trimmed of the
// final newline; its error says the command and what git said.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limitWriter{w: &out, n: maxGitOutput}, &limitWriter{w: &errOut, n: 64 << 10}
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("--from-git needs the git command, which is not installed")
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), firstLineOf(strings.TrimSpace(errOut.String()), err))
	}
	if out.Len() > maxGitOutput {
		return "", fmt.Errorf("git %s: more than %d MiB of output", strings.Join(args, " "), maxGitOutput>>20)
	}
	return strings.TrimRight(out.String(), "\n"), nil
}

func firstLineOf(s string, err error) string {
	if s == "" {
		return err.Error()
	}
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// limitWriter keeps at most n+1 bytes, so an oversized output is noticed
// without being held.
type limitWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if room := l.n + 1 - l.w.Len(); room > 0 {
		l.w.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
