package decision

import (
	"slices"
	"time"
)

// An override or the release of a hold is a decision about the commit its
// author was looking at. A comment does not say which commit that was, so
// it is worked out from when GitHub wrote the comment (its created_at) and
// when the pull request was seen at which head: never from commit dates,
// which whoever makes a commit sets.

// HeadSighting is a moment a pull request's head was seen to be SHA. The
// moment lies between From, a GitHub time before it (the updated_at of the
// pull request in the payload or answer that showed the head: GitHub wrote
// that payload after that update), and To, when mergeguard received it.
type HeadSighting struct {
	SHA      string
	From, To time.Time
	// Opened marks the head a pull request was opened with: there was no
	// head before it.
	Opened bool
}

// HeadSettle is how long a head must have been the head before a comment
// for the comment to be taken as written about it: a push seconds before
// the comment may not have been on its author's screen. It also covers
// GitHub's whole-second times and a few seconds between GitHub's clock and
// the server's.
const HeadSettle = 10 * time.Second

// CommentHead is what can be said about the head a comment was written on.
type CommentHead struct {
	// SHA is the head when the comment was written, "" when it cannot be
	// told for sure.
	SHA string
	// Candidates, when SHA is "", are the heads the comment may have been
	// written on, in the order they were seen; the last is the head now.
	Candidates []string
}

// HeadWhenWritten says which head a comment written at written (GitHub's
// created_at, in whole seconds) was written on, given what was seen of
// the pull request's head and its head now (read after the comment was
// written). The answer is a head H only when H was certainly the head
// HeadSettle before the comment, is certainly the head at a moment after
// it (or is the head now), and nothing seen in between was another head.
// Otherwise it names the heads it may have been.
func HeadWhenWritten(seen []HeadSighting, current string, written time.Time) CommentHead {
	seen = slices.Clone(seen)
	slices.SortStableFunc(seen, func(x, y HeadSighting) int { return x.From.Compare(y.From) })
	unsure := func(from time.Time) CommentHead {
		var c []string
		for _, s := range seen {
			if !s.To.Before(from) && !slices.Contains(c, s.SHA) {
				c = append(c, s.SHA)
			}
		}
		if i := slices.Index(c, current); i >= 0 {
			c = slices.Delete(c, i, i+1)
		}
		return CommentHead{Candidates: append(c, current)}
	}
	if written.IsZero() {
		return CommentHead{Candidates: []string{current}}
	}

	// a: the last sighting certainly before the settle period. The head a
	// pull request was opened with had no head before it.
	cutoff := written.Add(-HeadSettle)
	var a *HeadSighting
	for i := range seen {
		s := &seen[i]
		if (s.Opened || !s.To.After(cutoff)) && (a == nil || s.To.After(a.To)) {
			a = s
		}
	}
	if a == nil {
		return unsure(cutoff)
	}

	// b: the first sighting of the same head certainly after the comment
	// (its whole second is over), or the head now.
	after := written.Truncate(time.Second).Add(time.Second)
	var end time.Time // zero: the head now, open-ended
	found := current == a.SHA
	for _, s := range seen {
		if s.SHA == a.SHA && !s.From.Before(after) && (!found || end.IsZero() || s.To.Before(end)) {
			end, found = s.To, true
		}
	}
	if !found {
		return unsure(a.From)
	}
	// Nothing seen between a and b may be another head.
	for _, s := range seen {
		if s.SHA != a.SHA && !s.To.Before(a.From) && (end.IsZero() || !s.From.After(end)) {
			return unsure(a.From)
		}
	}
	return CommentHead{SHA: a.SHA}
}
