// Package ui serves mergeguard's web view under /ui/: the evaluation page a
// check run's details link opens, the organization's freezes at a glance,
// and the timeline an incident review needs, with sign-in through GitHub.
//
// The package owns the types its pages show and the interfaces it needs
// from the rest of the server (Reader, Authorizer, Schedule); the
// composition root adapts the store, the GitHub App client and the freeze
// configuration to them. Pages are plain server-rendered HTML: they work
// without JavaScript.
package ui

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is what a Reader returns for a pull request it has no record
// of.
var ErrNotFound = errors.New("not found")

// Reader reads what the pages show. Repositories are "owner/name"; the
// pages compare them without regard to case.
type Reader interface {
	// PullRequest returns a pull request's evaluations (newest first) and
	// the overrides and holds placed on it, or ErrNotFound.
	PullRequest(ctx context.Context, repo string, number int) (PullRequest, error)
	// Timeline returns the organization's entries matching the filter,
	// newest first, at most f.Limit of them.
	Timeline(ctx context.Context, f TimelineFilter) ([]TimelineEntry, error)
	// Freezes returns the organization's incident freezes in effect at now
	// or starting later.
	Freezes(ctx context.Context, owner string, now time.Time) ([]Freeze, error)
	// Input returns the input document stored with one of the pull
	// request's evaluations (Evaluation.ID), or ErrNotFound when the pull
	// request has no such evaluation. A document larger than MaxInputShown
	// once decompressed is an error wrapping ErrInputTooLarge.
	Input(ctx context.Context, repo string, number int, evaluationID string) (StoredInput, error)
}

// ErrInputTooLarge is what a Reader returns for a stored input document
// larger than MaxInputShown.
var ErrInputTooLarge = errors.New("stored input document too large to show")

// MaxInputShown bounds an input document the page reads, decompressed: it
// is parsed in the request, and the page shows only a part of it anyway.
const MaxInputShown = 16 << 20

// StoredInput is an evaluation's input document as stored.
type StoredInput struct {
	// Document is the input document (JSON); nil when it was not stored.
	Document []byte
	// Size is the document's size when it was recorded, in bytes; more
	// than zero for a document too large to store, zero for an evaluation
	// recorded before mergeguard stored documents.
	Size int64
}

// Authorizer answers, from GitHub, what a signed-in user may see. Answers
// may be cached briefly (see NewCachedAuthorizer): a user removed from an
// organization loses access within that time.
type Authorizer interface {
	// IsMember reports whether the user is a member of the organization.
	IsMember(ctx context.Context, org, login string) (bool, error)
	// CanRead reports whether the user can read the repository
	// ("owner/name").
	CanRead(ctx context.Context, repo, login string) (bool, error)
}

// Schedule says when the organization's configured change freezes apply
// (rules.change_freeze: its timezone, weekly windows and dates). It is the
// freeze rule's own computation, adapted, so the page and the check agree.
type Schedule interface {
	// Location is the organization's time zone (UTC when it sets none).
	Location(ctx context.Context, owner string) (*time.Location, error)
	// Windows returns each occurrence of a weekly window and each freeze
	// date span that overlaps [from, to), in start order.
	Windows(ctx context.Context, owner string, from, to time.Time) ([]Window, error)
}

// PullRequest is everything recorded about one pull request.
type PullRequest struct {
	Repo   string
	Number int
	Title  string
	// Evaluations, newest first.
	Evaluations []Evaluation
	Overrides   []Override
	Holds       []Hold
}

// Evaluation is one published evaluation of a pull request's head commit.
type Evaluation struct {
	// ID is the Reader's key for the evaluation (for Input).
	ID      string
	At      time.Time
	HeadSHA string
	// Policy is the policy version (the policy repository's commit).
	Policy  string
	Trigger string
	// Conclusion is the check's: success, failure, neutral, …
	Conclusion string
	Rules      []RuleResult
}

// RuleResult is one rule's outcome and findings.
type RuleResult struct {
	ID string
	// Outcome: pass, fail, overridden, skip, error, …
	Outcome  string
	Findings []Finding
}

// Finding is one thing a rule reported.
type Finding struct {
	Message string
	Path    string
	Line    int
}

// Override let one rule's failure through.
type Override struct {
	Rule    string
	HeadSHA string
	Actor   string
	Reason  string
	At      time.Time
}

// Hold blocks a pull request until released.
type Hold struct {
	Actor      string
	Reason     string
	At         time.Time
	ReleasedBy string
	ReleasedAt time.Time
}

// Freeze is an incident freeze.
type Freeze struct {
	ID    int64
	Owner string
	// Repositories it applies to ("name" or "owner/name"); empty for the
	// whole organization.
	Repositories []string
	Reason       string
	StartsAt     time.Time
	// Ends is when it stops applying; zero while it has no end.
	Ends      time.Time
	CreatedBy string
}

// Window is one stretch of configured freeze: an occurrence of a weekly
// window ("Fri 15:00" to "Mon 08:00") or a span of dates (a holiday
// freeze from 2026-12-21 to 2027-01-04, whole days in the organization's
// zone).
type Window struct {
	Start, End time.Time
	// Kind is WindowWeekly or WindowDates.
	Kind string
	// Reason is the configured reason ("weekend freeze").
	Reason string
}

// Window kinds.
const (
	WindowWeekly = "weekly"
	WindowDates  = "dates"
)

// TimelineFilter selects timeline entries. Zero fields do not filter,
// except Owner, which is always set.
type TimelineFilter struct {
	Owner string
	Repo  string // owner/name
	Since time.Time
	Until time.Time
	// Kinds keeps only these kinds (see Kinds).
	Kinds []string
	// Bypasses keeps only what let a change past a rule, as `mergeguard
	// audit --bypasses` does.
	Bypasses bool
	Limit    int
}

// Kinds are the timeline's entry kinds, in the order the filter offers
// them. They are the audit trail's.
var Kinds = []string{"merge", "override", "hold", "unhold", "freeze.start", "freeze.end", "policy.change", "evaluation"}

// TimelineEntry is one line of the timeline: the audit trail's record,
// with the same fields and JSON names as `mergeguard audit --format json`.
type TimelineEntry struct {
	At      time.Time      `json:"at"`
	Kind    string         `json:"kind"`
	Repo    string         `json:"repo,omitempty"`
	Number  int            `json:"pr,omitempty"`
	Actor   string         `json:"actor,omitempty"`
	Rule    string         `json:"rule,omitempty"`
	SHA     string         `json:"head_sha,omitempty"`
	Result  string         `json:"result,omitempty"`
	Reason  string         `json:"reason,omitempty"`
	Details map[string]any `json:"details,omitempty"`
}
