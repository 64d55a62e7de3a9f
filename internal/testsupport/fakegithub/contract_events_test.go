package fakegithub_test

// Contract tests for comment commands and the merge queue: the deliveries
// the fake builds are held to GitHub's webhook schemas and to the real
// payloads GitHub sent (../shared/github/webhook-examples), and the
// responses the App client never asks for (other listing states, a personal
// token) to the REST schemas. Like the other contract tests, they skip when
// the reference folder is absent.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/reference"
)

func TestEventPayloadsMatchGitHubsSchemas(t *testing.T) {
	doc := loadSpec(t)
	gh := fakegithub.New(t)
	repo := gh.AddRepo(31337, "acme", "storefront")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Cap discounts at 50%", Author: "mira", Labels: []string{"payments"}, Draft: true})
	policy := gh.AddRepo(31337, "acme", ".github")
	issue := policy.OpenIssue("Freeze merges over the holidays", "jonas")

	onPR, _ := gh.CommentPayload(repo, pr.Number, "mira", "OWNER", "/mergeguard recheck")
	onIssue, _ := gh.CommentPayload(policy, issue, "renovate[bot]", "NONE", "/mergeguard freeze")
	createRun(t, gh, repo, pr)
	rerun := gh.RerunPayload(pr, "mergeguard", "jonas", false)
	rerunSuite := gh.RerunPayload(pr, "mergeguard", "jonas", true)
	mergeGroup, _ := gh.MergeGroupPayload(pr)

	for _, tt := range []struct {
		name, schema string
		payload      []byte
	}{
		{"issue_comment on a pull request", "webhook-issue-comment-created", onPR},
		{"issue_comment on an issue, by a bot", "webhook-issue-comment-created", onIssue},
		{"check_run re-run", "webhook-check-run-rerequested", rerun},
		{"check_suite re-run", "webhook-check-suite-rerequested", rerunSuite},
		{"merge_group", "webhook-merge-group-checks-requested", mergeGroup},
	} {
		t.Run(tt.name, func(t *testing.T) {
			value, err := decodeJSON(tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, doc.Components.Schemas[tt.schema], value); err != nil {
				t.Errorf("fake %s delivery does not match GitHub's schema %s:\n%v", tt.name, tt.schema, err)
			}
		})
	}
}

// TestEventPayloadsHaveTheRealPayloadsFields compares the fake's deliveries
// with payloads GitHub really sent: the schemas leave most fields optional,
// and an app could come to rely on one the fake leaves out.
func TestEventPayloadsHaveTheRealPayloadsFields(t *testing.T) {
	dir := filepath.Join(reference.Dir(t, "webhook-examples"), "webhook-examples")
	// A comparison that finds nothing would pass every check below.
	if m := missingFields(map[string]any{"merge_group": map[string]any{"head_sha": "x"}}, map[string]any{"merge_group": map[string]any{}}, ""); len(m) != 1 || m[0] != "/merge_group/head_sha" {
		t.Fatalf("missingFields found %v, want [/merge_group/head_sha]", m)
	}
	gh := fakegithub.New(t)
	repo := gh.AddRepo(31337, "acme", "storefront")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Cap discounts at 50%", Author: "mira"})
	issue := repo.OpenIssue("Flaky checkout test", "jonas")
	onIssue, _ := gh.CommentPayload(repo, issue, "mira", "MEMBER", "/mergeguard help")
	mergeGroup, _ := gh.MergeGroupPayload(pr)
	createRun(t, gh, repo, pr)

	for _, tt := range []struct {
		example string
		payload []byte
		// ignore are paths under which the example's fields are its
		// data, not GitHub's shape (the permissions its App was given).
		ignore []string
	}{
		// The example was delivered to an App (it has installation) for a
		// comment on a plain issue, like onIssue.
		{"issue_comment/created.with-installation.payload.json", onIssue, nil},
		{"merge_group/checks_requested.payload.json", mergeGroup, nil},
		{"check_run/rerequested.with-organization.payload.json", gh.RerunPayload(pr, "mergeguard", "jonas", false), nil},
		{"check_suite/rerequested.with-organization.payload.json", gh.RerunPayload(pr, "mergeguard", "jonas", true), []string{"/check_suite/app/permissions/"}},
	} {
		t.Run(tt.example, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tt.example)))
			if err != nil {
				t.Fatal(err)
			}
			var real, fake any
			if err := json.Unmarshal(data, &real); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(tt.payload, &fake); err != nil {
				t.Fatal(err)
			}
			missing := missingFields(real, fake, "")
			missing = slices.DeleteFunc(missing, func(m string) bool {
				return slices.ContainsFunc(tt.ignore, func(prefix string) bool { return strings.HasPrefix(m, prefix) })
			})
			if len(missing) > 0 {
				t.Errorf("the fake's delivery lacks fields GitHub sent in %s:\n  %s", tt.example, strings.Join(missing, "\n  "))
			}
		})
	}
}

