package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/intake"
	"github.com/mergeguard/mergeguard/internal/metrics"
)

const secret = "It's a Secret to Everybody"

type fakeAcceptor struct {
	got     []decision.Delivery
	jobs    []job
	outcome decision.Acceptance
	err     error
}

func (f *fakeAcceptor) Accept(_ context.Context, d decision.Delivery) (decision.Acceptance, error) {
	f.got = append(f.got, d)
	return f.outcome, f.err
}

func (f *fakeAcceptor) AcceptMergeGroup(_ context.Context, d decision.Delivery, mg decision.MergeGroupRequest) (decision.Acceptance, error) {
	f.got = append(f.got, d)
	f.jobs = append(f.jobs, mg)
	return f.outcome, f.err
}

func (f *fakeAcceptor) AcceptComment(_ context.Context, d decision.Delivery, c decision.Comment) (decision.Acceptance, error) {
	f.got = append(f.got, d)
	f.jobs = append(f.jobs, c)
	return f.outcome, f.err
}

func sign(body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

const prOpened = `{"action":"opened","number":7,
 "pull_request":{"number":7,"head":{"sha":"abc"}},
 "repository":{"id":100,"name":"shop","full_name":"acme/shop","owner":{"login":"acme"}},
 "installation":{"id":42}}`

const reviewSubmitted = `{"action":"submitted","review":{"state":"approved"},
 "pull_request":{"number":9},
 "repository":{"id":100,"name":"shop","full_name":"acme/shop","owner":{"login":"acme"}},
 "installation":{"id":42}}`

func TestHandler(t *testing.T) {
	tests := []struct {
		name        string
		event       string
		body        string
		contentType string
		sig         func([]byte) string
		delivery    string
		acceptor    *fakeAcceptor
		status      int
		outcome     string
		says        string
		accepted    bool
	}{
		{name: "pull request opened", event: "pull_request", body: prOpened, status: 202, outcome: "accepted", accepted: true},
		{name: "review submitted", event: "pull_request_review", body: reviewSubmitted, status: 202, outcome: "accepted", accepted: true},
		{name: "coalesced", event: "pull_request", body: prOpened, acceptor: &fakeAcceptor{outcome: decision.Coalesced}, status: 202, outcome: "coalesced", accepted: true},
		{name: "duplicate delivery", event: "pull_request", body: prOpened, acceptor: &fakeAcceptor{outcome: decision.Duplicate}, status: 200, outcome: "duplicate", accepted: true},
		{name: "form encoded", event: "pull_request", body: "payload=" + url.QueryEscape(prOpened), contentType: "application/x-www-form-urlencoded", status: 202, outcome: "accepted", accepted: true},
		{name: "ping", event: "ping", body: `{"zen":"Keep it logically awesome."}`, status: 200, outcome: "ping"},
		{name: "unhandled event", event: "star", body: `{"action":"created"}`, status: 202, outcome: "ignored"},
		{name: "unhandled action", event: "pull_request", body: strings.Replace(prOpened, `"opened"`, `"assigned"`, 1), status: 202, outcome: "ignored"},
		{name: "missing signature", event: "pull_request", body: prOpened, sig: func([]byte) string { return "" }, status: 401, outcome: "bad_signature", says: "missing X-Hub-Signature-256"},
		{name: "wrong signature", event: "pull_request", body: prOpened, sig: func(b []byte) string { return sign(append(b, ' ')) }, status: 401, outcome: "bad_signature", says: "does not match"},
		{name: "sha1 signature", event: "pull_request", body: prOpened, sig: func([]byte) string { return "sha1=0123" }, status: 401, outcome: "bad_signature", says: "sha256="},
		{name: "malformed JSON", event: "pull_request", body: `{"action":`, status: 400, outcome: "malformed", says: "not valid JSON"},
		{name: "wrong JSON types", event: "pull_request", body: `{"action":5}`, status: 400, outcome: "malformed", says: "not a valid pull_request event"},
		{name: "no installation", event: "pull_request", body: strings.Replace(prOpened, `"installation":{"id":42}`, `"sender":{}`, 1), status: 400, outcome: "malformed", says: "installation.id"},
		{name: "no delivery id", event: "pull_request", body: prOpened, delivery: "-", status: 400, outcome: "malformed", says: "X-GitHub-Delivery"},
		{name: "unsupported content type", event: "pull_request", body: prOpened, contentType: "text/plain", status: 400, outcome: "malformed", says: "application/json"},
		{name: "store down", event: "pull_request", body: prOpened, acceptor: &fakeAcceptor{err: errors.New("database is locked")}, status: 503, outcome: "error", says: "redeliver", accepted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := tt.acceptor
			if acc == nil {
				acc = &fakeAcceptor{outcome: decision.Queued}
			}
			m := metrics.New()
			var logs bytes.Buffer
			h, err := New([]byte(secret), acc, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), m, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			body := []byte(tt.body)
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			req.Header.Set("X-GitHub-Event", tt.event)
			if tt.delivery != "-" {
				req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
			}
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			sig := sign(body)
			if tt.sig != nil {
				sig = tt.sig(body)
			}
			if sig != "" {
				req.Header.Set("X-Hub-Signature-256", sig)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("content type %q", got)
			}
			if tt.says != "" && !strings.Contains(rec.Body.String(), tt.says) {
				t.Errorf("body %s does not say %q", rec.Body, tt.says)
			}
			if got := testutil.ToFloat64(m.Deliveries.WithLabelValues(eventLabel(tt.event), tt.outcome)); got != 1 {
				t.Errorf("deliveries{%s,%s} = %v, want 1", eventLabel(tt.event), tt.outcome, got)
			}
			if (len(acc.got) > 0) != tt.accepted {
				t.Errorf("acceptor called %d times, want accepted=%v", len(acc.got), tt.accepted)
			}
			if logs.Len() == 0 {
				t.Error("every delivery gets a log line")
			}
			if strings.Contains(logs.String(), secret) {
				t.Error("log contains the webhook secret")
			}
		})
	}
}

