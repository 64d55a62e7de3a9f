package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/migration"
	"github.com/mergeguard/mergeguard/internal/policy"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/logbuf"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

const secret = "e2e-webhook-secret"

// uploadToken may upload coverage for acme's repositories.
const uploadToken = "e2e-upload-token-0123456789abcdef0123456789"

type harness struct {
	t      testing.TB
	gh     *fakegithub.Server
	base   string
	cancel context.CancelFunc
	done   chan error
	logs   *logbuf.Buffer
}

type config struct {
	db            settings.Database
	policy        []policy.Module
	mode          decision.Mode
	shutdown      time.Duration
	policyTimeout time.Duration
	// now is the server's clock (time.Now when nil).
	now func() time.Time
	// maxAttempts bounds a failing job's attempts (the queue's default
	// when zero).
	maxAttempts int
	// policyWorkers and policyMemory isolate policies in worker processes
	// (none: policies run in the server).
	policyWorkers int
	policyMemory  int64
	// replayMax enables the replay of policy pull requests (0: off).
	replayMax int
	// incidents enables the freezes API and the PagerDuty receiver.
	incidents settings.Incidents
	// web turns the web view on.
	web settings.Web
}

func start(t *testing.T, gh *fakegithub.Server, cfg config) *harness {
	t.Helper()
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(gh.PrivateKeyPEM()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.db.Driver == "" {
		cfg.db = dbtest.SQLiteConfig(t)
	}
	if cfg.mode == "" {
		cfg.mode = decision.Enforce
	}
	if cfg.shutdown == 0 {
		cfg.shutdown = 5 * time.Second
	}
	s := settings.Settings{
		Addr: "127.0.0.1:0", AppID: gh.AppID(), PrivateKey: key, WebhookSecret: []byte(secret),
		GitHubAPIURL: gh.URL(), Database: cfg.db, CheckName: "mergeguard",
		Workers: 4, CoalesceQuiet: 150 * time.Millisecond, CoalesceMax: time.Second, ShutdownTimeout: cfg.shutdown,
		Policy: settings.Policy{Mode: cfg.mode, PolicyRepo: ".github", PolicyDir: "mergeguard", PolicyTimeout: cfg.policyTimeout,
			PolicyWorkers: cfg.policyWorkers, PolicyMemory: cfg.policyMemory},
		Coverage:   settings.Coverage{Tokens: []settings.UploadToken{{Scope: "acme/*", Token: uploadToken}}, MaxBytes: 1 << 20},
		Intake:     settings.DefaultIntake,
		ReplayDays: 14, ReplayMax: cfg.replayMax,
		Web:       cfg.web,
		Incidents: cfg.incidents,
	}
	return startOpts(t, gh, s, app.Options{Policy: cfg.policy, Now: cfg.now, MaxAttempts: cfg.maxAttempts})
}

func startWith(t *testing.T, gh *fakegithub.Server, s settings.Settings, pol []policy.Module, now ...func() time.Time) *harness {
	t.Helper()
	return startOpts(t, gh, s, app.Options{Policy: pol, Now: clockOf(now)})
}

// startOpts runs the server with opts; the log, listener and poll interval
// are the harness's.
func startOpts(t testing.TB, gh *fakegithub.Server, s settings.Settings, opts app.Options) *harness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logbuf.Buffer{}
	h := &harness{t: t, gh: gh, base: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() {
		opts.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opts.Listener = ln
		if opts.PollInterval == 0 {
			opts.PollInterval = 20 * time.Millisecond
		}
		h.done <- app.Run(ctx, s, opts)
	}()
	t.Cleanup(func() { h.stop() })
	parserReady(t)
	return h
}

// parserReady waits for the migration parser the app warms at start-up,
// so that /readyz answers at once: the module compiles once per test
// binary, and the first test to start a server waits for it here rather
// than inside a readiness probe's two seconds.
func parserReady(t testing.TB) {
	t.Helper()
	if err := migration.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func clockOf(now []func() time.Time) func() time.Time {
	if len(now) > 0 {
		return now[0]
	}
	return nil
}

func (h *harness) stop() error {
	if h.cancel == nil {
		return nil
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		return err
	case <-time.After(20 * time.Second):
		h.t.Fatal("server did not stop within 20s")
	}
	return nil
}

var deliveries atomic.Int64

// deliver sends a signed webhook and returns the status code. An empty id
// means a fresh delivery ID.
func (h *harness) deliver(event, id string, body []byte) int {
	h.t.Helper()
	return sendWebhook(h.t, h.base, event, id, body)
}

func sendWebhook(t testing.TB, base, event, id string, body []byte) int {
	t.Helper()
	if id == "" {
		id = fmt.Sprintf("delivery-%d", deliveries.Add(1))
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", fakegithub.Sign(secret, body))
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ { // the server may still be starting
		if resp, err = http.DefaultClient.Do(req); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

func (h *harness) get(path string) (int, string) {
	h.t.Helper()
	resp, err := http.Get(h.base + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitCheck waits until the commit's check runs satisfy ok.
func waitCheck(t *testing.T, gh *fakegithub.Server, repo, sha string, ok func([]fakegithub.CheckRun) bool) []fakegithub.CheckRun {
	t.Helper()
	var runs []fakegithub.CheckRun
	wait.Until(t, 45*time.Second, fmt.Sprintf("the expected check runs on %s@%.7s", repo, sha), func() bool {
		runs = gh.CheckRuns(repo, sha)
		return ok(runs)
	})
	return runs
}

func one(conclusion string) func([]fakegithub.CheckRun) bool {
	return func(runs []fakegithub.CheckRun) bool {
		return len(runs) == 1 && runs[0].Status == "completed" && runs[0].Conclusion == conclusion
	}
}

const goPatch = "@@ -1,3 +1,4 @@\n package shop\n \n+// Charge bills the customer.\n func Charge() {}\n"

func newPR(gh *fakegithub.Server) *fakegithub.PR {
	repo := gh.AddRepo(77, "acme", "shop")
	return repo.OpenPR(fakegithub.PRSpec{
		Title: "Document Charge", Author: "dev",
		Files: []fakegithub.File{{Path: "shop/charge.go", Status: "modified", Patch: goPatch}},
	})
}

func TestOpenedPullRequestGetsABlockingCheckRunThatFlipsOnApproval(t *testing.T) {
	for name, db := range dbtest.Backends(t) {
		t.Run(name, func(t *testing.T) {
			gh := fakegithub.New(t)
			pr := newPR(gh)
			h := start(t, gh, config{db: db(t)})

			if code := h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil)); code != http.StatusAccepted {
				t.Fatalf("status %d, want 202", code)
			}
			runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
			cr := runs[0]
			if cr.Name != "mergeguard" || cr.Title != "Blocked by Required reviewers" {
				t.Errorf("check run %q titled %q", cr.Name, cr.Title)
			}
			for _, want := range []string{"Needs 1 more approval from someone other than the author (@dev).", "**Next step:**", "| Required reviewers | ❌ failed |"} {
				if !strings.Contains(cr.Summary, want) {
					t.Errorf("summary lacks %q:\n%s", want, cr.Summary)
				}
			}
			// token, pull request, files, the organization's policy repository
			// (none here) and the repository's configuration (none), reviews,
			// commits, check-run lookup, create. Policy and configuration are
			// then cached.
			if got := len(gh.Requests()); got != 9 {
				t.Errorf("first evaluation made %d GitHub requests, want 9: %+v", got, gh.Requests())
			}
			for _, r := range gh.Requests() {
				if !strings.HasPrefix(r.UserAgent, "mergeguard/") {
					t.Errorf("request %s %s has User-Agent %q", r.Method, r.Path, r.UserAgent)
				}
			}

			gh.ResetRequests()
			review := pr.Review("alice", "APPROVED")
			h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review))
			runs = waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))
			if runs[0].ID != cr.ID || runs[0].Writes != 2 {
				t.Errorf("the same check run must be updated in place: %+v", runs)
			}
			// pull request, files, reviews, commits, check-run update
			if got := len(gh.Requests()); got != 5 {
				t.Errorf("re-evaluation with a new verdict made %d GitHub requests, want 5: %+v", got, gh.Requests())
			}
			if gh.Count("POST", "/app/installations/{installation_id}/access_tokens") != 0 {
				t.Error("the installation token must be reused, not created per evaluation")
			}
			if gh.Count("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs") != 0 {
				t.Error("the check run is known from the database; listing check runs again wastes rate limit")
			}
		})
	}
}

func TestSynchronizeEvaluatesTheNewHead(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	h := start(t, gh, config{})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	oldHead := pr.HeadSHA()
	waitCheck(t, gh, "acme/shop", oldHead, one("failure"))

	review := pr.Review("alice", "APPROVED") // on the old head; still counts in this rule
	newHead := fakegithub.FakeSHA("second push")
	pr.Push(newHead, "Fix typo")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review))
	h.deliver("pull_request", "", gh.Payload("pull_request", "synchronize", pr, nil))
	waitCheck(t, gh, "acme/shop", newHead, one("success"))
	if runs := gh.CheckRuns("acme/shop", oldHead); len(runs) != 1 || runs[0].Conclusion != "failure" {
		t.Errorf("old head keeps its own check run: %+v", runs)
	}
}

