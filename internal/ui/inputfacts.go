package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mergeguard/mergeguard/internal/text"
)

// The page shows the input facts that explain a verdict: the reviews
// mergeguard saw and whether each still applied to the head, the files the
// failing rules pointed at, and the start of the changed files. They come
// from the input document stored with the evaluation, so they are what the
// rules saw then, not what GitHub says now.

// Bounds on what the page lists, so that a pull request with thousands of
// files or a review before a large push keeps a readable page.
const (
	maxFilesShown        = 50
	maxChangedSinceShown = 10
)

// InputFacts is what the evaluation page shows of the stored input.
type InputFacts struct {
	// Missing says, in a sentence, why no facts are shown; "" when they are.
	Missing string
	Reviews []ReviewFact
	// RuleFiles are, for each rule with findings on files, those files.
	RuleFiles []RuleFiles
	// Changed counts the changed files the rules saw; Truncated is set when
	// GitHub's list was cut, so there were more.
	Changed   int
	Truncated bool
	// Files are the first changed files; MoreFiles counts the rest.
	Files     []FileFact
	MoreFiles int
}

// ReviewFact is one reviewer's latest decisive review and whether it
// applied to the head that was evaluated.
type ReviewFact struct {
	Reviewer string
	Bot      bool
	State    string
	Commit   string // the commit it was given on
	// Standing is "current", "still applies", "stale" or "not counted".
	Standing string
	// Why explains Standing.
	Why string
	// ChangedSince are the first files changed after the review;
	// MoreChangedSince counts the rest.
	ChangedSince     []string
	MoreChangedSince int
}

// Class is Standing as a CSS class name.
func (r ReviewFact) Class() string { return "r-" + strings.ReplaceAll(r.Standing, " ", "-") }

// RuleFiles are the files a rule's findings point to.
type RuleFiles struct {
	Rule  string
	Files []FileFact
}

// FileFact is a changed file; Known is false for a finding's path that is
// not among the changed files the input lists.
type FileFact struct {
	Path, PreviousPath, Status string
	Additions, Deletions       int
	Known                      bool
}

// inputDocument holds the fields of the input document (docs/input.md)
// the page reads; the rest is ignored.
type inputDocument struct {
	Files []struct {
		Path         string `json:"path"`
		PreviousPath string `json:"previous_path"`
		Status       string `json:"status"`
		Additions    int    `json:"additions"`
		Deletions    int    `json:"deletions"`
	} `json:"files"`
	FilesTruncated bool `json:"files_truncated"`
	Reviews        []struct {
		Author struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		} `json:"author"`
		State             string   `json:"state"`
		CommitSHA         string   `json:"commit_sha"`
		OnHead            bool     `json:"on_head"`
		ChangesSinceKnown bool     `json:"changes_since_known"`
		FilesChangedSince []string `json:"files_changed_since"`
	} `json:"reviews"`
}

// Sentences for an evaluation whose input cannot be shown.
const (
	missingOld      = "The input facts of this evaluation were not stored: it was recorded before mergeguard kept each evaluation's input."
	missingUnread   = "The input facts of this evaluation could not be read from the audit trail."
	missingTooLarge = "The input facts of this evaluation are too large to show here."
)

// missingTooLargeToStore says a document was too large to keep.
func missingTooLargeToStore(size int64) string {
	return fmt.Sprintf("The input facts of this evaluation were not stored: the input document (%s) was larger than mergeguard keeps.", byteSize(size))
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// BuildInputFacts reads the facts the page shows from a stored input
// document, for an evaluation with the given rule results. A document that
// is not stored or not readable gives only a Missing sentence.
func BuildInputFacts(in StoredInput, rules []RuleResult) InputFacts {
	if in.Document == nil {
		if in.Size > 0 {
			return InputFacts{Missing: missingTooLargeToStore(in.Size)}
		}
		return InputFacts{Missing: missingOld}
	}
	var doc inputDocument
	if err := json.Unmarshal(in.Document, &doc); err != nil {
		return InputFacts{Missing: missingUnread}
	}
	out := InputFacts{Changed: len(doc.Files), Truncated: doc.FilesTruncated}
	byPath := make(map[string]FileFact, len(doc.Files))
	for i, f := range doc.Files {
		ff := FileFact{Path: f.Path, PreviousPath: f.PreviousPath, Status: f.Status, Additions: f.Additions, Deletions: f.Deletions, Known: true}
		if _, dup := byPath[f.Path]; !dup {
			byPath[f.Path] = ff
		}
		if i < maxFilesShown {
			out.Files = append(out.Files, ff)
		}
	}
	out.MoreFiles = max(len(doc.Files)-maxFilesShown, 0)
	for _, r := range rules {
		var files []FileFact
		for _, f := range r.Findings {
			if f.Path == "" || slices.ContainsFunc(files, func(x FileFact) bool { return x.Path == f.Path }) {
				continue
			}
			ff, ok := byPath[f.Path]
			if !ok {
				ff = FileFact{Path: f.Path}
			}
			files = append(files, ff)
		}
		if len(files) > 0 {
			out.RuleFiles = append(out.RuleFiles, RuleFiles{Rule: r.ID, Files: files})
		}
	}
	for _, rv := range doc.Reviews {
		f := ReviewFact{Reviewer: rv.Author.Login, State: rv.State, Commit: rv.CommitSHA,
			Bot: rv.Author.Type == "Bot" || strings.HasSuffix(rv.Author.Login, "[bot]")}
		changed := rv.FilesChangedSince
		switch {
		case rv.State == "DISMISSED":
			f.Standing, f.Why = "not counted", "the review was dismissed"
		case f.Bot:
			// lib.is_bot: the rules that count reviews leave bots out.
			f.Standing, f.Why = "not counted", "the reviewer is a bot, which the review rules do not count"
		case rv.OnHead:
			f.Standing, f.Why = "current", "given on the head that was evaluated"
		case !rv.ChangesSinceKnown:
			f.Standing, f.Why = "stale", "given on an earlier commit, and what changed since is unknown (the commit was force-pushed away, or too many files changed)"
		case len(changed) == 0:
			f.Standing, f.Why = "still applies", "given on an earlier commit, and no file changed since"
		default:
			f.Standing = "stale"
			f.Why = fmt.Sprintf("given on an earlier commit; %d %s changed since (a rule may ignore some paths)", len(changed), text.Plural(len(changed), "file", "files"))
		}
		// The files matter only where they make the review stale.
		if f.Standing == "stale" {
			if len(changed) > maxChangedSinceShown {
				f.MoreChangedSince = len(changed) - maxChangedSinceShown
				changed = changed[:maxChangedSinceShown]
			}
			f.ChangedSince = changed
		}
		out.Reviews = append(out.Reviews, f)
	}
	return out
}
