package facts

import (
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/deployhistory"
	"github.com/mergeguard/mergeguard/internal/promotion"
)

// Sources is everything fetched about a pull request, in mergeguard's own
// types (package decision), so that it can be built from the API, from
// files, or from plain values in a test. Building the input from it does no
// I/O, so the live worker and `mergeguard eval` share one code path.
type Sources struct {
	PullRequest decision.PullRequestDetails
	// Files are the changed files; use FilesFromGitHub or ParseUnifiedDiff.
	Files          []File
	FilesTruncated bool
	Reviews        []decision.Review
	// ReviewChanges says, per reviewed commit SHA, what changed up to the
	// head. A review on a commit missing here has unknown changes.
	ReviewChanges map[string]Changes
	Commits       []decision.Commit
	Teams         map[string]Team
	Freezes       []Freeze
	Coverage      Coverage
	Promotion     *promotion.Result
	Deployments   *deployhistory.Input
	MergeGroup    *MergeGroup
	// CodeOwners is nil when CODEOWNERS was not read; the files' owners
	// are then unknown (see WithCodeOwners).
	CodeOwners *CodeOwners
	Trigger    Trigger
	Now        time.Time
}

// Build assembles the input document.
func Build(src Sources) Input {
	pr := src.PullRequest
	headSHA := pr.Head.SHA
	in := Input{
		Version:        Version,
		PullRequest:    pullRequest(pr, src.Commits),
		Repository:     repository(pr.BaseRepo),
		Files:          src.Files,
		FilesTruncated: src.FilesTruncated,
		Reviews:        withChanges(LatestDecisiveReviews(src.Reviews, headSHA), src.ReviewChanges),
		Teams:          src.Teams,
		Freezes:        src.Freezes,
		Coverage:       src.Coverage,
		Promotion:      src.Promotion,
		Deployments:    src.Deployments,
		Time:           Time{RFC3339: src.Now.UTC().Format(time.RFC3339Nano), NS: src.Now.UnixNano()},
		Trigger:        src.Trigger,
	}
	in.PullRequest.MergeGroup = src.MergeGroup
	in.PullRequest.CodeOwners = src.CodeOwners
	if in.Files == nil {
		in.Files = []File{}
	}
	if in.Teams == nil {
		in.Teams = map[string]Team{}
	}
	if in.Freezes == nil {
		in.Freezes = []Freeze{}
	}
	if in.Coverage.Status == "" {
		in.Coverage.Status = "not_uploaded"
	}
	if in.Coverage.Flags == nil {
		in.Coverage.Flags = []string{}
	}
	if in.Coverage.Files == nil {
		in.Coverage.Files = map[string]CoverageFile{}
	}
	return in
}

func withChanges(reviews []Review, changes map[string]Changes) []Review {
	for i := range reviews {
		r := &reviews[i]
		r.FilesChangedSince = []string{}
		switch c, ok := changes[r.CommitSHA]; {
		case r.OnHead:
			r.ChangesSinceKnown = true
		case ok && c.Known:
			r.ChangesSinceKnown = true
			r.FilesChangedSince = append(r.FilesChangedSince, c.Files...)
		}
	}
	return reviews
}

// ReviewedCommits lists the distinct commits that reviews were given on,
// other than the head: those whose later changes must be looked up.
func ReviewedCommits(reviews []Review) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range reviews {
		if !r.OnHead && r.CommitSHA != "" && !seen[r.CommitSHA] {
			seen[r.CommitSHA] = true
			out = append(out, r.CommitSHA)
		}
	}
	return out
}

func pullRequest(pr decision.PullRequestDetails, commits []decision.Commit) PullRequest {
	baseRepo := ""
	if pr.BaseRepo != nil {
		baseRepo = pr.BaseRepo.FullName
	}
	out := PullRequest{
		Number:    pr.Number,
		Title:     pr.Title,
		Body:      pr.Body,
		Draft:     pr.Draft,
		State:     pr.State,
		Author:    Actor{Login: pr.Author.Login, Type: pr.Author.Type, Association: pr.AuthorAssociation},
		Base:      branch(pr.Base, ""),
		Head:      branch(pr.Head, baseRepo),
		Labels:    append([]string{}, pr.Labels...),
		CreatedAt: timestamp(pr.CreatedAt),
		UpdatedAt: timestamp(pr.UpdatedAt),
		Commits:   []Commit{},
	}
	for _, c := range commits {
		out.Commits = append(out.Commits, Commit{SHA: c.SHA, Message: c.Message, Author: c.Author, Committer: c.Committer})
	}
	out.CommitCount = pr.Commits
	if out.CommitCount == 0 {
		out.CommitCount = len(out.Commits)
	}
	return out
}

