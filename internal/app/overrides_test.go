package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

const chargePatch = "@@ -0,0 +1,3 @@\n+package payments\n+\n+func Charge() {}\n"

// headRace is a pull request whose head A fails the review rule, a lead
// who may override it, and clocks (the server's and GitHub's) the test
// moves on.
type headRace struct {
	gh   *fakegithub.Server
	shop *fakegithub.Repo
	h    *harness
	clk  *clock
	pr   *fakegithub.PR
	db   *store.DB
}

func newHeadRace(t *testing.T) *headRace {
	t.Helper()
	r := &headRace{clk: newClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)), gh: fakegithub.New(t)}
	r.gh.SetClock(r.clk.now)
	_, r.shop = policyOrg(r.gh, map[string]string{"mergeguard/config.yaml": overridePolicy})
	r.gh.AddTeam("acme", "leads", "lena")
	r.shop.SetPermission("lena", "write")
	r.shop.SetPermission("sam", "write")
	cfg := dbtest.SQLiteConfig(t)
	r.h = start(t, r.gh, config{db: cfg, now: r.clk.now})
	r.pr = r.shop.OpenPR(fakegithub.PRSpec{Title: "Refund docs", Author: "dev", Files: []fakegithub.File{{Path: "README.md", Status: "modified", Patch: readmePatch}}})
	r.h.deliver("pull_request", "", r.gh.Payload("pull_request", "opened", r.pr, nil))
	waitCheck(t, r.gh, "acme/shop", r.pr.HeadSHA(), one("failure"))
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	r.db = db
	return r
}

func (r *headRace) later(d time.Duration) { r.clk.jump(r.clk.now().Add(d)) }

// push moves the head to B, adding payments/charge.go, and delivers the
// push; B fails the review rule.
func (r *headRace) push(t *testing.T) string {
	t.Helper()
	b := fakegithub.FakeSHA("charge customers")
	r.pr.Push(b, "Charge customers", fakegithub.File{Path: "payments/charge.go", Status: "added", Patch: chargePatch})
	r.h.deliver("pull_request", "", r.gh.Payload("pull_request", "synchronize", r.pr, nil))
	waitCheck(t, r.gh, "acme/shop", b, one("failure"))
	return b
}

