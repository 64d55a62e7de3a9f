package policysource

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/policy"
	"github.com/mergeguard/mergeguard/internal/policyconfig"
)

// GitHub is what reading policy from GitHub needs.
type GitHub interface {
	DefaultBranch(ctx context.Context, owner, repo string) (string, error)
	CommitSHA(ctx context.Context, owner, repo, ref string) (string, error)
	Files(ctx context.Context, owner, repo, sha string) ([]githubapp.TreeEntry, error)
	Blob(ctx context.Context, owner, repo, sha string) ([]byte, error)
	File(ctx context.Context, owner, repo, path, ref string) ([]byte, bool, error)
}

// LastGood remembers, per organization, the last policy commit that
// compiled, so a restart does not lose the fallback.
type LastGood interface {
	GetLastGood(ctx context.Context, owner string) (string, error)
	SetLastGood(ctx context.Context, owner, sha string) error
}

// Options configure a Source.
type Options struct {
	// Repo is the policy repository's name in each organization (".github").
	Repo   string
	Layout Layout
	// RepoConfigPath is a repository's own configuration (".github/mergeguard.yaml").
	RepoConfigPath string
	Bundled        []policy.Module
	// Timeout bounds one evaluation of all rules.
	Timeout time.Duration
	// DefaultMode applies when no configuration sets mode.
	DefaultMode decision.Mode
	// TTL is how long a policy commit is trusted before checking for a new
	// one (a push to the policy repository invalidates it sooner).
	TTL      time.Duration
	LastGood LastGood
	Now      func() time.Time
	Log      *slog.Logger
	// OnCompile is told of every policy compilation, for metrics and tests.
	OnCompile func(label string, ok bool)
}

// Source resolves the policy that applies to each repository.
type Source struct {
	opts    Options
	bundled *Version

	mu   sync.Mutex
	orgs map[string]*orgState
	// repoConfigs caches each repository's configuration file per branch
	// (content, or absent) for the TTL; a push that touches it invalidates.
	repoConfigs map[string]repoConfig
}

type repoConfig struct {
	content []byte
	found   bool
	at      time.Time
}

type orgState struct {
	mu       sync.Mutex
	checked  time.Time
	sha      string
	current  *Version
	lastGood *Version
	// previousGood is the good version before lastGood: the fallback for
	// rules that fail at run time in a version that compiled.
	previousGood *Version
	// restored is true once the persisted last good version was looked up.
	restored bool
}

// New compiles the bundled policy, which applies wherever no policy
// repository exists. An error means mergeguard's own policy is broken.
func New(ctx context.Context, opts Options) (*Source, error) {
	if opts.Repo == "" {
		opts.Repo = ".github"
	}
	if opts.RepoConfigPath == "" {
		opts.RepoConfigPath = ".github/mergeguard.yaml"
	}
	if opts.TTL <= 0 {
		opts.TTL = time.Minute
	}
	if opts.DefaultMode == "" {
		opts.DefaultMode = decision.Enforce
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Source{opts: opts, orgs: map[string]*orgState{}, repoConfigs: map[string]repoConfig{}}
	digest := policy.Digest(opts.Bundled)
	s.bundled = s.build(ctx, "bundled@"+digest, "", nil)
	if !s.bundled.OK() {
		return nil, fmt.Errorf("bundled policy: %s", problemList(s.bundled.Problems))
	}
	return s, nil
}

// Bundled is the policy compiled into the binary.
func (s *Source) Bundled() *Version { return s.bundled }

func (s *Source) build(ctx context.Context, label, sha string, files Files) *Version {
	v := Build(ctx, label, sha, files, s.opts.Layout, s.opts.Bundled, s.opts.Timeout)
	if s.opts.OnCompile != nil {
		s.opts.OnCompile(label, v.OK())
	}
	return v
}

// Invalidate makes the next evaluation in the organization look for a new
// policy commit (after a push to its policy repository).
func (s *Source) Invalidate(owner string) {
	st := s.state(owner)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.checked = time.Time{}
}

// Pushed tells the source about a push: to the default branch of an
// organization's policy repository, or to a branch where a repository's
// configuration file changed.
func (s *Source) Pushed(owner, repo, branch, defaultBranch string, files []string) {
	if strings.EqualFold(repo, s.opts.Repo) && branch == defaultBranch {
		s.Invalidate(owner)
	}
	for _, f := range files {
		if f == s.opts.RepoConfigPath {
			s.mu.Lock()
			delete(s.repoConfigs, repoConfigKey(owner, repo, branch))
			s.mu.Unlock()
			return
		}
	}
}

func repoConfigKey(owner, repo, branch string) string {
	return strings.ToLower(owner+"/"+repo) + "\x00" + branch
}

// repoConfig reads a repository's configuration file on a branch, cached for
// the TTL.
func (s *Source) repoConfig(ctx context.Context, gh GitHub, owner, repo, branch string) ([]byte, bool, error) {
	key := repoConfigKey(owner, repo, branch)
	s.mu.Lock()
	c, ok := s.repoConfigs[key]
	s.mu.Unlock()
	if ok && s.opts.Now().Sub(c.at) < s.opts.TTL {
		return c.content, c.found, nil
	}
	content, found, err := gh.File(ctx, owner, repo, s.opts.RepoConfigPath, branch)
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.repoConfigs) > 10_000 {
		clear(s.repoConfigs)
	}
	s.repoConfigs[key] = repoConfig{content: content, found: found, at: s.opts.Now()}
	return content, found, nil
}

