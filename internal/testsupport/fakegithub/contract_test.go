package fakegithub_test

// Contract tests: the fake is only worth trusting if it answers like GitHub.
// These tests hold it to GitHub's own OpenAPI description, which lives
// outside the repository (../shared/github), so they skip in a fresh clone
// and fail in CI if that folder has gone missing.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/appsetup"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/reference"
	"github.com/mergeguard/mergeguard/internal/ui"
)

// The description is 13 MB and takes seconds to parse; every test in this
// binary shares one copy.
var spec struct {
	once sync.Once
	doc  *openapi3.T
	err  error
	took time.Duration
}

func loadSpec(t testing.TB) *openapi3.T {
	t.Helper()
	path := filepath.Join(reference.Dir(t, reference.SpecFile), reference.SpecFile)
	loaded := false
	spec.once.Do(func() {
		start := time.Now()
		spec.doc, spec.err = openapi3.NewLoader().LoadFromFile(path)
		spec.took, loaded = time.Since(start), true
	})
	if spec.err != nil {
		t.Fatalf("loading %s: %v", path, spec.err)
	}
	if loaded {
		t.Logf("GitHub's OpenAPI description loaded in %v (once per test binary)", spec.took.Round(time.Millisecond))
	}
	return spec.doc
}

// checkedSchemas remembers which spec schemas passed kin-openapi's own
// check: VisitJSON's behaviour is undefined on a schema that does not.
var checkedSchemas sync.Map // *openapi3.Schema -> error

// formats makes the validation stricter than kin-openapi's default, which
// checks only date-time and friends: GitHub marks concrete links "uri" and
// link templates "uri-template", and a fake that mixed them up (or sent a
// relative URL) would let the app's URL handling go untested.
var formats = []openapi3.SchemaValidationOption{
	openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
		u, err := url.Parse(s)
		switch {
		case err != nil:
			return err
		case u.Scheme == "" || u.Host == "":
			return errors.New("not an absolute URL")
		case strings.ContainsAny(s, "{}"):
			return errors.New("an unexpanded URI template where GitHub sends a URL")
		}
		return nil
	})),
	openapi3.WithStringFormatValidator("uri-template", openapi3.NewCallbackValidator(func(s string) error {
		if strings.Count(s, "{") != strings.Count(s, "}") {
			return errors.New("unbalanced braces")
		}
		if u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(s)); err != nil || u.Scheme == "" || u.Host == "" {
			return errors.New("not an absolute URI template")
		}
		return nil
	})),
	openapi3.WithStringFormatValidator("email", openapi3.NewCallbackValidator(func(s string) error {
		_, err := mail.ParseAddress(s)
		return err
	})),
}

// validate checks value against a schema of the description, reporting
// every violation at once so a fix to the fake can be made in one go.
func validate(t testing.TB, ref *openapi3.SchemaRef, value any) error {
	t.Helper()
	return validateAs(t, ref, value, openapi3.VisitAsResponse())
}

// validateAs is validate for a response (openapi3.VisitAsResponse) or a
// request (openapi3.VisitAsRequest): they differ in read- and write-only
// properties.
func validateAs(t testing.TB, ref *openapi3.SchemaRef, value any, direction openapi3.SchemaValidationOption) error {
	t.Helper()
	if ref == nil || ref.Value == nil {
		return errors.New("the description gives no schema")
	}
	s := ref.Value
	checked, ok := checkedSchemas.Load(s)
	if !ok {
		checked = s.Validate(context.Background(), openapi3.DisableExamplesValidation())
		checkedSchemas.Store(s, checked)
	}
	if err, _ := checked.(error); err != nil {
		t.Fatalf("GitHub's schema %s is itself invalid for kin-openapi: %v", ref.Ref, err)
	}
	// Schema details would print the whole (huge) GitHub schema per error;
	// the JSON pointer and reason say what to fix.
	opts := append([]openapi3.SchemaValidationOption{openapi3.MultiErrors(), direction, openapi3.DisableSchemaErrorDetails()}, formats...)
	if err := s.VisitJSON(value, opts...); err != nil {
		return errors.New(listErrors(err))
	}
	return nil
}

// listErrors puts each violation on a line of its own.
func listErrors(err error) string {
	var lines []string
	var walk func(error)
	walk = func(err error) {
		if me, ok := err.(openapi3.MultiError); ok {
			for _, e := range me {
				walk(e)
			}
			return
		}
		lines = append(lines, "  - "+err.Error())
	}
	walk(err)
	return strings.Join(lines, "\n")
}

func schemaName(ref *openapi3.SchemaRef) string {
	if ref.Ref != "" {
		return ref.Ref
	}
	if ref.Value != nil && ref.Value.Items != nil && ref.Value.Items.Ref != "" {
		return "array of " + ref.Value.Items.Ref
	}
	return "(inline)"
}

func decodeJSON(data []byte) (any, error) {
	// encoding/json yields float64 numbers, which is what kin-openapi
	// expects (json.Number would be rejected as a non-number).
	var v any
	err := json.Unmarshal(data, &v)
	return v, err
}

