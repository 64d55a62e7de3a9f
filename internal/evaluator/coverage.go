package evaluator

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/mergeguard/mergeguard/internal/coverage"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
)

// Coverage reads uploaded coverage reports.
type Coverage interface {
	// Reports returns the reports uploaded for a commit, by flag.
	Reports(ctx context.Context, repo, sha string) (map[string]coverage.Report, error)
	// Uploads reports whether the repository uploaded any report since.
	Uploads(ctx context.Context, repo string, since time.Time) (bool, error)
	// HeadSince records a pull request's head and returns since when it
	// has been the head.
	HeadSince(ctx context.Context, repoID int64, number int, sha string, now time.Time) (time.Time, error)
}

// uploadsLately is how far back an upload makes a repository one that
// uploads coverage, whose pull requests wait for theirs.
const uploadsLately = 30 * 24 * time.Hour

// coverageFacts joins the head commit's reports with the added lines. Once
// the reports are in, the files GitHub sent no patch for are diffed from
// their contents first (see filesWithoutPatch), and returned with their
// lines; before, nothing is measured and no request is spent on them.
func (s *Service) coverageFacts(ctx context.Context, gh GitHub, req Request, head decision.Head, baseSHA string, files []facts.File) (facts.Coverage, []facts.File, error) {
	repo := head.Repo.String()
	c := facts.Coverage{SHA: head.SHA, Flags: []string{}, Files: map[string]facts.CoverageFile{}}
	since, err := s.Coverage.HeadSince(ctx, req.RepoID, head.Number, head.SHA, s.Now())
	if err != nil {
		return c, files, err
	}
	c.WaitingSince, c.WaitingSinceNS = since.UTC().Format(time.RFC3339), since.UnixNano()
	reports, err := s.Coverage.Reports(ctx, repo, head.SHA)
	if err != nil {
		return c, files, fmt.Errorf("read the coverage of %s@%s: %w", repo, decision.ShortSHA(head.SHA), err)
	}
	if len(reports) == 0 {
		uploads, err := s.Coverage.Uploads(ctx, repo, s.Now().Add(-uploadsLately))
		if err != nil {
			return c, files, err
		}
		c.Status = "not_uploaded"
		if uploads {
			c.Status = "waiting"
		}
		return c, files, nil
	}
	merged := coverage.Report{Files: map[string]map[int]int{}}
	for flag, r := range reports {
		c.Flags = append(c.Flags, flag)
		merged.Merge(r)
	}
	slices.Sort(c.Flags)
	c.Status = "ready"
	if files, err = s.filesWithoutPatch(ctx, gh, head, baseSHA, files); err != nil {
		return c, nil, err
	}
	c.Files = facts.CoverageFromReport(files, merged)
	return c, files, nil
}
