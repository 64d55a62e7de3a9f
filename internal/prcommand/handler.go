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

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/policysource"
	"github.com/mergeguard/mergeguard/internal/store"
)

// GitHub is what running a command needs from GitHub.
type GitHub interface {
	policysource.GitHub
	PullRequest(ctx context.Context, owner, repo string, number int) (*github.PullRequest, error)
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
	InstallationID int64
	RepoID         int64
	Owner, Repo    string
	Number         int
}

// FullName is owner/name.
func (p PR) FullName() string { return p.Owner + "/" + p.Repo }

// Comment is a comment with its parsed commands.
type Comment struct {
	PR
	CommentID int64
	URL       string
	Author    string
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
	gh := h.GitHub(cm.InstallationID)
	// The reaction acknowledges the comment; losing it is harmless.
	if err := gh.AddReaction(ctx, cm.Owner, cm.Repo, cm.CommentID, "eyes"); err != nil {
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
	if err := gh.CreateComment(ctx, cm.Owner, cm.Repo, cm.Number, body); err != nil {
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
		return h.unhold(ctx, cm, key)
	}
	return "", fmt.Errorf("command %s is not handled here", cmd.Kind)
}

// mayChange returns why the comment's author may not change the pull
// request's state, or "" when they may: they need write access to the
// repository.
func (h *Handler) mayChange(ctx context.Context, gh GitHub, cm Comment) (string, error) {
	perm, err := gh.Permission(ctx, cm.Owner, cm.Repo, cm.Author)
	switch {
	case githubapp.IsNotFound(err):
		perm = "none"
	case err != nil:
		return "", err
	}
	if perm == "admin" || perm == "write" {
		return "", nil
	}
	return fmt.Sprintf("@%s, only people with write access to %s can override, hold or unhold its pull requests; ask a maintainer.", cm.Author, cm.FullName()), nil
}

func (h *Handler) hold(ctx context.Context, cm Comment, key, reason string) (string, error) {
	now := h.Now()
	err := h.DB.InTx(ctx, func(tx store.Tx) error {
		fresh, err := store.AddHold(ctx, tx, key, ref(cm.PR), decision.Hold{By: cm.Author, Reason: reason, At: now})
		if err != nil || !fresh {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{At: now, Owner: cm.Owner, Repo: cm.FullName(), Actor: cm.Author, Action: "hold",
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

func (h *Handler) unhold(ctx context.Context, cm Comment, key string) (string, error) {
	now := h.Now()
	var released []decision.Hold
	err := h.DB.InTx(ctx, func(tx store.Tx) error {
		var err error
		if released, err = store.ReleaseHolds(ctx, tx, ref(cm.PR), cm.Author, now); err != nil || len(released) == 0 {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{At: now, Owner: cm.Owner, Repo: cm.FullName(), Actor: cm.Author, Action: "unhold",
			Subject: subject(cm.PR), Details: map[string]any{"released": len(released), "comment": cm.URL}})
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
	return fmt.Sprintf("Released the hold by %s. The check is evaluated again now.", strings.Join(by, ", ")), nil
}

func ref(pr PR) store.PRRef {
	return store.PRRef{RepoID: pr.RepoID, Repo: pr.FullName(), Number: pr.Number}
}

func subject(pr PR) string { return fmt.Sprintf("%s#%d", pr.FullName(), pr.Number) }
