package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// upload posts a coverage report as CI does and returns the status and
// the answer.
func (h *harness) upload(repo, sha, flag, token string, report []byte) (int, map[string]any) {
	h.t.Helper()
	url := fmt.Sprintf("%s/api/v1/coverage?repo=%s&sha=%s", h.base, repo, sha)
	if flag != "" {
		url += "&flag=" + flag
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(report))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// refundPatch adds lines 3 to 9 of shop/refund.go.
const refundPatch = "@@ -1,2 +1,9 @@\n package shop\n \n+// Refund pays a charge back.\n+func Refund(c Charge) error {\n+\tif c.Amount <= 0 {\n+\t\treturn errNothing\n+\t}\n+\treturn pay(-c.Amount)\n+}\n"

func TestAPullRequestWaitsForCoverageAndIsJudgedWhenItArrives(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules:\n  diff_coverage:\n    target: 60\n"})
	h := start(t, gh, config{})

	// The repository's CI uploads coverage (here for main), so its pull
	// requests wait for theirs.
	main := "1111111111111111111111111111111111111111"
	if code, out := h.upload("acme/shop", main, "", uploadToken, []byte("mode: set\ngithub.com/acme/shop/shop/charge.go:3.1,5.2 2 1\n")); code != http.StatusCreated {
		t.Fatalf("upload for main: %d %v", code, out)
	}

	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev", Files: []fakegithub.File{{Path: "shop/refund.go", Status: "added", Patch: refundPatch}}})
	review := pr.Review("alice", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review))
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("failure"))[0]
	if !strings.Contains(cr.Summary, "Waiting for coverage for "+pr.HeadSHA()[:7]) {
		t.Fatalf("summary:\n%s", cr.Summary)
	}

	// CI uploads the head's report: lines 4-9 are coverable, 6 and 7 did
	// not run (4 of 6 = 66.6%, above the 60% target).
	profile := "mode: count\n" +
		"github.com/acme/shop/shop/refund.go:4.31,5.18 1 3\n" +
		"github.com/acme/shop/shop/refund.go:5.18,7.3 1 0\n" +
		"github.com/acme/shop/shop/refund.go:8.2,9.2 1 3\n"
	code, out := h.upload("acme/shop", pr.HeadSHA(), "unit", uploadToken, []byte(profile))
	if code != http.StatusCreated || out["pull_requests"] != float64(1) || out["format"] != "go" {
		t.Fatalf("upload: %d %v", code, out)
	}
	cr = waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))[0]
	found := false
	for _, a := range cr.Annotations {
		found = found || a.Path == "shop/refund.go" && a.StartLine == 6 && a.EndLine == 7 && strings.Contains(a.Message, "not covered")
	}
	if !found {
		t.Fatalf("the uncovered lines must be annotated: %+v", cr.Annotations)
	}
	if !strings.Contains(cr.Title, "Passed") {
		t.Fatalf("title %q", cr.Title)
	}
}

func TestCoverageUploadsAreRefusedWithAReason(t *testing.T) {
	gh := fakegithub.New(t)
	policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules: {}\n"})
	h := start(t, gh, config{})
	sha := "2222222222222222222222222222222222222222"
	tests := []struct {
		name, repo, sha, token string
		body                   []byte
		status                 int
		says                   string
	}{
		{"no credentials", "acme/shop", sha, "", []byte("mode: set\n"), 401, "Authorization: Bearer"},
		{"unknown token", "acme/shop", sha, "nope", []byte("mode: set\n"), 401, "not a known upload token"},
		{"token for another organization", "globex/api", sha, uploadToken, []byte("mode: set\n"), 403, "this upload token is for acme/*, not globex/api"},
		{"short sha", "acme/shop", "abc1234", uploadToken, []byte("mode: set\n"), 400, "full 40-character commit SHA"},
		{"malformed report", "acme/shop", sha, uploadToken, []byte("SF:a.go\nDA:x,1\nend_of_record\n"), 400, "the report cannot be used"},
		{"unknown format", "acme/shop", sha, uploadToken, []byte("hello"), 400, "the report cannot be used"},
		{"oversized report", "acme/shop", sha, uploadToken, bytes.Repeat([]byte("x"), 2<<20), 413, "larger than 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := h.upload(tt.repo, tt.sha, "", tt.token, tt.body)
			if code != tt.status || !strings.Contains(fmt.Sprint(out["error"]), tt.says) {
				t.Fatalf("%d %v, want %d with %q", code, out, tt.status, tt.says)
			}
		})
	}
}

