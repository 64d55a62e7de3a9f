// Package decision is mergeguard's decision model: what each rule concluded
// about a pull request, the verdict that follows from those results, and the
// annotations that point at offending lines.
//
// It is plain data on purpose. Nothing here knows about GitHub, OPA, HTTP or
// SQL, so the same values feed the check run, `mergeguard eval`, the audit
// trail and table tests.
package decision

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Outcome is what one rule concluded.
type Outcome string

const (
	// Pass: the rule found nothing to object to.
	Pass Outcome = "pass"
	// Fail: the rule denies the merge.
	Fail Outcome = "fail"
	// Warn: the rule has something to say, but does not block.
	Warn Outcome = "warn"
	// Skip: the rule does not apply to this pull request.
	Skip Outcome = "skip"
	// Error: the rule could not be evaluated. Treated as blocking, because a
	// merge gate that cannot decide must not silently let changes through.
	Error Outcome = "error"
	// Overridden: the rule failed (or could not be evaluated) and someone
	// allowed to overrode it for this head commit. It does not block; its
	// findings stay visible.
	Overridden Outcome = "overridden"
)

// Blocks reports whether the outcome prevents a merge in enforcing mode.
func (o Outcome) Blocks() bool { return o == Fail || o == Error }

// Severity is how seriously a rule's denials are meant. A rule whose denials
// carry SeverityWarning reports them without blocking.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return s == SeverityError || s == SeverityWarning }

// Mode selects whether a verdict can block a merge.
type Mode string

const (
	// Enforce: a failing rule fails the check run.
	Enforce Mode = "enforce"
	// Report: rules are evaluated and shown, the check run is neutral. Used to
	// trial a policy before it blocks anyone.
	Report Mode = "report"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == Enforce || m == Report }

// Conclusion is the check-run conclusion a verdict maps to.
type Conclusion string

const (
	Success Conclusion = "success"
	Failure Conclusion = "failure"
	Neutral Conclusion = "neutral"
)

