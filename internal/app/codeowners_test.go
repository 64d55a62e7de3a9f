package app_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// ownersPolicy turns the code_owners rule on; required_reviewers keeps its
// default of one approval, which an owner's approval also gives.
const ownersPolicy = "rules:\n  code_owners:\n    enforce: true\n"

const shopOwners = "# Who reviews what\n* @acme/storefront\n/payments/ @acme/payments\n/docs/\n"

const refundPatchOwned = "@@ -0,0 +1,2 @@\n+package payments\n+// Refund pays a charge back.\n"

func TestCodeOwnersMustApproveTheCurrentVersionOfTheirFiles(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": ownersPolicy})
	shop.CommitFiles("", "Owners", map[string]string{"CODEOWNERS": shopOwners})
	gh.AddTeam("acme", "payments", "bo", "chen")
	gh.AddTeam("acme", "storefront", "sue", "dev")
	gh.AddTeam("acme", "unrelated", "x")
	h := start(t, gh, config{})
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev", Files: []fakegithub.File{
		{Path: "payments/refund.go", Status: "added", Patch: refundPatchOwned},
		{Path: "web/refund.ts", Status: "added", Patch: "@@ -0,0 +1 @@\n+export {}\n"},
		{Path: "docs/refunds.md", Status: "added", Patch: "@@ -0,0 +1 @@\n+# Refunds\n"},
	}})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	// Each owner group is named with who can approve it; the author, a
	// member of storefront, cannot approve its own files; docs/ has no owner.
	summaryHas(t, cr,
		"Needs an approval from @acme/payments for 1 file (`/payments/`): ask @bo, @chen.",
		"Needs an approval from @acme/storefront for 1 file (`*`): ask @sue.",
	)
	if strings.Contains(cr.Summary, "docs/") {
		t.Errorf("docs/ has no owner, and must not be mentioned:\n%s", cr.Summary)
	}
	annotated := false
	for _, a := range cr.Annotations {
		annotated = annotated || a.Path == "payments/refund.go" && a.StartLine == 1 && strings.Contains(a.Message, "@acme/payments")
	}
	if !annotated {
		t.Errorf("the owned file must be annotated: %+v", cr.Annotations)
	}

	// A payments owner approves: storefront is still missing.
	chen := pr.Review("chen", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &chen))
	cr = waitCheck(t, gh, "acme/shop", pr.HeadSHA(), func(runs []fakegithub.CheckRun) bool {
		return one("failure")(runs) && !strings.Contains(runs[0].Summary, "@acme/payments for")
	})[0]
	summaryHas(t, cr, "Needs an approval from @acme/storefront for 1 file (`*`): ask @sue.")

	// And a storefront owner: both groups are approved.
	sue := pr.Review("sue", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &sue))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))

	// A push that changes the payments file again: Chen approved a version
	// that no longer exists; Sue's approval still counts for web/.
	again := fakegithub.FakeSHA("refund again")
	pr.Push(again, "Refund in full", fakegithub.File{Path: "payments/refund.go", Status: "added", Patch: refundPatchOwned + "+// In full.\n"})
	h.deliver("pull_request", "", gh.Payload("pull_request", "synchronize", pr, nil))
	cr = waitCheck(t, gh, "acme/shop", again, one("failure"))[0]
	summaryHas(t, cr,
		"Needs an approval from @acme/payments for 1 file (`/payments/`): ask @bo, @chen.",
		"@chen's approval no longer counts for @acme/payments (`/payments/`): given on "+chen.CommitSHA[:7]+", before `payments/refund.go` changed.",
	)
	if strings.Contains(cr.Summary, "@acme/storefront for") {
		t.Errorf("Sue's approval must still count for web/:\n%s", cr.Summary)
	}

	// GitHub was asked for CODEOWNERS at its first two locations on the
	// base branch once per evaluation, never at the third; a repeated read
	// of the found file was conditional; and only the teams owning changed
	// files were fetched.
	reads := map[string]int{}
	for _, r := range gh.Requests() {
		switch r.Route {
		case "/repos/{owner}/{repo}/contents/{path}":
			if !strings.Contains(r.Path, "/repos/acme/shop/contents/") {
				continue
			}
			reads[strings.TrimPrefix(r.Path, fakegithub.APIPrefix+"/repos/acme/shop/contents/")+"?"+r.Query]++
			if strings.HasSuffix(r.Path, "/contents/CODEOWNERS") && r.IfNoneMatch && r.Status != http.StatusNotModified {
				t.Errorf("a conditional read of an unchanged CODEOWNERS answered %d", r.Status)
			}
		case "/orgs/{org}/teams/{team_slug}/members":
			if !strings.HasSuffix(r.Path, "/teams/payments/members") && !strings.HasSuffix(r.Path, "/teams/storefront/members") {
				t.Errorf("fetched %s, which owns none of the changed files", r.Path)
			}
		}
	}
	evaluations := reads[".github/CODEOWNERS?ref=main"]
	if evaluations < 4 || reads["CODEOWNERS?ref=main"] != evaluations || reads["docs/CODEOWNERS?ref=main"] != 0 {
		t.Errorf("CODEOWNERS reads %v: want both first locations once per evaluation (at least 4), the third never", reads)
	}
	conditional := 0
	for _, r := range gh.Requests() {
		if strings.HasSuffix(r.Path, "/repos/acme/shop/contents/CODEOWNERS") && r.IfNoneMatch && r.Status == http.StatusNotModified {
			conditional++
		}
	}
	if conditional != evaluations-1 {
		t.Errorf("%d of %d reads of CODEOWNERS after the first were answered 304 Not Modified", conditional, evaluations-1)
	}
	// request_reviews is off by default: no one was asked.
	if got := pr.ReviewRequests(); len(got) != 0 {
		t.Errorf("review requests with request_reviews off: %+v", got)
	}
}

