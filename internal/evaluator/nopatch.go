package evaluator

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
)

// FileReader reads a file's content at a commit (githubapp.FileAt).
type FileReader interface {
	FileAt(ctx context.Context, owner, repo, path, ref string, limit int64) ([]byte, bool, error)
}

// maxDiffedFiles bounds the files one evaluation diffs from their contents:
// each costs two reads of the user's rate limit (conditional when read
// again, and then free).
const maxDiffedFiles = 20

// filesWithoutPatch reads the added lines of the files GitHub sent no patch
// for another way (coverageFacts calls it once the head's reports are in,
// when the lines are about to be measured): the file at the pull request's merge base and at its
// head, diffed (facts.FromContents). The merge base, not the base branch's
// tip, is what GitHub's diff of a pull request is against, so one
// comparison finds it first. A file that cannot be diffed (binary, too
// large, missing at a side, one too many) says why in its Unreadable. A
// failing request fails the evaluation, to be retried: a file is never
// passed over because GitHub did not answer.
func (s *Service) filesWithoutPatch(ctx context.Context, gh GitHub, head decision.Head, baseSHA string, files []facts.File) ([]facts.File, error) {
	var todo []int
	for i, f := range files {
		if f.PatchMissing && !f.ContentsDiffed && f.Unreadable == "" && f.Status != "removed" {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return files, nil
	}
	files = slices.Clone(files)
	cmp, err := gh.Compare(ctx, head.Repo.Owner, head.Repo.Name, baseSHA, head.SHA)
	switch {
	case githubapp.IsNotFound(err):
		// The base or the head is gone (a force-push in between): the
		// next evaluation, for the new head, compares again.
		cmp = githubapp.Comparison{}
	case err != nil:
		return nil, fmt.Errorf("find the merge base of %s to diff the files GitHub sent no patch for: %w", head.PullRequest, err)
	}
	for n, i := range todo {
		f := files[i]
		if n >= maxDiffedFiles {
			files[i] = facts.Unreadable(f, fmt.Sprintf("%d files lack a patch, and mergeguard diffs at most %d in one evaluation", len(todo), maxDiffedFiles))
			continue
		}
		if cmp.MergeBase == "" && f.Status != "added" {
			files[i] = facts.Unreadable(f, "GitHub could not say which commit the pull request's diff is against")
			continue
		}
		var before []byte
		why := ""
		if f.Status != "added" {
			old := f.Path
			if f.PreviousPath != "" {
				old = f.PreviousPath
			}
			if before, why, err = readSide(ctx, gh, head.Repo, old, cmp.MergeBase, "base"); err != nil {
				return nil, err
			}
		}
		after, whyHead, err := readSide(ctx, gh, head.Repo, f.Path, head.SHA, "head")
		if err != nil {
			return nil, err
		}
		if why == "" {
			why = whyHead
		}
		if why != "" {
			files[i] = facts.Unreadable(f, why)
			continue
		}
		files[i] = facts.FromContents(f, before, after)
	}
	return files, nil
}

// readSide reads one side of a file to diff; why says why it cannot be
// used, err is a request that failed.
func readSide(ctx context.Context, gh FileReader, repo decision.Repo, path, ref, side string) (content []byte, why string, err error) {
	content, found, err := gh.FileAt(ctx, repo.Owner, repo.Name, path, ref, facts.MaxDiffedBytes)
	var tooLarge *githubapp.FileTooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return nil, facts.TooLarge(side, int(tooLarge.Size)), nil
	case err != nil:
		return nil, "", err
	case !found:
		return nil, fmt.Sprintf("the file is not in the %s commit %s", side, decision.ShortSHA(ref)), nil
	}
	return content, "", nil
}
