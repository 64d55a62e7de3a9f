package evaluator

import (
	"context"
	"fmt"

	"github.com/mergeguard/mergeguard/internal/checkrun"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/report"
)

// EvaluateMergeGroup checks a merge queue entry: the rules of the pull
// request at its tip, evaluated now — a freeze that started while the pull
// request waited in the queue stops it there — published on the merge
// group's head commit, which is what the queue waits for. The pull requests
// ahead of it in the group were checked in their own merge groups.
func (s *Service) EvaluateMergeGroup(ctx context.Context, req Request) error {
	if req.MergeGroup == nil {
		return fmt.Errorf("merge group check of %s without the merge group", req.PR)
	}
	log := s.Log.With("delivery_id", req.DeliveryID, "repo", req.PR.Repo.String(), "pr", req.PR.Number, "merge_group", req.MergeGroup.HeadSHA)
	gh := s.GitHub(int64(req.PR.Installation))
	a, err := s.assess(ctx, gh, req)
	if err != nil {
		return err
	}
	target := checkrun.Target{
		Head:   decision.Head{PullRequest: req.PR, SHA: req.MergeGroup.HeadSHA},
		RepoID: req.RepoID, BaseRef: req.MergeGroup.BaseRef,
	}
	verdict, out := a.Judgement.Verdict, a.Judgement.Output
	if a.Closed {
		// The queue waits for a verdict; a closed pull request cannot merge.
		verdict = decision.Decide(decision.Enforce, []decision.RuleResult{{
			ID: "merge_group", Title: "Merge queue", Severity: decision.SeverityError,
			Denials: []decision.Finding{{Message: fmt.Sprintf("Pull request #%d is no longer open.", req.PR.Number)}},
			Remedy:  "Reopen the pull request and add it to the merge queue again.",
		}})
		out = report.CheckRun(verdict, report.Context{HeadSHA: target.Head.SHA, MaxAnnotations: s.MaxAnnotations})
	}
	res, err := s.Publisher.Publish(ctx, gh, target, verdict, out)
	if err != nil {
		return fmt.Errorf("publish check run on merge group %s@%s: %w", req.PR.Repo, decision.ShortSHA(target.Head.SHA), err)
	}
	log.Info("merge group evaluated", "conclusion", verdict.Conclusion, "title", out.Title, "check_run_id", res.CheckRunID)
	return nil
}
