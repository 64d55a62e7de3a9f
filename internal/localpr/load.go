// Package localpr reads a pull request described by files, for offline
// evaluation with `mergeguard eval DIR`:
//
//	pull_request.json  the pull request, in the JSON shape of GitHub's REST API (required)
//	diff.patch         its unified diff, as `git diff base...head` prints it (required)
//	reviews.json       its reviews, as GitHub lists them (optional)
//	commits.json       its commits, as GitHub lists them (optional)
//	teams.json         members of the teams the configuration names, as
//	                   {"slug": ["login", ...]} (optional)
//	freezes.json       incident freezes, as [{"id", "reason", "repositories",
//	                   "created_by", "starts_at", "ends_at"}] (optional)
//	coverage.*         coverage reports of the head commit, in any format
//	                   coverage.Parse reads (optional; several merge)
//	deployments.json   the repository's deployments, GitHub's deployment
//	                   objects each with its statuses under "statuses", for
//	                   bake_time (optional; LoadDeployments)
//	CODEOWNERS         the base branch's CODEOWNERS, at any of GitHub's three
//	                   locations relative to the directory (optional; read
//	                   when the code_owners rule is enforced, see CodeOwners)
//	files/<path>       a changed SQL file's whole content at the head, for
//	                   the migration projection (optional; a new file's
//	                   content is its patch, so it needs none)
package localpr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/codeowners"
	"github.com/mergeguard/mergeguard/internal/coverage"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
)

// File names inside a pull request directory.
const (
	PullRequestFile = "pull_request.json"
	DiffFile        = "diff.patch"
	ReviewsFile     = "reviews.json"
	CommitsFile     = "commits.json"
	TeamsFile       = "teams.json"
	FreezesFile     = "freezes.json"
	// HeadFilesDir holds files' whole content at the head, by path.
	HeadFilesDir = "files"
)

// maxFileBytes bounds each input file; a real diff this large would exceed
// what GitHub serves for a pull request anyway.
const maxFileBytes = 64 << 20

// Load reads the pull request in dir. now becomes input.time. Its SQL
// files are projected with PostgreSQL's parser (facts.ProjectMigrations),
// which waits for the parser with ctx.
func Load(ctx context.Context, dir string, now time.Time) (facts.Sources, error) {
	src := facts.Sources{Now: now, Trigger: facts.Trigger{Event: "eval"}}
	if err := checkDir(dir); err != nil {
		return src, err
	}

	pr, err := decodeFile(dir, PullRequestFile, true, githubapp.DecodePullRequest)
	if err != nil {
		return src, err
	}
	if err := checkPullRequest(pr); err != nil {
		return src, fmt.Errorf("%s: %w", filepath.Join(dir, PullRequestFile), err)
	}
	src.PullRequest = pr

	diff, err := readFile(dir, DiffFile, true)
	if err != nil {
		return src, err
	}
	if src.Files, err = facts.ParseUnifiedDiff(diff); err != nil {
		return src, fmt.Errorf("%s: %w", filepath.Join(dir, DiffFile), err)
	}

	if src.Reviews, err = decodeFile(dir, ReviewsFile, false, githubapp.DecodeReviews); err != nil {
		return src, err
	}
	if src.Commits, err = decodeFile(dir, CommitsFile, false, githubapp.DecodeCommits); err != nil {
		return src, err
	}
	var teams map[string][]string
	if err := readJSON(dir, TeamsFile, false, &teams); err != nil {
		return src, err
	}
	if teams != nil {
		src.Teams = map[string]facts.Team{}
		for slug, members := range teams {
			if members == nil {
				members = []string{}
			}
			src.Teams[slug] = facts.Team{Found: true, Members: members}
		}
	}
	if src.Freezes, err = readFreezes(dir); err != nil {
		return src, err
	}
	if src.Coverage, err = readCoverage(dir, pr, src.Files, now); err != nil {
		return src, err
	}
	if src.Files, err = facts.ProjectMigrations(ctx, src.Files, HeadReader(dir), math.MaxInt); err != nil {
		return src, err
	}
	return src, nil
}

// HeadReader reads a file's content at the head from files/<path> in dir:
// a local diff holds a changed file's changed lines only, and the
// migration rules need the whole file.
func HeadReader(dir string) facts.HeadReader {
	return func(_ context.Context, path string) ([]byte, string, error) {
		rel := filepath.FromSlash(path)
		if !filepath.IsLocal(rel) {
			return nil, fmt.Sprintf("its path %q cannot be looked up under %s/, so its statements were not checked", path, HeadFilesDir), nil
		}
		p := filepath.Join(dir, HeadFilesDir, rel)
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Sprintf("only its changed lines are in the diff and its whole content is not given as %s/%s, so its statements were not checked", HeadFilesDir, path), nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("read %s: %w", p, err)
		}
		defer f.Close()
		content, err := io.ReadAll(io.LimitReader(f, facts.MaxMigrationBytes+1))
		if err != nil {
			return nil, "", fmt.Errorf("read %s: %w", p, err)
		}
		if len(content) > facts.MaxMigrationBytes {
			return nil, facts.TooLargeToProject(-1), nil
		}
		return content, "", nil
	}
}