// Location points into the new version of a file.
type Location struct {
	Path      string `json:"path"`
	StartLine int    `json:"start_line,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
}

// Finding is one message from a rule, optionally pointing at a location.
type Finding struct {
	Message  string    `json:"message"`
	Location *Location `json:"location,omitempty"`
}

// RuleResult is the complete result of one rule on one pull request.
type RuleResult struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Severity    Severity `json:"severity"`
	Remedy      string   `json:"remedy,omitempty"`
	// WarnOnly is set for a rule that defines warn and no deny: its
	// warnings are all it says, so its remedy answers them.
	WarnOnly bool      `json:"warn_only,omitempty"`
	Outcome  Outcome   `json:"outcome"`
	Denials  []Finding `json:"denials,omitempty"`
	Warnings []Finding `json:"warnings,omitempty"`
	// SkipReasons explain why the rule did not apply.
	SkipReasons []string `json:"skip_reasons,omitempty"`
	// Err describes why the rule could not be evaluated (Outcome Error).
	Err string `json:"error,omitempty"`
	// Prints is the rule's print() output, kept when debugging a policy.
	Prints []string `json:"prints,omitempty"`
	// Details are tables the rule adds to the check run's details (the
	// per-file results of diff coverage): more than the summary's lines
	// can hold, and not findings of their own.
	Details []Table `json:"details,omitempty"`
	// RecheckAt is the next instant at which the rule's verdict may change
	// without any event (a freeze starting or ending); the pull request is
	// evaluated again then.
	RecheckAt *time.Time `json:"recheck_at,omitempty"`
	// RequestReviewers are reviewers the rule asks mergeguard to request
	// on the pull request (code owners still missing); nil when none.
	RequestReviewers *ReviewRequest `json:"request_reviewers,omitempty"`
	// Overridden is the override that keeps a failing rule from blocking.
	Overridden *Override `json:"overridden,omitempty"`
}

// ShowsRemedy reports whether the rule's remedy belongs under its findings:
// it answers a denial, or the warnings of a warn-only rule. Warnings of a
// rule that can deny (a stale approval, a configuration hint) say what to
// do themselves.
func (r RuleResult) ShowsRemedy() bool {
	return r.Remedy != "" && (len(r.Denials) > 0 || r.WarnOnly && len(r.Warnings) > 0)
}

// Table is a rule's table for the check run's details. Every row has as
// many cells as there are columns; cells are markdown text.
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	// Note follows the table: what it leaves out, how to read it.
	Note string `json:"note,omitempty"`
}

// Conclude fills in Outcome from the rule's findings and severity. Denials of
// a warning-severity rule are reported as a warning, not a failure.
func (r RuleResult) Conclude() RuleResult {
	switch {
	case r.Err != "":
		r.Outcome = Error
	case len(r.Denials) > 0 && r.Severity != SeverityWarning:
		r.Outcome = Fail
	case len(r.Denials) > 0 || len(r.Warnings) > 0:
		r.Outcome = Warn
	case len(r.SkipReasons) > 0:
		r.Outcome = Skip
	default:
		r.Outcome = Pass
	}
	if r.Overridden != nil && r.Outcome.Blocks() {
		r.Outcome = Overridden
	}
	return r
}

// Verdict is the decision about one pull request at one head commit.
type Verdict struct {
	Mode Mode `json:"mode"`
	// Blocked is what the rules say, independent of mode: in report mode a
	// verdict can be Blocked while its conclusion is neutral.
	Blocked    bool         `json:"blocked"`
	Conclusion Conclusion   `json:"conclusion"`
	Rules      []RuleResult `json:"rules"`
	// Overrides and Holds are the interventions in effect, for the summary
	// and the audit trail.
	Overrides []Override `json:"overrides,omitempty"`
	Holds     []Hold     `json:"holds,omitempty"`
}

// Decide turns rule results into a verdict. Rules are ordered so that the
// ones a reader must act on come first.
func Decide(mode Mode, results []RuleResult) Verdict {
	rules := make([]RuleResult, len(results))
	blocked := false
	for i, r := range results {
		rules[i] = r.Conclude()
		if rules[i].Outcome.Blocks() {
			blocked = true
		}
	}
	slices.SortStableFunc(rules, func(a, b RuleResult) int {
		return cmp.Or(cmp.Compare(outcomeRank[a.Outcome], outcomeRank[b.Outcome]), cmp.Compare(a.ID, b.ID))
	})
	v := Verdict{Mode: mode, Blocked: blocked, Rules: rules, Conclusion: Success}
	switch {
	case mode == Report:
		v.Conclusion = Neutral
	case blocked:
		v.Conclusion = Failure
	}
	return v
}

var outcomeRank = map[Outcome]int{Error: 0, Fail: 1, Warn: 2, Overridden: 3, Pass: 4, Skip: 5}

// RecheckAt is the earliest instant at which a rule's verdict may change on
// its own, if any rule said so.
func (v Verdict) RecheckAt() (time.Time, bool) {
	var at time.Time
	for _, r := range v.Rules {
		if r.RecheckAt != nil && (at.IsZero() || r.RecheckAt.Before(at)) {
			at = *r.RecheckAt
		}
	}
	return at, !at.IsZero()
}

// ReviewRequest is whom to ask for a review: users by login, teams as
// "org/slug".
type ReviewRequest struct {
	Users []string `json:"users,omitempty"`
	Teams []string `json:"teams,omitempty"`
}

// ReviewRequests gathers the reviewers the rules ask for, each once
// (logins and team names compared without regard to case, as GitHub
// does), sorted; nil when no rule asks for any.
func (v Verdict) ReviewRequests() *ReviewRequest {
	users, teams := map[string]string{}, map[string]string{}
	for _, r := range v.Rules {
		if r.RequestReviewers == nil {
			continue
		}
		for _, u := range r.RequestReviewers.Users {
			users[strings.ToLower(u)] = u
		}
		for _, t := range r.RequestReviewers.Teams {
			teams[strings.ToLower(t)] = t
		}
	}
	if len(users)+len(teams) == 0 {
		return nil
	}
	out := &ReviewRequest{}
	for _, u := range users {
		out.Users = append(out.Users, u)
	}
	for _, t := range teams {
		out.Teams = append(out.Teams, t)
	}
	slices.Sort(out.Users)
	slices.Sort(out.Teams)
	return out
}

// Count returns how many rules ended with the given outcome.
func (v Verdict) Count(o Outcome) int {
	n := 0
	for _, r := range v.Rules {
		if r.Outcome == o {
			n++
		}
	}
	return n
}
