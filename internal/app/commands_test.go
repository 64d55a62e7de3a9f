package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// overridePolicy lets the engineering leads override the review rule.
const overridePolicy = `rules:
  required_reviewers:
    override:
      teams: [leads]
`

const readmePatch = "@@ -1 +1,2 @@\n # shop\n+Refunds take five days.\n"

func replyHas(t *testing.T, gh *fakegithub.Server, repo string, number int, want string) {
	t.Helper()
	wait.Until(t, 15*time.Second, "a reply saying "+want, func() bool {
		for _, c := range gh.Comments(repo, number) {
			if c.Author == gh.BotLogin() && strings.Contains(c.Body, want) {
				return true
			}
		}
		return false
	})
}

func TestAnOverrideLetsTheCheckPassUntilTheNextPushAndIsAudited(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": overridePolicy})
	gh.AddTeam("acme", "leads", "lena", "dev")
	shop.SetPermission("lena", "write")
	shop.SetPermission("dev", "write")
	shop.SetPermission("sam", "write")
	db := dbtest.SQLiteConfig(t)
	h := start(t, gh, config{db: db})
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Refund docs", Author: "dev", Files: []fakegithub.File{{Path: "README.md", Status: "modified", Patch: readmePatch}}})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	n := pr.Number

	// Someone without write access cannot override; the author, though a
	// lead, may not override their own pull request; a writer outside the
	// leads is told who may.
	for _, tt := range []struct{ who, want string }{
		{"mallory", "@mallory, only people with write access to acme/shop can override, hold or unhold its pull requests"},
		{"dev", "Authors may not override rules on their own pull requests"},
		{"sam", "Only @acme/leads may override required_reviewers."},
	} {
		body, _ := gh.CommentPayload(shop, n, tt.who, "MEMBER", "/guard override required_reviewers let me through")
		h.deliver("issue_comment", "", body)
		replyHas(t, gh, "acme/shop", n, tt.want)
	}

	// A lead overrides it, with a reason that tries to mention everyone.
	body, commentID := gh.CommentPayload(shop, n, "lena", "MEMBER", "Reviewed on a call.\n/guard override required_reviewers INC-42 hotfix, @everyone")
	h.deliver("issue_comment", "", body)
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))[0]
	summaryHas(t, cr, "### Overrides and holds", "**Override** of `required_reviewers` by @lena", "` INC-42 hotfix, @everyone `")
	if cr.Title != "Passed: Required reviewers overridden" {
		t.Errorf("title = %q", cr.Title)
	}
	replyHas(t, gh, "acme/shop", n, "@lena overrode `required_reviewers` for "+pr.HeadSHA()[:7]+": `INC-42 hotfix, @everyone`. A new push clears it.")
	for _, c := range gh.Comments("acme/shop", n) {
		if c.ID == commentID && (len(c.Reactions) != 1 || c.Reactions[0] != "eyes") {
			t.Errorf("the command is acknowledged with one reaction: %+v", c.Reactions)
		}
	}

	// A new push clears it.
	next := fakegithub.FakeSHA("more docs")
	pr.Push(next, "More docs", fakegithub.File{Path: "README.md", Status: "modified", Patch: readmePatch})
	h.deliver("pull_request", "", gh.Payload("pull_request", "synchronize", pr, nil))
	cr = waitCheck(t, gh, "acme/shop", next, one("failure"))[0]
	if strings.Contains(cr.Summary, "Overrides and holds") {
		t.Errorf("an override for the previous commit is listed:\n%s", cr.Summary)
	}

	// The audit trail has the sequence: evaluations, the override, and the
	// evaluation it let through.
	sdb, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	// The evaluation is recorded just after its check run is published, so
	// the last one may take a moment to appear.
	var got string
	wait.Until(t, 15*time.Second, "the audit trail to end with the evaluation after the push", func() bool {
		var records []store.AuditRecord
		err := sdb.InTx(context.Background(), func(tx store.Tx) error {
			var err error
			records, err = store.AuditTrail(context.Background(), tx, store.AuditFilter{Repo: "acme/shop", Number: n})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, r := range records {
			kinds = append(kinds, r.Kind+":"+r.Result)
		}
		got = strings.Join(kinds, " ")
		return strings.HasSuffix(got, "override: evaluation:success evaluation:failure")
	})
	if !strings.HasPrefix(got, "evaluation:failure") {
		t.Errorf("audit trail = %s", got)
	}
	// The evaluation after the push kept the input document it judged, for
	// replay.
	var inputs []store.StoredInput
	err = sdb.InTx(context.Background(), func(tx store.Tx) error {
		var err error
		inputs, err = store.LatestInputs(context.Background(), tx, store.InputFilter{Repo: "acme/shop"})
		return err
	})
	if err != nil || len(inputs) != 1 || inputs[0].HeadSHA != next || inputs[0].Version != 1 ||
		!strings.Contains(string(inputs[0].Document), `"sha":"`+next+`"`) {
		t.Errorf("stored inputs %+v (%v), want the document of %s", inputs, err, next)
	}
	var bypasses []store.AuditRecord
	_ = sdb.InTx(context.Background(), func(tx store.Tx) error {
		bypasses, err = store.AuditTrail(context.Background(), tx, store.AuditFilter{Repo: "acme/shop", Bypasses: true})
		return err
	})
	if len(bypasses) != 2 || bypasses[0].Kind != "override" || bypasses[0].Actor != "lena" || bypasses[0].Reason != "INC-42 hotfix, @everyone" {
		t.Errorf("bypasses = %+v", bypasses)
	}
}

func TestAHoldBlocksUntilReleased(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, nil)
	shop.SetPermission("sam", "write")
	h := start(t, gh, config{})
	pr, review := approvedPR(gh, shop)
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))

	// A fork contributor (no write access) cannot hold or release; GitHub
	// is asked about their access once per comment, and told once.
	body, _ := gh.CommentPayload(shop, pr.Number, "forky", "CONTRIBUTOR", "/guard hold\n/guard unhold\n/guard hold please")
	h.deliver("issue_comment", "", body)
	replyHas(t, gh, "acme/shop", pr.Number, "@forky, only people with write access")
	if n := gh.Count("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission"); n != 1 {
		t.Errorf("%d permission requests for one comment, want 1", n)
	}
	if reply := lastReply(gh, "acme/shop", pr.Number); strings.Count(reply, "only people with write access") != 1 {
		t.Errorf("the refusal is repeated:\n%s", reply)
	}

	body, _ = gh.CommentPayload(shop, pr.Number, "sam", "MEMBER", "/guard hold waiting for QA sign-off")
	h.deliver("issue_comment", "", body)
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	summaryHas(t, cr, "**Hold** by @sam since", "` waiting for QA sign-off `")
	if cr.Title != "Blocked by Hold" {
		t.Errorf("title = %q", cr.Title)
	}

	body, _ = gh.CommentPayload(shop, pr.Number, "sam", "MEMBER", "QA is happy.\n/guard unhold")
	h.deliver("issue_comment", "", body)
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
	replyHas(t, gh, "acme/shop", pr.Number, "Released the hold by @sam on "+pr.HeadSHA()[:7]+".")
}

func TestExplainAndHelpReply(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, nil)
	h := start(t, gh, config{})
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Refund docs", Author: "dev", Files: []fakegithub.File{{Path: "README.md", Status: "modified", Patch: readmePatch}}})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))

	body, _ := gh.CommentPayload(shop, pr.Number, "dev", "MEMBER", "/guard explain required_reviewers\r\n/guard frobnicate\r\n> /guard hold\r\n```\n/guard hold\n```")
	h.deliver("issue_comment", "", body)
	replyHas(t, gh, "acme/shop", pr.Number, "**Required reviewers** (`required_reviewers`): fail")
	replyHas(t, gh, "acme/shop", pr.Number, "Needs 1 more approval from someone other than the author (@dev).")
	replyHas(t, gh, "acme/shop", pr.Number, "frobnicate")
	if got := len(gh.Comments("acme/shop", pr.Number)); got != 2 {
		t.Errorf("%d comments, want the command and one reply", got)
	}
}
