package githubapp

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// What GitHub sends is read into mergeguard's own types field by field; an
// absent object (a deleted fork's head.repo, a deleted account) is an empty
// value, never a crash.
func TestDecodePullRequest(t *testing.T) {
	created := time.Date(2026, 11, 18, 9, 12, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		json string
		want decision.PullRequestDetails
	}{
		{
			name: "a merged pull request from a fork",
			json: `{"number": 7, "title": "Add index", "body": "Speeds up search.", "state": "closed", "draft": false,
				"merged": true, "merged_by": {"login": "ines"}, "user": {"login": "dev", "type": "User"},
				"author_association": "CONTRIBUTOR", "labels": [{"name": "db"}, {"name": "perf"}],
				"created_at": "2026-11-18T09:12:00Z", "commits": 3, "changed_files": 2,
				"base": {"ref": "main", "sha": "b1", "repo": {"full_name": "acme/shop", "name": "shop", "owner": {"login": "acme"},
					"default_branch": "main", "private": true, "topics": ["payments"]}},
				"head": {"ref": "idx", "sha": "h1", "repo": {"full_name": "dev/shop"}}}`,
			want: decision.PullRequestDetails{
				Number: 7, Title: "Add index", Body: "Speeds up search.", State: "closed", Merged: true, MergedBy: "ines",
				Author: decision.Account{Login: "dev", Type: "User"}, AuthorAssociation: "CONTRIBUTOR",
				Labels: []string{"db", "perf"}, CreatedAt: created, Commits: 3, ChangedFiles: 2,
				Base: decision.Branch{Ref: "main", SHA: "b1", RepoFullName: "acme/shop"},
				BaseRepo: &decision.RepoDetails{
					Owner: "acme", Name: "shop", FullName: "acme/shop", DefaultBranch: "main", Private: true, Topics: []string{"payments"},
				},
				Head: decision.Branch{Ref: "idx", SHA: "h1", RepoFullName: "dev/shop"},
			},
		},
		{
			name: "a deleted fork and a deleted author",
			json: `{"number": 3, "state": "open", "draft": true, "user": null,
				"base": {"ref": "main", "sha": "b", "repo": {"full_name": "acme/shop"}}, "head": {"ref": "patch-1", "sha": "h", "repo": null}}`,
			want: decision.PullRequestDetails{
				Number: 3, State: "open", Draft: true,
				Base:     decision.Branch{Ref: "main", SHA: "b", RepoFullName: "acme/shop"},
				BaseRepo: &decision.RepoDetails{FullName: "acme/shop", Topics: []string{}},
				Head:     decision.Branch{Ref: "patch-1", SHA: "h"},
			},
		},
		{
			name: "no base repository (a hand-written file)",
			json: `{"number": 1}`,
			want: decision.PullRequestDetails{Number: 1},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePullRequest([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeReviewsAndCommits(t *testing.T) {
	at := time.Date(2026, 11, 19, 14, 0, 0, 0, time.UTC)
	reviews, err := DecodeReviews([]byte(`[
		{"user": {"login": "jonas", "type": "User"}, "author_association": "MEMBER", "state": "APPROVED",
		 "commit_id": "c1", "submitted_at": "2026-11-19T14:00:00Z"},
		{"user": null, "state": "COMMENTED"}]`))
	if err != nil {
		t.Fatal(err)
	}
	wantReviews := []decision.Review{
		{Author: decision.Account{Login: "jonas", Type: "User"}, AuthorAssociation: "MEMBER", State: "APPROVED", CommitSHA: "c1", SubmittedAt: at},
		{State: "COMMENTED"},
	}
	if !reflect.DeepEqual(reviews, wantReviews) {
		t.Errorf("reviews %+v, want %+v", reviews, wantReviews)
	}
	commits, err := DecodeCommits([]byte(`[
		{"sha": "c1", "commit": {"message": "Cap discounts"}, "author": {"login": "mira"}, "committer": {"login": "web-flow"}},
		{"sha": "c2", "commit": {"message": "Fix"}, "author": null, "committer": null}]`))
	if err != nil {
		t.Fatal(err)
	}
	wantCommits := []decision.Commit{
		{SHA: "c1", Message: "Cap discounts", Author: "mira", Committer: "web-flow"},
		{SHA: "c2", Message: "Fix"},
	}
	if !reflect.DeepEqual(commits, wantCommits) {
		t.Errorf("commits %+v, want %+v", commits, wantCommits)
	}
	// The decoder's own error comes back, for the caller to place in its
	// file.
	var typeErr *json.UnmarshalTypeError
	if _, err := DecodeReviews([]byte(`{"state": "APPROVED"}`)); !errors.As(err, &typeErr) {
		t.Errorf("an object where a list belongs: %v, want a JSON type error", err)
	}
}

// A check-run write becomes the request GitHub documents: a conclusion
// completes the run, and what a write leaves unset is not sent, so an
// update that only adds annotations leaves status and conclusion alone.
func TestCheckRunWriteOptions(t *testing.T) {
	done := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
	ann := decision.Annotation{Path: "a.go", StartLine: 2, EndLine: 3, Level: decision.LevelWarning, Title: "t", Message: "m", RuleID: "r"}
	for _, tt := range []struct {
		name string
		w    decision.CheckRunWrite
		want string
	}{
		{
			name: "a completed run",
			w: decision.CheckRunWrite{
				Name: "mergeguard", HeadSHA: "abc", ExternalID: "pr:7", Conclusion: decision.Failure, CompletedAt: done,
				Title: "Blocked", Summary: "s", Text: "x", Annotations: []decision.Annotation{ann},
			},
			want: `{"name":"mergeguard","head_sha":"abc","external_id":"pr:7","status":"completed","conclusion":"failure",` +
				`"completed_at":"2026-11-20T15:30:00Z","output":{"title":"Blocked","summary":"s","text":"x",` +
				`"annotations":[{"path":"a.go","start_line":2,"end_line":3,"annotation_level":"warning","message":"m","title":"t"}]}}`,
		},
		{
			name: "more annotations only",
			w:    decision.CheckRunWrite{Name: "mergeguard", Title: "Blocked", Summary: "s", Annotations: []decision.Annotation{ann}},
			want: `{"name":"mergeguard","head_sha":"","output":{"title":"Blocked","summary":"s",` +
				`"annotations":[{"path":"a.go","start_line":2,"end_line":3,"annotation_level":"warning","message":"m","title":"t"}]}}`,
		},
		{
			name: "no output",
			w:    decision.CheckRunWrite{Name: "mergeguard / queued", HeadSHA: "abc"},
			want: `{"name":"mergeguard / queued","head_sha":"abc"}`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(createOptions(tt.w))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("create sends\n%s\nwant\n%s", got, tt.want)
			}
			// An update sends the same, less the head commit.
			upd, err := json.Marshal(updateOptions(tt.w))
			if err != nil {
				t.Fatal(err)
			}
			var c, u map[string]any
			if err := json.Unmarshal(got, &c); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(upd, &u); err != nil {
				t.Fatal(err)
			}
			delete(c, "head_sha")
			if !reflect.DeepEqual(c, u) {
				t.Errorf("update sends %s, want what create sends less head_sha", upd)
			}
		})
	}
}
