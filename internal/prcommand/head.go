package prcommand

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/store"
)

// writtenOn works out which head the comment was written on, from the
// heads seen of the pull request (webhooks record them) and pr, the pull
// request read after the comment was written; what pr shows is recorded
// too, so that a comment written after this one can be placed.
func (h *Handler) writtenOn(ctx context.Context, cm Comment, pr *github.PullRequest) (decision.CommentHead, error) {
	current := pr.GetHead().GetSHA()
	if current == "" {
		return decision.CommentHead{}, fmt.Errorf("GitHub gave no head commit for %s", subject(cm.PR))
	}
	var seen []decision.HeadSighting
	err := h.DB.InTx(ctx, func(tx store.Tx) error {
		now := decision.HeadSighting{SHA: current, From: pr.GetUpdatedAt().Time, To: h.Now()}
		if err := store.RecordHeadSighting(ctx, tx, ref(cm.PR), now); err != nil {
			return err
		}
		var err error
		seen, err = store.HeadSightings(ctx, tx, ref(cm.PR))
		return err
	})
	if err != nil {
		return decision.CommentHead{}, err
	}
	return decision.HeadWhenWritten(seen, current, cm.WrittenAt), nil
}

// unsureHead says that the comment's head cannot be told, what was not
// done (nothing), and what to comment to act (todo: "release the hold
// on") on the head now.
func unsureHead(cm Comment, head decision.CommentHead, undone, todo, again string) string {
	now := head.Candidates[len(head.Candidates)-1]
	why := "mergeguard has no record of which commit was this pull request's head when you wrote this (it was pushed before mergeguard recorded pushes, or its event has not arrived yet)"
	switch {
	case cm.WrittenAt.IsZero():
		why = "mergeguard does not know when this comment was written, so it cannot tell which commit was the head then"
	case len(head.Candidates) > 1:
		why = fmt.Sprintf("this pull request's head changed around the time you wrote this (%s UTC): it was %s shortly before and is %s now",
			cm.WrittenAt.UTC().Format("2006-01-02 15:04:05"), shortCode(head.Candidates[0]), shortCode(now))
	}
	return fmt.Sprintf("@%s, %s, so mergeguard cannot tell which commit you meant. %s To %s %s, the head now, comment %s again.",
		cm.Author, why, undone, todo, shortCode(now), again)
}

// shortCode is a commit's short SHA as inline code.
func shortCode(sha string) string { return "`" + short(sha) + "`" }
