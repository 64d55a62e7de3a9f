package source

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/policies"
)

// memGitHub serves repositories from memory: repo → branch head, commit →
// files.
type memGitHub struct {
	heads   map[string]string
	commits map[string]map[string]string
	fetches int
	// treeTooLarge makes tree listings fail as GitHub's truncation does;
	// blobs, when set, is waited on before each blob is served, and
	// blobAsked is told first.
	treeTooLarge bool
	blobs        chan struct{}
	blobAsked    chan struct{}
}

func newMem() *memGitHub {
	return &memGitHub{heads: map[string]string{}, commits: map[string]map[string]string{}}
}

func (m *memGitHub) commit(repo string, files map[string]string) string {
	h := sha1.New()
	for k, v := range files {
		h.Write([]byte(k + v))
	}
	h.Write([]byte(repo + m.heads[repo]))
	sha := hex.EncodeToString(h.Sum(nil))
	m.commits[sha], m.heads[repo] = files, sha
	return sha
}

func notFound() error {
	return &gogithub.ErrorResponse{Response: &http.Response{StatusCode: 404}}
}

func (m *memGitHub) DefaultBranch(_ context.Context, owner, repo string) (string, error) {
	if _, ok := m.heads[repo]; !ok {
		return "", notFound()
	}
	return "main", nil
}

func (m *memGitHub) CommitSHA(_ context.Context, owner, repo, ref string) (string, error) {
	return m.heads[repo], nil
}

func (m *memGitHub) Files(_ context.Context, owner, repo, sha string) ([]githubapp.TreeEntry, error) {
	m.fetches++
	if m.treeTooLarge {
		return nil, fmt.Errorf("%s/%s: %w", owner, repo, githubapp.ErrTreeTooLarge)
	}
	var out []githubapp.TreeEntry
	for p, c := range m.commits[sha] {
		out = append(out, githubapp.TreeEntry{Path: p, SHA: sha + "\x00" + p, Size: len(c)})
	}
	return out, nil
}

func (m *memGitHub) Blob(_ context.Context, owner, repo, id string) ([]byte, error) {
	if m.blobs != nil {
		select {
		case m.blobAsked <- struct{}{}:
		default:
		}
		<-m.blobs
	}
	sha, p, _ := strings.Cut(id, "\x00")
	return []byte(m.commits[sha][p]), nil
}

func (m *memGitHub) File(_ context.Context, owner, repo, path, ref string) ([]byte, bool, error) {
	c, ok := m.commits[m.heads[repo]][path]
	return []byte(c), ok, nil
}

type memLastGood map[string]string

func (m memLastGood) GetLastGood(_ context.Context, owner string) (string, error) {
	return m[owner], nil
}
func (m memLastGood) SetLastGood(_ context.Context, owner, sha string) error {
	m[owner] = sha
	return nil
}

func newSource(t *testing.T, lg LastGood) *Source {
	t.Helper()
	bundled, err := policies.Modules()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), Options{Bundled: bundled, LastGood: lg})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const brokenRule = "package mergeguard.rules.broken\n\ndeny contains x if {\n"

func TestRepositoryConfiguration(t *testing.T) {
	gh := newMem()
	gh.commit("shop", map[string]string{".github/mergeguard.yaml": "rules:\n  required_reviewers:\n    approvals: many\n  production_access:\n    approvals: 2\n"})
	s := newSource(t, nil)
	ctx := context.Background()

	res, err := s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Engine != nil || len(res.Problems) == 0 || !strings.Contains(res.Problems[0].String(), ".github/mergeguard.yaml:3") {
		t.Fatalf("a broken repository configuration must fail closed naming its line: %+v", res)
	}

	// Touching the broken file along with other changes is no way around it.
	res, err = s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main", ChangesRepoConfig: true, ProposedRepoConfig: []byte("rules: {}\n")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Engine != nil || !strings.Contains(strings.Join(res.Notices, " "), "split it out") {
		t.Fatalf("a pull request changing the file and more must still fail closed: %+v", res)
	}

	// The pull request that only fixes it is judged without the broken
	// setting, keeping the file's valid tightening.
	res, err = s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main", ChangesRepoConfig: true, OnlyRepoConfig: true, ProposedRepoConfig: []byte("rules: {}\n")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Engine == nil || !strings.Contains(strings.Join(res.Notices, " "), "this pull request changes only that file") ||
		res.Config.Rules["production_access"].Values["approvals"] != int64(2) || len(res.ProposedProblems) != 0 {
		t.Fatalf("the pull request fixing the file: %+v", res)
	}

	// A proposed version that is itself broken is reported, with its line.
	res, err = s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main", ChangesRepoConfig: true, OnlyRepoConfig: true,
		ProposedRepoConfig: []byte("rules:\n  required_reviewers:\n    aprovals: 2\n")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ProposedProblems) != 1 || res.ProposedProblems[0].Line != 3 || !strings.Contains(res.ProposedProblems[0].Message, `no setting "aprovals"`) {
		t.Fatalf("the proposed file's problems: %+v", res.ProposedProblems)
	}
}

