package serve_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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
