package evaluator

import (
	"context"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// Reruns are the re-run requests people made (GitHub's Re-run button, a
// recheck command), kept until an evaluation answers them.
type Reruns interface {
	PendingRerun(ctx context.Context, repoID int64, number int) (*decision.Rerun, error)
	AnsweredRerun(ctx context.Context, repoID int64, number int, r decision.Rerun) error
}

// EvaluateAnswering evaluates a pull request, answering the re-run request
// someone made for it if one is pending: the evaluation then writes the
// check run even when the verdict is unchanged, and the request is marked
// answered once it is published. A request made while the evaluation ran
// stays for the next one.
func (s *Service) EvaluateAnswering(ctx context.Context, reruns Reruns, req Request) error {
	rerun, err := reruns.PendingRerun(ctx, req.RepoID, req.PR.Number)
	if err != nil {
		return err
	}
	req.Rerun = rerun
	if err := s.Evaluate(ctx, req); err != nil {
		return err
	}
	if rerun != nil {
		return reruns.AnsweredRerun(ctx, req.RepoID, req.PR.Number, *rerun)
	}
	return nil
}
