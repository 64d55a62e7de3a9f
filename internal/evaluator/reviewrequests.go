package evaluator

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// ReviewRequests remembers which heads reviews were requested on.
type ReviewRequests interface {
	// Claim records that reviews are requested on the pull request's head
	// commit and reports whether this call recorded it (false: they were
	// already requested for that head, and nothing is sent again).
	Claim(ctx context.Context, pr decision.PullRequest, headSHA string, users, teams []string, at time.Time) (bool, error)
}

// requestReviews acts on the rules' review requests (request_reviewers)
// after the verdict is published: it asks the reviewers not yet asked,
// once per head commit. Never the author, anyone already requested, anyone
// who approved (their approval may have gone stale; a new request would not
// tell them more than the check does), nor another organization's team.
// The claim is made before the request is sent, so a request GitHub
// refuses is not retried on that head either; a failure is logged and
// changes no verdict.
func (s *Service) requestReviews(ctx context.Context, gh GitHub, log *slog.Logger, req Request, a Assessment, verdict decision.Verdict) {
	if s.ReviewRequests == nil {
		return
	}
	want := verdict.ReviewRequests()
	if want == nil {
		return
	}
	users, teams := reviewersToAsk(*want, req.PR.Repo.Owner, a)
	if len(users)+len(teams) == 0 {
		return
	}
	claimed, err := s.ReviewRequests.Claim(ctx, req.PR, a.Head.SHA, users, teams, s.Now())
	if err != nil {
		log.Warn("review request not sent: cannot record it", "head_sha", a.Head.SHA, "error", err)
		return
	}
	if !claimed {
		return
	}
	if err := gh.RequestReviewers(ctx, req.PR.Repo.Owner, req.PR.Repo.Name, req.PR.Number, users, teams); err != nil {
		log.Warn("review request failed", "head_sha", a.Head.SHA, "users", users, "teams", teams, "error", err)
		return
	}
	log.Info("reviews requested", "head_sha", a.Head.SHA, "users", users, "teams", teams)
}

// reviewersToAsk narrows the rules' requests to the users (logins) and
// teams (slugs of org) to ask, each once, sorted.
func reviewersToAsk(want decision.ReviewRequest, org string, a Assessment) (users, teams []string) {
	skip := map[string]bool{strings.ToLower(a.Input.PullRequest.Author.Login): true}
	for _, u := range a.RequestedUsers {
		skip[strings.ToLower(u)] = true
	}
	for _, r := range a.Input.Reviews {
		if r.State == "APPROVED" {
			skip[strings.ToLower(r.Author.Login)] = true
		}
	}
	for _, u := range want.Users {
		if !skip[strings.ToLower(u)] {
			users = append(users, strings.ToLower(u))
		}
	}
	requested := map[string]bool{}
	for _, t := range a.RequestedTeams {
		requested[strings.ToLower(t)] = true
	}
	for _, t := range want.Teams {
		owner, slug, ok := strings.Cut(t, "/")
		if ok && strings.EqualFold(owner, org) && !requested[strings.ToLower(slug)] {
			teams = append(teams, strings.ToLower(slug))
		}
	}
	slices.Sort(users)
	slices.Sort(teams)
	return slices.Compact(users), slices.Compact(teams)
}