func TestRoutesExistInGitHubsOpenAPIDescription(t *testing.T) {
	doc := loadSpec(t)
	gh := fakegithub.New(t)
	for _, rt := range gh.Routes() {
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			item := doc.Paths.Value(rt.Path)
			if item == nil {
				t.Fatalf("the fake implements %s %s, but GitHub's description has no path %q (check the template and its parameter names)", rt.Method, rt.Path, rt.Path)
			}
			if item.GetOperation(rt.Method) == nil {
				t.Fatalf("GitHub's description has path %s, but no %s operation on it", rt.Path, rt.Method)
			}
		})
	}
}

// exchange is one HTTP round trip as the app's client saw it.
type exchange struct {
	method, path string
	status       int
	contentType  string
	body         []byte
	// request and requestType are the body the app sent and its
	// Content-Type.
	request     []byte
	requestType string
}

// recorder sits at the very bottom of the app's transport stack, below
// ghinstallation and the ETag cache, so it sees exactly the bytes GitHub
// (here the fake) sent, including the installation-token exchange.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var sent []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		sent = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, exchange{req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"), body, sent, req.Header.Get("Content-Type")})
	return resp, nil
}

func (r *recorder) exchanges() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.log...)
}

// routeFor maps a request path back to the fake's route template. When two
// templates match, the one with more literal segments wins, as in any
// router.
func routeFor(routes []fakegithub.Route, method, path string) (fakegithub.Route, bool) {
	rel, ok := strings.CutPrefix(path, fakegithub.APIPrefix)
	if !ok {
		return fakegithub.Route{}, false
	}
	segs := strings.Split(rel, "/")
	best, bestScore := fakegithub.Route{}, -1
	for _, rt := range routes {
		tsegs := strings.Split(rt.Path, "/")
		actual := segs
		// GitHub's {path} parameter is a file path: it spans the rest.
		if tsegs[len(tsegs)-1] == "{path}" && len(segs) > len(tsegs) {
			actual = append(append([]string{}, segs[:len(tsegs)-1]...), strings.Join(segs[len(tsegs)-1:], "/"))
		}
		if rt.Method != method || len(tsegs) != len(actual) {
			continue
		}
		segs := actual
		score := 0
		for i, ts := range tsegs {
			if strings.HasPrefix(ts, "{") && strings.HasSuffix(ts, "}") && segs[i] != "" {
				continue
			}
			if ts != segs[i] {
				score = -1
				break
			}
			score++
		}
		if score > bestScore {
			best, bestScore = rt, score
		}
	}
	return best, bestScore >= 0
}

// responseSchema finds the JSON schema GitHub documents for a status of an
// operation, falling back to the operation's default response.
func responseSchema(doc *openapi3.T, rt fakegithub.Route, status int) (*openapi3.SchemaRef, error) {
	item := doc.Paths.Value(rt.Path)
	if item == nil || item.GetOperation(rt.Method) == nil {
		return nil, fmt.Errorf("GitHub's description has no %s %s", rt.Method, rt.Path)
	}
	op := item.GetOperation(rt.Method)
	resp := op.Responses.Status(status)
	if resp == nil {
		resp = op.Responses.Default()
	}
	if resp == nil && (status == http.StatusNotFound || status == http.StatusForbidden) {
		// GitHub answers 404 for a missing resource on every endpoint, but
		// the description leaves it out of some (team members, for one);
		// likewise 403 "Resource not accessible by integration" to an
		// installation token that lacks the endpoint's permission (the
		// deployments, before an owner accepts Deployments: read). The body
		// is then GitHub's generic error.
		if ref := doc.Components.Schemas["basic-error"]; ref != nil {
			return ref, nil
		}
	}
	if resp == nil || resp.Value == nil {
		return nil, fmt.Errorf("GitHub documents no %d (nor default) response for %s %s, so the fake should not answer it", status, rt.Method, rt.Path)
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil, fmt.Errorf("GitHub documents no application/json body for %d from %s %s", status, rt.Method, rt.Path)
	}
	return mt.Schema, nil
}

// checkRequest holds the body of a request to what GitHub's description
// allows for its operation: none where it describes none, one where it
// requires one, and JSON that matches the operation's schema. It returns
// whether there was a body to check.
func checkRequest(t testing.TB, doc *openapi3.T, rt fakegithub.Route, ex exchange) (bool, error) {
	t.Helper()
	op := doc.Paths.Value(rt.Path).GetOperation(rt.Method)
	var body *openapi3.RequestBody
	if op.RequestBody != nil {
		body = op.RequestBody.Value
	}
	if len(ex.request) == 0 {
		if body != nil && body.Required {
			return false, fmt.Errorf("%s %s was sent without a body; GitHub's description requires one", ex.method, ex.path)
		}
		return false, nil
	}
	if body == nil {
		return true, fmt.Errorf("%s %s was sent with a body (%s), where GitHub's description has none", ex.method, ex.path, clipped(ex.request))
	}
	mt := body.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return true, fmt.Errorf("GitHub documents no application/json body for %s %s", rt.Method, rt.Path)
	}
	if media, _, _ := strings.Cut(ex.requestType, ";"); media != "application/json" {
		return true, fmt.Errorf("%s %s was sent with Content-Type %q, want application/json", ex.method, ex.path, ex.requestType)
	}
	value, err := decodeJSON(ex.request)
	if err != nil {
		return true, fmt.Errorf("%s %s was sent with a body that is not JSON (%s): %v", ex.method, ex.path, clipped(ex.request), err)
	}
	if err := validateAs(t, mt.Schema, value, openapi3.VisitAsRequest()); err != nil {
		return true, fmt.Errorf("%s %s was sent with a body (%s) that GitHub's request schema does not allow:\n%v", ex.method, ex.path, clipped(ex.request), err)
	}
	return true, nil
}