// refundLCOV is an LCOV tracefile of shop/refund.go (refundPatch) with
// function and branch records: the function ran 3 times, the if on line 5
// took only its false branch, so line 6 never ran.
const refundLCOV = "TN:\nSF:shop/refund.go\nFN:4,Refund\nFNDA:3,Refund\nFNF:1\nFNH:1\n" +
	"BRDA:5,0,0,0\nBRDA:5,0,1,3\nBRF:2\nBRH:1\nDA:4,3\nDA:5,3\nDA:6,0\nDA:8,3\nLF:4\nLH:3\nend_of_record\n"

func TestAReportWithBranchesShowsPartlyCoveredLines(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules:\n  diff_coverage:\n    target: 60\n    partial_lines: half\n"})
	h := start(t, gh, config{})
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Refunds", Author: "dev", Files: []fakegithub.File{{Path: "shop/refund.go", Status: "added", Patch: refundPatch}}})
	if code, out := h.upload("acme/shop", pr.HeadSHA(), "unit", uploadToken, []byte(refundLCOV)); code != http.StatusCreated || out["format"] != "lcov" {
		t.Fatalf("upload: %d %v", code, out)
	}
	review := pr.Review("alice", "APPROVED")
	h.deliver("pull_request_review", "", gh.Payload("pull_request_review", "submitted", pr, &review))

	// Measured 4, 5, 6, 8; 6 missed; 5 ran with 1 of its 2 branches taken,
	// which counts half: (2 + 0.5) / 4 = 62.5%, above the 60% target.
	cr := waitCheck(t, gh, "acme/shop", pr.HeadSHA(), one("success"))[0]
	var notes []string
	for _, a := range cr.Annotations {
		if a.Path == "shop/refund.go" {
			notes = append(notes, fmt.Sprintf("%d-%d %s", a.StartLine, a.EndLine, a.Message))
		}
	}
	if !slices.Contains(notes, "5-5 Line 5 is partly covered: 1 of 2 branches taken.") || !slices.Contains(notes, "6-6 Line 6 is not covered by tests.") {
		t.Fatalf("annotations: %q", notes)
	}
	row := "| `shop/refund.go` | 3 of 4 (1 partly) | 62.5% | 6 | 5 |"
	if !strings.Contains(cr.Text, "### Diff coverage by file") || !strings.Contains(cr.Text, row) || !strings.Contains(cr.Text, "it counts as half a line (partial_lines)") {
		t.Fatalf("details lack %q:\n%s", row, cr.Text)
	}

	// The integration tests take the other branch and run line 6: LCOV
	// names branches, so the two uploads combine branch by branch and the
	// line is fully covered.
	integration := "SF:shop/refund.go\nBRDA:5,0,0,2\nBRDA:5,0,1,0\nDA:5,2\nDA:6,2\nend_of_record\n"
	if code, out := h.upload("acme/shop", pr.HeadSHA(), "integration", uploadToken, []byte(integration)); code != http.StatusCreated || out["pull_requests"] != float64(1) {
		t.Fatalf("second upload: %d %v", code, out)
	}
	row = "| `shop/refund.go` | 4 of 4 | 100% |  |  |"
	waitCheck(t, gh, "acme/shop", pr.HeadSHA(), func(runs []fakegithub.CheckRun) bool {
		return one("success")(runs) && strings.Contains(runs[0].Text, row)
	})
}

