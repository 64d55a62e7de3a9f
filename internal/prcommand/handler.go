// Package prcommand runs the /guard commands people write on pull requests:
// recheck, explain, override, hold, unhold and help. Parsing is
// internal/command's; this package decides who may do what, records it
// with its audit entry, asks for a re-evaluation, and replies.
package prcommand

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/store"
)

// GitHub is what running a command needs from GitHub.
type GitHub interface {
	policysource.GitHub
	PullRequest(ctx context.Context, owner, repo string, number int) (decision.PullRequestDetails, error)
	Permission(ctx context.Context, owner, repo, user string) (string, error)
	TeamMembers(ctx context.Context, org, slug string) ([]string, error)
	CreateComment(ctx context.Context, owner, repo string, number int, body string) error
	AddReaction(ctx context.Context, owner, repo string, commentID int64, content string) error
}

// Policies resolves the configuration and engine that judge a repository.
type Policies interface {
	Resolve(ctx context.Context, gh policysource.GitHub, f policysource.For) (policysource.Resolved, error)
}

// Evaluations re-evaluates a pull request and explains its verdict.
type Evaluations interface {
	// Recheck makes sure the pull request is evaluated again soon; key
	// makes a retried command ask only once. requestedBy is who asked to
	// see the check again (the recheck command): its check run is then
	// written afresh even if the verdict is unchanged. It is "" when the
	// re-evaluation follows from what a command changed.
	Recheck(ctx context.Context, pr PR, key, requestedBy string) error
	// Verdict evaluates the pull request now without publishing.
	Verdict(ctx context.Context, pr PR) (decision.Verdict, error)
}

// PR names the pull request a comment is on.
type PR struct {
	decision.PullRequest
	RepoID int64
}

// Comment is a comment with its parsed commands.
type Comment struct {
	PR
	CommentID int64
	URL       string
	Author    string
	// WrittenAt is when GitHub wrote the comment (its created_at): an
	// override or a release applies to the head at that time.
	WrittenAt time.Time
	Commands  []command.Parsed
}

// Handler runs pull request commands.
type Handler struct {
	DB          *store.DB
	GitHub      func(installationID int64) GitHub
	Policies    Policies
	Evaluations Evaluations
	Now         func() time.Time
	Log         *slog.Logger
}

// Handle acknowledges the comment with a reaction at once, runs its
// commands in order, and replies once with what each had to say.
func (h *Handler) Handle(ctx context.Context, cm Comment) error {
	if len(cm.Commands) == 0 {
		return nil
	}
	gh := h.GitHub(int64(cm.Installation))
	// The reaction acknowledges the comment; losing it is harmless.
	if err := gh.AddReaction(ctx, cm.Repo.Owner, cm.Repo.Name, cm.CommentID, "eyes"); err != nil {
		h.Log.Warn("could not react to a command", "comment", cm.URL, "err", err)
	}
	var replies []string
	access := &writeAccess{}
	for i, p := range cm.Commands {
		var reply string
		var err error
		if p.Command == nil {
			reply = p.Reply
		} else if reply, err = h.run(ctx, gh, cm, i, p.Command, access); err != nil {
			return err
		}
		if reply != "" {
			replies = append(replies, reply)
		}
	}
	if len(replies) == 0 {
		return nil
	}
	body := strings.Join(replies, "\n\n---\n\n")
	if err := gh.CreateComment(ctx, cm.Repo.Owner, cm.Repo.Name, cm.Number, body); err != nil {
		return fmt.Errorf("reply to %s: %w", cm.URL, err)
	}
	return nil
}

// writeAccess remembers, for one comment, whether its author may change
// the pull request's state: several commands in a comment ask GitHub once.
type writeAccess struct {
	checked, told bool
	refusal       string
}

func (h *Handler) run(ctx context.Context, gh GitHub, cm Comment, index int, cmd *command.Command, access *writeAccess) (string, error) {
	// A retried job runs the same commands again; the key makes each
	// one's effects happen once.
	key := fmt.Sprintf("comment-%d-%d", cm.CommentID, index)
	switch cmd.Kind {
	case command.Help:
		return command.UsagePR, nil
	case command.Recheck:
		return "", h.Evaluations.Recheck(ctx, cm.PR, key, cm.Author)
	case command.Explain:
		return h.explain(ctx, cm, cmd.Rule)
	case command.Freeze, command.Unfreeze:
		return "", nil // the policy repository's commands: handled there
	}
	// The rest change state: only people who can push to the repository.
	if !access.checked {
		why, err := h.mayChange(ctx, gh, cm)
		if err != nil {
			return "", err
		}
		access.checked, access.refusal = true, why
	}
	if access.refusal != "" {
		if access.told {
			return "", nil // one refusal per comment is enough
		}
		access.told = true
		return access.refusal, nil
	}
	switch cmd.Kind {
	case command.Override:
		return h.override(ctx, gh, cm, key, cmd)
	case command.Hold:
		return h.hold(ctx, cm, key, cmd.Reason)
	case command.Unhold:
		return h.unhold(ctx, gh, cm, key)
	}
	return "", fmt.Errorf("command %s is not handled here", cmd.Kind)
}

