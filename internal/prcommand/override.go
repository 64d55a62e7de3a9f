package prcommand

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/policy"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/store"
)

// override records an override when the policy allows the comment's
// author to make it: who may override which rule is the organization's
// configuration, decided by the policy engine (policies/overrides.rego).
func (h *Handler) override(ctx context.Context, gh GitHub, cm Comment, key string, cmd *command.Command) (string, error) {
	pr, err := gh.PullRequest(ctx, cm.Repo.Owner, cm.Repo.Name, cm.Number)
	if err != nil {
		return "", err
	}
	resolved, err := h.Policies.Resolve(ctx, gh, policysource.For{Owner: cm.Repo.Owner, Repo: cm.Repo.Name, BaseRef: pr.Base.Ref})
	if err != nil {
		return "", fmt.Errorf("resolve the policy for %s: %w", cm.Repo.String(), err)
	}
	if resolved.Engine == nil {
		return "The policy for this repository does not load, so nobody can say who may override its rules; the check names the problem. Fix the policy first.", nil
	}
	var ids []string
	for _, m := range resolved.Engine.Rules() {
		ids = append(ids, m.ID)
	}
	if !slices.Contains(ids, cmd.Rule) {
		return fmt.Sprintf("There is no rule %s. The rules are %s.", command.Code(cmd.Rule), strings.Join(ids, ", ")), nil
	}

	req := policy.OverrideRequest{Rule: cmd.Rule, Actor: cm.Author}
	req.PullRequest.Author.Login = pr.Author.Login
	req.Repository.Owner = cm.Repo.Owner
	teams := map[string]facts.Team{}
	if oc := resolved.Config.Rules[cmd.Rule].Override; oc != nil {
		for _, t := range oc.Teams {
			slug := strings.TrimPrefix(t[strings.LastIndex(t, "/")+1:], "@")
			members, err := gh.TeamMembers(ctx, cm.Repo.Owner, slug)
			switch {
			case githubapp.IsNotFound(err):
				teams[slug] = facts.Team{Members: []string{}, Error: fmt.Sprintf("team %s/%s does not exist, or the App cannot see it", cm.Repo.Owner, slug)}
				continue
			case err != nil:
				return "", err
			}
			teams[slug] = facts.Team{Found: true, Members: members}
		}
	}
	req.Teams = teams
	auth, err := resolved.Engine.AuthorizeOverride(ctx, req, h.Now())
	if err != nil {
		return "", fmt.Errorf("authorize the override of %s on %s: %w", cmd.Rule, subject(cm.PR), err)
	}
	if !auth.Allowed() {
		return fmt.Sprintf("@%s, the override of %s was not applied. %s", cm.Author, command.Code(cmd.Rule), strings.Join(auth.Refusals, " ")), nil
	}

	// The override is for the commit the author was looking at, which
	// may no longer be the head.
	written, err := h.writtenOn(ctx, cm, pr)
	if err != nil {
		return "", err
	}
	again := command.Code("/guard override " + cmd.Rule + " " + cmd.Reason)
	if written.SHA == "" {
		return unsureHead(cm, written, "Nothing was overridden.", "override "+command.Code(cmd.Rule)+" on", again), nil
	}
	now, head, current := h.Now(), written.SHA, pr.Head.SHA
	o := decision.Override{Rule: cmd.Rule, By: cm.Author, Reason: cmd.Reason, At: now, HeadSHA: head, KeepOnPush: auth.KeepOnPush}
	err = h.DB.InTx(ctx, func(tx store.Tx) error {
		fresh, err := store.AddOverride(ctx, tx, key, ref(cm.PR), o)
		if err != nil || !fresh {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{At: now, Owner: cm.Repo.Owner, Repo: cm.Repo.String(), Actor: cm.Author, Action: "override",
			Subject: subject(cm.PR), Details: map[string]any{"rule": cmd.Rule, "reason": cmd.Reason, "head_sha": head, "keep_on_push": auth.KeepOnPush, "comment": cm.URL,
				"written_at": cm.WrittenAt.UTC().Format(time.RFC3339)}})
	})
	if err != nil {
		return "", err
	}
	if err := h.Evaluations.Recheck(ctx, cm.PR, key, ""); err != nil {
		return "", err
	}
	lasts := "A new push clears it."
	switch {
	case auth.KeepOnPush && head != current:
		lasts = fmt.Sprintf("The configuration keeps it across pushes, so it also covers %s, pushed after you wrote this and the head now.", shortCode(current))
	case auth.KeepOnPush:
		lasts = "The configuration keeps it across pushes."
	case head != current:
		lasts = fmt.Sprintf("It does not cover %s, pushed after you wrote this and the head now: to override %s there, comment %s again.",
			shortCode(current), command.Code(cmd.Rule), again)
	}
	return fmt.Sprintf("@%s overrode %s for %s: %s. %s The check is evaluated again now and lists the override; the audit trail keeps it.",
		cm.Author, command.Code(cmd.Rule), decision.ShortSHA(head), command.Code(cmd.Reason), lasts), nil
}
