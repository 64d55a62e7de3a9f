package githubapp

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// CreateComment posts a comment on an issue or pull request (GitHub's issue
// comments serve both). GitHub shows it as written by the App's bot.
func (i *Installation) CreateComment(ctx context.Context, owner, repo string, number int, body string) error {
	if _, _, err := i.client.Issues.CreateComment(ctx, owner, repo, number, &github.IssueComment{Body: &body}); err != nil {
		return fmt.Errorf("comment on %s/%s#%d: %w", owner, repo, number, i.explain(err))
	}
	return nil
}

// AddReaction reacts to an issue or pull request comment with content ("+1",
// "-1", "laugh", "confused", "heart", "hooray", "rocket" or "eyes"). Adding
// a reaction the App already added succeeds without adding another.
func (i *Installation) AddReaction(ctx context.Context, owner, repo string, commentID int64, content string) error {
	if _, _, err := i.client.Reactions.CreateIssueCommentReaction(ctx, owner, repo, commentID, content); err != nil {
		return fmt.Errorf("react %q to comment %d in %s/%s: %w", content, commentID, owner, repo, i.explain(err))
	}
	return nil
}

// Permission is a user's permission on a repository as GitHub reports it:
// admin, write, read or none (maintain counts as write, triage as read).
func (i *Installation) Permission(ctx context.Context, owner, repo, user string) (string, error) {
	p, _, err := i.client.Repositories.GetPermissionLevel(ctx, owner, repo, user)
	if err != nil {
		return "", fmt.Errorf("read @%s's permission on %s/%s: %w", user, owner, repo, i.explain(err))
	}
	return p.GetPermission(), nil
}

// RequestReviewers asks users (logins) and teams (slugs of the repository's
// organization) to review a pull request. GitHub counts it as a
// content-creating request, so it is paced with the check runs and comments.
func (i *Installation) RequestReviewers(ctx context.Context, owner, repo string, number int, users, teams []string) error {
	req := github.ReviewersRequest{Reviewers: users, TeamReviewers: teams}
	if _, _, err := i.client.PullRequests.RequestReviewers(ctx, owner, repo, number, req); err != nil {
		return fmt.Errorf("request reviews on %s/%s#%d: %w", owner, repo, number, i.explain(err))
	}
	return nil
}