// mayChange returns why the comment's author may not change the pull
// request's state, or "" when they may: they need write access to the
// repository.
func (h *Handler) mayChange(ctx context.Context, gh GitHub, cm Comment) (string, error) {
	perm, err := gh.Permission(ctx, cm.Repo.Owner, cm.Repo.Name, cm.Author)
	switch {
	case githubapp.IsNotFound(err):
		perm = "none"
	case err != nil:
		return "", err
	}
	if perm == "admin" || perm == "write" {
		return "", nil
	}
	return fmt.Sprintf("@%s, only people with write access to %s can override, hold or unhold its pull requests; ask a maintainer.", cm.Author, cm.Repo.String()), nil
}

func (h *Handler) hold(ctx context.Context, cm Comment, key, reason string) (string, error) {
	now := h.Now()
	err := h.DB.InTx(ctx, func(tx store.Tx) error {
		fresh, err := store.AddHold(ctx, tx, key, ref(cm.PR), decision.Hold{By: cm.Author, Reason: reason, At: now})
		if err != nil || !fresh {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{At: now, Owner: cm.Repo.Owner, Repo: cm.Repo.String(), Actor: cm.Author, Action: "hold",
			Subject: subject(cm.PR), Details: map[string]any{"reason": reason, "comment": cm.URL}})
	})
	if err != nil {
		return "", err
	}
	if err := h.Evaluations.Recheck(ctx, cm.PR, key, ""); err != nil {
		return "", err
	}
	why := ""
	if reason != "" {
		why = ": " + command.Code(reason)
	}
	return fmt.Sprintf("Held by @%s%s. The check fails until someone with write access comments `/guard unhold`.", cm.Author, why), nil
}

// unhold releases the pull request's holds, when the head the comment was
// written on is still the head: a release someone wrote while looking at
// one commit does not let a commit pushed since merge.
func (h *Handler) unhold(ctx context.Context, gh GitHub, cm Comment, key string) (string, error) {
	var held []decision.Hold
	if err := h.DB.InTx(ctx, func(tx store.Tx) error {
		iv, err := store.Interventions(ctx, tx, ref(cm.PR))
		held = iv.Holds
		return err
	}); err != nil {
		return "", err
	}
	if len(held) == 0 {
		return "This pull request is not on hold, so there is nothing to release.", nil
	}
	pr, err := gh.PullRequest(ctx, cm.Repo.Owner, cm.Repo.Name, cm.Number)
	if err != nil {
		return "", err
	}
	written, err := h.writtenOn(ctx, cm, pr)
	if err != nil {
		return "", err
	}
	current := pr.Head.SHA
	switch {
	case written.SHA == "":
		return unsureHead(cm, written, "The hold stays.", "release it on", "`/guard unhold`"), nil
	case written.SHA != current:
		return fmt.Sprintf("@%s, you wrote this while the head was %s; %s was pushed since, and the hold stays until someone releases it having seen that commit. To release it, comment `/guard unhold` again.",
			cm.Author, shortCode(written.SHA), shortCode(current)), nil
	}

	now := h.Now()
	var released []decision.Hold
	err = h.DB.InTx(ctx, func(tx store.Tx) error {
		var err error
		if released, err = store.ReleaseHolds(ctx, tx, ref(cm.PR), cm.Author, now); err != nil || len(released) == 0 {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{At: now, Owner: cm.Repo.Owner, Repo: cm.Repo.String(), Actor: cm.Author, Action: "unhold",
			Subject: subject(cm.PR), Details: map[string]any{"released": len(released), "comment": cm.URL, "head_sha": current,
				"written_at": cm.WrittenAt.UTC().Format(time.RFC3339)}})
	})
	if err != nil {
		return "", err
	}
	if len(released) == 0 {
		return "This pull request is not on hold, so there is nothing to release.", nil
	}
	if err := h.Evaluations.Recheck(ctx, cm.PR, key, ""); err != nil {
		return "", err
	}
	by := make([]string, len(released))
	for i, r := range released {
		by[i] = "@" + r.By
	}
	return fmt.Sprintf("Released the hold by %s on %s. The check is evaluated again now.", strings.Join(by, ", "), decision.ShortSHA(current)), nil
}

func ref(pr PR) store.PRRef {
	return store.PRRef{RepoID: pr.RepoID, Repo: pr.Repo.String(), Number: pr.Number}
}

func subject(pr PR) string { return pr.PullRequest.String() }
