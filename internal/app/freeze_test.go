package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// clock is the server's clock, shifted from real time by a settable
// offset: time moves as usual (waits and timeouts work), and a test can
// jump it forward to the instant a freeze starts.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func newClock(at time.Time) *clock { return &clock{offset: time.Until(at)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// jump moves the clock to at.
func (c *clock) jump(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(at)
}

const weekendPolicy = `rules:
  change_freeze:
    timezone: Europe/Berlin
    windows:
      - {start: "Fri 15:00", end: "Mon 08:00", reason: "weekend freeze"}
    notice_hours: 0
`

func approvedPR(gh *fakegithub.Server, shop *fakegithub.Repo) (*fakegithub.PR, fakegithub.Review) {
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev", Files: []fakegithub.File{{Path: "shop/charge.go", Status: "modified", Patch: goPatch}}})
	return pr, pr.Review("alice", "APPROVED")
}

func TestAFreezeWindowFlipsOpenChecksOnTimeAcrossARestart(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": weekendPolicy})
	db := dbtest.SQLiteConfig(t)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	clk := newClock(time.Date(2026, 11, 27, 14, 58, 0, 0, berlin)) // Friday, two minutes before the freeze
	h := start(t, gh, config{db: db, now: clk.now})

	pr, review := approvedPR(gh, shop)
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))

	// Friday 15:00 in Berlin: no event arrives, and the check turns red.
	clk.jump(time.Date(2026, 11, 27, 15, 0, 5, 0, berlin))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if !strings.Contains(cr.Summary, "Merges into `main` are frozen until Mon 30 Nov 2026 08:00 CET (Europe/Berlin): weekend freeze") {
		t.Fatalf("summary:\n%s", cr.Summary)
	}

	// The server restarts during the weekend; the end of the freeze is not
	// lost with it. (Whatever the flip queued is done first, so that only
	// the end of the freeze can turn the check green after the restart.)
	waitNoPendingEvaluations(t, db)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	clk.jump(time.Date(2026, 11, 30, 8, 0, 5, 0, berlin))
	start(t, gh, config{db: db, now: clk.now})
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
	// The pull request's own recheck time and the end-of-freeze sweep both
	// fire at 08:00; whichever turns the check green, the sweep still lists
	// the open pull requests once. Wait for it, then count.
	wait.Until(t, 30*time.Second, "the end-of-freeze sweep", func() bool {
		return gh.Count("GET", "/repos/{owner}/{repo}/pulls") >= 2
	})
	waitNoPendingEvaluations(t, db)
	runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
	if runs[0].Writes != 3 {
		t.Errorf("the check run was written %d times; want 3 (created, frozen, open): writes only when the verdict changes", runs[0].Writes)
	}
	if n := gh.Count("GET", "/repos/{owner}/{repo}/pulls"); n != 2 {
		t.Errorf("%d listings of open pull requests; want one per flip", n)
	}
}

const holidayPolicy = `rules:
  change_freeze:
    timezone: Europe/Berlin
    windows:
      - {start: "Fri 15:00", end: "Mon 08:00", reason: "weekend freeze"}
    dates:
      - {start: 2026-12-19, end: 2027-01-09, reason: "holiday freeze"}
    notice_hours: 0
`

// evaluatedLines are the server's "pull request evaluated" log lines.
func evaluatedLines(h *harness) []string {
	var out []string
	for _, l := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(l, `msg="pull request evaluated"`) {
			out = append(out, l)
		}
	}
	return out
}

func TestAFreezeRunningIntoTheHolidaysReopensWhenMergesReallyReopen(t *testing.T) {
	gh := fakegithub.New(t)
	policy, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": holidayPolicy})
	berlin, _ := time.LoadLocation("Europe/Berlin")
	clk := newClock(time.Date(2026, 12, 19, 12, 0, 0, 0, berlin)) // Saturday: a weekend and the holidays
	h := start(t, gh, config{now: clk.now})

	pr, review := approvedPR(gh, shop)
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if !strings.Contains(cr.Summary, "Merges into `main` are frozen until Mon 11 Jan 2027 08:00 CET (Europe/Berlin): holiday freeze") {
		t.Fatalf("the check must name the Monday after the holidays' last weekend:\n%s", cr.Summary)
	}

	// Sunday 10 January: the holidays are over, the weekend is not. The
	// check stays red for the weekend alone, and the next look is due when
	// merges reopen.
	clk.jump(time.Date(2027, 1, 10, 12, 0, 0, 0, berlin))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), func(runs []fakegithub.CheckRun) bool {
		return one("failure")(runs) && !strings.Contains(runs[0].Summary, "holiday freeze")
	})
	wait.Until(t, 10*time.Second, "the evaluation to be logged", func() bool {
		lines := evaluatedLines(h)
		return strings.Contains(lines[len(lines)-1], "recheck_at=2027-01-11T07:00:00Z")
	})
	clk.jump(time.Date(2027, 1, 11, 8, 0, 5, 0, berlin))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))

	// A window that ends where it starts freezes for good: the check says
	// what ends it, and nothing is scheduled.
	before := len(evaluatedLines(h))
	policy.CommitFiles("", "Freeze for the release", map[string]string{"mergeguard/config.yaml": `rules:
  change_freeze:
    timezone: Europe/Berlin
    windows:
      - {start: "Mon 00:00", end: "Mon 00:00", reason: "release"}
`})
	h.deliver("push", "", gh.PushPayload(policy, "main", "mergeguard/config.yaml"))
	h.deliver("pull_request", "", gh.Payload("pull_request", "edited", pr, nil))
	cr = waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if !strings.Contains(cr.Summary, "Merges into `main` are frozen until the configuration changes (the weekly windows in rules.change_freeze.windows leave no time in the week open, so this freeze has no end): release") {
		t.Fatalf("summary:\n%s", cr.Summary)
	}
	wait.Until(t, 10*time.Second, "the evaluation to be logged", func() bool { return len(evaluatedLines(h)) > before })
	for _, l := range evaluatedLines(h)[before:] {
		if strings.Contains(l, "conclusion=failure") && strings.Contains(l, "recheck_at=") {
			t.Errorf("a freeze with no end scheduled a re-evaluation: %s", l)
		}
	}
}

