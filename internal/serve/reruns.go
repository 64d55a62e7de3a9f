package serve

import (
	"context"

	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/store"
)

// answerReruns evaluates a pull request, answering the re-run request
// someone made for it (GitHub's Re-run button, a recheck command) if one is
// pending: the evaluation then writes the check run even when the verdict
// is unchanged, and the request is marked answered once it is published.
// A request made while the evaluation ran stays for the next one.
func answerReruns(ctx context.Context, db *store.DB, ev *evaluator.Service, req evaluator.Request) error {
	rerun, err := store.PendingRerun(ctx, db, req.RepoID, req.PR.Number)
	if err != nil {
		return err
	}
	req.Rerun = rerun
	if err := ev.Evaluate(ctx, req); err != nil {
		return err
	}
	if rerun != nil {
		return store.AnsweredRerun(ctx, db, req.RepoID, req.PR.Number, *rerun)
	}
	return nil
}
