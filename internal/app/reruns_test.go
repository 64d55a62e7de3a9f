package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// GitHub's Re-run button (on the check, or on the whole suite) and the
// recheck command, on a pull request nothing changed on: each leaves a
// freshly completed check run saying when it was re-checked and at whose
// request, though the verdict is the same, and still one check run.
// Re-evaluations nobody asked for write nothing when nothing changed.
func TestReRunsAreVisibleEvenWhenTheVerdictIsUnchanged(t *testing.T) {
	for name, db := range dbtest.Backends(t) {
		t.Run(name, func(t *testing.T) {
			gh := fakegithub.New(t)
			pr := newPR(gh)
			clk := newClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			h := start(t, gh, config{db: db(t), now: clk.now})
			h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
			first := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]

			rerun := func(who, via string, writes int, deliver func()) {
				t.Helper()
				before := gh.CheckRuns("acme/shop", pr.HeadSHA())[0]
				clk.jump(clk.now().Add(time.Minute))
				deliver()
				cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), func(rs []fakegithub.CheckRun) bool {
					return len(rs) == 1 && rs[0].Writes == writes
				})[0]
				if cr.ID != first.ID || cr.Status != "completed" || cr.Conclusion != "failure" || cr.Title != first.Title {
					t.Errorf("after %s: check run %d %s/%s %q, want the same run, completed with the same verdict", via, cr.ID, cr.Status, cr.Conclusion, cr.Title)
				}
				if !cr.CompletedAt.After(before.CompletedAt) {
					t.Errorf("after %s: completed_at %s, was %s: the run does not look re-run", via, cr.CompletedAt, before.CompletedAt)
				}
				note := fmt.Sprintf("_Re-checked at %s, as @%s asked (%s): the verdict is unchanged._",
					cr.CompletedAt.UTC().Format("2006-01-02 15:04:05 UTC"), who, via)
				if !strings.HasPrefix(cr.Summary, note) {
					t.Errorf("after %s: the summary does not start with %q:\n%s", via, note, cr.Summary)
				}
				if !strings.Contains(cr.Summary, "Needs 1 more approval") {
					t.Errorf("after %s: the summary lost the verdict:\n%s", via, cr.Summary)
				}
				if len(cr.Annotations) != len(first.Annotations) {
					t.Errorf("after %s: %d annotations, want %d (none sent twice)", via, len(cr.Annotations), len(first.Annotations))
				}
			}

			// Re-run on the check: GitHub leaves the run as it was.
			rerun("mira", "Re-run", 2, func() {
				h.deliver("check_run", "", gh.RerunPayload(pr, "mergeguard", "mira", false))
			})
			// Re-run of the whole suite: GitHub resets the suite to queued
			// until the App writes its run again.
			rerun("jonas", "Re-run of all checks", 3, func() {
				payload := gh.RerunPayload(pr, "mergeguard", "jonas", true)
				if s := gh.SuiteStatus("acme/shop", pr.HeadSHA()); s != "queued" {
					t.Fatalf("suite status after a re-run: %q, want queued", s)
				}
				h.deliver("check_suite", "", payload)
			})
			if s := gh.SuiteStatus("acme/shop", pr.HeadSHA()); s != "completed" {
				t.Errorf("suite status after the re-check: %q, want completed", s)
			}
			rerun("lena", "`/guard recheck`", 4, func() {
				body, _ := gh.CommentPayload(pr.Repo(), pr.Number, "lena", "MEMBER", "/guard recheck")
				h.deliver("issue_comment", "", body)
			})

			// An event nobody asked to see writes nothing when nothing
			// changed, and leaves the last re-check's line.
			evaluated := strings.Count(h.logs.String(), `msg="pull request evaluated"`)
			h.deliver("pull_request", "", gh.Payload("pull_request", "edited", pr, nil))
			wait.Until(t, 15*time.Second, "the edit to be evaluated", func() bool {
				return strings.Count(h.logs.String(), `msg="pull request evaluated"`) > evaluated
			})
			if cr := gh.CheckRuns("acme/shop", pr.HeadSHA()); len(cr) != 1 || cr[0].Writes != 4 || !strings.Contains(cr[0].Summary, "@lena asked") {
				t.Errorf("an unchanged re-evaluation nobody asked for wrote the check run: %d runs, %d writes", len(cr), cr[0].Writes)
			}
		})
	}
}