// PolicyRepo is the name of the policy repository in every organization.
func (s *Source) PolicyRepo() string { return s.opts.Repo }

// Layout is where policy lives in the policy repository.
func (s *Source) Layout() Layout { return s.opts.Layout }

func (s *Source) state(owner string) *orgState {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(owner)
	st, ok := s.orgs[key]
	if !ok {
		st = &orgState{}
		s.orgs[key] = st
	}
	return st
}

// org returns the organization's current and last good policy versions,
// reading a new commit of the policy repository when the cached one is older
// than the TTL. One evaluation per organization refreshes at a time.
func (s *Source) org(ctx context.Context, gh GitHub, owner string) (current, lastGood, previousGood *Version, err error) {
	st := s.state(owner)
	st.mu.Lock()
	defer st.mu.Unlock()
	now := s.opts.Now()
	if st.current != nil && now.Sub(st.checked) < s.opts.TTL {
		return st.current, st.lastGood, st.previousGood, nil
	}
	sha, err := s.headSHA(ctx, gh, owner)
	if err != nil {
		return nil, nil, nil, err
	}
	if st.current == nil || sha != st.sha {
		v, err := s.load(ctx, gh, owner, sha)
		if err != nil {
			return nil, nil, nil, err
		}
		st.current, st.sha = v, sha
		if v.OK() {
			if st.lastGood != nil && st.lastGood.SHA != v.SHA {
				st.previousGood = st.lastGood
			}
			st.lastGood = v
			if s.opts.LastGood != nil && sha != "" {
				if err := s.opts.LastGood.SetLastGood(ctx, owner, sha); err != nil {
					s.opts.Log.Warn("could not record the last policy that compiled", "owner", owner, "sha", sha, "err", err)
				}
			}
		} else {
			s.opts.Log.Warn("organization policy does not compile", "owner", owner, "policy", v.Label, "problems", problemList(v.Problems))
		}
	}
	if !st.current.OK() && st.lastGood == nil && !st.restored {
		st.restored = true
		st.lastGood = s.restore(ctx, gh, owner)
	}
	st.checked = now
	return st.current, st.lastGood, st.previousGood, nil
}

// headSHA is the policy repository's default-branch commit, or "" when the
// organization has no policy repository the App can read.
func (s *Source) headSHA(ctx context.Context, gh GitHub, owner string) (string, error) {
	branch, err := gh.DefaultBranch(ctx, owner, s.opts.Repo)
	if githubapp.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	sha, err := gh.CommitSHA(ctx, owner, s.opts.Repo, branch)
	if githubapp.IsNotFound(err) || githubapp.StatusCode(err) == 409 {
		return "", nil // an empty repository
	}
	return sha, err
}