func TestHandlerExtractsThePullRequest(t *testing.T) {
	acc := &fakeAcceptor{outcome: decision.Queued}
	h, _ := New([]byte(secret), acc, slog.New(slog.DiscardHandler), metrics.New(), time.Now)
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(reviewSubmitted))
	req.Header.Set("X-GitHub-Event", "pull_request_review")
	req.Header.Set("X-GitHub-Delivery", "d-1")
	req.Header.Set("X-Hub-Signature-256", sign([]byte(reviewSubmitted)))
	h.ServeHTTP(httptest.NewRecorder(), req)
	want := decision.Delivery{ID: "d-1", Event: "pull_request_review", Action: "submitted", InstallationID: 42,
		PR: decision.PRKey{RepoID: 100, Repo: "acme/shop", Number: 9}}
	got := acc.got[0]
	got.ReceivedAt = time.Time{}
	if got != want {
		t.Fatalf("delivery %+v, want %+v", got, want)
	}
}

func TestHandlerRejectsOversizedBodies(t *testing.T) {
	wellFormed := "sha256=" + strings.Repeat("0", 64)
	for name, declared := range map[string]bool{"declared length": true, "chunked": false} {
		t.Run(name, func(t *testing.T) {
			acc := &fakeAcceptor{outcome: decision.Queued}
			h, _ := New([]byte(secret), acc, slog.New(slog.DiscardHandler), metrics.New(), time.Now)
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(make([]byte, MaxBodyBytes+1)))
			if !declared {
				req.ContentLength = -1
			}
			req.Header.Set("X-GitHub-Event", "pull_request")
			req.Header.Set("X-Hub-Signature-256", wellFormed)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusRequestEntityTooLarge || len(acc.got) != 0 {
				t.Fatalf("status %d, accepted %d", rec.Code, len(acc.got))
			}
		})
	}
}

