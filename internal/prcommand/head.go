package prcommand

import (
	"context"
	"fmt"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/store"
)

// writtenOn works out which head the comment was written on, from the
// heads seen of the pull request (webhooks record them) and pr, the pull
// request read after the comment was written; what pr shows is recorded
// too, so that a comment written after this one can be placed.
func (h *Handler) writtenOn(ctx context.Context, cm Comment, pr decision.PullRequestDetails) (decision.CommentHead, error) {
	current := pr.Head.SHA
	if current == "" {
		return decision.CommentHead{}, fmt.Errorf("GitHub gave no head commit for %s", subject(cm.PR))
	}
	var seen []decision.HeadSighting
	err := h.DB.InTx(ctx, func(tx store.Tx) error {
		now := decision.HeadSighting{SHA: current, From: pr.UpdatedAt, To: h.Now()}
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
	why := "mergeguard has no record of this pull request's head from before you wrote this (it was pushed before mergeguard recorded pushes, or its event has not arrived yet), so it cannot tell which commit you were looking at"
	switch {
	case cm.WrittenAt.IsZero():
		why = "mergeguard does not know when this comment was written, so it cannot tell which commit you were looking at"
	case len(head.Candidates) > 1:
		why = fmt.Sprintf("this pull request's head was %s before you wrote this (%s UTC) and is %s now; mergeguard cannot tell which of them you were looking at",
			shortCode(head.Candidates[0]), cm.WrittenAt.UTC().Format("2006-01-02 15:04:05"), shortCode(now))
	}
	return fmt.Sprintf("@%s, %s. %s To %s %s, the head now, comment %s again.", cm.Author, why, undone, todo, shortCode(now), again)
}

// shortCode is a commit's short SHA as inline code.
func shortCode(sha string) string { return "`" + decision.ShortSHA(sha) + "`" }
