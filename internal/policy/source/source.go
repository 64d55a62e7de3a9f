package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/policy"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
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
	// Timeout bounds each rule's evaluation.
	Timeout time.Duration
	// Workers run the policies isolated, within a memory limit; nil runs
	// them in this process.
	Workers *policy.Workers
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
	// reading makes evaluations that need the same configuration file at
	// once share one read.
	reading singleflight.Group
}

type repoConfig struct {
	content []byte
	found   bool
	at      time.Time
}

type orgState struct {
	// lock admits one refresh at a time; a channel, so that waiting for it
	// respects the caller's context.
	lock chan struct{}
	// stale is set by a push to the policy repository: the next evaluation
	// looks for a new commit. Atomic, so the webhook handler never waits
	// for a refresh in progress.
	stale    atomic.Bool
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
	s.bundled = s.build(ctx, "bundled@"+digest, "", Folder{})
	if !s.bundled.OK() {
		return nil, fmt.Errorf("bundled policy: %s", problemList(s.bundled.Problems))
	}
	return s, nil
}

// Bundled is the policy compiled into the binary.
func (s *Source) Bundled() *Version { return s.bundled }

func (s *Source) build(ctx context.Context, label, sha string, folder Folder) *Version {
	v := Build(ctx, label, sha, folder, s.opts.Layout, s.opts.Bundled, s.policyOptions())
	if s.opts.OnCompile != nil {
		s.opts.OnCompile(label, v.OK())
	}
	return v
}

// Invalidate makes the next evaluation in the organization look for a new
// policy commit (after a push to its policy repository). It never waits.
func (s *Source) Invalidate(owner string) {
	s.state(owner).stale.Store(true)
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
	return strings.ToLower(decision.Repo{Owner: owner, Name: repo}.String()) + "\x00" + branch
}

// repoConfig reads a repository's configuration file on a branch, cached for
// the TTL. Evaluations that need it at once share one read.
func (s *Source) repoConfig(ctx context.Context, gh GitHub, owner, repo, branch string) ([]byte, bool, error) {
	key := repoConfigKey(owner, repo, branch)
	s.mu.Lock()
	c, ok := s.repoConfigs[key]
	s.mu.Unlock()
	if ok && s.opts.Now().Sub(c.at) < s.opts.TTL {
		return c.content, c.found, nil
	}
	v, err, _ := s.reading.Do(key, func() (any, error) {
		content, found, err := gh.File(ctx, owner, repo, s.opts.RepoConfigPath, branch)
		if err != nil {
			return nil, err
		}
		rc := repoConfig{content: content, found: found, at: s.opts.Now()}
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.repoConfigs) > 10_000 {
			clear(s.repoConfigs)
		}
		s.repoConfigs[key] = rc
		return rc, nil
	})
	if err != nil {
		return nil, false, err
	}
	rc := v.(repoConfig)
	return rc.content, rc.found, nil
}

// Prepare reads what Resolve will need for a pull request in owner/repo
// into baseRef — the organization's policy and the repository's
// configuration file — unless they are cached, both at once, so that an
// evaluation can read them while it reads the pull request's other facts.
// Resolve then finds them cached.
func (s *Source) Prepare(ctx context.Context, gh GitHub, owner, repo, baseRef string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		_, _, _, err := s.org(gctx, gh, owner)
		return err
	})
	if !strings.EqualFold(repo, s.opts.Repo) {
		g.Go(func() error {
			_, _, err := s.repoConfig(gctx, gh, owner, repo, baseRef)
			return err
		})
	}
	return g.Wait()
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
		st = &orgState{lock: make(chan struct{}, 1)}
		s.orgs[key] = st
	}
	return st
}