// failingReader fails the test if anything reads it.
type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Error("the body of a request without a usable signature header was read")
	return 0, errors.New("read")
}

func TestUnsignedRequestsAreRejectedBeforeTheBodyIsRead(t *testing.T) {
	for _, sig := range []string{"", "sha1=abc", "sha256=short"} {
		h, _ := New([]byte(secret), &fakeAcceptor{}, slog.New(slog.DiscardHandler), metrics.New(), time.Now)
		req := httptest.NewRequest(http.MethodPost, "/webhook", failingReader{t})
		req.Header.Set("X-GitHub-Event", "pull_request")
		if sig != "" {
			req.Header.Set("X-Hub-Signature-256", sig)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("signature %q: status %d, want 401", sig, rec.Code)
		}
	}
}

func TestRejectionWarningsAreRateLimited(t *testing.T) {
	var logs bytes.Buffer
	h, _ := New([]byte(secret), &fakeAcceptor{}, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})), metrics.New(), time.Now)
	for i := 0; i < 50; i++ {
		req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader("{}"))
		req.Header.Set("X-Hub-Signature-256", sign([]byte("other")))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Fatalf("%d warnings for 50 rejected requests in a burst, want 1", n)
	}
}

func TestNewRefusesAnEmptySecret(t *testing.T) {
	if _, err := New([]byte("  "), &fakeAcceptor{}, slog.New(slog.DiscardHandler), metrics.New(), time.Now); err == nil {
		t.Fatal("an empty secret would accept unsigned deliveries")
	}
}

func TestUnknownEventsShareOneMetricLabel(t *testing.T) {
	if eventLabel("x-attacker-chosen-"+strings.Repeat("a", 50)) != "other" || eventLabel("pull_request") != "pull_request" {
		t.Fatal("metric labels must be bounded")
	}
}

func FuzzParseDelivery(f *testing.F) {
	f.Add("pull_request", prOpened)
	f.Add("pull_request_review", reviewSubmitted)
	f.Add("pull_request", `{"action":"opened","number":-1}`)
	f.Add("pull_request", `null`)
	f.Add("merge_group", mergeGroup)
	f.Add("issue_comment", comment)
	f.Fuzz(func(t *testing.T, event, payload string) {
		d, job, err := parseDelivery(event, "id", []byte(payload), "/guard")
		if err != nil {
			return
		}
		if d.InstallationID <= 0 || d.PR.RepoID <= 0 || d.PR.Number <= 0 || d.PR.Repo == "" || !handledActions[event][d.Action] {
			t.Fatalf("accepted an incomplete delivery %+v", d)
		}
		switch j := job.(type) {
		case decision.MergeGroupRequest:
			if j.HeadSHA == "" || j.Number != d.PR.Number {
				t.Fatalf("merge group job %+v", j)
			}
		case decision.Comment:
			if !strings.Contains(j.Body, "/guard") || strings.HasSuffix(j.Author, "[bot]") {
				t.Fatalf("command job %+v", j)
			}
		}
	})
}

