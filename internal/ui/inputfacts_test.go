package ui_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/ui"
)

// TestEvaluationPageInputFacts shows the stored input of the newest
// evaluation of acme/shop#42 in each state the store can give it.
func TestEvaluationPageInputFacts(t *testing.T) {
	var many strings.Builder
	many.WriteString(`{"files_truncated": true, "files": [`)
	for i := range 60 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `{"path": "gen/f%02d.go", "status": "added", "additions": %d, "deletions": 0}`, i, i)
	}
	many.WriteString(`], "reviews": [{"author": {"login": "dave", "type": "User"}, "state": "APPROVED", "commit_sha": "abc", "on_head": false,
		"changes_since_known": true, "files_changed_since": [`)
	for i := range 14 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `"gen/f%02d.go"`, i)
	}
	many.WriteString(`]}]}`)

	tests := []struct {
		name     string
		input    ui.StoredInput
		inputErr error
		want     []string
		notWant  []string
	}{
		{name: "too large to store", input: ui.StoredInput{Size: 3 << 20},
			want:    []string{`id="facts-missing"`, "the input document (3.0 MiB) was larger than mergeguard keeps"},
			notWant: []string{`id="reviews-table"`}},
		{name: "recorded before inputs were stored", input: ui.StoredInput{},
			want: []string{"recorded before mergeguard kept each evaluation&#39;s input"}},
		{name: "too large to show", inputErr: fmt.Errorf("read: %w", ui.ErrInputTooLarge),
			want: []string{"too large to show here"}},
		{name: "unreadable row", inputErr: errors.New("stored input: gzip: invalid header"),
			want: []string{"could not be read from the audit trail"}, notWant: []string{"gzip"}},
		{name: "not JSON", input: ui.StoredInput{Document: []byte(`{"files": [`)},
			want: []string{"could not be read from the audit trail"}},
		{name: "hostile names are escaped", input: ui.StoredInput{Document: []byte(`{"files": [
				{"path": "payments/retry.go", "status": "modified", "additions": 1, "deletions": 2},
				{"path": "<img src=x onerror=alert(1)>", "status": "added"}],
				"reviews": [{"author": {"login": "<script>alert(1)</script>", "type": "User"}, "state": "APPROVED",
				"commit_sha": "\"><b>", "on_head": true, "changes_since_known": true}]}`)},
			want:    []string{"&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;b&gt;"},
			notWant: []string{"<img src=x", "<script>alert", `"><b>`}},
		{name: "many files and a review before many changes", input: ui.StoredInput{Document: []byte(many.String())},
			want: []string{
				"60 changed files, and more: GitHub's list was cut", "<code>gen/f49.go</code>",
				"The first files only: 10 more are not listed here.",
				"given on an earlier commit; 14 files changed since", "<code>gen/f09.go</code>", "… and 4 more",
				// The coverage finding's file is not in this list of files.
				"<code>payments/retry.go</code> <span class=\"muted\">not among the changed files</span>",
			},
			notWant: []string{"<code>gen/f50.go</code>", "<li><code>gen/f10.go</code></li>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fx.Reader.Inputs["eval-3"] = tc.input
			e.fx.Reader.InputErr = tc.inputErr
			s, _ := e.signIn("bob", "/ui/")
			r := e.get("/ui/acme/shop/pull/42", s)
			if r.status != 200 {
				t.Fatalf("status %d\n%s", r.status, r.body)
			}
			// The verdict is shown whatever became of the input.
			if !strings.Contains(r.body, `id="conclusion">success`) {
				t.Errorf("the page lacks the verdict")
			}
			for _, w := range tc.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(r.body, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
}

// TestReviewStanding says, for each kind of review the input can hold,
// whether it applied to the evaluated head and why.
func TestReviewStanding(t *testing.T) {
	tests := []struct {
		name, review  string
		standing, why string
	}{
		{"on the head", `{"author": {"login": "a", "type": "User"}, "state": "APPROVED", "on_head": true, "changes_since_known": true}`,
			"current", "given on the head"},
		{"changes requested on the head", `{"author": {"login": "a", "type": "User"}, "state": "CHANGES_REQUESTED", "on_head": true, "changes_since_known": true}`,
			"current", "given on the head"},
		{"earlier, nothing changed", `{"author": {"login": "a", "type": "User"}, "state": "APPROVED", "on_head": false, "changes_since_known": true, "files_changed_since": []}`,
			"still applies", "no file changed since"},
		{"earlier, files changed", `{"author": {"login": "a", "type": "User"}, "state": "APPROVED", "on_head": false, "changes_since_known": true, "files_changed_since": ["a.go", "b.go"]}`,
			"stale", "2 files changed since"},
		{"earlier, changes unknown", `{"author": {"login": "a", "type": "User"}, "state": "APPROVED", "on_head": false, "changes_since_known": false}`,
			"stale", "what changed since is unknown"},
		{"dismissed", `{"author": {"login": "a", "type": "User"}, "state": "DISMISSED", "on_head": true, "changes_since_known": true}`,
			"not counted", "dismissed"},
		{"bot by type", `{"author": {"login": "helper", "type": "Bot"}, "state": "APPROVED", "on_head": true, "changes_since_known": true}`,
			"not counted", "bot"},
		{"bot by name", `{"author": {"login": "renovate[bot]", "type": "User"}, "state": "APPROVED", "on_head": true, "changes_since_known": true}`,
			"not counted", "bot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := ui.BuildInputFacts(ui.StoredInput{Document: []byte(`{"reviews": [` + tc.review + `]}`)}, nil)
			if f.Missing != "" || len(f.Reviews) != 1 {
				t.Fatalf("facts %+v", f)
			}
			if r := f.Reviews[0]; r.Standing != tc.standing || !strings.Contains(r.Why, tc.why) {
				t.Errorf("standing %q (%s), want %q (…%s…)", r.Standing, r.Why, tc.standing, tc.why)
			}
		})
	}
}
