package checkrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/report"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

type call struct {
	op          string
	annotations int
	conclusion  string
	summary     string
	details     string
}

func (c call) String() string { return fmt.Sprintf("{%s %d %s}", c.op, c.annotations, c.conclusion) }

type fakeGitHub struct {
	calls    []call
	existing int64
	failAt   int // fail the nth call (1-based), 0 = never
}

func (f *fakeGitHub) record(c call) error {
	f.calls = append(f.calls, c)
	if f.failAt == len(f.calls) {
		return errors.New("HTTP 502")
	}
	return nil
}

func (f *fakeGitHub) FindCheckRun(ctx context.Context, owner, repo, sha, name string, appID int64) (int64, error) {
	return f.existing, f.record(call{op: "find"})
}

func (f *fakeGitHub) CreateCheckRun(ctx context.Context, owner, repo string, o decision.CheckRunWrite) (int64, error) {
	if o.Name == "" || o.HeadSHA == "" || o.Title == "" || o.Summary == "" {
		return 0, errors.New("422: name, head_sha and output title/summary are required")
	}
	if len(o.Annotations) > BatchSize {
		return 0, errors.New("422: more than 50 annotations")
	}
	return 99, f.record(call{op: "create", annotations: len(o.Annotations), conclusion: string(o.Conclusion), summary: o.Summary, details: o.DetailsURL})
}

func (f *fakeGitHub) UpdateCheckRun(ctx context.Context, owner, repo string, id int64, o decision.CheckRunWrite) error {
	if o.Name == "" {
		return errors.New("422: name is required")
	}
	if len(o.Annotations) > BatchSize {
		return errors.New("422: more than 50 annotations")
	}
	return f.record(call{op: "update", annotations: len(o.Annotations), conclusion: string(o.Conclusion), summary: o.Summary, details: o.DetailsURL})
}

func newState(t *testing.T) store.CheckRuns {
	return store.CheckRuns{DB: dbtest.Open(t, dbtest.SQLiteConfig(t)), Now: time.Now}
}

// verdict has n line findings (from a rule whose severity never changes)
// and, when blocked, a failing rule with no line findings.
func verdict(n int, blocked bool) (decision.Verdict, report.Output) {
	lines := decision.RuleResult{ID: "lines", Title: "Lines", Severity: decision.SeverityError, Remedy: "x"}
	for i := 1; i <= n; i++ {
		lines.Denials = append(lines.Denials, decision.Finding{Message: fmt.Sprint("finding ", i), Location: &decision.Location{Path: "f.go", StartLine: i}})
	}
	reviews := decision.RuleResult{ID: "reviews", Title: "Reviews", Severity: decision.SeverityError, Remedy: "y"}
	if blocked {
		reviews.Denials = []decision.Finding{{Message: "needs an approval"}}
	}
	v := decision.Decide(decision.Enforce, []decision.RuleResult{lines, reviews})
	return v, report.CheckRun(v, report.Context{HeadSHA: "abc"})
}

func TestPublish(t *testing.T) {
	gh := &fakeGitHub{}
	p := &Publisher{State: newState(t), Name: "mergeguard", AppID: 1, Now: time.Now}
	target := Target{Head: decision.Head{PullRequest: decision.PullRequest{Repo: decision.Repo{Owner: "acme", Name: "shop"}, Number: 3}, SHA: "abc"}, RepoID: 1}
	ctx := context.Background()

	v, out := verdict(120, true)
	res, err := p.Publish(ctx, gh, target, v, out)
	if err != nil {
		t.Fatal(err)
	}
	const want = "[{find 0 } {create 50 failure} {update 50 } {update 20 }]"
	if fmt.Sprint(gh.calls) != want || !res.Created || res.AnnotationsSent != 120 {
		t.Fatalf("first publish: %v %+v", gh.calls, res)
	}

	gh.calls = nil
	res, err = p.Publish(ctx, gh, target, v, out)
	if err != nil || len(gh.calls) != 0 || !res.Unchanged {
		t.Fatalf("republishing the same output must write nothing: %v %+v %v", gh.calls, res, err)
	}

	// The summary changes (the review rule is now satisfied) but the line
	// findings do not: one update, and no annotation is sent again.
	gh.calls = nil
	v2, out2 := verdict(120, false)
	if _, err := p.Publish(ctx, gh, target, v2, out2); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gh.calls) != "[{update 0 failure}]" {
		t.Fatalf("verdict change: %v", gh.calls)
	}

	// Fewer findings than before: the stale annotations cannot be removed,
	// so the summary says they no longer apply.
	gh.calls = nil
	v3, out3 := verdict(100, false)
	if _, err := p.Publish(ctx, gh, target, v3, out3); err != nil {
		t.Fatal(err)
	}
	if len(gh.calls) != 1 || !strings.Contains(gh.calls[0].summary, "20 line annotations from an earlier evaluation of this commit no longer apply") {
		t.Fatalf("stale annotations not explained: %v %q", gh.calls, gh.calls[0].summary)
	}
}

