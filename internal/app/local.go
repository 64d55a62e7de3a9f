package app

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/localpr"
	"github.com/mergeguard/mergeguard/internal/policy"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/report"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/policies"
)

// Eval is what `mergeguard eval` evaluates: a pull request described by a
// directory (Dir), built from the local git repository (FromGit), or read
// live from GitHub (Live, with Repo and PR). The command has checked that
// exactly one of them is asked for.
type Eval struct {
	Dir string
	// FromGit is a BASE...HEAD range; Author and Labels complete the pull
	// request git cannot describe.
	FromGit, Author string
	Labels          []string
	Live            bool
	// Repo (owner/name) and PR name the live pull request; with FromGit
	// they override what git tells.
	Repo string
	PR   int
	// PolicyDir, ConfigFile and RepoConfigFile are the policy on disk;
	// empty, the bundled rules (offline) or the organization's (live).
	PolicyDir, ConfigFile, RepoConfigFile string
	// PolicyRepo and PolicyFolder default to the server's settings.
	PolicyRepo, PolicyFolder string
	// InputOnly builds the policy input document without judging it.
	InputOnly bool
	// Mode re-decides the verdict in this mode; empty, as configured.
	Mode decision.Mode
	// Now is the instant the policy judges at (input.time).
	Now time.Time
}

// EvalResult is what `mergeguard eval` prints.
type EvalResult struct {
	Input     facts.Input
	Judgement evaluator.Judgement
	// Policy labels the policy that judged.
	Policy string
	// Warnings are about the settings and the pull request's sources; the
	// command shows them even when the evaluation fails.
	Warnings []string
}

// EvalPullRequest assembles what a simulation needs as the server would
// (its policy settings, an isolated policy worker, the policy source, the
// facts) and judges the pull request, publishing nothing.
func EvalPullRequest(ctx context.Context, getenv func(string) string, e Eval) (EvalResult, error) {
	var out EvalResult
	bundled, err := policies.Modules()
	if err != nil {
		return out, err
	}
	// The server's settings apply unless the command says otherwise, so
	// that a simulation decides as the server would.
	env, err := settings.PolicyFromEnv(getenv)
	if err != nil {
		return out, err
	}
	out.Warnings = append(out.Warnings, env.Notices...)
	if e.PolicyRepo == "" {
		e.PolicyRepo = env.PolicyRepo
	}
	if e.PolicyFolder == "" {
		e.PolicyFolder = env.PolicyDir
	}
	workers, err := LocalPolicyWorkers(env)
	if err != nil {
		return out, err
	}
	defer workers.Close()
	local := policysource.Local{
		PolicyDir: e.PolicyDir, ConfigFile: e.ConfigFile, RepoConfigFile: e.RepoConfigFile,
		Layout: policysource.Layout{Dir: e.PolicyFolder}, Bundled: bundled, Timeout: env.PolicyTimeout, Workers: workers, DefaultMode: env.Mode,
	}
	switch {
	case e.Live:
		err = e.assessLive(ctx, getenv, local, env.Mode, &out)
	case e.FromGit != "":
		src, notices, gerr := localpr.LoadGit(ctx, localpr.Git{Range: e.FromGit, Author: e.Author, Labels: e.Labels, Repo: e.Repo, Number: e.PR}, e.Now)
		out.Warnings = append(out.Warnings, notices...)
		if gerr != nil {
			return out, gerr
		}
		err = e.assessSources(ctx, "", src, local, &out)
	default:
		var src facts.Sources
		if src, err = localpr.Load(ctx, e.Dir, e.Now); err == nil {
			err = e.assessSources(ctx, e.Dir, src, local, &out)
		}
	}
	if err != nil || e.InputOnly {
		return out, err
	}
	if e.Mode != "" && out.Judgement.Verdict.Mode != e.Mode {
		// Re-decide the same results in the mode asked for.
		j := &out.Judgement
		j.Verdict = decision.Decide(e.Mode, j.Verdict.Rules)
		j.Output = report.CheckRun(j.Verdict, report.Context{HeadSHA: out.Input.PullRequest.Head.SHA, PolicyDigest: out.Policy})
	}
	return out, nil
}

// assessSources judges a pull request read offline: from a directory (dir,
// whose teams.json gives the configured teams) or from git (dir "").
func (e Eval) assessSources(ctx context.Context, dir string, src facts.Sources, local policysource.Local, out *EvalResult) error {
	res, err := local.Resolve(ctx)
	if e.InputOnly {
		// The document the policy would see: only the teams its
		// configuration names (all of teams.json if the policy is broken).
		if err == nil {
			if err := selectFacts(dir, &src, res); err != nil {
				return err
			}
			if err := bakeTimeOffline(ctx, dir, res, &src); err != nil {
				out.Input = facts.Build(src)
				return err
			}
		}
		out.Input = facts.Build(src)
		return nil
	}
	if err != nil {
		out.Input = facts.Build(src)
		return err
	}
	if err := selectFacts(dir, &src, res); err != nil {
		return err
	}
	if err := bakeTimeOffline(ctx, dir, res, &src); err != nil {
		out.Input = facts.Build(src)
		return err
	}
	out.Input = facts.Build(src)
	judge := evaluator.Judge{Engine: res.Engine, Mode: res.Config.Mode, Policy: res.Label, Notices: res.Notices, HeadSHA: src.PullRequest.Head.SHA}
	out.Judgement, err = judge.Decide(ctx, out.Input, e.Now)
	out.Policy = res.Label
	return err
}

