package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

// Replaying the example policy repository on the example pull requests: it
// configures the production-access team, so the production change approved
// outside it is newly blocked; each is judged at --at, a weekday, so the
// weekend freeze does not decide.
func TestReplayOnDirectories(t *testing.T) {
	out, errOut, code := runMain(t, nil, "replay", "--policy-dir", policyRepo, "--at", weekday, approved, unreviewed, production)
	if code != 0 || !strings.Contains(out, "on 3 pull requests, compared with bundled@") ||
		!strings.Contains(out, "Would newly block 1 and unblock 0; 2 unchanged.") ||
		!strings.Contains(out, "production_access  1               0") ||
		!strings.Contains(out, "acme/storefront#431") || !strings.Contains(out, "needs 1 more approval from @acme/prod-access") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runMain(t, nil, "replay", "--format", "json", "--policy-dir", policyRepo, "--at", weekday, approved, production)
	var rep struct {
		Inputs       int `json:"inputs"`
		NewlyBlocked []struct {
			Repo     string   `json:"repo"`
			Number   int      `json:"pr"`
			Blocking []string `json:"newly_blocking_rules"`
		} `json:"newly_blocked"`
		Rules []struct {
			Rule          string `json:"rule"`
			NewlyBlocking int    `json:"newly_blocking"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if rep.Inputs != 2 || len(rep.NewlyBlocked) != 1 || rep.NewlyBlocked[0].Number != 431 || len(rep.Rules) != 1 || rep.Rules[0].NewlyBlocking != 1 {
		t.Errorf("json report %+v", rep)
	}
	_, errOut, code = runMain(t, nil, "replay", approved)
	if code != 2 || !strings.Contains(errOut, "--policy-dir is required") {
		t.Errorf("no policy: exit %d %s", code, errOut)
	}
}

// Against the server's database: the latest stored input of each pull
// request, compared with the verdict recorded then, each at its own time.
func TestReplayOnStoredInputs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mergeguard.db")
	env := map[string]string{"MERGEGUARD_DATABASE_URL": "sqlite:" + path}
	db := dbtest.Open(t, settings.Database{Driver: store.SQLite, Path: path})
	ctx := context.Background()
	document := func(dir string) []byte {
		out, errOut, code := runMain(t, nil, "eval", "--input-only", "--at", weekday, dir)
		if code != 0 {
			t.Fatalf("input of %s: exit %d %s", dir, code, errOut)
		}
		return []byte(out)
	}
	recent := time.Now().Add(-time.Hour)
	evaluations := []store.Evaluation{
		{At: recent, Repo: "acme/storefront", Number: 418, HeadSHA: "a", Conclusion: "success", Input: document(approved), InputVersion: 1,
			Rules: map[string]string{"required_reviewers": "pass", "production_access": "skip"}},
		{At: recent, Repo: "acme/storefront", Number: 431, HeadSHA: "b", Conclusion: "success", Input: document(production), InputVersion: 1,
			Rules: map[string]string{"required_reviewers": "pass", "production_access": "warn"}},
		// Evaluated before inputs were stored.
		{At: recent, Repo: "acme/storefront", Number: 7, HeadSHA: "c", Conclusion: "failure", Rules: map[string]string{"required_reviewers": "fail"}},
		// Too long ago for --since.
		{At: recent.AddDate(0, 0, -30), Repo: "acme/storefront", Number: 1, HeadSHA: "d", Conclusion: "success", Input: document(production), InputVersion: 1,
			Rules: map[string]string{"production_access": "pass"}},
	}
	err := db.InTx(ctx, func(tx store.Tx) error {
		for _, e := range evaluations {
			e.Policy, e.Trigger = "bundled", "pull_request.synchronize"
			if err := store.RecordEvaluation(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runMain(t, env, "replay", "--policy-dir", policyRepo, "--since", "14d")
	if code != 0 || !strings.Contains(out, "on 2 pull requests, compared with the verdicts recorded then") ||
		!strings.Contains(out, "Would newly block 1 and unblock 0; 1 unchanged.") ||
		!strings.Contains(out, "1 evaluated pull request has no stored input (0 too large, 1 evaluated before inputs were stored)") ||
		!strings.Contains(out, "acme/storefront#431 (b, 2026-11-25T10:00:00Z) newly blocking: production_access") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runMain(t, env, "replay", "--policy-dir", policyRepo, "--repo", "acme/other")
	if code != 0 || !strings.Contains(out, "on 0 pull requests") {
		t.Errorf("another repository: exit %d\n%s", code, out)
	}
	_, errOut, code = runMain(t, env, "replay", "--policy-dir", policyRepo, "--since", "a while")
	if code != 2 || !strings.Contains(errOut, "--since \"a while\": give days (14d)") {
		t.Errorf("bad --since: exit %d %s", code, errOut)
	}
}

func TestPoliciesExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bundled")
	out, errOut, code := runMain(t, nil, "policies", "export", dir)
	if code != 0 || !strings.Contains(out, "bundled policy files to "+dir) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "lib.rego")); len(m) != 1 {
		t.Fatalf("the library is not in %s", dir)
	}
	if _, _, code := runMain(t, nil, "policies", "export"); code != 2 {
		t.Errorf("no directory: exit %d", code)
	}
}
