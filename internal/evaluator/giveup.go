package evaluator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/checkrun"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/report"
)

// FailedTitle is the check run's title when mergeguard gave up on a pull
// request.
const FailedTitle = "mergeguard could not evaluate this pull request"

// retryHint says how to have the pull request evaluated again; prefix
// starts a command in a comment ("/guard"). Only what the webhook intake
// acts on is named: the check's Re-run button (check_run.rerequested), the
// recheck command and any pull_request event.
func retryHint(prefix string) string {
	hint := "press Re-run on this check, push a commit, or edit the pull request (its title or description, or add and remove a label): any change to it is evaluated again."
	if prefix != "" {
		hint = fmt.Sprintf("comment `%s recheck` on the pull request, ", strings.ReplaceAll(prefix, "`", "'")) + hint
	}
	return hint
}

// busyWait is how long to wait when another evaluation holds the commit's
// check run (checkrun.BusyError); the give-up's context bounds the tries.
const busyWait = 2 * time.Second

// FailureReport shows on the pull request that mergeguard gave up on it,
// so that nobody waits for a verdict that is not coming, and the check does
// not pass by its absence where branch protection does not require it.
type FailureReport struct {
	GitHub    func(installationID int64) GitHub
	Publisher *checkrun.Publisher
	// Mode is the server's default mode: the policy that would say
	// otherwise could not be read.
	Mode decision.Mode
	// Prefix starts a command in a comment (MERGEGUARD_COMMAND_PREFIX).
	Prefix string
}

// Publish shows the failure of the evaluation r on its pull request; cause
// is the last error. It is the queue's give-up handler.
func (f FailureReport) Publish(ctx context.Context, r Request, cause error) error {
	if githubapp.IsNotFound(cause) {
		return nil // the pull request or repository is gone: nowhere to show it
	}
	gh := f.GitHub(int64(r.PR.Installation))
	pr, err := gh.PullRequest(ctx, r.PR.Repo.Owner, r.PR.Repo.Name, r.PR.Number)
	switch {
	case githubapp.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("read %s to mark its check run as failed: %w", r.PR, err)
	case pr.State == "closed":
		return nil
	}
	target := checkrun.Target{
		Head:   decision.Head{PullRequest: r.PR, SHA: pr.Head.SHA},
		RepoID: r.RepoID, BaseRef: pr.Base.Ref,
	}
	v, out := failedEvaluation(f.Mode, f.Prefix, cause, r.DeliveryID)
	for {
		_, err = f.Publisher.Publish(ctx, gh, target, v, out)
		var busy *checkrun.BusyError
		if !errors.As(err, &busy) {
			break
		}
		select {
		case <-time.After(busyWait):
		case <-ctx.Done():
			return fmt.Errorf("publish the failed check run on %s@%.7s: %w", r.PR.Repo, target.Head.SHA, err)
		}
	}
	if err != nil {
		return fmt.Errorf("publish the failed check run on %s@%.7s: %w", r.PR.Repo, target.Head.SHA, err)
	}
	return nil
}

// failedEvaluation is the verdict and check-run output of a pull request
// mergeguard could not evaluate: failure, since a gate that cannot decide
// must not let changes through — unless the server reports only, where no
// verdict blocks. The summary names the kind of failure, never the error
// itself (it may quote URLs or responses); the delivery ID finds the error
// in the server's logs.
func failedEvaluation(mode decision.Mode, prefix string, cause error, deliveryID string) (decision.Verdict, report.Output) {
	v := decision.Verdict{Mode: mode, Blocked: true, Conclusion: decision.Failure}
	effect := "This check fails until an evaluation succeeds: a merge gate that cannot decide must not let changes through."
	if mode == decision.Report {
		v.Conclusion = decision.Neutral
		effect = "mergeguard is in report-only mode, so this does not block the pull request."
	}
	what, githubTrouble := failureKind(cause)
	var b strings.Builder
	fmt.Fprintf(&b, "**%s.** %s\n\n", FailedTitle, effect)
	fmt.Fprintf(&b, "**What failed:** %s\n\n", what)
	fmt.Fprintf(&b, "**To try again,** %s", retryHint(prefix))
	if githubTrouble {
		b.WriteString(" If https://www.githubstatus.com reports an incident, wait until it is resolved.")
	}
	b.WriteString("\n\n")
	if deliveryID != "" {
		fmt.Fprintf(&b, "_For the operator: the server's logs have the error under delivery ID `%s`._\n", strings.ReplaceAll(deliveryID, "`", "'"))
	}
	return v, report.Output{Title: FailedTitle, Summary: b.String()}
}

// failureKind says in a sentence what kind of failure ended the evaluation,
// and whether it was GitHub's.
func failureKind(err error) (string, bool) {
	var ue *githubapp.UnavailableError
	var rl *githubapp.RateLimitError
	var perm interface{ Permanent() bool }
	var malformed *githubapp.MalformedError
	switch {
	case errors.As(err, &ue) && !ue.OutageSince().IsZero():
		return "GitHub answered none of mergeguard's requests for this organization for longer than mergeguard waits for it (an outage).", true
	case errors.As(err, &malformed):
		return "GitHub's answers to mergeguard's requests were not what GitHub sends (a proxy between them may be changing them), on every attempt.", true
	case errors.As(err, &ue) && ue.Timeout():
		return "GitHub did not answer mergeguard's requests in time, on every attempt.", true
	case errors.As(err, &ue) && ue.Status != 0:
		return fmt.Sprintf("GitHub kept answering mergeguard's requests with server errors (last: HTTP %d).", ue.Status), true
	case errors.As(err, &ue):
		return "mergeguard could not connect to GitHub, on every attempt.", true
	case errors.As(err, &rl):
		return "GitHub's rate limit for this installation held the evaluation back for too long.", false
	case githubapp.IsTokenError(err):
		return "GitHub refused mergeguard access to this repository (the App's installation may be suspended, or lack a permission).", false
	case githubapp.StatusCode(err) == 401 || githubapp.StatusCode(err) == 403:
		return fmt.Sprintf("GitHub refused one of mergeguard's requests (HTTP %d): the App may lack a permission this evaluation needs.", githubapp.StatusCode(err)), false
	case errors.Is(err, context.DeadlineExceeded):
		return "The evaluation did not finish within its time limit.", false
	case errors.As(err, &perm) && perm.Permanent():
		return "The evaluation cannot succeed as things stand.", false
	}
	return "An internal error stopped the evaluation.", false
}