// readCoverage reads coverage.* in dir as the head commit's reports, so
// diff coverage can be tried offline. Without any, the repository is taken
// as one that does not upload coverage.
func readCoverage(dir string, pr decision.PullRequestDetails, files []facts.File, now time.Time) (facts.Coverage, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "coverage.*"))
	if err != nil || len(paths) == 0 {
		return facts.Coverage{}, err
	}
	merged := coverage.Report{Files: map[string]map[int]int{}}
	var flags []string
	for _, p := range paths {
		data, err := readFile(dir, filepath.Base(p), true)
		if err != nil {
			return facts.Coverage{}, err
		}
		r, _, err := coverage.Parse(data)
		if err != nil {
			return facts.Coverage{}, fmt.Errorf("%s: %w", p, err)
		}
		merged.Merge(r.Normalize(baseRepo(pr)))
		flags = append(flags, strings.TrimPrefix(filepath.Ext(p), "."))
	}
	return facts.Coverage{
		Status: "ready", SHA: pr.Head.SHA, Flags: flags,
		WaitingSince: now.UTC().Format(time.RFC3339), WaitingSinceNS: now.UnixNano(),
		Files: facts.CoverageFromReport(files, merged),
	}, nil
}

// freezeFile is an incident freeze as freezes.json gives it.
type freezeFile struct {
	ID           int64    `json:"id"`
	Reason       string   `json:"reason"`
	Repositories []string `json:"repositories"`
	CreatedBy    string   `json:"created_by"`
	StartsAt     string   `json:"starts_at"`
	EndsAt       string   `json:"ends_at"`
}

func readFreezes(dir string) ([]facts.Freeze, error) {
	var in []freezeFile
	if err := readJSON(dir, FreezesFile, false, &in); err != nil {
		return nil, err
	}
	var out []facts.Freeze
	for i, f := range in {
		where := fmt.Sprintf("%s: freeze %d", filepath.Join(dir, FreezesFile), i+1)
		starts, err := time.Parse(time.RFC3339, f.StartsAt)
		if err != nil {
			return nil, fmt.Errorf("%s: starts_at %q: give an RFC 3339 time such as 2026-11-27T16:00:00+01:00", where, f.StartsAt)
		}
		var ends time.Time
		if f.EndsAt != "" {
			if ends, err = time.Parse(time.RFC3339, f.EndsAt); err != nil {
				return nil, fmt.Errorf("%s: ends_at %q: give an RFC 3339 time, or leave it out for a freeze until someone ends it", where, f.EndsAt)
			}
			if !ends.After(starts) {
				return nil, fmt.Errorf("%s: ends_at must be after starts_at", where)
			}
		}
		if strings.TrimSpace(f.Reason) == "" {
			return nil, fmt.Errorf("%s: needs a reason", where)
		}
		out = append(out, facts.NewFreeze(f.ID, f.Reason, f.Repositories, f.CreatedBy, starts, ends))
	}
	return out, nil
}

// CodeOwners reads the base branch's CODEOWNERS from dir, where it lies at
// one of GitHub's locations (CODEOWNERS, .github/CODEOWNERS or
// docs/CODEOWNERS) and is found as GitHub finds it, and gives src's files
// their owners. When diff.patch changes a CODEOWNERS location, the file the
// pull request would leave is rebuilt from the base's and the diff, so its
// problems show as the server would show them.
func CodeOwners(dir string, src *facts.Sources) error {
	atBase := func(path string) ([]byte, bool, error) {
		content, err := readFile(dir, filepath.FromSlash(path), false)
		return content, content != nil, err
	}
	path, content, found, err := codeowners.Find(atBase)
	if err != nil {
		return err
	}
	var base facts.CodeOwnersFile
	if found {
		base = facts.CodeOwnersFile{Path: path, Content: content}
	}
	var head *facts.CodeOwnersFile
	if facts.ChangesCodeOwners(src.Files) {
		f, err := facts.HeadCodeOwners(base, src.Files, func(path string) (facts.CodeOwnersFile, bool, error) {
			return headVersion(dir, path, src.Files, atBase)
		})
		if err != nil {
			return err
		}
		head = &f
	}
	src.Files, src.CodeOwners = facts.WithCodeOwners(src.Files, base, head)
	return nil
}