func TestRedeliveryIsAcknowledgedAndNotProcessedAgain(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	h := start(t, gh, config{})
	body := gh.Payload("pull_request", "opened", pr, nil)
	if code := h.deliver("pull_request", "fixed-id", body); code != http.StatusAccepted {
		t.Fatalf("status %d", code)
	}
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	before := len(gh.Requests())
	if code := h.deliver("pull_request", "fixed-id", body); code != http.StatusOK {
		t.Fatalf("redelivery status %d, want 200", code)
	}
	time.Sleep(500 * time.Millisecond)
	if after := len(gh.Requests()); after != before {
		t.Fatalf("a redelivery caused %d GitHub requests", after-before)
	}
}

// A burst's first event is evaluated at once, the rest together once the
// pull request is quiet: at most two evaluations for six events.
func TestBurstOfEventsIsEvaluatedAtMostTwice(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	h := start(t, gh, config{})
	for _, action := range []string{"opened", "labeled", "edited", "synchronize", "labeled", "unlabeled"} {
		if code := h.deliver("pull_request", "", gh.Payload("pull_request", action, pr, nil)); code != http.StatusAccepted {
			t.Fatalf("%s: status %d", action, code)
		}
	}
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	time.Sleep(600 * time.Millisecond)
	if n := gh.Count("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"); n > 2 {
		t.Fatalf("6 events in a burst led to %d evaluations, want at most 2", n)
	}
}