// org returns the organization's current and last good policy versions,
// reading a new commit of the policy repository when the cached one is older
// than the TTL or a push made it stale. One evaluation per organization
// refreshes at a time; the others wait for it, as long as their context
// allows.
func (s *Source) org(ctx context.Context, gh GitHub, owner string) (current, lastGood, previousGood *Version, err error) {
	st := s.state(owner)
	select {
	case st.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, nil, fmt.Errorf("wait for the policy of %s: %w", owner, ctx.Err())
	}
	defer func() { <-st.lock }()
	now := s.opts.Now()
	if st.current != nil && now.Sub(st.checked) < s.opts.TTL && !st.stale.Load() {
		return st.current, st.lastGood, st.previousGood, nil
	}
	// Cleared before reading, so a push during the refresh is not lost.
	st.stale.Store(false)
	sha, err := s.headSHA(ctx, gh, owner)
	if errors.Is(err, errNoPolicyRepo) {
		if lost := s.lostPolicyRepo(ctx, st, owner); lost != nil {
			st.current, st.sha, st.checked = lost, "", now
			s.opts.Log.Warn("the policy repository can no longer be read", "owner", owner)
			return st.current, st.lastGood, st.previousGood, nil
		}
		sha, err = "", nil
	}
	if err != nil {
		st.stale.Store(true)
		return nil, nil, nil, err
	}
	if st.current == nil || sha != st.sha {
		v, err := s.load(ctx, gh, owner, sha)
		if err != nil {
			st.stale.Store(true)
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

// errNoPolicyRepo: the organization has no policy repository the App can
// read.
var errNoPolicyRepo = errors.New("no policy repository")

// headSHA is the policy repository's default-branch commit; "" for an empty
// repository, errNoPolicyRepo when there is none the App can read.
func (s *Source) headSHA(ctx context.Context, gh GitHub, owner string) (string, error) {
	branch, err := gh.DefaultBranch(ctx, owner, s.opts.Repo)
	if githubapp.IsNotFound(err) {
		return "", errNoPolicyRepo
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

// lostPolicyRepo returns a broken version when an organization whose policy
// repository mergeguard has used can no longer read it (it was deleted, or
// the installation no longer includes it): quietly falling back to the
// bundled defaults would drop the organization's rules. It returns nil for
// an organization that never had one.
func (s *Source) lostPolicyRepo(ctx context.Context, st *orgState, owner string) *Version {
	known := st.lastGood != nil && st.lastGood.SHA != ""
	if !known && s.opts.LastGood != nil {
		sha, err := s.opts.LastGood.GetLastGood(ctx, owner)
		known = err == nil && sha != ""
	}
	if !known {
		return nil
	}
	repo := decision.Repo{Owner: owner, Name: s.opts.Repo}.String()
	return &Version{Label: repo + " (cannot be read)", Problems: []Problem{{Message: fmt.Sprintf(
		"mergeguard used the policy in %s before, and GitHub now answers that it does not exist: it was deleted or renamed, or the App's installation no longer includes it. "+
			"Give the App access to it again. To use the bundled defaults instead, keep an empty %s the App can read.", repo, repo)}}}
}

// load reads and compiles the policy folder at sha.
func (s *Source) load(ctx context.Context, gh GitHub, owner, sha string) (*Version, error) {
	if sha == "" {
		return s.bundled, nil
	}
	folder, err := s.Fetch(ctx, gh, owner, s.opts.Repo, sha)
	if err != nil {
		return nil, err
	}
	label := fmt.Sprintf("%s/%s@%s", owner, s.opts.Repo, decision.ShortSHA(sha))
	if len(folder.Files) == 0 && len(folder.Problems) == 0 {
		v := *s.bundled
		v.Label = fmt.Sprintf("%s (no %s or %s/*.rego: bundled defaults)", label, s.opts.Layout.ConfigPath(), s.opts.Layout.PoliciesDir())
		v.SHA, v.Notices = sha, folder.Unread
		return &v, nil
	}
	return s.build(ctx, label, sha, folder), nil
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

// maxPolicyFiles, maxPolicyBytes and maxFolderBytes bound what is read from
// a policy folder. The server holds a folder it checks in memory, and a
// pull request to the policy repository need not come from someone trusted
// with the server: 500 files of 1 MiB each would be half a gigabyte.
const (
	maxPolicyFiles = 500
	maxPolicyBytes = 1 << 20
	maxFolderBytes = 8 << 20
)

// Fetch reads the policy folder of repo at sha. More files, or larger ones,
// than mergeguard reads are problems of the folder, not errors: the policy
// is then broken and says why, rather than retried forever.
func (s *Source) Fetch(ctx context.Context, gh GitHub, owner, repo, sha string) (Folder, error) {
	folder := Folder{Files: Files{}}
	entries, err := gh.Files(ctx, owner, repo, sha)
	if errors.Is(err, githubapp.ErrTreeTooLarge) {
		folder.Problems = []Problem{{Message: fmt.Sprintf("%s/%s has more files than GitHub lists in one tree, so mergeguard cannot find its policy folder; keep the policy repository small", owner, repo)}}
		return folder, nil
	}
	if err != nil {
		return Folder{}, err
	}
	total := 0
	for _, e := range entries {
		if !s.opts.Layout.Contains(e.Path) {
			folder.note(s.opts.Layout, e.Path)
			continue
		}
		if len(folder.Files) == maxPolicyFiles {
			folder.Problems = append(folder.Problems, Problem{Message: fmt.Sprintf("%s holds more than %d policy files; mergeguard reads at most %d", s.opts.Layout.dir(), maxPolicyFiles, maxPolicyFiles)})
			return folder, nil
		}
		if e.Size > maxPolicyBytes {
			folder.Problems = append(folder.Problems, Problem{File: e.Path, Message: "larger than 1 MiB; mergeguard reads policy files up to 1 MiB"})
			continue
		}
		if total += e.Size; total > maxFolderBytes {
			folder.Problems = append(folder.Problems, tooLarge(s.opts.Layout))
			return folder, nil
		}
		b, err := gh.Blob(ctx, owner, repo, e.SHA)
		if err != nil {
			return Folder{}, err
		}
		folder.Files[e.Path] = b
	}
	return folder, nil
}

// CheckCommit checks the policy folder of a commit of the policy repository:
// it compiles, its configuration is valid, its tests pass.
func (s *Source) CheckCommit(ctx context.Context, gh GitHub, owner, repo, sha string) (CheckResult, error) {
	folder, err := s.Fetch(ctx, gh, owner, repo, sha)
	if err != nil {
		return CheckResult{}, err
	}
	return Check(ctx, fmt.Sprintf("%s/%s@%s", owner, repo, decision.ShortSHA(sha)), folder, s.opts.Layout, s.opts.Bundled, s.policyOptions()), nil
}

func (s *Source) policyOptions() policy.Options {
	return policy.Options{Timeout: s.opts.Timeout, Workers: s.opts.Workers}
}

// For says how a pull request in owner/repo into baseRef is to be judged.
type For struct {
	Owner, Repo, BaseRef string
	// ChangesRepoConfig is true when the pull request changes the
	// repository's configuration file, and OnlyRepoConfig when it changes
	// nothing else: a broken file on the base branch must not block the
	// change that fixes it, nor let other changes through with it.
	ChangesRepoConfig, OnlyRepoConfig bool
	// ProposedRepoConfig is the pull request's version of that file, when it
	// changes it and does not delete it: it is validated, so that a broken
	// file cannot be merged.
	ProposedRepoConfig []byte
}

// Resolved is the policy and configuration that apply to one pull request.
type Resolved struct {
	// Engine is nil when the policy is broken and the verdict must fail
	// closed; Problems say why, and Mode is the mode to report it in.
	Engine   *policy.Engine
	Label    string
	Config   policyconfig.Config
	Problems []Problem
	Mode     decision.Mode
	// ProposedProblems are what is wrong with the pull request's own
	// version of the repository's configuration file.
	ProposedProblems []Problem
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

	v, res := s.usable(current, lastGood, isPolicyRepo, onError)
	if v == nil {
		return res, nil
	}
	res.Label = v.Label

	var repoFile *policyconfig.File
	var problems []Problem
	if !isPolicyRepo {
		if repoFile, problems, err = s.readRepoConfig(ctx, gh, f); err != nil {
			return Resolved{}, err
		}
		if f.ChangesRepoConfig {
			res.ProposedProblems = s.validateProposed(f.ProposedRepoConfig, v)
		}
	}
	cfg, repoProblems, err := policyconfig.ResolvePartial(v.Org, repoFile, v.Policy.Schema())
	if err != nil {
		return res, fmt.Errorf("organization configuration of %s: %w", v.Label, err)
	}
	problems = append(problems, fromConfig(repoProblems)...)
	if len(problems) > 0 {
		if !f.OnlyRepoConfig && onError != policyconfig.LastGood {
			res.Problems, res.Mode = problems, s.orgMode(v)
			if f.ChangesRepoConfig {
				res.Notices = append(res.Notices, fmt.Sprintf("This pull request changes %[1]s together with other files. A pull request that changes only %[1]s is judged without the broken file, so the fix can merge; split it out.", s.opts.RepoConfigPath))
			}
			return res, nil
		}
		why := "this pull request changes only that file"
		if !f.OnlyRepoConfig {
			why = "the configuration sets on_policy_error: last_good"
		}
		res.Notices = append(res.Notices, fmt.Sprintf("The repository's %s on %s is not valid (%s); because %s, its valid settings apply and the rest is ignored.",
			s.opts.RepoConfigPath, f.BaseRef, firstProblem(problems), why))
	}
	bound, err := bind(ctx, v, repoFile, cfg, s.opts.DefaultMode)
	if err != nil {
		return res, err
	}
	res.Engine, res.Config = bound.Engine, bound.Config
	res.Notices = append(res.Notices, bound.Notices...)
	// The fallback for rules failing at run time: the newest good version
	// other than the one in use.
	fallback := lastGood
	if fallback == v {
		fallback = previousGood
	}
	if onError == policyconfig.LastGood && fallback.OK() && fallback != v {
		if fcfg, _, err := policyconfig.ResolvePartial(fallback.Org, repoFile, fallback.Policy.Schema()); err == nil {
			fcfg.Mode = cfg.Mode
			if fe, err := fallback.Policy.Engine(ctx, fcfg); err == nil {
				res.Fallback, res.FallbackLabel = fe, fallback.Label
			}
		}
	}
	return res, nil
}

// usable picks the policy version that judges a pull request, or returns
// nil with the problems when none may.
func (s *Source) usable(current, lastGood *Version, isPolicyRepo bool, onError string) (*Version, Resolved) {
	var res Resolved
	if current.OK() {
		return current, res
	}
	fallback := lastGood
	if fallback == nil && isPolicyRepo {
		fallback = s.bundled
	}
	switch {
	case isPolicyRepo && fallback != nil:
		// The policy repository's own pull requests must be able to fix it:
		// judge them by the last policy that compiled, and let the
		// mergeguard/policy check judge the change.
		res.Notices = append(res.Notices, fmt.Sprintf("The organization's policy %s does not compile, so this pull request to the policy repository is judged by %s.", current.Label, fallback.Label))
		return fallback, res
	case onError == policyconfig.LastGood && fallback != nil:
		res.Notices = append(res.Notices, fmt.Sprintf("The organization's policy %s does not compile (%s); this verdict uses the last policy that compiled, %s, because the configuration sets on_policy_error: last_good.",
			current.Label, firstProblem(current.Problems), fallback.Label))
		return fallback, res
	}
	res.Label, res.Problems, res.Mode = current.Label, current.Problems, s.orgMode(lastGood)
	if setsMode(current.Org) {
		res.Mode = s.orgMode(current)
	}
	if onError == policyconfig.LastGood {
		res.Notices = append(res.Notices, "on_policy_error is last_good, but no policy that compiled is known for this organization, so mergeguard blocks.")
	}
	return nil, res
}

// orgMode is the mode a broken policy is reported in: the one the
// organization's last usable configuration sets, else the server's default.
// A broken policy must not turn an enforcing organization report-only.
func (s *Source) orgMode(v *Version) decision.Mode {
	if v != nil && v.Org != nil {
		if m, ok := v.Org.Values["mode"].(string); ok && decision.Mode(m).Valid() {
			return decision.Mode(m)
		}
	}
	return s.opts.DefaultMode
}

// readRepoConfig reads the repository's configuration file from the base
// branch. Problems with it are returned, not errors; the file is nil when it
// cannot be parsed at all.
func (s *Source) readRepoConfig(ctx context.Context, gh GitHub, f For) (*policyconfig.File, []Problem, error) {
	raw, found, err := s.repoConfig(ctx, gh, f.Owner, f.Repo, f.BaseRef)
	if err != nil || !found {
		return nil, nil, err
	}
	file, err := policyconfig.Parse(s.opts.RepoConfigPath, policyconfig.RepoFile, raw)
	if err != nil {
		return nil, configProblems(err), nil
	}
	return file, nil, nil
}

// validateProposed checks the pull request's version of the repository's
// configuration file against the policy that would read it.
func (s *Source) validateProposed(raw []byte, v *Version) []Problem {
	if raw == nil {
		return nil // deleted: the organization's configuration applies
	}
	file, err := policyconfig.Parse(s.opts.RepoConfigPath, policyconfig.RepoFile, raw)
	if err != nil {
		return configProblems(err)
	}
	_, problems, err := policyconfig.ResolvePartial(v.Org, file, v.Policy.Schema())
	if err != nil {
		return nil // the organization's file is at fault, and reported as such
	}
	return fromConfig(problems)
}

// bind applies the server's default mode where no file sets one, and binds
// the policy to the configuration. Notices are the version's and the
// configuration's.
func bind(ctx context.Context, v *Version, repoFile *policyconfig.File, cfg policyconfig.Config, defaultMode decision.Mode) (Resolved, error) {
	if !setsMode(v.Org) && !setsMode(repoFile) {
		cfg.Mode = defaultMode
	}
	engine, err := v.Policy.Engine(ctx, cfg)
	if err != nil {
		return Resolved{}, err
	}
	notices := append(slices.Clone(v.Notices), cfg.Notices...)
	return Resolved{Engine: engine, Label: v.Label, Config: cfg, Notices: notices}, nil
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

// InUse is the organization's policy version that judges its pull requests
// now: the current one when it compiles, else the last that did, else the
// bundled policy. Replay compares a proposed version with it.
func (s *Source) InUse(ctx context.Context, gh GitHub, owner string) (*Version, error) {
	current, lastGood, _, err := s.org(ctx, gh, owner)
	if err != nil {
		return nil, err
	}
	switch {
	case current.OK():
		return current, nil
	case lastGood.OK():
		return lastGood, nil
	}
	return s.bundled, nil
}

// OrgEngine binds a version to its organization configuration alone, with
// the server's default mode where it sets none: how replay judges stored
// inputs, whose repositories' own configuration files are not stored.
func (s *Source) OrgEngine(ctx context.Context, v *Version) (*policy.Engine, error) {
	if !v.OK() {
		return nil, fmt.Errorf("policy %s is not usable", v.Label)
	}
	cfg, err := policyconfig.Resolve(v.Org, nil, v.Policy.Schema())
	if err != nil {
		return nil, fmt.Errorf("configuration of %s: %w", v.Label, err)
	}
	bound, err := bind(ctx, v, nil, cfg, s.opts.DefaultMode)
	if err != nil {
		return nil, err
	}
	return bound.Engine, nil
}

// Sources are the Rego sources of a version: the bundled modules and the
// folder's, for replay to tell which input fields the policy reads.
func (v *Version) Sources() [][]byte {
	if v == nil || v.Policy == nil {
		return nil
	}
	return v.Policy.Sources()
}