func TestPolicyRepositoryPullRequestsAreJudgedByAWorkingPolicy(t *testing.T) {
	gh := newMem()
	gh.commit(".github", map[string]string{"mergeguard/policies/broken.rego": brokenRule})
	s := newSource(t, nil)
	ctx := context.Background()
	shop, err := s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
	if err != nil || shop.Engine != nil {
		t.Fatalf("other repositories fail closed: %+v %v", shop, err)
	}
	fix, err := s.Resolve(ctx, gh, For{Owner: "acme", Repo: ".github", BaseRef: "main"})
	if err != nil || fix.Engine == nil || !strings.HasPrefix(fix.Label, "bundled@") {
		t.Fatalf("the policy repository's pull requests must be judged by a policy that works: %+v %v", fix, err)
	}
}

func TestLastGoodPolicySurvivesARestart(t *testing.T) {
	gh := newMem()
	lg := memLastGood{}
	good := gh.commit(".github", map[string]string{"mergeguard/config.yaml": "on_policy_error: last_good\nrules:\n  required_reviewers:\n    approvals: 3\n"})
	ctx := context.Background()
	first := newSource(t, lg)
	if _, err := first.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"}); err != nil {
		t.Fatal(err)
	}
	if lg["acme"] != good {
		t.Fatalf("the good commit was not recorded: %v", lg)
	}
	gh.commit(".github", map[string]string{"mergeguard/config.yaml": "on_policy_error: last_good\n", "mergeguard/policies/broken.rego": brokenRule})

	restarted := newSource(t, lg)
	res, err := restarted.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Engine == nil || res.Config.Rules["required_reviewers"].Values["approvals"] != int64(3) || !strings.Contains(strings.Join(res.Notices, " "), good[:7]) {
		t.Fatalf("after a restart the recorded good policy must decide: %+v", res)
	}
}

func TestOrganizationsWithoutAPolicyFolder(t *testing.T) {
	gh := newMem()
	s := newSource(t, nil)
	ctx := context.Background()
	res, err := s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
	if err != nil || res.Engine == nil || !strings.HasPrefix(res.Label, "bundled@") {
		t.Fatalf("no policy repository: %+v %v", res, err)
	}
	gh.commit(".github", map[string]string{"profile/README.md": "hello"})
	s.Invalidate("acme")
	res, err = s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
	if err != nil || res.Engine == nil || !strings.Contains(res.Label, "no mergeguard/config.yaml or mergeguard/policies/*.rego: bundled defaults") {
		t.Fatalf("a policy repository without the folder: %+v %v", res, err)
	}
	fetches := gh.fetches
	for i := 0; i < 3; i++ {
		if _, err := s.Resolve(ctx, gh, For{Owner: "ACME", Repo: "shop", BaseRef: "main"}); err != nil {
			t.Fatal(err)
		}
	}
	if gh.fetches != fetches {
		t.Fatal("a cached policy commit must not be read again (and owners are case-insensitive)")
	}
}

func TestLosingAccessToThePolicyRepositoryFailsClosed(t *testing.T) {
	gh := newMem()
	lg := memLastGood{}
	gh.commit(".github", map[string]string{"mergeguard/config.yaml": "rules:\n  required_reviewers:\n    approvals: 2\n"})
	ctx := context.Background()
	s := newSource(t, lg)
	if res, err := s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"}); err != nil || res.Engine == nil {
		t.Fatalf("%+v %v", res, err)
	}
	delete(gh.heads, ".github") // the installation no longer includes it
	for name, src := range map[string]*Source{"running": s, "restarted": newSource(t, lg)} {
		src.Invalidate("acme")
		res, err := src.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
		if err != nil || res.Engine != nil || !strings.Contains(firstProblem(res.Problems), "Give the App access to it again") {
			t.Errorf("%s: the organization's rules must not silently become the bundled defaults: %+v %v", name, res, err)
		}
	}
	// An organization that never had one gets the bundled defaults.
	res, err := newSource(t, memLastGood{}).Resolve(ctx, gh, For{Owner: "globex", Repo: "api", BaseRef: "main"})
	if err != nil || res.Engine == nil {
		t.Fatalf("no policy repository ever: %+v %v", res, err)
	}
}