func TestUnchangedPullRequestCostsOnlyConditionalRequests(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	h := start(t, gh, config{})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	time.Sleep(300 * time.Millisecond)
	gh.ResetRequests()

	h.deliver("pull_request", "", gh.Payload("pull_request", "edited", pr, nil))
	wait.Until(t, 10*time.Second, "the re-evaluation", func() bool {
		return gh.Count("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/commits") > 0
	})
	time.Sleep(300 * time.Millisecond)
	reqs := gh.Requests()
	if len(reqs) != 4 {
		t.Fatalf("re-evaluating an unchanged pull request made %d requests, want 4 reads: %+v", len(reqs), reqs)
	}
	for _, r := range reqs {
		if r.Method != "GET" || !r.IfNoneMatch || r.Status != http.StatusNotModified {
			t.Errorf("%s %s: conditional=%v status=%d, want a conditional GET answered 304", r.Method, r.Route, r.IfNoneMatch, r.Status)
		}
	}
	if runs := gh.CheckRuns("acme/shop", pr.HeadSHA()); runs[0].Writes != 1 {
		t.Errorf("an unchanged verdict must not be written again (%d writes)", runs[0].Writes)
	}
}

// annotatingPolicy denies every added line containing TODO, so a test can
// produce any number of line annotations.
var annotatingPolicy = []policy.Module{{Path: "todo.rego", Source: []byte(`# METADATA
# title: No TODOs
# custom:
#   remedy: Resolve the TODO or open an issue for it.
package mergeguard.rules.no_todo

deny contains {"msg": "TODO left in the code", "path": f.path, "line": l.line} if {
	some f in input.files
	some l in f.added_lines
	contains(l.text, "TODO")
}
`)}}

func TestManyAnnotationsAreSentInBatchesOfFifty(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(77, "acme", "shop")
	var patch strings.Builder
	patch.WriteString("@@ -0,0 +1,120 @@\n")
	for i := 0; i < 120; i++ {
		patch.WriteString("+// TODO: finish\n")
	}
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Sketch", Author: "dev", Files: []fakegithub.File{{Path: "todo.go", Status: "added", Patch: patch.String()}}})
	h := start(t, gh, config{policy: annotatingPolicy})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), func(rs []fakegithub.CheckRun) bool {
		return len(rs) == 1 && len(rs[0].Annotations) == 120
	})
	if runs[0].Writes != 3 || runs[0].Conclusion != "failure" {
		t.Fatalf("120 annotations took %d writes (want 3: create + 2 updates), conclusion %s", runs[0].Writes, runs[0].Conclusion)
	}
	if a := runs[0].Annotations[119]; a.Path != "todo.go" || a.StartLine != 120 || a.Level != "failure" || a.Title != "No TODOs" {
		t.Fatalf("last annotation %+v", a)
	}
}