// branch describes one side; baseRepo is set for the head side so that Fork
// can be computed (a head whose repository was deleted counts as a fork: it
// is certainly not the base repository).
func branch(b decision.Branch, baseRepo string) Branch {
	out := Branch{Ref: b.Ref, SHA: b.SHA, Repo: b.RepoFullName}
	if baseRepo != "" {
		out.Fork = !strings.EqualFold(out.Repo, baseRepo)
	}
	return out
}

func repository(r *decision.RepoDetails) Repository {
	if r == nil {
		// A pull request object without base.repo (never sent by GitHub, but
		// possible in a hand-written file) has no repository facts.
		return Repository{Topics: []string{}, Visibility: "unknown"}
	}
	out := Repository{
		Owner:         r.Owner,
		Name:          r.Name,
		FullName:      r.FullName,
		DefaultBranch: r.DefaultBranch,
		Visibility:    r.Visibility,
		Topics:        append([]string{}, r.Topics...),
	}
	if out.Visibility == "" {
		out.Visibility = "public"
		if r.Private {
			out.Visibility = "private"
		}
	}
	return out
}

// timestamp is "" for a time not given.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// LatestDecisiveReviews keeps each reviewer's latest review that decides
// something (APPROVED, CHANGES_REQUESTED, DISMISSED). A later COMMENTED review
// does not undo an approval, and a PENDING review is not submitted yet.
// GitHub lists reviews oldest first; that order is kept for ties.
func LatestDecisiveReviews(reviews []decision.Review, headSHA string) []Review {
	latest := map[string]int{}
	var out []Review
	for _, r := range reviews {
		state := strings.ToUpper(r.State)
		if state != "APPROVED" && state != "CHANGES_REQUESTED" && state != "DISMISSED" {
			continue
		}
		login := r.Author.Login
		if login == "" {
			continue // a deleted account ("ghost") cannot be counted as anyone
		}
		rev := Review{
			Author:      Actor{Login: login, Type: r.Author.Type, Association: r.AuthorAssociation},
			State:       state,
			CommitSHA:   r.CommitSHA,
			OnHead:      headSHA != "" && r.CommitSHA == headSHA,
			SubmittedAt: timestamp(r.SubmittedAt),
		}
		key := strings.ToLower(login)
		if i, ok := latest[key]; ok {
			if rev.SubmittedAt >= out[i].SubmittedAt {
				out[i] = rev
			}
			continue
		}
		latest[key] = len(out)
		out = append(out, rev)
	}
	if out == nil {
		out = []Review{}
	}
	return out
}

// FilesFromGitHub turns the changed files GitHub lists into file facts.
func FilesFromGitHub(in []decision.ChangedFile) []File {
	out := make([]File, 0, len(in))
	for _, cf := range in {
		f := File{
			Path:         cf.Path,
			PreviousPath: cf.PreviousPath,
			Status:       cf.Status,
			Additions:    cf.Additions,
			Deletions:    cf.Deletions,
		}
		patch := cf.Patch
		if patch == "" {
			changed := cf.Changes > 0 || cf.Additions > 0 || cf.Deletions > 0
			// GitHub omits the patch for binary files and for very large
			// diffs. It does not say which; a file with changes but no patch
			// is missing its patch, one with no line counts is binary (or
			// empty) unless it is a pure rename.
			f.PatchMissing = changed
			f.Binary = !changed && f.Status != "renamed" && f.Status != "copied" && f.Status != "unchanged"
		} else {
			lines, err := parsePatch(patch)
			if err != nil {
				f.ParseError = err.Error()
			} else {
				f.Hunks, f.AddedLines, f.RemovedLines = lines.hunks, lines.added, lines.removed
			}
		}
		out = append(out, normaliseFile(f))
	}
	return out
}

func normaliseFile(f File) File {
	// JSON (and so the policy) cannot carry invalid UTF-8; replace it here so
	// that the path a rule reports is the path in the input.
	f.Path = strings.ToValidUTF8(f.Path, "\uFFFD")
	f.PreviousPath = strings.ToValidUTF8(f.PreviousPath, "\uFFFD")
	if f.Hunks == nil {
		f.Hunks = []Hunk{}
	}
	if f.AddedLines == nil {
		f.AddedLines = []Line{}
	}
	if f.RemovedLines == nil {
		f.RemovedLines = []int{}
	}
	return f
}