// TestDetailsURL: with a web view, the check run's "Details" link opens
// the pull request's evaluation page at the head commit, on creation and
// on every later write that concludes the run; without one, none is sent
// and GitHub keeps its own page.
func TestDetailsURL(t *testing.T) {
	target := Target{Head: decision.Head{PullRequest: decision.PullRequest{Repo: decision.Repo{Owner: "acme", Name: "shop"}, Number: 3}, SHA: "abc"}, RepoID: 1}
	page := func(t Target) string {
		return fmt.Sprintf("https://mergeguard.example.com/ui/%s/pull/%d?sha=%s", t.Head.Repo, t.Head.Number, t.Head.SHA)
	}
	for _, tt := range []struct {
		name    string
		details func(Target) string
		want    string
	}{
		{"web view", page, "https://mergeguard.example.com/ui/acme/shop/pull/3?sha=abc"},
		{"none", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gh := &fakeGitHub{}
			p := &Publisher{State: newState(t), Name: "mergeguard", AppID: 1, Now: time.Now, DetailsURL: tt.details}
			for _, blocked := range []bool{true, false} {
				v, out := verdict(0, blocked)
				if _, err := p.Publish(context.Background(), gh, target, v, out); err != nil {
					t.Fatal(err)
				}
			}
			var writes int
			for _, c := range gh.calls {
				if c.op == "find" {
					continue
				}
				writes++
				if c.details != tt.want {
					t.Errorf("%s sent details_url %q, want %q", c.op, c.details, tt.want)
				}
			}
			if writes != 2 {
				t.Fatalf("calls %v: want a create and an update", gh.calls)
			}
		})
	}
}

