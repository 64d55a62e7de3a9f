package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// A pull request to the policy repository replays the proposed policy on
// the organization's recent pull requests and shows the difference in its
// check: counts per rule and per repository, links only to repositories
// the author can read, never the rules' messages; and only for authors who
// may write to the policy repository.
func TestThePolicyCheckReplaysTheProposedPolicy(t *testing.T) {
	gh := fakegithub.New(t)
	policy, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules: {}\n"})
	secret := gh.AddRepo(77, "acme", "secret")
	db := dbtest.SQLiteConfig(t)
	h := start(t, gh, config{db: db, replayMax: 500})

	// Two pull requests with one approval each pass the bundled rules.
	for _, repo := range []*fakegithub.Repo{shop, secret} {
		pr := repo.OpenPR(fakegithub.PRSpec{Title: "Docs", Author: "dev",
			Files: []fakegithub.File{{Path: "README.md", Status: "modified", Patch: readmePatch}}})
		pr.Review("jonas", "APPROVED")
		h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
		waitCheck(t, gh, repo.FullName(), pr.HeadSHA(), one("success"))
	}
	waitStoredInputs(t, db, 2)

	policy.SetPermission("platform-dev", "write")
	secret.SetPermission("platform-dev", "none")
	policy.SetPermission("reader", "read")
	stricter := map[string]string{"mergeguard/config.yaml": "rules:\n  required_reviewers:\n    approvals: 2\n"}
	for _, tt := range []struct {
		author, branch string
		want, not      []string
	}{
		{"platform-dev", "two-approvals", []string{
			"### Replay on recent pull requests",
			"latest evaluation of 3 pull requests evaluated in the last 14 days (at most 500)", // with the policy pull request itself
			"each was judged at its own `input.time`",
			"**Would newly block 2 pull requests and unblock 0.**",
			"| `required_reviewers` | 2 | 0 | 0 |",
			"| acme/shop | 1 | 0 |", "| 1 other repository, not named | 1 | 0 |",
			"Newly blocked: [acme/shop#1](" + "http",
			"(1 in repositories you cannot read, not linked)",
		}, []string{"acme/secret", "more approval"}},
		{"reader", "two-approvals-again", []string{"Not replayed: replay runs the proposed policy over every repository's recent pull requests, so it runs only for authors with write access to acme/.github (@reader has read)."},
			[]string{"Would newly block"}},
	} {
		head := policy.CommitFiles(tt.branch, "Two approvals", stricter)
		pr := policy.OpenPR(fakegithub.PRSpec{Title: "Two approvals", Author: tt.author, HeadRef: tt.branch, HeadSHA: head,
			Files: []fakegithub.File{{Path: "mergeguard/config.yaml", Patch: "@@ -1 +1,3 @@\n-rules: {}\n+rules:\n+  required_reviewers:\n+    approvals: 2\n"}}})
		h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))
		check := waitPolicyCheck(t, gh, head)
		summary := strings.ReplaceAll(check.Summary, "Each was", "each was")
		for _, w := range tt.want {
			if !strings.Contains(summary, w) {
				t.Errorf("%s: the policy check does not say %q:\n%s", tt.author, w, check.Summary)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(summary, n) {
				t.Errorf("%s: the policy check says %q:\n%s", tt.author, n, check.Summary)
			}
		}
	}
}

func waitStoredInputs(t *testing.T, cfg settings.Database, n int) {
	t.Helper()
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	wait.Until(t, 15*time.Second, "the evaluations' inputs to be stored", func() bool {
		var got []store.StoredInput
		err := db.InTx(context.Background(), func(tx store.Tx) error {
			var err error
			got, err = store.LatestInputs(context.Background(), tx, store.InputFilter{})
			return err
		})
		return err == nil && len(got) == n
	})
}