// load reads and compiles the policy folder at sha.
func (s *Source) load(ctx context.Context, gh GitHub, owner, sha string) (*Version, error) {
	if sha == "" {
		return s.bundled, nil
	}
	files, err := s.Fetch(ctx, gh, owner, s.opts.Repo, sha)
	if err != nil {
		return nil, err
	}
	label := fmt.Sprintf("%s/%s@%s", owner, s.opts.Repo, short(sha))
	if len(files) == 0 {
		v := *s.bundled
		v.Label = label + " (no " + s.opts.Layout.dir() + "/ folder: bundled defaults)"
		v.SHA = sha
		return &v, nil
	}
	return s.build(ctx, label, sha, files), nil
}

// restore rebuilds the last good version recorded before a restart.
func (s *Source) restore(ctx context.Context, gh GitHub, owner string) *Version {
	if s.opts.LastGood == nil {
		return nil
	}
	sha, err := s.opts.LastGood.GetLastGood(ctx, owner)
	if err != nil || sha == "" {
		return nil
	}
	v, err := s.load(ctx, gh, owner, sha)
	if err != nil || !v.OK() {
		return nil
	}
	return v
}

// maxPolicyFiles and maxPolicyBytes bound what is read from a policy folder.
const (
	maxPolicyFiles = 500
	maxPolicyBytes = 1 << 20
)

// Fetch reads the policy folder of repo at sha.
func (s *Source) Fetch(ctx context.Context, gh GitHub, owner, repo, sha string) (Files, error) {
	entries, err := gh.Files(ctx, owner, repo, sha)
	if err != nil {
		return nil, err
	}
	files := Files{}
	for _, e := range entries {
		if !s.opts.Layout.Contains(e.Path) {
			continue
		}
		if len(files) == maxPolicyFiles {
			return nil, fmt.Errorf("%s/%s@%s has more than %d policy files", owner, repo, short(sha), maxPolicyFiles)
		}
		if e.Size > maxPolicyBytes {
			return nil, fmt.Errorf("%s in %s/%s is larger than 1 MiB", e.Path, owner, repo)
		}
		b, err := gh.Blob(ctx, owner, repo, e.SHA)
		if err != nil {
			return nil, err
		}
		files[e.Path] = b
	}
	return files, nil
}

// CheckCommit checks the policy folder of a commit of the policy repository:
// it compiles, its configuration is valid, its tests pass.
func (s *Source) CheckCommit(ctx context.Context, gh GitHub, owner, repo, sha string) (CheckResult, error) {
	files, err := s.Fetch(ctx, gh, owner, repo, sha)
	if err != nil {
		return CheckResult{}, err
	}
	return Check(ctx, fmt.Sprintf("%s/%s@%s", owner, repo, short(sha)), files, s.opts.Layout, s.opts.Bundled, s.opts.Timeout), nil
}

// For says how a pull request in owner/repo into baseRef is to be judged.
type For struct {
	Owner, Repo, BaseRef string
	// ChangesRepoConfig is true when the pull request changes the
	// repository's configuration file: a broken file on the base branch
	// must not block the change that fixes it.
	ChangesRepoConfig bool
}

// Resolved is the policy and configuration that apply to one pull request.
type Resolved struct {
	// Engine is nil when the policy is broken and the verdict must fail
	// closed; Problems say why.
	Engine   *policy.Engine
	Label    string
	Config   policyconfig.Config
	Problems []Problem
	// Notices go at the top of the check run: a fallback, an override the
	// organization did not allow.
	Notices []string
	// Fallback is the last policy that compiled, bound to the same
	// configuration, when on_policy_error is last_good: a rule that fails at
	// run time takes its result from it.
	Fallback      *policy.Engine
	FallbackLabel string
}