func TestPublishAdoptsAnExistingCheckRun(t *testing.T) {
	gh := &fakeGitHub{existing: 42}
	p := &Publisher{State: newState(t), Name: "mergeguard", AppID: 1, Now: time.Now}
	v, out := verdict(1, true)
	res, err := p.Publish(context.Background(), gh, Target{Head: decision.Head{SHA: "abc"}, RepoID: 1}, v, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created || res.CheckRunID != 42 || gh.calls[1].op != "update" {
		t.Fatalf("a check run found on GitHub must be updated, not duplicated: %v %+v", gh.calls, res)
	}
}

func TestPublishResumesAfterAFailedBatch(t *testing.T) {
	gh := &fakeGitHub{failAt: 3} // find, create, update(fails)
	p := &Publisher{State: newState(t), Name: "mergeguard", AppID: 1, Now: time.Now}
	v, out := verdict(120, true)
	target := Target{Head: decision.Head{SHA: "abc"}, RepoID: 1}
	if _, err := p.Publish(context.Background(), gh, target, v, out); err == nil {
		t.Fatal("want the batch failure")
	}
	gh.calls, gh.failAt = nil, 0
	if _, err := p.Publish(context.Background(), gh, target, v, out); err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, c := range gh.calls {
		sent += c.annotations
		if c.op == "create" || c.op == "find" {
			t.Fatalf("retry must update the known check run: %v", gh.calls)
		}
	}
	if sent != 70 {
		t.Fatalf("retry sent %d annotations, want the 70 that had not gone through (%v)", sent, gh.calls)
	}
}

func TestPullRequestsSharingAHeadGetTheStrictestVerdict(t *testing.T) {
	gh := &fakeGitHub{}
	state := newState(t)
	p := &Publisher{State: state, Name: "mergeguard", AppID: 1, Now: time.Now}
	ctx := context.Background()
	intoMain := Target{Head: decision.Head{PullRequest: decision.PullRequest{Repo: decision.Repo{Owner: "acme", Name: "shop"}, Number: 12}, SHA: "shared"}, RepoID: 1, BaseRef: "main"}
	intoRelease := intoMain
	intoRelease.Head.Number, intoRelease.BaseRef = 13, "release"

	blocked, blockedOut := verdict(0, true)
	passing, passingOut := verdict(0, false)
	if _, err := p.Publish(ctx, gh, intoMain, blocked, blockedOut); err != nil {
		t.Fatal(err)
	}
	// The pull request into release passes, but the commit's check run must
	// not turn green while the pull request into main is blocked.
	if _, err := p.Publish(ctx, gh, intoRelease, passing, passingOut); err != nil {
		t.Fatal(err)
	}
	last := gh.calls[len(gh.calls)-1]
	if last.op != "update" || last.conclusion != "failure" || !strings.Contains(last.summary, "head of 2 open pull requests") {
		t.Fatalf("shared head: %v %q", gh.calls, last.summary)
	}
	creates := 0
	for _, c := range gh.calls {
		if c.op == "create" {
			creates++
		}
	}
	if creates != 1 {
		t.Fatalf("%d check runs created on one commit", creates)
	}

	// The blocked pull request moves to a new head: the shared commit now
	// shows only the remaining pull request's verdict.
	gh.calls = nil
	moved := intoMain
	moved.Head.SHA = "newhead"
	if _, err := p.Publish(ctx, gh, moved, blocked, blockedOut); err != nil {
		t.Fatal(err)
	}
	var refreshed *call
	for i := range gh.calls {
		if gh.calls[i].op == "update" && gh.calls[i].conclusion == "success" {
			refreshed = &gh.calls[i]
		}
	}
	if refreshed == nil || strings.Contains(refreshed.summary, "head of 2") {
		t.Fatalf("the shared commit was not refreshed after #12 left it: %v", gh.calls)
	}

	// Closing the remaining pull request leaves nothing to show on its head.
	gh.calls = nil
	if err := p.Withdraw(ctx, gh, intoRelease); err != nil {
		t.Fatal(err)
	}
	if len(gh.calls) != 0 {
		t.Fatalf("withdrawing the last pull request on a commit rewrote its check run: %v", gh.calls)
	}
	if vs, _ := state.Verdicts(ctx, 1, "shared"); len(vs) != 0 {
		t.Fatalf("verdicts left: %+v", vs)
	}
}

func TestConcurrentPublicationOnOneCommitWaits(t *testing.T) {
	state := newState(t)
	p := &Publisher{State: state, Name: "mergeguard", AppID: 1, Now: time.Now}
	target := Target{Head: decision.Head{PullRequest: decision.PullRequest{Number: 1}, SHA: "abc"}, RepoID: 1, BaseRef: "main"}
	key := store.CheckRunKey{RepoID: 1, HeadSHA: "abc", Name: "mergeguard"}
	if ok, err := state.Claim(context.Background(), key, "other-evaluation", time.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	v, out := verdict(1, true)
	_, err := p.Publish(context.Background(), &fakeGitHub{}, target, v, out)
	var busy *BusyError
	if !errors.As(err, &busy) || busy.RetryAt().Before(time.Now()) {
		t.Fatalf("want a BusyError to retry shortly, got %v", err)
	}
	if err := state.Release(context.Background(), key, "other-evaluation"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(context.Background(), &fakeGitHub{}, target, v, out); err != nil {
		t.Fatalf("after the lease is released: %v", err)
	}
}