func clipped(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// rawMediaTypes are custom media types GitHub documents in prose rather than
// in the OpenAPI description (raw file contents for blobs).
var rawMediaTypes = map[string]bool{"application/vnd.github.raw": true, "application/vnd.github.v3.raw": true}

// checkCustomMedia checks a response in one of GitHub's custom media types:
// the operation must document it (or it must be a raw content type), and the
// body must not be empty.
func checkCustomMedia(doc *openapi3.T, rt fakegithub.Route, status int, media string, body []byte) error {
	op := doc.Paths.Value(rt.Path).GetOperation(rt.Method)
	resp := op.Responses.Status(status)
	documented := resp != nil && resp.Value != nil && resp.Value.Content.Get(media) != nil
	if !documented && !rawMediaTypes[media] {
		return fmt.Errorf("GitHub documents no %s response for %s %s", media, rt.Method, rt.Path)
	}
	if len(body) == 0 {
		return fmt.Errorf("empty %s body", media)
	}
	if media == "application/vnd.github.sha" && len(strings.TrimSpace(string(body))) != 40 {
		return fmt.Errorf("a SHA response must be 40 hex digits, got %q", body)
	}
	return nil
}

// TestResponsesMatchGitHubsSchemas drives the fake through the real App
// client, the way mergeguard talks to GitHub, and validates every JSON body
// the fake sent against the schema GitHub documents for it.
func TestResponsesMatchGitHubsSchemas(t *testing.T) {
	start := time.Now()
	doc := loadSpec(t)

	gh := fakegithub.New(t)
	repo := gh.AddRepo(31337, "acme", "storefront")
	pr := repo.OpenPR(fakegithub.PRSpec{
		Title:  "Cap discounts at 50%",
		Body:   "A campaign was configured with 90% off.",
		Author: "mira",
		Labels: []string{"payments", "needs-review"},
		Files: []fakegithub.File{
			{Path: "internal/pricing/discount.go", Status: "modified", Patch: "@@ -10,3 +10,6 @@ func Apply(p Price, d Discount) Price {\n \tif d.Percent <= 0 {\n \t\treturn p\n \t}\n+\tif d.Percent > 50 {\n+\t\td.Percent = 50\n+\t}\n"},
			// A rename: GitHub adds previous_filename.
			{Path: "internal/pricing/limits.go", PreviousPath: "internal/pricing/caps.go", Status: "renamed", Patch: "@@ -1,3 +1,3 @@\n-package caps\n+package pricing\n \n const MaxPercent = 50\n"},
			// A binary file: GitHub sends no patch at all.
			{Path: "docs/discount-flow.png", Status: "added"},
		},
	})
	approval := pr.Review("jonas", "APPROVED")
	pr.Review("ines", "CHANGES_REQUESTED")
	pr.Push(fakegithub.FakeSHA("second", "commit"), "Test the cap",
		fakegithub.File{Path: "internal/pricing/discount.go", Status: "modified", Patch: "@@ -10,3 +10,6 @@\n+\tif d.Percent > 50 {\n+\t\td.Percent = 50\n+\t}\n"},
		fakegithub.File{Path: "internal/pricing/discount_test.go", Status: "added", Patch: "@@ -0,0 +1,3 @@\n+package pricing\n+\n+func TestCap(t *testing.T) {}\n"},
		fakegithub.File{Path: "internal/pricing/caps.go", Status: "removed", Patch: "@@ -1,2 +0,0 @@\n-package caps\n-const MaxPercent = 50\n"},
		fakegithub.File{Path: "internal/pricing/limits.go", PreviousPath: "internal/pricing/caps_v2.go", Status: "renamed"},
	)
	pr.DismissReview(approval.ID)
	pr.Review("renovate[bot]", "COMMENTED")

	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(gh.PrivateKeyPEM()))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: http.DefaultTransport}
	app, err := githubapp.New(githubapp.Config{AppID: gh.AppID(), PrivateKey: key, BaseURL: gh.URL(), Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	inst := app.Installation(repo.Installation())
	ctx := context.Background()
	owner, name := "acme", "storefront"

	got, err := inst.PullRequest(ctx, owner, name, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := inst.PullRequestFiles(ctx, owner, name, pr.Number, got.ChangedFiles); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.PullRequestReviews(ctx, owner, name, pr.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.PullRequestCommits(ctx, owner, name, pr.Number); err != nil {
		t.Fatal(err)
	}
	// Review requests for a user and a team of the organization; the pull
	// request then lists them (user and team shapes of their own).
	gh.AddTeam(owner, "pricing", "jonas", "lea")
	if err := inst.RequestReviewers(ctx, owner, name, pr.Number, []string{"lea"}, []string{"pricing"}); err != nil {
		t.Fatal(err)
	}
	if got, err := inst.PullRequest(ctx, owner, name, pr.Number); err != nil || !slices.Equal(got.RequestedUsers, []string{"lea"}) || !slices.Equal(got.RequestedTeams, []string{"pricing"}) {
		t.Fatalf("the requested reviewers: %+v %+v, %v", got.RequestedUsers, got.RequestedTeams, err)
	}
	// GitHub's error bodies have a schema too (basic-error).
	if _, err := inst.PullRequest(ctx, owner, name, 9999); !githubapp.IsNotFound(err) {
		t.Fatalf("a missing pull request: got %v, want a 404", err)
	}

	// What changed since the approval: the later commit's files.
	cmp, err := inst.Compare(ctx, owner, name, approval.CommitSHA, pr.HeadSHA())
	if err != nil || cmp.Status != "ahead" || len(cmp.Files) == 0 {
		t.Fatalf("compare since the approval: %+v, %v", cmp, err)
	}
	// A force-push leaves the reviewed commit outside the branch: "diverged".
	rewritten := repo.OpenPR(fakegithub.PRSpec{Title: "Rewrite", Author: "mira",
		Files: []fakegithub.File{{Path: "README.md", Status: "modified", Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
	old := rewritten.HeadSHA()
	rewritten.ForcePush(fakegithub.FakeSHA("rewritten"), "Rewrite history")
	if cmp, err := inst.Compare(ctx, owner, name, old, rewritten.HeadSHA()); err != nil || cmp.Status != "diverged" {
		t.Fatalf("compare across a force-push: %+v, %v", cmp, err)
	}
	// The organization's policy repository: read at a commit, by tree and blob.
	policyRepo := gh.AddRepo(repo.Installation(), "acme", ".github")
	policySHA := policyRepo.CommitFiles("", "Add mergeguard policy", map[string]string{
		"mergeguard/config.yaml":          "mode: enforce\n",
		"mergeguard/policies/custom.rego": "package mergeguard.rules.custom\n",
	})
	if branch, err := inst.DefaultBranch(ctx, "acme", ".github"); err != nil || branch != "main" {
		t.Fatalf("default branch: %q, %v", branch, err)
	}
	if sha, err := inst.CommitSHA(ctx, "acme", ".github", "main"); err != nil || sha != policySHA {
		t.Fatalf("commit SHA: %q, %v", sha, err)
	}
	entries, err := inst.Files(ctx, "acme", ".github", policySHA)
	if err != nil || len(entries) != 2 {
		t.Fatalf("tree: %+v, %v", entries, err)
	}
	if b, err := inst.Blob(ctx, "acme", ".github", entries[0].SHA); err != nil || string(b) != "mode: enforce\n" {
		t.Fatalf("blob: %q, %v", b, err)
	}
	if b, found, err := inst.File(ctx, "acme", ".github", "mergeguard/config.yaml", "main"); err != nil || !found || string(b) != "mode: enforce\n" {
		t.Fatalf("file: %q %v %v", b, found, err)
	}
	if _, found, err := inst.File(ctx, "acme", "storefront", ".github/mergeguard.yaml", "main"); err != nil || found {
		t.Fatalf("a missing file: %v %v", found, err)
	}
	gh.AddTeam("acme", "payments-core", "jonas", "ines")
	if members, err := inst.TeamMembers(ctx, "acme", "payments-core"); err != nil || len(members) != 2 {
		t.Fatalf("team members: %v, %v", members, err)
	}
	if _, err := inst.TeamMembers(ctx, "acme", "no-such-team"); !githubapp.IsNotFound(err) {
		t.Fatalf("an unknown team: got %v, want a 404", err)
	}
	// CODEOWNERS as GitHub checks it: a team that does not exist is
	// reported on its line. (Without the file GitHub answers 404, with a
	// body its description does not document; mergeguard asks only after
	// finding the file.)
	repo.CommitFiles("", "Owners", map[string]string{".github/CODEOWNERS": "* @acme/payments-core\n/ops/ @acme/no-such-team @mira\n"})
	if errs, err := inst.CodeOwnersErrors(ctx, owner, name, "main"); err != nil || len(errs) != 1 || errs[0].Line != 2 || errs[0].Kind != "Unknown owner" ||
		errs[0].Message != "Unknown owner on line 2: make sure @acme/no-such-team exists and has write access to the repository" {
		t.Fatalf("CODEOWNERS errors: %+v, %v", errs, err)
	}

	// Deployments and their statuses, read for bake_time; a refusal is the
	// missing permission.
	released := fakegithub.FakeSHA("release", "v1.42.0")
	staged := repo.Deploy("staging", released, "v1.42.0", time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	staged.SetStatus("in_progress", time.Date(2026, 12, 7, 10, 1, 0, 0, time.UTC))
	staged.SetStatus("success", time.Date(2026, 12, 7, 10, 5, 0, 0, time.UTC))
	repo.Deploy("production", released, "v1.42.0", time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC))
	if ds, err := inst.Deployments(ctx, owner, name, "staging", released, ""); err != nil || len(ds) != 1 || len(ds[0].Statuses) != 2 || ds[0].Statuses[0].State != "success" {
		t.Fatalf("deployments to staging: %+v, %v", ds, err)
	}
	if ds, err := inst.Deployments(ctx, owner, name, "production", "", "v1.42.0"); err != nil || len(ds) != 1 || len(ds[0].Statuses) != 0 {
		t.Fatalf("deployments to production by ref: %+v, %v", ds, err)
	}
	repo.DenyDeployments(true)
	if _, err := inst.Deployments(ctx, owner, name, "staging", released, ""); !errors.Is(err, githubapp.ErrNoDeploymentsAccess) {
		t.Fatalf("refused deployments: got %v, want the missing permission", err)
	}
	repo.DenyDeployments(false)

	// Sweeps over open pull requests and the installation's repositories,
	// and comment commands answered with a reaction and a reply.
	repo.OpenPR(fakegithub.PRSpec{Title: "Abandoned", Author: "ines"}).Close()
	if open, err := inst.OpenPullRequests(ctx, owner, name); err != nil || len(open) != 2 {
		t.Fatalf("open pull requests: %+v, %v, want the 2 open ones", open, err)
	}
	if repos, err := inst.Repositories(ctx); err != nil || len(repos) != 2 {
		t.Fatalf("installation repositories: %+v, %v", repos, err)
	}
	_, commandID := gh.CommentPayload(repo, pr.Number, "mira", "MEMBER", "/mergeguard recheck")
	for range 2 {
		// The second time GitHub answers 200 with the existing reaction.
		if err := inst.AddReaction(ctx, owner, name, commandID, "eyes"); err != nil {
			t.Fatal(err)
		}
	}
	if err := inst.AddReaction(ctx, owner, name, commandID, "thumbsup"); githubapp.StatusCode(err) != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown reaction: got %v, want a 422", err)
	}
	if err := inst.CreateComment(ctx, owner, name, pr.Number, "Re-evaluated: 1 policy blocks this merge."); err != nil {
		t.Fatal(err)
	}
	if err := inst.CreateComment(ctx, owner, name, 9999, "Nobody will read this."); !githubapp.IsNotFound(err) {
		t.Fatalf("a comment on a missing issue: got %v, want a 404", err)
	}
	// Who may change a pull request's state: maintain reports as write.
	repo.SetPermission("lena", "maintain")
	if p, err := inst.Permission(ctx, owner, name, "lena"); err != nil || p != "write" {
		t.Fatalf("permission: %q, %v, want write", p, err)
	}
	if p, err := inst.Permission(ctx, owner, name, "mallory"); err != nil || p != "read" {
		t.Fatalf("permission: %q, %v, want read", p, err)
	}

	// The web view asks who belongs to the organization, private members
	// and team members included.
	gh.AddMember(owner, "mira")
	gh.AddTeam(owner, "oncall", "jonas")
	for _, tt := range []struct {
		login  string
		member bool
	}{{"mira", true}, {"jonas", true}, {"mallory", false}} {
		if ok, err := inst.IsOrgMember(ctx, owner, tt.login); err != nil || ok != tt.member {
			t.Fatalf("is @%s a member of %s: %v, %v; want %v", tt.login, owner, ok, err, tt.member)
		}
	}

	// The App's webhook log, read and redelivered with the App's JWT: a
	// pull request's delivery that found the webhook down, and a ping
	// (no action, installation or repository: nulls).
	failed := gh.LogHookAttempt(fakegithub.HookAttempt{GUID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Event: "pull_request", Action: "opened",
		StatusCode: 502, InstallationID: repo.Installation(), RepositoryID: 1296269, Duration: 3 * time.Second})
	gh.LogHookAttempt(fakegithub.HookAttempt{GUID: "0b989ba4-242f-11e5-81e1-c7b6966d2516", Event: "ping", StatusCode: 200})
	if attempts, _, err := app.HookDeliveries(ctx, time.Now().Add(-time.Hour), 1); err != nil || len(attempts) != 2 {
		t.Fatalf("webhook deliveries: %d, %v", len(attempts), err)
	}
	if err := app.RedeliverHook(ctx, failed.ID); err != nil {
		t.Fatal(err)
	}

	// mergeguard setup's exchange of a manifest code, which takes no
	// credentials and works once.
	const manifestCode = "e72e16c7e42f292c6912"
	gh.AddManifestCode(manifestCode)
	setupClient := &http.Client{Transport: rec}
	if _, err := appsetup.Exchange(ctx, setupClient, gh.URL(), manifestCode); err != nil {
		t.Fatal(err)
	}
	var used *appsetup.ExchangeError
	if _, err := appsetup.Exchange(ctx, setupClient, gh.URL(), manifestCode); !errors.As(err, &used) || used.Status != http.StatusNotFound {
		t.Fatalf("a used manifest code: got %v, want a 404", err)
	}

	// The web view's sign-in: the code is traded on GitHub's web host (not
	// the REST API, so not recorded here), and the user token asks GET
	// /user whose it is.
	const callback = "https://mergeguard.example.com/ui/callback"
	web, err := appsetup.WebURL(gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	signIn := &ui.OAuth{ClientID: fakegithub.OAuthClientID, ClientSecret: fakegithub.OAuthClientSecret, WebURL: web, APIURL: gh.URL()}
	userToken, err := signIn.Exchange(ctx, gh.SignInCode("mira", callback), callback)
	if err != nil {
		t.Fatal(err)
	}
	signIn.Client = setupClient
	if u, err := signIn.User(ctx, userToken); err != nil || u.Login != "mira" || u.ID == 0 {
		t.Fatalf("GET /user with mira's token: %+v, %v", u, err)
	}

	const check = "mergeguard"
	// An empty list first: total_count 0 and no runs is a shape of its own.
	if id, err := inst.FindCheckRun(ctx, owner, name, pr.HeadSHA(), check, gh.AppID()); err != nil || id != 0 {
		t.Fatalf("FindCheckRun before any run: %d, %v", id, err)
	}
	// mergeguard only writes completed check runs; an in-progress one with
	// a details URL is the fake's to answer all the same.
	client := github.NewClient(&http.Client{Transport: rec}).WithAuthToken(gh.PersonalToken(repo.Installation()))
	client.BaseURL, err = url.Parse(gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	created, _, err := client.Checks.CreateCheckRun(ctx, owner, name, github.CreateCheckRunOptions{
		Name: check, HeadSHA: pr.HeadSHA(), Status: github.String("in_progress"),
		ExternalID: github.String("delivery-72d3162e"), DetailsURL: github.String("https://mergeguard.example.com/runs/1"),
		StartedAt: &github.Timestamp{Time: time.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetID()
	// A run created with no output: title and summary are null then.
	if _, err := inst.CreateCheckRun(ctx, owner, name, decision.CheckRunWrite{Name: "mergeguard / queued", HeadSHA: pr.HeadSHA()}); err != nil {
		t.Fatal(err)
	}
	err = inst.UpdateCheckRun(ctx, owner, name, id, decision.CheckRunWrite{
		Name: check, Conclusion: decision.Failure, CompletedAt: time.Now(),
		Title: "1 policy blocks this merge", Summary: "Discounts above 50% need a second approval.",
		Annotations: []decision.Annotation{{
			Path: "internal/pricing/discount.go", StartLine: 13, EndLine: 15,
			Level: decision.LevelFailure, Title: "discount cap", Message: "needs approval from @acme/payments",
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		// The second, unchanged, listing must be answered 304 through the
		// app's ETag cache: a fake whose bodies change on every read would
		// hide whether the app saves its rate limit.
		if found, err := inst.FindCheckRun(ctx, owner, name, pr.HeadSHA(), check, gh.AppID()); err != nil || found != id {
			t.Fatalf("FindCheckRun after create: %d, %v, want %d", found, err, id)
		}
	}

	routes := gh.Routes()
	validated := map[fakegithub.Route]bool{}
	// Requests are held to GitHub's request schemas too: mergeguard must
	// not send what GitHub does not accept. The one request sent off the
	// contract on purpose (a reaction GitHub does not have, to see the
	// fake refuse it) must be caught, or the check catches nothing.
	bodies := map[fakegithub.Route]bool{}
	deliberate := 0
	var (
		pullSchema *openapi3.SchemaRef
		pullBody   map[string]any
	)
	for i, ex := range rec.exchanges() {
		rt, ok := routeFor(routes, ex.method, ex.path)
		if !ok {
			t.Errorf("request %d: %s %s matches none of the fake's routes", i, ex.method, ex.path)
			continue
		}
		t.Run(fmt.Sprintf("%02d %s %s %d", i, rt.Method, rt.Path, ex.status), func(t *testing.T) {
			checked, err := checkRequest(t, doc, rt, ex)
			switch {
			case bytes.Contains(ex.request, []byte(`"thumbsup"`)):
				deliberate++
				if err == nil {
					t.Errorf("a reaction GitHub does not have passed the request schema: request bodies are not checked")
				}
			case err != nil:
				t.Error(err)
			case checked:
				bodies[rt] = true
			}
			if len(ex.body) == 0 {
				// 304 Not Modified and 204 carry no body to check, nor does
				// an answer GitHub's description gives no content (a
				// membership check's 404); a route whose success has no
				// content is checked by its status alone.
				noContent := declaresNoContent(doc, rt, ex.status)
				if ex.status != http.StatusNotModified && ex.status != http.StatusNoContent && !noContent {
					t.Errorf("%s %s answered %d with an empty body", ex.method, ex.path, ex.status)
				}
				if noContent && ex.status < 300 {
					validated[rt] = true
				}
				return
			}
			if media, _, _ := strings.Cut(ex.contentType, ";"); strings.HasPrefix(media, "application/vnd.github.") {
				// GitHub's custom media types: a SHA as text, a raw blob.
				if err := checkCustomMedia(doc, rt, ex.status, media, ex.body); err != nil {
					t.Fatalf("%s %s: %v", ex.method, ex.path, err)
				}
				if ex.status < 300 {
					validated[rt] = true
				}
				return
			}
			schema, value := checkResponse(t, doc, rt, ex)
			if ex.status < 300 {
				validated[rt] = true
			}
			if rt.Path == "/repos/{owner}/{repo}/pulls/{pull_number}" && ex.status == 200 {
				pullSchema, pullBody = schema, value.(map[string]any)
			}
		})
	}

	// GitHub puts an App's runs on one commit in one check suite, whose ID
	// stays put; the schema cannot say so.
	suites := map[float64]bool{}
	for _, ex := range rec.exchanges() {
		if !strings.Contains(ex.path, "/check-runs") || len(ex.body) == 0 {
			continue
		}
		v, _ := decodeJSON(ex.body)
		runs, _ := reference.At(v, "check_runs").([]any)
		if runs == nil {
			runs = []any{v}
		}
		for _, run := range runs {
			id, _ := reference.At(run, "check_suite", "id").(float64)
			suites[id] = true
		}
	}
	if len(suites) != 1 {
		t.Errorf("the App's check runs on one commit report check suites %v, want one stable suite", suites)
	}
	if n := gh.Count("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs"); n != 3 {
		t.Errorf("check runs were listed %d times, want 3", n)
	}
	lastList := rec.exchanges()[len(rec.exchanges())-1]
	if lastList.status != http.StatusNotModified {
		t.Errorf("an unchanged check-run listing was answered %d, want 304 Not Modified to the app's conditional request", lastList.status)
	}

	// A validator that accepts anything would make every check above pass;
	// make sure it still rejects a broken pull request.
	if pullBody == nil {
		t.Fatal("no pull request body was recorded")
	}
	delete(pullBody, "number")
	pullBody["state"] = 7
	err = validate(t, pullSchema, pullBody)
	if err == nil || !strings.Contains(err.Error(), `"number" is missing`) || !strings.Contains(err.Error(), "/state") {
		t.Errorf("a pull request without number and with a numeric state passed validation (%v): the contract checks nothing", err)
	}

	// A route added to the fake without a request here would go unchecked.
	for _, rt := range routes {
		if !validated[rt] {
			t.Errorf("route %s %s was never exercised with a successful JSON response: add a call to this test", rt.Method, rt.Path)
		}
		op := doc.Paths.Value(rt.Path).GetOperation(rt.Method)
		if op != nil && op.RequestBody != nil && !bodies[rt] {
			t.Errorf("route %s %s takes a request body, and none was checked against GitHub's schema: add a call to this test", rt.Method, rt.Path)
		}
	}
	if deliberate != 1 {
		t.Errorf("%d requests sent off the contract on purpose were seen, want 1", deliberate)
	}
	t.Logf("whole test took %v", time.Since(start).Round(time.Millisecond))
}

// TestExamplePullRequestsMatchGitHubsSchemas keeps the pull requests shipped
// for `mergeguard eval` in GitHub's shapes, so offline evaluation sees what
// the app would see online.
func TestExamplePullRequestsMatchGitHubsSchemas(t *testing.T) {
	doc := loadSpec(t)
	dirs, err := filepath.Glob(filepath.Join(reference.ModuleRoot(t), "testdata", "prs", "*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(dirs)
	files := []struct {
		name, schema string
		list         bool
		optional     bool
	}{
		{name: "pull_request.json", schema: "pull-request"},
		{name: "reviews.json", schema: "pull-request-review", list: true, optional: true},
		{name: "commits.json", schema: "commit", list: true, optional: true},
	}
	n := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		for _, f := range files {
			path := filepath.Join(dir, f.name)
			rel := filepath.Join("testdata", "prs", filepath.Base(dir), f.name)
			t.Run(filepath.ToSlash(rel), func(t *testing.T) {
				data, err := os.ReadFile(path)
				if errors.Is(err, os.ErrNotExist) && f.optional {
					t.Skipf("%s is optional and absent", rel)
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
				schema := doc.Components.Schemas[f.schema]
				value, err := decodeJSON(data)
				if err != nil {
					t.Fatalf("%s is not JSON: %v", rel, err)
				}
				items := []any{value}
				if f.list {
					list, ok := value.([]any)
					if !ok {
						t.Fatalf("%s must be a JSON array of %s objects", rel, f.schema)
					}
					items = list
				}
				for i, item := range items {
					where := rel
					if f.list {
						where = fmt.Sprintf("%s[%d]", rel, i)
					}
					if err := validate(t, schema, item); err != nil {
						t.Errorf("%s does not match GitHub's %s schema:\n%v", where, f.schema, err)
					}
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("found no example pull requests under testdata/prs")
	}
}

// TestWebhookPayloadsMatchGitHubsSchemas holds the deliveries the fake builds
// for end-to-end tests to GitHub's webhook schemas, for every action
// mergeguard acts on (webhook.handledActions): a delivery GitHub would never
// send proves nothing about the app.
func TestWebhookPayloadsMatchGitHubsSchemas(t *testing.T) {
	doc := loadSpec(t)
	gh := fakegithub.New(t)
	repo := gh.AddRepo(31337, "acme", "storefront")
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "Cap discounts at 50%", Author: "mira", Labels: []string{"payments"}})
	pr.Push(fakegithub.FakeSHA("second", "commit"), "Test the cap")
	review := pr.Review("jonas", "APPROVED")
	bot := pr.Review("renovate[bot]", "CHANGES_REQUESTED")

	tests := []struct {
		event, action string
		review        *fakegithub.Review
	}{
		{event: "pull_request", action: "opened"},
		{event: "pull_request", action: "synchronize"},
		{event: "pull_request", action: "reopened"},
		{event: "pull_request", action: "ready_for_review"},
		{event: "pull_request", action: "edited"},
		{event: "pull_request", action: "labeled"},
		{event: "pull_request", action: "unlabeled"},
		{event: "pull_request", action: "converted_to_draft"},
		{event: "pull_request", action: "closed"},
		{event: "pull_request_review", action: "submitted", review: &review},
		{event: "pull_request_review", action: "submitted", review: &bot},
		{event: "pull_request_review", action: "edited", review: &review},
		{event: "pull_request_review", action: "dismissed", review: &review},
	}
	for _, tt := range tests {
		name := "webhook-" + strings.ReplaceAll(tt.event+"-"+tt.action, "_", "-")
		t.Run(name, func(t *testing.T) {
			schema := doc.Components.Schemas[name]
			if schema == nil {
				t.Fatalf("GitHub's description has no schema %s for %s/%s deliveries", name, tt.event, tt.action)
			}
			value, err := decodeJSON(gh.Payload(tt.event, tt.action, pr, tt.review))
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, schema, value); err != nil {
				t.Errorf("fake %s/%s delivery does not match GitHub's schema %s:\n%v", tt.event, tt.action, name, err)
			}
		})
	}
	t.Run("webhook-push", func(t *testing.T) {
		policy := gh.AddRepo(31337, "acme", ".github")
		policy.CommitFiles("", "Tighten reviews", map[string]string{"mergeguard/config.yaml": "mode: enforce\n"})
		value, err := decodeJSON(gh.PushPayload(policy, "main", "mergeguard/config.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, doc.Components.Schemas["webhook-push"], value); err != nil {
			t.Errorf("fake push delivery does not match GitHub's schema webhook-push:\n%v", err)
		}
	})
	t.Run("webhook-deployment-status-created", func(t *testing.T) {
		at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		d := repo.Deploy("staging", fakegithub.FakeSHA("v1.42.0"), "v1.42.0", at)
		d.SetStatus("success", at.Add(5*time.Minute))
		value, err := decodeJSON(gh.DeploymentStatusPayload(d))
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, doc.Components.Schemas["webhook-deployment-status-created"], value); err != nil {
			t.Errorf("fake deployment_status delivery does not match GitHub's schema webhook-deployment-status-created:\n%v", err)
		}
	})
}

// TestFaultAnswersMatchGitHubsSchemas holds the fault model's JSON answers
// (server errors, rate limits) to GitHub's error schema, so an app that
// reads them reads what GitHub sends.
func TestFaultAnswersMatchGitHubsSchemas(t *testing.T) {
	doc := loadSpec(t)
	schema := doc.Components.Schemas["basic-error"]
	gh, clock, _ := weatherFake(t)
	gh.SetFaults(&fakegithub.FaultModel{Seed: 9, Rate: 1})
	c := newRaw(t, gh, 7)
	seen := map[string]bool{}
	for i := 0; i < 200 && len(seen) < 4; i++ {
		a := c.do("GET", "/repos/acme/shop/pulls/1/commits?page="+fmt.Sprint(i+1), "")
		reqs := gh.Requests()
		kind := reqs[len(reqs)-1].Fault
		clock.Advance(5 * time.Second)
		if kind == fakegithub.FaultEdgeHTML || seen[kind] {
			continue
		}
		seen[kind] = true
		value, err := decodeJSON([]byte(a.body))
		if err != nil {
			t.Fatalf("%s: the body is not JSON: %v", kind, err)
		}
		if err := validate(t, schema, value); err != nil {
			t.Errorf("the %s answer does not match GitHub's basic-error schema:\n%v", kind, err)
		}
	}
	if len(seen) < 4 {
		t.Errorf("only %v met", seen)
	}
}

// declaresNoContent reports whether GitHub's description answers the
// route with this status and no body.
func declaresNoContent(doc *openapi3.T, rt fakegithub.Route, status int) bool {
	item := doc.Paths.Value(rt.Path)
	if item == nil {
		return false
	}
	op := item.GetOperation(rt.Method)
	if op == nil || op.Responses == nil {
		return false
	}
	resp := op.Responses.Status(status)
	return resp != nil && resp.Value != nil && len(resp.Value.Content) == 0
}