func TestAFileWithoutAPatchIsDiffedFromItsContents(t *testing.T) {
	gh := fakegithub.New(t)
	_, shop := policyOrg(gh, map[string]string{"mergeguard/config.yaml": "rules:\n  diff_coverage:\n    target: 50\n  required_reviewers:\n    enabled: false\n"})
	h := start(t, gh, config{})

	old := "package shop\n\nfunc A() int {\n\treturn 1\n}\n"
	updated := old + "\n// F picks a fee.\nfunc F(n int) int {\n\tif n > 10 {\n\t\treturn 2\n\t}\n\treturn 1\n}\n"
	base := shop.CommitFiles("", "Initial", map[string]string{"shop/big.go": old})
	head := shop.CommitFiles("fees", "Fees", map[string]string{"shop/big.go": updated, "shop/table.go": "\x00\x01 a generated table"})
	// GitHub sends neither patch: one diff too large, one file binary.
	pr := shop.OpenPR(fakegithub.PRSpec{Title: "Fees", Author: "dev", BaseSHA: base, HeadSHA: head, HeadRef: "fees", Files: []fakegithub.File{
		{Path: "shop/big.go", Status: "modified", Additions: 8},
		{Path: "shop/table.go", Status: "added", Additions: 1},
	}})
	// Lines 6-13 are added; 8-12 are coverable, 10 and 11 did not run.
	profile := "mode: set\ngithub.com/acme/shop/shop/big.go:8.20,9.13 1 1\ngithub.com/acme/shop/shop/big.go:9.13,11.3 1 0\ngithub.com/acme/shop/shop/big.go:12.2,12.10 1 1\n"
	if code, out := h.upload("acme/shop", head, "", uploadToken, []byte(profile)); code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, out)
	}
	gh.ResetRequests()
	h.deliver("pull_request", "", gh.Payload("pull_request", "opened", pr, nil))

	// big.go is measured from the diff of its contents (3 of 5, 60%,
	// above the target); table.go cannot be diffed, and the rule fails
	// saying why rather than pass it unseen.
	cr := waitCheck(t, gh, "acme/shop", head, one("failure"))[0]
	row := "| `shop/big.go` | 3 of 5 | 60% | 10–11 |  |"
	if !strings.Contains(cr.Text, row) {
		t.Fatalf("details lack %q:\n%s", row, cr.Text)
	}
	why := "The added lines of `shop/table.go` cannot be read (GitHub sent no patch, and the file is binary), so diff coverage cannot measure them."
	if !strings.Contains(cr.Summary, why) || strings.Contains(cr.Summary, "big.go` cannot be read") {
		t.Fatalf("summary does not say why table.go is not measured:\n%s", cr.Summary)
	}

	// One comparison for the merge base, then big.go at the base and the
	// head and table.go (added) at the head only (besides the repository's
	// configuration file, read as for any pull request).
	var reads []string
	for _, r := range gh.Requests() {
		if r.Route == "/repos/{owner}/{repo}/contents/{path}" && strings.Contains(r.Path, "/contents/shop/") {
			reads = append(reads, r.Path+"?"+r.Query)
		}
	}
	slices.Sort(reads)
	want := []string{
		"/repos/acme/shop/contents/shop/big.go?ref=" + base,
		"/repos/acme/shop/contents/shop/big.go?ref=" + head,
		"/repos/acme/shop/contents/shop/table.go?ref=" + head,
	}
	for i := range want {
		want[i] = fakegithub.APIPrefix + want[i]
	}
	slices.Sort(want)
	if !slices.Equal(reads, want) || gh.Count("GET", "/repos/{owner}/{repo}/compare/{basehead}") != 1 {
		t.Fatalf("contents read %q and %d comparisons; want %q and 1", reads, gh.Count("GET", "/repos/{owner}/{repo}/compare/{basehead}"), want)
	}
}
