package uifake

import (
	"time"

	"github.com/mergeguard/mergeguard/internal/ui"
)

// Fixture is an organization "acme" with two repositories and three people:
//   - alice, a member who can read acme/shop and acme/vault;
//   - bob, a member who can read acme/shop only;
//   - eve, who is not a member.
//
// acme/shop#42 has three evaluations, an override and a released hold;
// the newest has its input document stored (reviews current, stale,
// dismissed and by a bot; three changed files), the one before was too
// large to store, and the first predates stored inputs;
// acme/vault#7 one evaluation. The timeline has merges, an override, a
// hold, freezes and a policy change in both repositories; there is an
// organization-wide incident freeze, one on vault only, and a planned one
// on shop. The organization's zone is Europe/Berlin, with a weekly window
// from Friday 15:00 to Monday 08:00 and a one-day date freeze five days
// after now.
type Fixture struct {
	Now        time.Time
	Reader     *Reader
	Authorizer *Authorizer
	Schedule   *Schedule
}

// Acme builds the fixture around now.
func Acme(now time.Time) Fixture {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		berlin = time.FixedZone("CET", 3600)
	}
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	const (
		head1   = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		head2   = "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		policyA = "aaaa000000000000000000000000000000000000"
		policyB = "bbbb000000000000000000000000000000000000"
	)
	r := &Reader{}
	r.AddPR(ui.PullRequest{
		Repo: "acme/shop", Number: 42, Title: "Checkout: retry card payments",
		Evaluations: []ui.Evaluation{
			{
				ID: "eval-3", At: ago(1 * time.Hour), HeadSHA: head2, Policy: policyB, Trigger: "pull_request_review.submitted", Conclusion: "success",
				Rules: []ui.RuleResult{
					{ID: "code_owners", Outcome: "pass"},
					{ID: "coverage", Outcome: "overridden", Findings: []ui.Finding{{Message: "Patch coverage 61% is below 80%", Path: "payments/retry.go", Line: 40}}},
					{ID: "change_freeze", Outcome: "pass"},
				},
			},
			{
				ID: "eval-2", At: ago(3 * time.Hour), HeadSHA: head2, Policy: policyA, Trigger: "synchronize", Conclusion: "failure",
				Rules: []ui.RuleResult{
					{ID: "code_owners", Outcome: "fail", Findings: []ui.Finding{{Message: "needs a review from @acme/payments"}}},
					{ID: "coverage", Outcome: "fail", Findings: []ui.Finding{{Message: "Patch coverage 61% is below 80%", Path: "payments/retry.go", Line: 40}}},
				},
			},
			{
				ID: "eval-1", At: ago(5 * time.Hour), HeadSHA: head1, Policy: policyA, Trigger: "opened", Conclusion: "failure",
				Rules: []ui.RuleResult{
					{ID: "code_owners", Outcome: "fail"},
					{ID: "coverage", Outcome: "pass"},
				},
			},
		},
		Overrides: []ui.Override{{Rule: "coverage", HeadSHA: head2, Actor: "alice", Reason: "retry path is covered by the e2e suite", At: ago(90 * time.Minute)}},
		Holds:     []ui.Hold{{Actor: "bob", Reason: "wait for the payments migration", At: ago(4 * time.Hour), ReleasedBy: "bob", ReleasedAt: ago(2 * time.Hour)}},
	})
	r.Inputs = map[string]ui.StoredInput{
		"eval-3": {Document: []byte(`{"version": 1,
			"pull_request": {"number": 42, "head": {"sha": "` + head2 + `"}},
			"files": [
				{"path": "payments/retry.go", "status": "modified", "additions": 48, "deletions": 6},
				{"path": "payments/retry_test.go", "status": "added", "additions": 120, "deletions": 0},
				{"path": "docs/payments.md", "previous_path": "docs/cards.md", "status": "renamed", "additions": 3, "deletions": 1}
			],
			"files_truncated": false,
			"reviews": [
				{"author": {"login": "carol", "type": "User"}, "state": "APPROVED", "commit_sha": "` + head2 + `", "on_head": true, "changes_since_known": true, "files_changed_since": []},
				{"author": {"login": "dave", "type": "User"}, "state": "APPROVED", "commit_sha": "` + head1 + `", "on_head": false, "changes_since_known": true, "files_changed_since": ["payments/retry.go"]},
				{"author": {"login": "erin", "type": "User"}, "state": "DISMISSED", "commit_sha": "` + head1 + `", "on_head": false, "changes_since_known": true, "files_changed_since": ["payments/retry.go"]},
				{"author": {"login": "renovate[bot]", "type": "Bot"}, "state": "APPROVED", "commit_sha": "` + head2 + `", "on_head": true, "changes_since_known": true, "files_changed_since": []}
			]}`), Size: 1900},
		"eval-2": {Size: 3 << 20},
	}
	r.AddPR(ui.PullRequest{
		Repo: "acme/vault", Number: 7, Title: "Rotate signing keys",
		Evaluations: []ui.Evaluation{{At: ago(2 * time.Hour), HeadSHA: head1, Policy: policyB, Trigger: "opened", Conclusion: "success",
			Rules: []ui.RuleResult{{ID: "code_owners", Outcome: "pass"}}}},
	})
	r.Entries = []ui.TimelineEntry{
		{At: ago(30 * time.Minute), Kind: "merge", Repo: "acme/shop", Number: 42, Actor: "alice", SHA: head2, Result: "success"},
		{At: ago(90 * time.Minute), Kind: "override", Repo: "acme/shop", Number: 42, Actor: "alice", Rule: "coverage", SHA: head2, Reason: "retry path is covered by the e2e suite"},
		{At: ago(100 * time.Minute), Kind: "merge", Repo: "acme/vault", Number: 7, Actor: "alice", SHA: head1, Result: "success"},
		{At: ago(2 * time.Hour), Kind: "unhold", Repo: "acme/shop", Number: 42, Actor: "bob"},
		{At: ago(150 * time.Minute), Kind: "freeze.end", Actor: "carol", Reason: "database failover", Details: map[string]any{"reason": "database failover"}},
		{At: ago(3 * time.Hour), Kind: "policy.change", Actor: "carol", SHA: policyB, Reason: "coverage threshold 80%"},
		{At: ago(4 * time.Hour), Kind: "hold", Repo: "acme/shop", Number: 42, Actor: "bob", Reason: "wait for the payments migration"},
		{At: ago(4 * time.Hour), Kind: "override", Repo: "acme/vault", Number: 6, Actor: "alice", Rule: "code_owners", Reason: "key rotation runbook"},
		{At: ago(5 * time.Hour), Kind: "freeze.start", Actor: "carol", Reason: "database failover", Details: map[string]any{"reason": "database failover"}},
		{At: ago(5 * time.Hour), Kind: "evaluation", Repo: "acme/shop", Number: 42, SHA: head1, Result: "failure",
			Details: map[string]any{"policy": policyA, "trigger": "opened", "rules": map[string]string{"code_owners": "fail", "coverage": "pass"}}},
		{At: ago(30 * time.Hour), Kind: "merge", Repo: "acme/shop", Number: 40, Actor: "bob", Result: "failure"},
	}
	r.Frozen = []ui.Freeze{
		{ID: 3, Owner: "acme", Reason: "payments outage", StartsAt: ago(20 * time.Minute), CreatedBy: "carol"},
		{ID: 4, Owner: "acme", Repositories: []string{"vault"}, Reason: "key ceremony", StartsAt: ago(10 * time.Minute), Ends: now.Add(6 * time.Hour), CreatedBy: "alice"},
		{ID: 5, Owner: "acme", Repositories: []string{"shop"}, Reason: "sale weekend", StartsAt: now.Add(48 * time.Hour), Ends: now.Add(96 * time.Hour), CreatedBy: "bob"},
	}
	a := &Authorizer{
		Members: map[string][]string{"acme": {"alice", "bob"}},
		Readers: map[string][]string{"acme/shop": {"alice", "bob"}, "acme/vault": {"alice"}},
	}
	// The weekly window's first occurrence: the Friday 15:00 on or before
	// now, in Berlin.
	local := now.In(berlin)
	fri := time.Date(local.Year(), local.Month(), local.Day(), 15, 0, 0, 0, berlin)
	for fri.Weekday() != time.Friday || fri.After(local) {
		fri = fri.AddDate(0, 0, -1)
	}
	holiday := time.Date(local.Year(), local.Month(), local.Day()+5, 0, 0, 0, 0, berlin)
	s := &Schedule{
		Loc:    berlin,
		Weekly: []ui.Window{{Kind: ui.WindowWeekly, Reason: "weekend freeze", Start: fri, End: time.Date(fri.Year(), fri.Month(), fri.Day()+3, 8, 0, 0, 0, berlin)}},
		Dates:  []ui.Window{{Kind: ui.WindowDates, Reason: "company day", Start: holiday, End: holiday.AddDate(0, 0, 1)}},
	}
	return Fixture{Now: now, Reader: r, Authorizer: a, Schedule: s}
}
