package evaluator

import "github.com/mergeguard/mergeguard/internal/decision"

// RequestFor is the request to evaluate pr, whose repository GitHub knows
// by repoID. The pull request arrives as the domain's type from the queue
// and the commands; the request keeps its fields spelled out for the
// evaluator's own use.
func RequestFor(pr decision.PullRequest, repoID int64) Request {
	return Request{
		InstallationID: int64(pr.Installation), RepoID: repoID,
		Owner: pr.Repo.Owner, Repo: pr.Repo.Name, Number: pr.Number,
	}
}