func TestAPullRequestThatBreaksCodeOwnersIsAnnotatedOnTheLine(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": ownersPolicy})
	base := shop.CommitFiles("", "Owners", map[string]string{"CODEOWNERS": shopOwners})
	gh.AddTeam("acme", "storefront", "sue")
	head := shop.CommitFiles("api-owners", "API owners", map[string]string{"CODEOWNERS": shopOwners + "/api/ acme/api\n/ops/ @acme/ops\n"})
	h := start(t, gh, config{})
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "API owners", Author: "dev", BaseSHA: base, HeadSHA: head, HeadRef: "api-owners", Files: []fakegithub.File{
		{Path: "CODEOWNERS", Status: "modified", Patch: "@@ -4,0 +5,2 @@\n+/api/ acme/api\n+/ops/ @acme/ops\n"},
	}})
	sue := pr.Review("sue", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &sue))
	cr := waitCheck(t, gh, "acme/shop", head, one("failure"))[0]
	// Line 5 GitHub cannot read; line 6 names a team GitHub's own check of
	// the file does not know (there is no acme/ops).
	summaryHas(t, cr,
		`This pull request leaves a problem in CODEOWNERS: CODEOWNERS:5: owner "acme/api" is not @user, @org/team or an email address; GitHub skips this line.`,
		"This pull request leaves a problem in CODEOWNERS: CODEOWNERS:6: Unknown owner: make sure @acme/ops exists and has write access to the repository (GitHub's check of the file).",
	)
	onLine := map[int]bool{}
	for _, a := range cr.Annotations {
		if a.Path == "CODEOWNERS" && a.Level == "failure" {
			onLine[a.StartLine] = true
		}
	}
	if !onLine[5] || !onLine[6] {
		t.Errorf("lines 5 and 6 must be annotated: %+v", cr.Annotations)
	}
}

// With request_reviews on, the owning teams still missing are asked to
// review once per head commit: not again when the same head is evaluated
// again, and after a push only the teams missing anew (a team whose member
// reviewed is no longer requested on GitHub; one still requested is not
// asked twice).
func TestCodeOwnersRequestReviewsOncePerHead(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": ownersPolicy + "    request_reviews: true\n"})
	shop.CommitFiles("", "Owners", map[string]string{"CODEOWNERS": shopOwners})
	gh.AddTeam("acme", "payments", "bo", "chen")
	gh.AddTeam("acme", "storefront", "sue", "dev")
	db := dbtest.SQLiteConfig(t)
	h := start(t, gh, config{db: db})
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev", Files: []fakegithub.File{
		{Path: "payments/refund.go", Status: "added", Patch: refundPatchOwned},
		{Path: "web/refund.ts", Status: "added", Patch: "@@ -0,0 +1 @@\n+export {}\n"},
	}})
	opened := gh.Payload("pull_request", "opened", pr, nil)
	h.deliver("pull_request", "", opened)
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	waitNoPendingEvaluations(t, db)
	want := []fakegithub.ReviewRequest{{Teams: []string{"payments", "storefront"}}}
	if got := pr.ReviewRequests(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the first evaluation: requests %+v, want %+v", got, want)
	}

	// The same head again: a redelivery; a comment by Bo, which answers
	// the payments team's request on GitHub while its approval is still
	// missing; and Chen's approval, which changes the verdict's text. No
	// new request.
	h.deliver("pull_request", "", opened)
	bo := pr.Review("bo", "COMMENTED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &bo))
	if _, teams := pr.RequestedReviewers(); !reflect.DeepEqual(teams, []string{"storefront"}) {
		t.Fatalf("Bo's review must answer the payments team's request: pending %q", teams)
	}
	waitNoPendingEvaluations(t, db)
	chen := pr.Review("chen", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &chen))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), func(runs []fakegithub.CheckRun) bool {
		return one("failure")(runs) && !strings.Contains(runs[0].Summary, "@acme/payments for")
	})
	waitNoPendingEvaluations(t, db)
	if got := pr.ReviewRequests(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after re-evaluating the same head: requests %+v, want %+v", got, want)
	}

	// A push to the payments file makes Chen's approval stale: payments is
	// asked again (Chen's review answered its request), storefront, still
	// requested, is not.
	again := fakegithub.FakeSHA("refund again")
	pr.Push(again, "Refund in full", fakegithub.File{Path: "payments/refund.go", Status: "added", Patch: refundPatchOwned + "+// In full.\n"})
	h.deliver("pull_request", "", gh.Payload("pull_request", "synchronize", pr, nil))
	waitCheck(t, gh, "acme/shop", again, one("failure"))
	waitNoPendingEvaluations(t, db)
	want = append(want, fakegithub.ReviewRequest{Teams: []string{"payments"}})
	if got := pr.ReviewRequests(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a push: requests %+v, want %+v", got, want)
	}
	if users, teams := pr.RequestedReviewers(); len(users) != 0 || !reflect.DeepEqual(teams, []string{"storefront", "payments"}) {
		t.Errorf("pending requests: users %q teams %q", users, teams)
	}
}