func TestPushesAreReportedToTheObserver(t *testing.T) {
	var got []Push
	h, _ := New([]byte(secret), &fakeAcceptor{}, slog.New(slog.DiscardHandler), metrics.New(), time.Now,
		WithPushObserver(func(_ context.Context, p Push) error { got = append(got, p); return nil }))
	body := []byte(`{"ref":"refs/heads/main","after":"c0ffee","repository":{"id":5,"name":".github","default_branch":"main","owner":{"login":"acme"}},
		"commits":[{"added":["mergeguard/policies/new.rego"],"modified":["mergeguard/config.yaml"],"removed":[]}],"installation":{"id":1}}`)
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", "p-1")
	req.Header.Set("X-Hub-Signature-256", sign(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	want := Push{InstallationID: 1, RepoID: 5, Owner: "acme", Repo: ".github", Branch: "main", DefaultBranch: "main", After: "c0ffee", Files: []string{"mergeguard/policies/new.rego", "mergeguard/config.yaml"}}
	if rec.Code != http.StatusAccepted || len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Fatalf("status %d, pushes %+v", rec.Code, got)
	}
}

const mergeGroup = `{"action":"checks_requested",
 "merge_group":{"head_sha":"2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d","head_ref":"refs/heads/gh-readonly-queue/main/pr-7-929f8209d40f77f4abc622a499c93a83babdbe64",
  "base_sha":"380387fbc80638b734a49e1be1c4dfec1c01b33c","base_ref":"refs/heads/main"},
 "repository":{"id":100,"name":"shop","full_name":"acme/shop","owner":{"login":"acme"}},
 "installation":{"id":42}}`

const comment = `{"action":"created",
 "issue":{"number":3},
 "comment":{"id":11,"html_url":"https://github.com/acme/.github/issues/3#issuecomment-11","body":"/guard freeze 2h outage","user":{"login":"ic","type":"User"},"author_association":"MEMBER","created_at":"2026-11-24T10:00:07Z"},
 "repository":{"id":5,"name":".github","full_name":"acme/.github","owner":{"login":"acme"}},
 "installation":{"id":42}}`

func TestMergeGroupsAndCommandsBecomeJobs(t *testing.T) {
	tests := []struct {
		name, event, body string
		status            int
		check             func(job) bool
	}{
		{"merge group", "merge_group", mergeGroup, 202, func(j job) bool {
			mg, ok := j.(decision.MergeGroupRequest)
			return ok && mg.Number == 7 && mg.HeadSHA == "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d" && mg.BaseRef == "main" && mg.Repo == "acme/shop"
		}},
		{"merge group with a foreign branch", "merge_group", strings.Replace(mergeGroup, "gh-readonly-queue/main/pr-7-", "feature/pr-7-", 1), 400, nil},
		{"merge group naming an overflowing number", "merge_group", strings.Replace(mergeGroup, "/pr-7-", "/pr-99999999999999999999999-", 1), 400, nil},
		{"merge group naming a number beyond GitHub's", "merge_group", strings.Replace(mergeGroup, "/pr-7-", "/pr-9223372036854775807-", 1), 400, nil},
		{"merge group naming pull request 0", "merge_group", strings.Replace(mergeGroup, "/pr-7-", "/pr-0-", 1), 400, nil},
		{"merge group with a leading zero", "merge_group", strings.Replace(mergeGroup, "/pr-7-", "/pr-07-", 1), 400, nil},
		{"command", "issue_comment", comment, 202, func(j job) bool {
			c, ok := j.(decision.Comment)
			return ok && c.Body == "/guard freeze 2h outage" && c.Author == "ic" && c.Number == 3 && c.CommentID == 11 && !c.IsPullRequest &&
				c.CreatedAt.Equal(time.Date(2026, 11, 24, 10, 0, 7, 0, time.UTC))
		}},
		{"comment without a command", "issue_comment", strings.Replace(comment, "/guard freeze 2h outage", "thanks!", 1), 202, nil},
		{"a bot's comment", "issue_comment", strings.Replace(comment, `"type":"User"`, `"type":"Bot"`, 1), 202, nil},
		{"an edited comment", "issue_comment", strings.Replace(comment, `"created"`, `"edited"`, 1), 202, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := &fakeAcceptor{outcome: decision.Queued}
			h, _ := New([]byte(secret), acc, slog.New(slog.DiscardHandler), metrics.New(), time.Now)
			req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(tt.body))
			req.Header.Set("X-GitHub-Event", tt.event)
			req.Header.Set("X-GitHub-Delivery", "d-1")
			req.Header.Set("X-Hub-Signature-256", sign([]byte(tt.body)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if tt.check == nil {
				if len(acc.jobs) != 0 {
					t.Fatalf("no job expected, got %+v", acc.jobs)
				}
				return
			}
			if len(acc.jobs) != 1 || !tt.check(acc.jobs[0]) {
				t.Fatalf("jobs %+v", acc.jobs)
			}
		})
	}
}

func TestAFailedPushObserverFailsTheDelivery(t *testing.T) {
	h, _ := New([]byte(secret), &fakeAcceptor{}, slog.New(slog.DiscardHandler), metrics.New(), time.Now,
		WithPushObserver(func(context.Context, Push) error { return fmt.Errorf("database down") }))
	body := []byte(`{"ref":"refs/heads/main","repository":{"id":5,"name":".github","owner":{"login":"acme"}},"installation":{"id":1}}`)
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", "p-2")
	req.Header.Set("X-Hub-Signature-256", sign(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "redeliver") {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
}

func TestAMergeQueueBranchNamesOnePullRequestExactly(t *testing.T) {
	ref := "refs/heads/gh-readonly-queue/main/pr-99999999999999999999999-929f8209d40f77f4abc622a499c93a83babdbe64"
	n, err := mergeQueuePR(ref)
	if err == nil || !strings.Contains(err.Error(), `names pull request "99999999999999999999999", which is not a pull request number`) {
		t.Fatalf("parsed %d, %v", n, err)
	}
	if n, err := mergeQueuePR("gh-readonly-queue/release/v2/pr-2147483647-929f820"); err != nil || n != 2147483647 {
		t.Fatalf("the largest number: %d, %v", n, err)
	}
}

func FuzzMergeQueuePR(f *testing.F) {
	f.Add("gh-readonly-queue/main/pr-7-929f8209d40f77f4abc622a499c93a83babdbe64")
	f.Add("refs/heads/gh-readonly-queue/main/pr-99999999999999999999999-929f820")
	f.Add("gh-readonly-queue/a/pr-1-/pr-2-929f820")
	f.Fuzz(func(t *testing.T, ref string) {
		n, err := mergeQueuePR(ref)
		if err != nil {
			return
		}
		if n < 1 || n > maxPRNumber || !strings.Contains(ref, fmt.Sprintf("/pr-%d-", n)) {
			t.Fatalf("%q parsed as %d", ref, n)
		}
	})
}

// deadlineReader is a body whose connection's read deadline passed.
type deadlineReader struct{}

func (deadlineReader) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }

func TestIntakeLimitsAnswerAtOnce(t *testing.T) {
	wellFormed := "sha256=" + strings.Repeat("0", 64)
	tests := []struct {
		name    string
		limits  intake.Limits
		body    io.Reader
		length  int64
		status  int
		outcome string
		refused string
	}{
		{"memory for bodies in use", intake.Limits{BufferBytes: 1 << 10}, bytes.NewReader(make([]byte, 2<<10)), 2 << 10,
			http.StatusServiceUnavailable, metrics.DeliveryBusy, metrics.RefusedAddressMemory},
		{"a body past its deadline", intake.Limits{}, deadlineReader{}, 100, http.StatusRequestTimeout, metrics.DeliveryTooSlow, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			acc := &fakeAcceptor{outcome: decision.Queued}
			h, _ := New([]byte(secret), acc, slog.New(slog.DiscardHandler), m, time.Now, WithLimits(tt.limits))
			req := httptest.NewRequest(http.MethodPost, "/webhook", tt.body)
			req.ContentLength = tt.length
			req.Header.Set("X-GitHub-Event", "pull_request")
			req.Header.Set("X-Hub-Signature-256", wellFormed)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || len(acc.got) != 0 {
				t.Fatalf("status %d, accepted %d: %s", rec.Code, len(acc.got), rec.Body)
			}
			if got := testutil.ToFloat64(m.Deliveries.WithLabelValues("pull_request", tt.outcome)); got != 1 {
				t.Errorf("deliveries{%s} = %v", tt.outcome, got)
			}
			if tt.refused != "" {
				if got := testutil.ToFloat64(m.Intake.Refused.WithLabelValues(tt.refused)); got != 1 || rec.Header().Get("Retry-After") == "" {
					t.Errorf("refused{%s} = %v, Retry-After %q", tt.refused, got, rec.Header().Get("Retry-After"))
				}
			}
			if testutil.ToFloat64(m.Intake.BodyBytes) != 0 {
				t.Errorf("%v bytes still held", testutil.ToFloat64(m.Intake.BodyBytes))
			}
		})
	}
}

// GitHub's own deployment_status examples reach the observer with what
// the bake_time re-evaluation needs; one without an installation (not an
// App delivery) is refused, and a failed observer fails the delivery so
// that it can be redelivered.
func TestDeploymentStatusesAreReportedToTheObserver(t *testing.T) {
	dir := filepath.Join(examplesDir(t), "deployment_status")
	tests := []struct {
		file   string
		status int
		want   decision.DeploymentStatus
		fail   error
	}{
		{file: "with-installation.payload.json", status: http.StatusAccepted, want: decision.DeploymentStatus{
			InstallationID: 1, RepoID: 186853002, Owner: "Codertocat", Repo: "Hello-World", DefaultBranch: "master",
			Environment: "production", State: "success", DeploymentID: 145988746, SHA: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", Ref: "master",
		}},
		{file: "payload.json", status: http.StatusBadRequest},
		{file: "with-installation.payload.json", status: http.StatusServiceUnavailable, fail: errors.New("database down")},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var got []decision.DeploymentStatus
			acc := &fakeAcceptor{}
			h, _ := New([]byte(secret), acc, slog.New(slog.DiscardHandler), metrics.New(), time.Now,
				WithDeploymentObserver(func(_ context.Context, ds decision.DeploymentStatus) error { got = append(got, ds); return tt.fail }))
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			req.Header.Set("X-GitHub-Event", "deployment_status")
			req.Header.Set("X-GitHub-Delivery", "ds-1")
			req.Header.Set("X-Hub-Signature-256", sign(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || len(acc.jobs) != 0 {
				t.Fatalf("status %d (want %d), jobs %+v: %s", rec.Code, tt.status, acc.jobs, rec.Body)
			}
			if tt.status == http.StatusAccepted && (len(got) != 1 || got[0] != tt.want) {
				t.Fatalf("observed %+v, want %+v", got, tt.want)
			}
			if tt.status == http.StatusBadRequest && len(got) != 0 {
				t.Fatalf("a refused delivery was observed: %+v", got)
			}
		})
	}
}

// GitHub's example of an owner accepting new permissions reaches the
// observer; other installation deliveries do not.
func TestAcceptedPermissionsAreReportedToTheObserver(t *testing.T) {
	dir := filepath.Join(examplesDir(t), "installation")
	tests := []struct {
		file     string
		observed bool
	}{
		{"new_permissions_accepted.payload.json", true},
		{"created.payload.json", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var got []decision.PermissionsAccepted
			h, _ := New([]byte(secret), &fakeAcceptor{}, slog.New(slog.DiscardHandler), metrics.New(), time.Now,
				WithPermissionsObserver(func(_ context.Context, pa decision.PermissionsAccepted) error { got = append(got, pa); return nil }))
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			req.Header.Set("X-GitHub-Event", "installation")
			req.Header.Set("X-GitHub-Delivery", "inst-1")
			req.Header.Set("X-Hub-Signature-256", sign(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			want := decision.PermissionsAccepted{InstallationID: 957387, Owner: "Codertocat", DeliveryID: "inst-1"}
			switch {
			case rec.Code != http.StatusAccepted:
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			case tt.observed && (len(got) != 1 || got[0] != want):
				t.Fatalf("observed %+v, want %+v", got, want)
			case !tt.observed && len(got) != 0:
				t.Fatalf("observed %+v", got)
			}
		})
	}
}
