package evaluator

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/mergeguard/mergeguard/internal/coverage"
	"github.com/mergeguard/mergeguard/internal/diffcover"
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

// coverageFacts joins the head commit's reports with the added lines.
func (s *Service) coverageFacts(ctx context.Context, req Request, head string, files []facts.File) (facts.Coverage, error) {
	repo := req.Owner + "/" + req.Repo
	c := facts.Coverage{SHA: head, Flags: []string{}, Files: map[string]facts.CoverageFile{}}
	since, err := s.Coverage.HeadSince(ctx, req.RepoID, req.Number, head, s.Now())
	if err != nil {
		return c, err
	}
	c.WaitingSince, c.WaitingSinceNS = since.UTC().Format(time.RFC3339), since.UnixNano()
	reports, err := s.Coverage.Reports(ctx, repo, head)
	if err != nil {
		return c, fmt.Errorf("read the coverage of %s@%s: %w", repo, shortSHA(head), err)
	}
	if len(reports) == 0 {
		uploads, err := s.Coverage.Uploads(ctx, repo, s.Now().Add(-uploadsLately))
		if err != nil {
			return c, err
		}
		c.Status = "not_uploaded"
		if uploads {
			c.Status = "waiting"
		}
		return c, nil
	}
	merged := coverage.Report{Files: map[string]map[int]int{}}
	for flag, r := range reports {
		c.Flags = append(c.Flags, flag)
		merged.Merge(r)
	}
	slices.Sort(c.Flags)
	c.Status = "ready"
	c.Files = diffcover.Lines(files, merged)
	return c, nil
}
