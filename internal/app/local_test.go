package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/decision"
)

// TestEvalPullRequestJudgesOfflineAsConfigured checks the offline
// assembly: the directory's pull request judged by the bundled policy, the
// mode asked for re-deciding the same results, and input-only building the
// document without judging it.
func TestEvalPullRequestJudgesOfflineAsConfigured(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	getenv := func(string) string { return "" }
	tests := []struct {
		name       string
		e          app.Eval
		wantErr    bool
		blocked    bool
		mode       decision.Mode
		conclusion decision.Conclusion
		judged     bool
	}{
		{name: "approved merges", e: app.Eval{Dir: "../../testdata/prs/approved"}, blocked: false, mode: decision.Enforce, judged: true},
		{name: "unreviewed is blocked", e: app.Eval{Dir: "../../testdata/prs/unreviewed"}, blocked: true, mode: decision.Enforce, conclusion: decision.Failure, judged: true},
		{name: "report mode re-decides", e: app.Eval{Dir: "../../testdata/prs/unreviewed", Mode: decision.Report}, blocked: true, mode: decision.Report, conclusion: decision.Neutral, judged: true},
		{name: "input only", e: app.Eval{Dir: "../../testdata/prs/unreviewed", InputOnly: true}},
		{name: "missing directory", e: app.Eval{Dir: "../../testdata/prs/no-such-pr"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.e.Now = at
			res, err := app.EvalPullRequest(context.Background(), getenv, tt.e)
			if (err != nil) != tt.wantErr {
				t.Fatalf("EvalPullRequest: err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got := res.Input.PullRequest.Head.SHA; got == "" {
				t.Errorf("the input document has no head commit")
			}
			if !tt.judged {
				if len(res.Judgement.Verdict.Rules) != 0 || res.Policy != "" {
					t.Errorf("input-only judged the pull request: %d rules, policy %q", len(res.Judgement.Verdict.Rules), res.Policy)
				}
				return
			}
			v := res.Judgement.Verdict
			if v.Blocked != tt.blocked || v.Mode != tt.mode {
				t.Errorf("verdict blocked=%v mode=%s, want blocked=%v mode=%s", v.Blocked, v.Mode, tt.blocked, tt.mode)
			}
			if tt.conclusion != "" && v.Conclusion != tt.conclusion {
				t.Errorf("check run conclusion %q, want %q", v.Conclusion, tt.conclusion)
			}
			if res.Policy == "" {
				t.Errorf("no policy label")
			}
		})
	}
}

// TestCheckPolicyRecognisesTheBundledSet checks that mergeguard's own
// policies are tested in place of the embedded copy, and that a folder that
// cannot be read is an error rather than an empty, passing policy.
func TestCheckPolicyRecognisesTheBundledSet(t *testing.T) {
	getenv := func(string) string { return "" }
	tests := []struct {
		name    string
		dir     string
		wantErr bool
		bundled bool
	}{
		{name: "bundled policies", dir: "../../policies", bundled: true},
		{name: "missing folder", dir: "../../testdata/no-such-policy", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := app.CheckPolicy(context.Background(), getenv, app.PolicyCheck{Dir: tt.dir})
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckPolicy: err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if res.BundledSet != tt.bundled {
				t.Errorf("BundledSet = %v, want %v", res.BundledSet, tt.bundled)
			}
			if res.Failed() || len(res.Tests) == 0 {
				t.Errorf("the bundled policies: failed %v with %d tests, want them all to pass", res.Failed(), len(res.Tests))
			}
		})
	}
}