func (r *headRace) overrides(t *testing.T) []string {
	t.Helper()
	var heads []string
	err := r.db.InTx(context.Background(), func(tx store.Tx) error {
		iv, err := store.Interventions(context.Background(), tx, store.PRRef{RepoID: r.shop.ID(), Repo: "acme/shop", Number: r.pr.Number})
		for _, o := range iv.Overrides {
			heads = append(heads, o.HeadSHA[:7])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return heads
}

// TestAnOverrideWrittenBeforeAPushDoesNotPassThePushedCommit reproduces the
// race: head A fails; a lead writes an override while looking at A; the
// author pushes B, adding payments/charge.go, before the command runs. The
// override used to be applied to whatever was the head when its job ran,
// and B's check turned green.
func TestAnOverrideWrittenBeforeAPushDoesNotPassThePushedCommit(t *testing.T) {
	r := newHeadRace(t)
	a := r.pr.HeadSHA()
	r.later(5 * time.Minute)
	comment, _ := r.gh.CommentPayload(r.shop, r.pr.Number, "lena", "MEMBER", "/guard override required_reviewers INC-7 read the diff")
	r.later(20 * time.Second)
	b := r.push(t)

	// The comment's job runs now, with B the head: mergeguard cannot tell
	// that B was on the lead's screen, so it overrides nothing and asks
	// again, naming both commits.
	r.h.deliver("issue_comment", "", comment)
	replyHas(t, r.gh, "acme/shop", r.pr.Number, "@lena, this pull request's head was `"+a[:7]+"` before you wrote this ("+writtenAt(t, comment)+" UTC) and is `"+b[:7]+"` now; mergeguard cannot tell which of them you were looking at. Nothing was overridden.")
	if reply := lastReply(r.gh, "acme/shop", r.pr.Number); !strings.Contains(reply, "To override `required_reviewers` on `"+b[:7]+"`, the head now, comment `/guard override required_reviewers INC-7 read the diff` again.") {
		t.Errorf("the refusal does not say how to override the head now:\n%s", reply)
	}
	if got := r.overrides(t); len(got) != 0 {
		t.Fatalf("overrides recorded for %v", got)
	}
	waitCheck(t, r.gh, "acme/shop", b, one("failure"))

	// Asked again, a minute later, the override is for B.
	r.later(time.Minute)
	again, _ := r.gh.CommentPayload(r.shop, r.pr.Number, "lena", "MEMBER", "/guard override required_reviewers INC-7 read the charge too")
	r.h.deliver("issue_comment", "", again)
	waitCheck(t, r.gh, "acme/shop", b, one("success"))
	replyHas(t, r.gh, "acme/shop", r.pr.Number, "@lena overrode `required_reviewers` for "+b[:7]+": `INC-7 read the charge too`. A new push clears it.")
	if got := r.overrides(t); len(got) != 1 || got[0] != b[:7] {
		t.Fatalf("overrides recorded for %v, want %s", got, b[:7])
	}
}

// TestAnOverrideForAnEarlierHeadNamesIt: when A was certainly the head as
// the comment was written (a review on A came after it), the override is
// recorded for A, and the reply says it does not cover B.
func TestAnOverrideForAnEarlierHeadNamesIt(t *testing.T) {
	r := newHeadRace(t)
	a := r.pr.HeadSHA()
	r.later(5 * time.Minute)
	comment, _ := r.gh.CommentPayload(r.shop, r.pr.Number, "lena", "MEMBER", "/guard override required_reviewers INC-7 read the diff")
	r.later(20 * time.Second)
	rv := r.pr.Review("sam", "COMMENTED")
	r.h.deliver("pull_request_review", "", r.gh.Payload("pull_request_review", "submitted", r.pr, &rv))
	r.later(20 * time.Second)
	b := r.push(t)

	r.h.deliver("issue_comment", "", comment)
	replyHas(t, r.gh, "acme/shop", r.pr.Number, "@lena overrode `required_reviewers` for "+a[:7]+": `INC-7 read the diff`. It does not cover `"+b[:7]+"`, pushed after you wrote this and the head now")
	if got := r.overrides(t); len(got) != 1 || got[0] != a[:7] {
		t.Fatalf("overrides recorded for %v, want %s", got, a[:7])
	}
	waitCheck(t, r.gh, "acme/shop", b, one("failure"))
}

// TestAReleaseWrittenBeforeAPushKeepsTheHold: a hold's release written
// while looking at A does not let B merge.
func TestAReleaseWrittenBeforeAPushKeepsTheHold(t *testing.T) {
	r := newHeadRace(t)
	hold, _ := r.gh.CommentPayload(r.shop, r.pr.Number, "sam", "MEMBER", "/guard hold waiting for QA")
	r.h.deliver("issue_comment", "", hold)
	replyHas(t, r.gh, "acme/shop", r.pr.Number, "Held by @sam")
	r.later(5 * time.Minute)
	release, _ := r.gh.CommentPayload(r.shop, r.pr.Number, "sam", "MEMBER", "QA passed A.\n/guard unhold")
	r.later(20 * time.Second)
	b := r.push(t)

	r.h.deliver("issue_comment", "", release)
	replyHas(t, r.gh, "acme/shop", r.pr.Number, "mergeguard cannot tell which of them you were looking at. The hold stays. To release it on `"+b[:7]+"`, the head now, comment `/guard unhold` again.")
	cr := waitCheck(t, r.gh, "acme/shop", b, one("failure"))[0]
	summaryHas(t, cr, "**Hold** by @sam")
}

// writtenAt is a comment delivery's created_at as replies show it.
func writtenAt(t *testing.T, payload []byte) string {
	t.Helper()
	var p struct {
		Comment struct {
			CreatedAt time.Time `json:"created_at"`
		} `json:"comment"`
	}
	if err := json.Unmarshal(payload, &p); err != nil || p.Comment.CreatedAt.IsZero() {
		t.Fatalf("no comment.created_at in the delivery: %v", err)
	}
	return p.Comment.CreatedAt.UTC().Format("2006-01-02 15:04:05")
}