// headVersion is a CODEOWNERS location at the head: the file in dir (the
// base's) with the diff's changes to it applied.
func headVersion(dir, path string, files []facts.File, atBase func(string) ([]byte, bool, error)) (facts.CodeOwnersFile, bool, error) {
	content, found, err := atBase(path)
	if err != nil {
		return facts.CodeOwnersFile{}, false, err
	}
	for _, f := range files {
		if f.Path != path {
			continue
		}
		if f.Status == "removed" {
			return facts.CodeOwnersFile{}, false, nil
		}
		rebuilt, ok := facts.ApplyPatch(content, f)
		if !ok {
			return facts.CodeOwnersFile{}, false, fmt.Errorf("%s: the changes to %s do not apply to %s; place the base branch's version there",
				filepath.Join(dir, DiffFile), path, filepath.Join(dir, filepath.FromSlash(path)))
		}
		return facts.CodeOwnersFile{Content: rebuilt}, true, nil
	}
	return facts.CodeOwnersFile{Content: content}, found, nil
}

// SelectTeams keeps the teams in src that the configuration names and marks
// the named ones teams.json lacks as unknown, as the server would see a team
// it cannot find.
func SelectTeams(dir string, src *facts.Sources, named []string) {
	selected := make(map[string]facts.Team, len(named))
	for _, slug := range named {
		if team, ok := src.Teams[slug]; ok {
			selected[slug] = team
			continue
		}
		why := fmt.Sprintf("team %s is not in %s: list its members there to evaluate offline", slug, filepath.Join(dir, TeamsFile))
		if dir == "" {
			why = fmt.Sprintf("team %s: a pull request built from git has no team members; evaluate a directory with %s to try team rules", slug, TeamsFile)
		}
		selected[slug] = facts.Team{Members: []string{}, Error: why}
	}
	src.Teams = selected
}

// baseRepo is the base repository's "owner/name" as the file gives it.
func baseRepo(pr decision.PullRequestDetails) string {
	if pr.BaseRepo == nil {
		return ""
	}
	return pr.BaseRepo.FullName
}

// checkDir says what DIR should be when it is not a directory, rather than
// the system's error about a file inside it.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist: give a directory holding %s and %s", dir, PullRequestFile, DiffFile)
	case err != nil:
		return fmt.Errorf("read %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("%s is a file, not a directory: give the directory holding %s and %s", dir, PullRequestFile, DiffFile)
	}
	return nil
}

func checkPullRequest(pr decision.PullRequestDetails) error {
	var missing []string
	if pr.Number <= 0 {
		missing = append(missing, "number")
	}
	if pr.Author.Login == "" {
		missing = append(missing, "user.login")
	}
	if pr.Head.SHA == "" {
		missing = append(missing, "head.sha")
	}
	if pr.Base.Ref == "" {
		missing = append(missing, "base.ref")
	}
	if baseRepo(pr) == "" {
		missing = append(missing, "base.repo.full_name")
	}
	// Without the default branch, rules that treat it specially (the
	// freeze of merges into it) would silently not apply.
	if pr.BaseRepo == nil || pr.BaseRepo.DefaultBranch == "" {
		missing = append(missing, "base.repo.default_branch")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s: the file must hold a pull request object as GitHub's API returns it (GET /repos/{owner}/{repo}/pulls/{number})", strings.Join(missing, ", "))
	}
	return nil
}

func readFile(dir, name string, required bool) ([]byte, error) {
	p := filepath.Join(dir, name)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		if required {
			return nil, fmt.Errorf("%s is missing: %s", p, hint(name))
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if n > maxFileBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB", p, maxFileBytes>>20)
	}
	return buf.Bytes(), nil
}

// decodeFile reads a file in GitHub's JSON shape with decode (a githubapp
// decoder); an optional file that is not there gives the zero value.
func decodeFile[T any](dir, name string, required bool, decode func([]byte) (T, error)) (v T, err error) {
	data, err := readFile(dir, name, required)
	if err != nil || data == nil {
		return v, err
	}
	if v, err = decode(data); err != nil {
		return v, fmt.Errorf("%s is not valid: %w", filepath.Join(dir, name), describeJSONError(data, err))
	}
	return v, nil
}

func readJSON(dir, name string, required bool, v any) error {
	data, err := readFile(dir, name, required)
	if err != nil || data == nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s is not valid: %w", filepath.Join(dir, name), describeJSONError(data, err))
	}
	return nil
}

// describeJSONError adds the line number to a JSON syntax error.
func describeJSONError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("line %d: %w", line, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q should be %s, not a JSON %s", te.Field, te.Type, te.Value)
	}
	return err
}

func hint(name string) string {
	switch name {
	case PullRequestFile:
		return "save the pull request there, e.g. `gh api repos/OWNER/REPO/pulls/N > pull_request.json`"
	case DiffFile:
		return "save the unified diff there, e.g. `git diff main...HEAD > diff.patch` or `gh pr diff N > diff.patch`"
	}
	return "create it"
}
