package evaluator

import (
	"context"
	"errors"
	"fmt"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
)

// maxMigrationReads bounds the SQL files one evaluation reads whole for
// the migration rule; past it, a file says it was not read.
const maxMigrationReads = 30

// migrationFacts reads every SQL file the pull request adds or changes
// whole at the head commit and projects it with PostgreSQL's parser. The
// patch is not enough: a changed file's patch holds only the changed
// lines (the SET lock_timeout or BEGIN above them is not in it), and
// GitHub cuts long patches.
func (s *Service) migrationFacts(ctx context.Context, gh FileReader, head decision.Head, files []facts.File) ([]facts.File, error) {
	read := func(ctx context.Context, path string) ([]byte, string, error) {
		content, found, err := gh.FileAt(ctx, head.Repo.Owner, head.Repo.Name, path, head.SHA, facts.MaxMigrationBytes)
		var tooLarge *githubapp.FileTooLargeError
		switch {
		case errors.As(err, &tooLarge):
			return nil, facts.TooLargeToProject(tooLarge.Size), nil
		case err != nil:
			return nil, "", err
		case !found:
			return nil, fmt.Sprintf("the file is not in the head commit %s (pushed over since?), so its statements were not checked", decision.ShortSHA(head.SHA)), nil
		}
		return content, "", nil
	}
	out, err := facts.ProjectMigrations(ctx, files, read, maxMigrationReads)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", head.PullRequest, err)
	}
	return out, nil
}