// A short rate limit is waited out where it was met: the evaluation goes
// on with what it has read, and sends the refused request again once the
// limit has passed. Nothing is read twice, and the job is not rescheduled.
func TestAShortRateLimitIsWaitedOutInPlace(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	gh.Fail("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", 1, http.StatusTooManyRequests,
		http.Header{"Retry-After": {"1"}}, `{"message":"You have exceeded a secondary rate limit."}`)
	h := start(t, gh, config{})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	if n := gh.Count("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"); n != 2 {
		t.Errorf("reviews read %d times, want 2 (refused, then after the wait)", n)
	}
	if n := len(gh.Requests()); n != 10 {
		t.Errorf("%d requests, want the usual 9 and the refused one: %+v", n, gh.Requests())
	}
	// The refused request waited, and so did those of the evaluation sent
	// meanwhile: none was sent while the limit held.
	_, body := h.get("/metrics")
	if !strings.Contains(body, `mergeguard_github_waits_total{kind="rate_limit",outcome="in_place"}`) ||
		strings.Contains(body, `outcome="handed_back"`) {
		t.Errorf("the waits are not counted as waited in place:\n%s", grepLines(body, "mergeguard_github_waits_total"))
	}
	if h.logs.Contains("must wait") {
		t.Errorf("the job was rescheduled:\n%s", h.logs)
	}
}

func TestGracefulShutdownMidEvaluationResumesOnRestart(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	db := dbtest.SQLiteConfig(t)
	gh.Pause() // GitHub does not answer: the evaluation hangs
	h := start(t, gh, config{db: db, shutdown: 300 * time.Millisecond})
	if code := h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil)); code != http.StatusAccepted {
		t.Fatalf("status %d", code)
	}
	time.Sleep(500 * time.Millisecond) // the job is running, stuck on GitHub
	h.stop()
	gh.Resume()
	if n := len(gh.CheckRuns("acme/shop", pr.HeadSHA())); n != 0 {
		t.Fatalf("%d check runs before restart", n)
	}
	start(t, gh, config{db: db})
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
}

func TestSIGTERMLetsARunningEvaluationFinish(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	gh.Pause()
	h := start(t, gh, config{shutdown: 10 * time.Second})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	time.Sleep(500 * time.Millisecond) // the job is running, waiting on GitHub
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop() }()
	time.Sleep(300 * time.Millisecond)
	gh.Resume() // GitHub answers after the shutdown began
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if runs := gh.CheckRuns("acme/shop", pr.HeadSHA()); len(runs) != 1 || runs[0].Conclusion != "failure" {
		t.Fatalf("the running evaluation was not allowed to finish: %+v\n%s", runs, h.logs)
	}
}

// One branch proposed into main and into a release branch: the commit's
// check run must not pass while either pull request is blocked.
func TestPullRequestsSharingAHeadCommit(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(77, "acme", "shop")
	head := fakegithub.FakeSHA("hotfix")
	files := []fakegithub.File{{Path: "shop/charge.go", Status: "modified", Patch: goPatch}}
	intoMain := repo.OpenPR(fakegithub.PRSpec{Title: "Fix rounding", Author: "dev", BaseRef: "main", HeadRef: "hotfix", HeadSHA: head, Files: files})
	intoRelease := repo.OpenPR(fakegithub.PRSpec{Title: "Fix rounding (backport)", Author: "dev", BaseRef: "release/2.4", HeadRef: "hotfix", HeadSHA: head, Files: files})
	review := intoRelease.Review("alice", "APPROVED")
	h := start(t, gh, config{})

	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", intoMain, nil))
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", intoRelease, &review))
	runs := waitCheck(t, gh, "acme/shop", head, func(rs []fakegithub.CheckRun) bool {
		return len(rs) == 1 && strings.Contains(rs[0].Summary, "head of 2 open pull requests")
	})
	if runs[0].Conclusion != "failure" || runs[0].Title != "#1 into main: Blocked by Required reviewers" {
		t.Fatalf("shared head shows %s %q; the approval of the backport must not unblock main", runs[0].Conclusion, runs[0].Title)
	}

	// Closing the blocked pull request lets the backport's verdict stand.
	intoMain.Close()
	h.deliver("pull_request", "", gh.Payload("pull_request", "closed", intoMain, nil))
	waitCheck(t, gh, "acme/shop", head, one("success"))
}

func TestReportModeIsNeutral(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	h := start(t, gh, config{mode: decision.Report})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	runs := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("neutral"))
	if !strings.HasPrefix(runs[0].Title, "Report only — would be blocked") {
		t.Fatalf("title %q", runs[0].Title)
	}
}