func incidentOrg(gh *fakegithub.Server) (policy, shop *fakegithub.Repo, issue int) {
	policy, shop = policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules:\n  change_freeze:\n    incident_teams: [incident]\n"})
	gh.AddTeam("acme", "incident", "ic")
	return policy, shop, policy.OpenIssue("Checkout incident", "ic")
}

func lastReply(gh *fakegithub.Server, repo string, number int) string {
	var body string
	for _, c := range gh.Comments(repo, number) {
		if c.Author == gh.BotLogin() {
			body = c.Body
		}
	}
	return body
}

func TestAnIncidentFreezeByCommentBlocksEveryOpenPullRequestAndIsAudited(t *testing.T) {
	gh := fakegithub.New(t)
	policy, shop, issue := incidentOrg(gh)
	db := dbtest.SQLiteConfig(t)
	h := start(t, gh, config{db: db})
	pr, review := approvedPR(gh, shop)
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))

	// Someone outside the incident team cannot freeze.
	body, _ := gh.CommentPayload(policy, issue, "mallory", "MEMBER", "/guard freeze 2h let me test this")
	h.deliver("issue_comment", "", body)
	wait.Until(t, 15*time.Second, "the refusal", func() bool {
		return strings.Contains(lastReply(gh, "acme/.github", issue), "Only members of @acme/incident may start or end freezes, and @mallory is not one.")
	})

	body, commentID := gh.CommentPayload(policy, issue, "ic", "MEMBER", "Checkout is failing.\n/guard freeze 2h checkout errors, INC-42")
	h.deliver("issue_comment", "freeze-comment", body)
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if !strings.Contains(cr.Summary, "checkout errors, INC-42 (incident freeze started by @ic") {
		t.Fatalf("summary:\n%s", cr.Summary)
	}
	wait.Until(t, 15*time.Second, "the reply", func() bool {
		return strings.Contains(lastReply(gh, "acme/.github", issue), "Merges are frozen: freeze 1 in all repositories of acme, until ")
	})
	for _, c := range gh.Comments("acme/.github", issue) {
		if c.ID == commentID && (len(c.Reactions) != 1 || c.Reactions[0] != "+1") {
			t.Errorf("the command is acknowledged with a reaction: %+v", c.Reactions)
		}
	}

	// A redelivered comment does not start a second freeze.
	if code := h.deliver("issue_comment", "freeze-comment", body); code != 200 {
		t.Fatalf("redelivery: %d, want 200 (already handled)", code)
	}

	body, _ = gh.CommentPayload(policy, issue, "ic", "MEMBER", "/guard unfreeze")
	h.deliver("issue_comment", "", body)
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
	wait.Until(t, 15*time.Second, "the unfreeze reply", func() bool {
		return strings.Contains(lastReply(gh, "acme/.github", issue), "Merges are open again:\n\n- ended freeze 1 in all repositories of acme")
	})

	// The postmortem can read who froze and unfroze, and when.
	ctx := context.Background()
	sdb, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var log []store.AuditEntry
	var freezes []store.Freeze
	sdb.InTx(ctx, func(tx store.Tx) error {
		log, err = store.AuditLog(ctx, tx, "acme", time.Now().Add(-time.Hour))
		if err != nil {
			return err
		}
		freezes, err = store.RecentFreezes(ctx, tx, "acme", time.Now().Add(-time.Hour))
		return err
	})
	if len(freezes) != 1 {
		t.Fatalf("freezes %+v: a redelivered command must not start another", freezes)
	}
	if len(log) != 2 || log[0].Action != "freeze.start" || log[0].Actor != "ic" || log[1].Action != "freeze.end" {
		t.Fatalf("audit log %+v", log)
	}
}

func TestAFreezeStopsAPullRequestInTheMergeQueue(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": weekendPolicy})
	berlin, _ := time.LoadLocation("Europe/Berlin")
	clk := newClock(time.Date(2026, 11, 27, 14, 0, 0, 0, berlin))
	h := start(t, gh, config{now: clk.now})
	pr, _ := approvedPR(gh, shop)

	// Before the freeze, the merge group passes.
	body, head := gh.MergeGroupPayload(pr)
	h.deliver("merge_group", "", body)
	waitCheck(t, gh, "acme/shop", head, one("success"))

	// The pull request waits in the queue into the freeze; its next merge
	// group is stopped.
	clk.jump(time.Date(2026, 11, 27, 15, 30, 0, 0, berlin))
	body, head = gh.MergeGroupPayload(pr)
	h.deliver("merge_group", "", body)
	cr := waitCheck(t, gh, "acme/shop", head, one("failure"))[0]
	if !strings.Contains(cr.Summary, "frozen until Mon 30 Nov 2026 08:00 CET") || !strings.Contains(cr.Summary, "`"+head[:7]+"`") {
		t.Fatalf("the merge group's check:\n%s", cr.Summary)
	}
	if runs := gh.CheckRuns("acme/shop", pr.HeadSHA()); len(runs) != 0 {
		t.Errorf("the pull request's own head got check runs from merge group checks: %+v", runs)
	}
}