// Resolve finds the policy for a pull request.
func (s *Source) Resolve(ctx context.Context, gh GitHub, f For) (Resolved, error) {
	current, lastGood, previousGood, err := s.org(ctx, gh, f.Owner)
	if err != nil {
		return Resolved{}, err
	}
	onError := current.OnPolicyError()
	if onError == "" {
		onError = lastGood.OnPolicyError()
	}
	if onError == "" {
		onError = policyconfig.FailClosed
	}
	isPolicyRepo := strings.EqualFold(f.Repo, s.opts.Repo)

	v, res := current, Resolved{}
	if !current.OK() {
		fallback := lastGood
		if fallback == nil && isPolicyRepo {
			fallback = s.bundled
		}
		switch {
		case isPolicyRepo && fallback != nil:
			// The policy repository's own pull requests must be able to fix
			// it: judge them by the last policy that compiled, and let the
			// mergeguard/policy check judge the change.
			v = fallback
			res.Notices = append(res.Notices, fmt.Sprintf("The organization's policy %s does not compile, so this pull request to the policy repository is judged by %s.", current.Label, fallback.Label))
		case onError == policyconfig.LastGood && fallback != nil:
			v = fallback
			res.Notices = append(res.Notices, fmt.Sprintf("The organization's policy %s does not compile (%s); this verdict uses the last policy that compiled, %s, because the configuration sets on_policy_error: last_good.",
				current.Label, firstProblem(current.Problems), fallback.Label))
		default:
			res.Label, res.Problems = current.Label, current.Problems
			if onError == policyconfig.LastGood {
				res.Notices = append(res.Notices, "on_policy_error is last_good, but no policy that compiled is known for this organization, so mergeguard blocks.")
			}
			return res, nil
		}
	}
	res.Label = v.Label

	var repoFile *policyconfig.File
	var repoProblems []Problem
	if !isPolicyRepo {
		raw, found, err := s.repoConfig(ctx, gh, f.Owner, f.Repo, f.BaseRef)
		if err != nil {
			return Resolved{}, err
		}
		if found {
			repoFile, err = policyconfig.Parse(s.opts.RepoConfigPath, policyconfig.RepoFile, raw)
			if err != nil {
				repoProblems = configProblems(err)
			}
		}
	}
	cfg, err := policyconfig.Resolve(v.Org, repoFile, v.Policy.Schema())
	if err != nil {
		repoProblems = append(repoProblems, configProblems(err)...)
	}
	if len(repoProblems) > 0 {
		where := fmt.Sprintf("%s on %s", s.opts.RepoConfigPath, f.BaseRef)
		switch {
		case f.ChangesRepoConfig, onError == policyconfig.LastGood:
			why := "this pull request changes it"
			if !f.ChangesRepoConfig {
				why = "the configuration sets on_policy_error: last_good"
			}
			res.Notices = append(res.Notices, fmt.Sprintf("The repository's %s is not valid (%s); it is ignored here because %s, and the organization's configuration applies.", where, firstProblem(repoProblems), why))
			cfg, err = policyconfig.Resolve(v.Org, nil, v.Policy.Schema())
			if err != nil {
				return res, fmt.Errorf("organization configuration of %s: %w", v.Label, err)
			}
		default:
			res.Problems = repoProblems
			return res, nil
		}
	}
	if !setsMode(v.Org) && !setsMode(repoFile) {
		cfg.Mode = s.opts.DefaultMode
	}
	engine, err := v.Policy.Engine(ctx, cfg)
	if err != nil {
		return res, err
	}
	res.Engine, res.Config = engine, cfg
	res.Notices = append(res.Notices, cfg.Notices...)
	// The fallback for rules failing at run time: the newest good version
	// other than the one in use.
	fallback := lastGood
	if fallback == v {
		fallback = previousGood
	}
	if onError == policyconfig.LastGood && fallback.OK() && fallback != v {
		if fcfg, err := policyconfig.Resolve(fallback.Org, repoFile, fallback.Policy.Schema()); err == nil {
			fcfg.Mode = cfg.Mode
			if fe, err := fallback.Policy.Engine(ctx, fcfg); err == nil {
				res.Fallback, res.FallbackLabel = fe, fallback.Label
			}
		}
	}
	return res, nil
}

func setsMode(f *policyconfig.File) bool {
	if f == nil {
		return false
	}
	_, ok := f.Values["mode"]
	return ok
}

func firstProblem(ps []Problem) string {
	if len(ps) == 0 {
		return "unknown problem"
	}
	if len(ps) == 1 {
		return ps[0].String()
	}
	return fmt.Sprintf("%s, and %d more", ps[0], len(ps)-1)
}

func problemList(ps []Problem) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, "; ")
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