func TestDeletedPullRequestEndsTheJobWithoutRetrying(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	body := gh.Payload("pull_request", "opened", pr, nil)
	pr.Delete()
	h := start(t, gh, config{})
	h.deliver("pull_request", "", body)
	wait.Until(t, 10*time.Second, "the job to give up", func() bool { return h.logs.Contains("evaluation cannot succeed") })
	time.Sleep(1500 * time.Millisecond)
	if n := gh.Count("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"); n != 1 {
		t.Fatalf("a 404 was retried: %d requests", n)
	}
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	h := start(t, gh, config{})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))

	if code, body := h.get("/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("healthz %d %s", code, body)
	}
	if code, body := h.get("/readyz"); code != 200 || !strings.Contains(body, `"database":"ok"`) || !strings.Contains(body, `"policies":"ok"`) {
		t.Errorf("readyz %d %s", code, body)
	}
	// The check run is published before the job records its duration.
	var code int
	var body string
	wait.Until(t, 10*time.Second, "the job's metrics", func() bool {
		code, body = h.get("/metrics")
		return strings.Contains(body, `mergeguard_job_duration_seconds_count{outcome="success"} 1`) // recorded last
	})
	for _, want := range []string{
		`mergeguard_webhook_deliveries_total{event="pull_request",outcome="accepted"} 1`,
		`mergeguard_github_requests_total{method="POST",status="201"}`,
		`mergeguard_github_rate_limit_remaining{installation="77"}`,
		`mergeguard_verdicts_total{conclusion="failure"} 1`,
		`mergeguard_job_duration_seconds_count{outcome="success"} 1`,
		`mergeguard_evaluation_duration_seconds_count 1`,
		`mergeguard_event_to_verdict_seconds_count 1`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if code, _ := h.get("/webhook"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /webhook: %d, want 405", code)
	}
}

func TestMetricsCanBeServedOffThePublicAddress(t *testing.T) {
	gh := fakegithub.New(t)
	key, _ := jwt.ParseRSAPrivateKeyFromPEM([]byte(gh.PrivateKeyPEM()))
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := probe.Addr().String()
	probe.Close()
	h := startWith(t, gh, settings.Settings{
		AppID: gh.AppID(), PrivateKey: key, WebhookSecret: []byte(secret), GitHubAPIURL: gh.URL(),
		Database: dbtest.SQLiteConfig(t), CheckName: "mergeguard", Policy: settings.Policy{Mode: decision.Enforce}, Workers: 1,
		CoalesceQuiet: 10 * time.Millisecond, CoalesceMax: time.Second, ShutdownTimeout: time.Second,
		MetricsAddr: metricsAddr,
	}, nil)
	wait.Until(t, 5*time.Second, "the server", func() bool { code, _ := h.get("/healthz"); return code == 200 })
	if code, _ := h.get("/metrics"); code != http.StatusNotFound {
		t.Errorf("public /metrics answered %d, want 404", code)
	}
	var body string
	wait.Until(t, 5*time.Second, "the metrics listener", func() bool {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == 200
	})
	if !strings.Contains(body, "mergeguard_webhook_deliveries_total") && !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics listener body: %.200s", body)
	}
}

func TestLogsNeverContainSecrets(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	h := start(t, gh, config{})
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))
	h.stop()
	logs := h.logs.String()
	for _, leak := range []string{secret, "ghs_", "PRIVATE KEY", "Bearer "} {
		if strings.Contains(logs, leak) {
			t.Errorf("logs contain %q", leak)
		}
	}
}

// The fake checks App JWTs like GitHub; credentials it rejects (here a wrong
// App ID) must fail loudly rather than evaluate nothing silently.
func TestRejectedAppCredentialsAreReported(t *testing.T) {
	gh := fakegithub.New(t)
	pr := newPR(gh)
	key, _ := jwt.ParseRSAPrivateKeyFromPEM([]byte(gh.PrivateKeyPEM()))
	s := settings.Settings{
		AppID: gh.AppID() + 1, PrivateKey: key, WebhookSecret: []byte(secret), GitHubAPIURL: gh.URL(),
		Database: dbtest.SQLiteConfig(t), CheckName: "mergeguard", Policy: settings.Policy{Mode: decision.Enforce}, Workers: 1,
		CoalesceQuiet: 10 * time.Millisecond, CoalesceMax: time.Second, ShutdownTimeout: time.Second,
	}
	h := startWith(t, gh, s, nil)
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
	wait.Until(t, 10*time.Second, "the failed job to be logged", func() bool { return h.logs.Contains("evaluate_pr job failed") })
	if !strings.Contains(h.logs.String(), "check that MERGEGUARD_APP_ID and the private key belong to the same GitHub App") {
		t.Fatalf("token failure not logged:\n%s", h.logs)
	}
}
