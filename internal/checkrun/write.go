package checkrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/report"
	"github.com/mergeguard/mergeguard/internal/text"
)

// write creates or updates the check run on t.Head.SHA to show the output.
// The caller holds the commit's lease.
func (p *Publisher) write(ctx context.Context, gh GitHub, t Target, key decision.CheckRunKey, conclusion decision.Conclusion, out report.Output) (Result, error) {
	digest := outputDigest(conclusion, out)

	rec, err := p.State.Get(ctx, key)
	if errors.Is(err, decision.ErrNotFound) || err == nil && rec.ID == 0 {
		// Not ours on record (a new commit, or state lost): ask GitHub, so a
		// second check run with the same name is never created.
		id, ferr := gh.FindCheckRun(ctx, t.Head.Repo.Owner, t.Head.Repo.Name, t.Head.SHA, p.Name, p.AppID)
		if ferr != nil {
			return Result{}, ferr
		}
		rec, err = decision.CheckRunRecord{ID: id}, nil
	}
	if err != nil {
		return Result{}, err
	}
	unchanged := rec.ID != 0 && rec.OutputDigest == digest
	if unchanged && t.Rerun == nil {
		return Result{CheckRunID: rec.ID, Unchanged: true}, nil
	}

	sent := map[string]bool{}
	for _, k := range rec.Annotations {
		sent[k] = true
	}
	current := map[string]bool{}
	var pending []decision.Annotation
	for _, a := range out.Annotations {
		k := annotationKey(a)
		current[k] = true
		if !sent[k] {
			pending = append(pending, a)
		}
	}
	summary := out.Summary
	if stale := countMissing(rec.Annotations, current); stale > 0 {
		note := fmt.Sprintf("\n_%d line %s from an earlier evaluation of this commit no longer %s. GitHub cannot remove annotations from a check run; the findings above are current._\n",
			stale, text.Plural(stale, "annotation", "annotations"), text.Plural(stale, "applies", "apply"))
		if len(summary)+len(note) <= 65535 {
			summary += note
		}
	}

	res := Result{Rerun: unchanged}
	now := p.Now()
	if t.Rerun != nil {
		// Whoever asked sees when it was done, first.
		note := t.Rerun.Note(now, unchanged) + "\n\n"
		if len(note)+len(summary) <= 65535 {
			summary = note + summary
		}
	}
	title := text.Clip(out.Title, 255)
	first := take(&pending)
	w := decision.CheckRunWrite{
		Name: p.Name, ExternalID: fmt.Sprintf("pr:%d", t.Head.Number), Conclusion: conclusion, CompletedAt: now,
		Title: title, Summary: summary, Text: out.Text, Annotations: sendable(first),
	}
	if p.DetailsURL != nil {
		w.DetailsURL = p.DetailsURL(t)
	}

	if rec.ID != 0 && rec.OutputDigest != "" {
		// GitHub may carry out the update and its answer be lost (a 502
		// after the write, or this process stopping before it records
		// what it wrote). Until the new output is recorded, the run's
		// output is in doubt, and the next evaluation writes whatever its
		// verdict: it may be the one recorded now, and no longer shown.
		doubt := rec
		doubt.OutputDigest = ""
		if err := p.State.Put(ctx, key, doubt); err != nil {
			return Result{}, err
		}
	}
	if rec.ID == 0 {
		w.HeadSHA = t.Head.SHA
		id, err := p.create(ctx, gh, t, w)
		if err != nil {
			return res, err
		}
		rec.ID, res.Created = id, true
	} else {
		err := gh.UpdateCheckRun(ctx, t.Head.Repo.Owner, t.Head.Repo.Name, rec.ID, w)
		if err != nil {
			return res, err
		}
	}
	res.CheckRunID = rec.ID
	rec.Annotations = appendKeys(rec.Annotations, first)
	res.AnnotationsSent += len(first)

	// GitHub takes at most 50 annotations per request; the rest go in
	// further updates, which append to the ones already there.
	for len(pending) > 0 {
		batch := take(&pending)
		err := gh.UpdateCheckRun(ctx, t.Head.Repo.Owner, t.Head.Repo.Name, rec.ID, decision.CheckRunWrite{
			Name: p.Name, Title: title, Summary: summary, Annotations: sendable(batch),
		})
		if err != nil {
			// Remember what got through, so a retry sends only the rest.
			rec.OutputDigest = ""
			_ = p.State.Put(context.WithoutCancel(ctx), key, rec)
			return res, err
		}
		rec.Annotations = appendKeys(rec.Annotations, batch)
		res.AnnotationsSent += len(batch)
	}
	rec.OutputDigest = digest
	if err := p.State.Put(ctx, key, rec); err != nil {
		return res, err
	}
	return res, nil
}

// maxCreates bounds how often one publication sends a creation whose
// answer was lost.
const maxCreates = 3

// create creates the check run. GitHub may carry out a creation and then
// answer it with a server error or not at all, so a creation whose answer
// was lost is not simply sent again: the check run is looked up by name
// and head, and created again only when it is not there. The caller holds
// the commit's lease and looked it up just before, so one found now is the
// one this creation made, output and annotations included.
func (p *Publisher) create(ctx context.Context, gh GitHub, t Target, w decision.CheckRunWrite) (int64, error) {
	for attempt := 1; ; attempt++ {
		id, err := gh.CreateCheckRun(ctx, t.Head.Repo.Owner, t.Head.Repo.Name, w)
		var lost interface{ OutcomeUnknown() bool }
		if err == nil || !errors.As(err, &lost) || !lost.OutcomeUnknown() || attempt == maxCreates {
			return id, err
		}
		found, ferr := gh.FindCheckRun(ctx, t.Head.Repo.Owner, t.Head.Repo.Name, t.Head.SHA, p.Name, p.AppID)
		if ferr != nil {
			return 0, fmt.Errorf("%w; and looking for the check run it may have created: %w", err, ferr)
		}
		if found != 0 {
			return found, nil
		}
	}
}

func countMissing(keys []string, current map[string]bool) int {
	n := 0
	for _, k := range keys {
		if !current[k] {
			n++
		}
	}
	return n
}

func take(pending *[]decision.Annotation) []decision.Annotation {
	n := min(len(*pending), BatchSize)
	batch := (*pending)[:n]
	*pending = (*pending)[n:]
	return batch
}

func appendKeys(keys []string, as []decision.Annotation) []string {
	for _, a := range as {
		keys = append(keys, annotationKey(a))
	}
	return keys
}

// sendable applies GitHub's limits on an annotation's title and message.
func sendable(as []decision.Annotation) []decision.Annotation {
	out := make([]decision.Annotation, 0, len(as))
	for _, a := range as {
		a.Title, a.Message = text.Clip(a.Title, 255), text.Clip(a.Message, 64000)
		out = append(out, a)
	}
	return out
}

func annotationKey(a decision.Annotation) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s\x00%s\x00%s", a.Path, a.StartLine, a.EndLine, a.Level, a.Title, a.Message)
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// outputDigest identifies what the check run shows; an unchanged digest means
// there is nothing to write.
func outputDigest(conclusion decision.Conclusion, out report.Output) string {
	h := sha256.New()
	io.WriteString(h, string(conclusion)+"\x00"+out.Title+"\x00"+out.Summary+"\x00"+out.Text)
	for _, a := range out.Annotations {
		io.WriteString(h, "\x00"+annotationKey(a))
	}
	return hex.EncodeToString(h.Sum(nil))
}
