package policysource

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/policies"
)

// memGitHub serves repositories from memory: repo → branch head, commit →
// files.
type memGitHub struct {
	heads   map[string]string
	commits map[string]map[string]string
	fetches int
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
	var out []githubapp.TreeEntry
	for p, c := range m.commits[sha] {
		out = append(out, githubapp.TreeEntry{Path: p, SHA: sha + "\x00" + p, Size: len(c)})
	}
	return out, nil
}

func (m *memGitHub) Blob(_ context.Context, owner, repo, id string) ([]byte, error) {
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
	gh.commit("shop", map[string]string{".github/mergeguard.yaml": "rules:\n  required_reviewers:\n    approvals: many\n"})
	s := newSource(t, nil)
	ctx := context.Background()

	res, err := s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Engine != nil || len(res.Problems) == 0 || !strings.Contains(res.Problems[0].String(), ".github/mergeguard.yaml:3") {
		t.Fatalf("a broken repository configuration must fail closed naming its line: %+v", res)
	}
	res, err = s.Resolve(ctx, gh, For{Owner: "acme", Repo: "shop", BaseRef: "main", ChangesRepoConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Engine == nil || !strings.Contains(strings.Join(res.Notices, " "), "this pull request changes it") {
		t.Fatalf("the pull request fixing the file must be judged by the organization's configuration: %+v", res)
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
	if err != nil || res.Engine == nil || !strings.Contains(res.Label, "no mergeguard/ folder: bundled defaults") {
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