// selectFacts completes an offline pull request's facts as the server
// would for the resolved policy: CODEOWNERS while code_owners is enforced,
// and the teams the configuration and CODEOWNERS name.
func selectFacts(dir string, src *facts.Sources, res policysource.Resolved) error {
	teams := res.Config.Teams()
	if evaluator.CodeOwnersOn(res.Config.Rules["code_owners"]) {
		if err := localpr.CodeOwners(dir, src); err != nil {
			return err
		}
		org := ""
		if src.PullRequest.BaseRepo != nil {
			org = src.PullRequest.BaseRepo.Owner
		}
		teams = slices.Concat(teams, facts.OwningTeams(src.Files, org))
		slices.Sort(teams)
		teams = slices.Compact(teams)
	}
	localpr.SelectTeams(dir, src, teams)
	return nil
}

// bakeTimeOffline reads what the pull request promotes and, from the
// directory's deployments.json, that version's deployment history, when the
// policy's bake_time rule asks for them.
func bakeTimeOffline(ctx context.Context, dir string, res policysource.Resolved, src *facts.Sources) error {
	deployments, err := localpr.LoadDeployments(dir)
	if err != nil {
		return err
	}
	var owner, name string
	if r := src.PullRequest.BaseRepo; r != nil {
		owner, name = r.Owner, r.Name
	}
	evaluator.BakeTime(ctx, deployments, res, owner, name, src)
	return nil
}

// assessLive judges a pull request on GitHub through AssessLive, with the
// local policy in place of the organization's when one is given.
func (e Eval) assessLive(ctx context.Context, getenv func(string) string, local policysource.Local, defaultMode decision.Mode, out *EvalResult) error {
	owner, name, _ := strings.Cut(e.Repo, "/")
	a, err := AssessLive(ctx, getenv, Live{
		PR:         decision.PullRequest{Repo: decision.Repo{Owner: owner, Name: name}, Number: e.PR},
		PolicyRepo: e.PolicyRepo, DefaultMode: defaultMode, Local: local, Now: e.Now,
		Fixed: e.PolicyDir != "" || e.ConfigFile != "" || e.RepoConfigFile != "",
	})
	if err != nil {
		return err
	}
	out.Input = a.Input
	if a.Closed {
		return fmt.Errorf("%s#%s is closed: there is nothing to evaluate", e.Repo, strconv.Itoa(e.PR))
	}
	out.Judgement, out.Policy = a.Judgement, a.Policy.Label
	return nil
}

// PolicyCheck is what `mergeguard test` checks: the policy in Dir, in its
// Folder (default the server's), each rule and test within Timeout
// (default the server's).
type PolicyCheck struct {
	Dir, Folder string
	Timeout     time.Duration
}

// PolicyCheckResult is what `mergeguard test` prints.
type PolicyCheckResult struct {
	policysource.CheckResult
	// BundledSet is set when Dir holds mergeguard's own bundled policies,
	// which were then checked in place of the embedded copy.
	BundledSet bool
	// Warnings are about the settings; the command shows them even when
	// the check cannot run.
	Warnings []string
}

// CheckPolicy checks a policy as the policy check on pull requests to the
// policy repository does: with the server's settings, in an isolated
// worker, together with the bundled rules.
func CheckPolicy(ctx context.Context, getenv func(string) string, c PolicyCheck) (PolicyCheckResult, error) {
	var out PolicyCheckResult
	// The server's settings apply unless the command says otherwise, so
	// that a policy passes here exactly when it loads there.
	env, err := settings.PolicyFromEnv(getenv)
	if err != nil {
		return out, err
	}
	out.Warnings = env.Notices
	if c.Folder == "" {
		c.Folder = env.PolicyDir
	}
	if c.Timeout <= 0 {
		c.Timeout = env.PolicyTimeout
	}
	layout := policysource.Layout{Dir: c.Folder}
	read, err := policysource.ReadDir(c.Dir, layout)
	if err != nil {
		return out, err
	}
	bundled, err := policies.Modules()
	if err != nil {
		return out, err
	}
	workers, err := LocalPolicyWorkers(env)
	if err != nil {
		return out, err
	}
	defer workers.Close()
	opts := policy.Options{Timeout: c.Timeout, Workers: workers}
	if policysource.IsBundledSet(read, bundled) {
		// mergeguard's own policies/ folder: test it in place of the
		// embedded copy, not as custom rules added to it.
		out.BundledSet = true
		out.CheckResult = policysource.CheckBundledSet(ctx, c.Dir, read, opts)
	} else {
		out.CheckResult = policysource.Check(ctx, c.Dir, read, layout, bundled, opts)
	}
	return out, nil
}