func TestPolicyFolderLimitsAreProblemsNotErrors(t *testing.T) {
	many := map[string]string{}
	for i := range maxPolicyFiles + 1 {
		many[fmt.Sprintf("mergeguard/policies/r%03d.rego", i)] = "package mergeguard.rules.r\n"
	}
	large := map[string]string{}
	for i := range maxFolderBytes/maxPolicyBytes + 1 {
		large[fmt.Sprintf("mergeguard/policies/r%03d.rego", i)] = strings.Repeat("#", maxPolicyBytes)
	}
	tests := []struct {
		name  string
		files map[string]string
		large bool
		says  string
	}{
		{"a file over 1 MiB", map[string]string{"mergeguard/policies/big.rego": strings.Repeat("#", maxPolicyBytes+1)}, false, "mergeguard/policies/big.rego: larger than 1 MiB"},
		{"too many files", many, false, "more than 500 policy files"},
		{"too many bytes", large, false, "more than 8 MiB of policy files"},
		{"a tree GitHub truncates", map[string]string{"mergeguard/config.yaml": ""}, true, "more files than GitHub lists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := newMem()
			gh.commit(".github", tt.files)
			gh.treeTooLarge = tt.large
			res, err := newSource(t, nil).Resolve(context.Background(), gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
			if err != nil || res.Engine != nil || !strings.Contains(firstProblem(res.Problems), tt.says) {
				t.Fatalf("want a broken policy saying %q: %+v %v", tt.says, res, err)
			}
		})
	}
}

func TestMisnamedPolicyFilesAreReported(t *testing.T) {
	gh := newMem()
	gh.commit(".github", map[string]string{
		"mergeguard/config.yml":              "rules: {}\n",
		"mergeguard/rules/deploy.rego":       "package mergeguard.rules.deploy\n",
		"mergeguard/policies/Deploy.Rego":    "package mergeguard.rules.deploy\n",
		"mergeguard/README.md":               "how we configure mergeguard",
		"mergeguard/policies/ok.rego":        "# METADATA\n# title: OK\n# custom:\n#   remedy: none\npackage mergeguard.rules.ok\n\ndeny := set()\n",
		"profile/README.md":                  "hello",
		"mergeguard/policies/notes/todo.txt": "later",
	})
	res, err := newSource(t, nil).Resolve(context.Background(), gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
	if err != nil || res.Engine == nil {
		t.Fatalf("%+v %v", res, err)
	}
	got := strings.Join(res.Notices, "\n")
	for _, want := range []string{
		"mergeguard/config.yml is not read: the configuration is read from mergeguard/config.yaml only.",
		"mergeguard/rules/deploy.rego is not read: rules and their tests go under mergeguard/policies/.",
		"mergeguard/policies/Deploy.Rego is not read: policy files end in .rego, in lower case.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("notices lack %q:\n%s", want, got)
		}
	}
	if len(res.Notices) != 3 {
		t.Errorf("READMEs and other files are not policy: %q", res.Notices)
	}
}

func TestAPushNeverWaitsForARefreshInProgress(t *testing.T) {
	gh := newMem()
	gh.commit(".github", map[string]string{"mergeguard/config.yaml": "rules: {}\n"})
	gh.blobs, gh.blobAsked = make(chan struct{}), make(chan struct{}, 1)
	s := newSource(t, nil)
	refreshed := make(chan error, 1)
	go func() {
		_, err := s.Resolve(context.Background(), gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
		refreshed <- err
	}()
	<-gh.blobAsked // the refresh is now waiting on GitHub
	pushed := make(chan struct{})
	go func() {
		s.Pushed("acme", ".github", "main", "main", []string{"mergeguard/config.yaml"})
		close(pushed)
	}()
	select {
	case <-pushed:
	case <-time.After(5 * time.Second):
		t.Fatal("Pushed (called in the webhook handler) waited for the refresh")
	}
	// Another evaluation waits for the refresh only as long as its context
	// allows.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Resolve(ctx, gh, For{Owner: "acme", Repo: "api", BaseRef: "main"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting past the context: %v", err)
	}
	close(gh.blobs)
	if err := <-refreshed; err != nil {
		t.Fatal(err)
	}
	// The push arrived during the refresh: the next evaluation looks again.
	fetches := gh.fetches
	gh.commit(".github", map[string]string{"mergeguard/config.yaml": "rules:\n  required_reviewers:\n    approvals: 2\n"})
	res, err := s.Resolve(context.Background(), gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
	if err != nil || gh.fetches != fetches+1 || res.Config.Rules["required_reviewers"].Values["approvals"] != int64(2) {
		t.Fatalf("a push during a refresh must not be lost: %+v %v", res, err)
	}
}

func TestABrokenPolicyKeepsTheOrganizationsMode(t *testing.T) {
	gh := newMem()
	gh.commit(".github", map[string]string{"mergeguard/config.yaml": "mode: enforce\n"})
	bundled, err := policies.Modules()
	if err != nil {
		t.Fatal(err)
	}
	// The server's default is report-only; the organization enforces.
	s, err := New(context.Background(), Options{Bundled: bundled, DefaultMode: decision.Report})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if res, err := s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"}); err != nil || res.Config.Mode != decision.Enforce {
		t.Fatalf("%+v %v", res, err)
	}
	gh.commit(".github", map[string]string{"mergeguard/config.yaml": "mode: enforce\n", "mergeguard/policies/broken.rego": brokenRule})
	s.Invalidate("acme")
	res, err := s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
	if err != nil || res.Engine != nil || res.Mode != decision.Enforce {
		t.Fatalf("a broken policy must block in the organization's enforce mode, not turn neutral: %+v %v", res, err)
	}
}