// missingFields lists the object keys of real (recursively, through objects
// and the first element of arrays) that fake lacks.
func missingFields(real, fake any, path string) []string {
	var out []string
	switch r := real.(type) {
	case map[string]any:
		f, ok := fake.(map[string]any)
		if !ok {
			return nil
		}
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fv, ok := f[k]
			if !ok {
				out = append(out, path+"/"+k)
				continue
			}
			out = append(out, missingFields(r[k], fv, path+"/"+k)...)
		}
	case []any:
		if f, ok := fake.([]any); ok && len(r) > 0 && len(f) > 0 {
			out = append(out, missingFields(r[0], f[0], path+"/0")...)
		}
	}
	return out
}

// TestOtherResponsesMatchGitHubsSchemas checks responses the App client
// never asks for, through a plain go-github client with a personal token:
// closed and all pull requests, a personal token refused the installation's
// repositories, and a comment on a plain issue written by a person.
func TestOtherResponsesMatchGitHubsSchemas(t *testing.T) {
	doc := loadSpec(t)
	gh := fakegithub.New(t)
	repo := gh.AddRepo(31337, "acme", "storefront")
	repo.OpenPR(fakegithub.PRSpec{Title: "Open", Author: "mira", Labels: []string{"payments"}})
	repo.OpenPR(fakegithub.PRSpec{Title: "Closed", Author: "ines"}).Close()
	issue := repo.OpenIssue("Flaky checkout test", "jonas")

	rec := &recorder{next: http.DefaultTransport}
	client := github.NewClient(&http.Client{Transport: rec}).WithAuthToken(gh.PersonalToken(31337))
	base, _ := url.Parse(gh.URL())
	client.BaseURL = base
	ctx := context.Background()

	for _, state := range []string{"closed", "all"} {
		if _, _, err := client.PullRequests.List(ctx, "acme", "storefront", &github.PullRequestListOptions{State: state}); err != nil {
			t.Fatalf("list %s pull requests: %v", state, err)
		}
	}
	if _, _, err := client.PullRequests.List(ctx, "acme", "storefront", &github.PullRequestListOptions{State: "merged"}); err == nil {
		t.Fatal("state=merged was accepted; GitHub rejects it with 422")
	}
	if _, resp, err := client.Apps.ListRepos(ctx, nil); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a personal token listed the installation's repositories: %v", err)
	}
	if _, _, err := client.Issues.CreateComment(ctx, "acme", "storefront", issue, &github.IssueComment{Body: github.String("Seen it twice today.")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.Issues.CreateComment(ctx, "acme", "storefront", issue, &github.IssueComment{Body: github.String("")}); err == nil {
		t.Fatal("an empty comment was accepted; GitHub rejects it with 422")
	}

	routes := gh.Routes()
	for i, ex := range rec.exchanges() {
		rt, ok := routeFor(routes, ex.method, ex.path)
		if !ok {
			t.Errorf("request %d: %s %s matches none of the fake's routes", i, ex.method, ex.path)
			continue
		}
		t.Run(fmt.Sprintf("%02d %s %s %d", i, rt.Method, rt.Path, ex.status), func(t *testing.T) {
			checkResponse(t, doc, rt, ex)
		})
	}
}

// checkResponse validates one JSON response against the schema GitHub
// documents for its route and status, and returns both.
func checkResponse(t *testing.T, doc *openapi3.T, rt fakegithub.Route, ex exchange) (*openapi3.SchemaRef, any) {
	t.Helper()
	if !strings.HasPrefix(ex.contentType, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want application/json", ex.method, ex.path, ex.contentType)
	}
	schema, err := responseSchema(doc, rt, ex.status)
	if err != nil {
		t.Fatal(err)
	}
	value, err := decodeJSON(ex.body)
	if err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", ex.method, ex.path, err)
	}
	if err := validate(t, schema, value); err != nil {
		t.Fatalf("%s %s (route %s) answered %d with a body that does not match GitHub's schema %s:\n%v",
			ex.method, ex.path, rt.Path, ex.status, schemaName(schema), err)
	}
	return schema, value
}

// createRun has the App complete a check run called mergeguard on pr's head.
func createRun(t *testing.T, gh *fakegithub.Server, repo *fakegithub.Repo, pr *fakegithub.PR) {
	t.Helper()
	owner, name, _ := strings.Cut(repo.FullName(), "/")
	_, err := gh.App(t).Installation(repo.Installation()).CreateCheckRun(context.Background(), owner, name, decision.CheckRunWrite{
		Name: "mergeguard", HeadSHA: pr.HeadSHA(), Conclusion: decision.Success, Title: "Passed", Summary: "All rules pass.",
	})
	if err != nil {
		t.Fatal(err)
	}
}
