package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/localpr"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/report"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/policies"
)

type evalFlags struct {
	format, at, mode                 string
	inputOnly                        bool
	policyDir, config, repoConfig    string
	repo                             string
	pr                               int
	policyRepo, policyFolder, apiURL string
	defaultMode                      decision.Mode
	fromGit, author                  string
	labels                           []string
}

func newEvalCommand(getenv Env) *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval [DIR]",
		Short: "Evaluate a pull request and print the verdict, without posting anything",
		Long: `Evaluate a pull request and print what the check run would say. Nothing is
posted anywhere.

Offline, DIR holds the pull request:
  pull_request.json  the pull request, as GitHub's REST API returns it (required)
  diff.patch         its unified diff, e.g. from "git diff main...HEAD" (required)
  reviews.json       its reviews, as GitHub lists them (optional)
  commits.json       its commits, as GitHub lists them (optional)
  teams.json         members of the teams the configuration names,
                     {"slug": ["login", ...]} (optional)
  freezes.json       incident freezes (optional)
  coverage.*         coverage reports of the head commit (optional)
  CODEOWNERS         the base branch's CODEOWNERS, here or in .github/ or
                     docs/ as in a repository; read while the code_owners
                     rule is enforced (optional)
  deployments.json   the repository's deployments, as GitHub lists them, each
                     with its statuses under "statuses" (optional; bake_time)

From a local git repository, --from-git BASE...HEAD builds the pull request
from "git diff BASE...HEAD" and "git log BASE..HEAD" in the current directory,
with --author LOGIN and any --label; the repository's name comes from the
origin remote (or --repo), its default branch from origin's HEAD. It has no
reviews, teams or coverage.

Live, --repo OWNER/NAME --pr N reads the pull request from GitHub with the
token in GITHUB_TOKEN (and MERGEGUARD_GITHUB_API_URL for GitHub Enterprise
Server), and uses the organization's policy repository unless a local policy
is given.

Policy: the bundled rules, or a checkout of a policy repository
(--policy-dir), an organization configuration file (--config) and a
repository's .github/mergeguard.yaml (--repo-config).

Exit status: 0 when the policy lets the pull request merge, 1 when it blocks
it (also in report mode, where the check run itself would be neutral), 2 on
an error.`,
		Example: `  mergeguard eval testdata/prs/approved
  mergeguard eval --policy-dir ../org-policy testdata/prs/unreviewed
  mergeguard eval --format json --at 2026-11-20T16:00:00+01:00 testdata/prs/unreviewed
  mergeguard eval --from-git main...HEAD --author ada --label hotfix
  GITHUB_TOKEN=$(gh auth token) mergeguard eval --repo acme/shop --pr 42 --at 2026-11-27T16:00:00+01:00`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd, args, getenv)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.StringVar(&f.at, "at", "", "evaluate as of this RFC 3339 instant (input.time) instead of now")
	fl.StringVar(&f.mode, "mode", "", "enforce or report (default: as configured)")
	fl.BoolVar(&f.inputOnly, "input-only", false, "print the policy input document instead of evaluating it")
	fl.StringVar(&f.policyDir, "policy-dir", "", "a checkout of the policy repository to evaluate with")
	fl.StringVar(&f.config, "config", "", "an organization configuration file (config.yaml) to use")
	fl.StringVar(&f.repoConfig, "repo-config", "", "a repository configuration file (.github/mergeguard.yaml) to apply")
	fl.StringVar(&f.repo, "repo", "", "evaluate a live pull request in OWNER/NAME (needs GITHUB_TOKEN)")
	fl.IntVar(&f.pr, "pr", 0, "the live pull request's number")
	fl.StringVar(&f.policyRepo, "policy-repo", "", "name of the organization's policy repository, live only (default $MERGEGUARD_POLICY_REPO, or .github)")
	fl.StringVar(&f.fromGit, "from-git", "", "build the pull request from the local git repository: BASE...HEAD, e.g. main...HEAD")
	fl.StringVar(&f.author, "author", "", "with --from-git: the author's GitHub login")
	fl.StringArrayVar(&f.labels, "label", nil, "with --from-git: a label of the pull request (repeatable)")
	fl.StringVar(&f.policyFolder, "policy-folder", "", "folder of the policy in the policy repository (default $MERGEGUARD_POLICY_FOLDER, or mergeguard)")
	return cmd
}

func (f *evalFlags) run(cmd *cobra.Command, args []string, getenv Env) error {
	fail := func(err error) error { return &ExitError{Code: ExitFailure, Err: err} }
	live := (f.repo != "" || f.pr != 0) && f.fromGit == ""
	switch {
	case f.fromGit != "" && len(args) == 1:
		return fail(errors.New("give either a directory or --from-git, not both"))
	case f.fromGit == "" && (f.author != "" || len(f.labels) > 0):
		return fail(errors.New("--author and --label go with --from-git"))
	case f.format != "text" && f.format != "json":
		return fail(fmt.Errorf("--format %q: use text or json", f.format))
	case f.mode != "" && !decision.Mode(f.mode).Valid():
		return fail(fmt.Errorf("--mode %q: use enforce or report", f.mode))
	case live && len(args) == 1:
		return fail(errors.New("give either a directory or --repo and --pr, not both"))
	case live && (f.pr <= 0 || !strings.Contains(f.repo, "/")):
		return fail(errors.New("--repo OWNER/NAME and --pr N go together, e.g. --repo acme/shop --pr 42"))
	case !live && len(args) == 0 && f.fromGit == "":
		return fail(errors.New("give a directory describing a pull request, or --repo OWNER/NAME --pr N for a live one"))
	}
	now := time.Now()
	if f.at != "" {
		t, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			return fail(fmt.Errorf("--at %q: give an RFC 3339 time such as 2026-11-20T16:00:00+01:00", f.at))
		}
		now = t
	}
	bundled, err := policies.Modules()
	if err != nil {
		return fail(err)
	}
	// The server's settings apply unless a flag says otherwise, so that a
	// simulation decides as the server would.
	env, err := settings.PolicyFromEnv(getenv)
	if err != nil {
		return fail(err)
	}
	for _, n := range env.Notices {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", n)
	}
	if f.policyRepo == "" {
		f.policyRepo = env.PolicyRepo
	}
	if f.policyFolder == "" {
		f.policyFolder = env.PolicyDir
	}
	f.defaultMode = env.Mode
	workers, err := app.LocalPolicyWorkers(env)
	if err != nil {
		return fail(err)
	}
	defer workers.Close()
	layout := policysource.Layout{Dir: f.policyFolder}
	local := policysource.Local{
		PolicyDir: f.policyDir, ConfigFile: f.config, RepoConfigFile: f.repoConfig,
		Layout: layout, Bundled: bundled, Timeout: env.PolicyTimeout, Workers: workers, DefaultMode: env.Mode,
	}
	ctx := cmd.Context()

	var in facts.Input
	var j evaluator.Judgement
	var policyLabel string
	switch {
	case live:
		in, j, policyLabel, err = f.assessLive(ctx, getenv, local, now)
	case f.fromGit != "":
		src, notices, gerr := localpr.LoadGit(ctx, localpr.Git{Range: f.fromGit, Author: f.author, Labels: f.labels, Repo: f.repo, Number: f.pr}, now)
		for _, n := range notices {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", n)
		}
		if gerr != nil {
			return fail(gerr)
		}
		in, j, policyLabel, err = f.assessSources(ctx, "", src, local, now)
	default:
		var src facts.Sources
		if src, err = localpr.Load(ctx, args[0], now); err == nil {
			in, j, policyLabel, err = f.assessSources(ctx, args[0], src, local, now)
		}
	}
	if err != nil {
		return fail(err)
	}
	out := cmd.OutOrStdout()
	if f.inputOnly {
		return writeJSON(out, in)
	}
	if f.mode != "" && j.Verdict.Mode != decision.Mode(f.mode) {
		// Re-decide the same results in the mode asked for.
		j.Verdict = decision.Decide(decision.Mode(f.mode), j.Verdict.Rules)
		j.Output = report.CheckRun(j.Verdict, report.Context{HeadSHA: in.PullRequest.Head.SHA, PolicyDigest: policyLabel})
	}
	if f.format == "json" {
		err = writeJSON(out, evalResult{
			Verdict: j.Verdict, Output: j.Output, Notices: j.Notices,
			HeadSHA: in.PullRequest.Head.SHA, Policy: policyLabel, Time: in.Time.RFC3339,
		})
	} else {
		// As the check run shows them: notices first. print() output goes
		// to stderr, as opa eval writes it, so stdout stays the verdict.
		for _, n := range j.Notices {
			fmt.Fprintf(out, "notice: %s\n", n)
		}
		if len(j.Notices) > 0 {
			fmt.Fprintln(out)
		}
		err = report.Text(out, j.Verdict, j.Output)
		for _, r := range j.Verdict.Rules {
			for _, p := range r.Prints {
				fmt.Fprintf(cmd.ErrOrStderr(), "print(%s): %s\n", r.ID, p)
			}
		}
	}
	if err != nil {
		return fail(err)
	}
	if j.Verdict.Blocked {
		return &ExitError{Code: ExitBlocked}
	}
	return nil
}

// assessSources judges a pull request read offline: from a directory (dir,
// whose teams.json gives the configured teams) or from git (dir "").
func (f *evalFlags) assessSources(ctx context.Context, dir string, src facts.Sources, local policysource.Local, now time.Time) (facts.Input, evaluator.Judgement, string, error) {
	res, err := local.Resolve(ctx)
	if f.inputOnly {
		// The document the policy would see: only the teams its
		// configuration names (all of teams.json if the policy is broken).
		if err == nil {
			if err := selectFacts(dir, &src, res); err != nil {
				return facts.Input{}, evaluator.Judgement{}, "", err
			}
			if err := bakeTimeOffline(ctx, dir, res, &src); err != nil {
				return facts.Build(src), evaluator.Judgement{}, "", err
			}
		}
		return facts.Build(src), evaluator.Judgement{}, "", nil
	}
	if err != nil {
		return facts.Build(src), evaluator.Judgement{}, "", err
	}
	if err := selectFacts(dir, &src, res); err != nil {
		return facts.Input{}, evaluator.Judgement{}, "", err
	}
	if err := bakeTimeOffline(ctx, dir, res, &src); err != nil {
		return facts.Build(src), evaluator.Judgement{}, "", err
	}
	in := facts.Build(src)
	judge := evaluator.Judge{Engine: res.Engine, Mode: res.Config.Mode, Policy: res.Label, Notices: res.Notices, HeadSHA: src.PullRequest.Head.SHA}
	j, err := judge.Decide(ctx, in, now)
	return in, j, res.Label, err
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

func (f *evalFlags) assessLive(ctx context.Context, getenv Env, local policysource.Local, now time.Time) (facts.Input, evaluator.Judgement, string, error) {
	owner, name, _ := strings.Cut(f.repo, "/")
	a, err := app.AssessLive(ctx, getenv, app.Live{
		PR:         decision.PullRequest{Repo: decision.Repo{Owner: owner, Name: name}, Number: f.pr},
		PolicyRepo: f.policyRepo, DefaultMode: f.defaultMode, Local: local, Now: now,
		Fixed: f.policyDir != "" || f.config != "" || f.repoConfig != "",
	})
	if err != nil {
		return facts.Input{}, evaluator.Judgement{}, "", err
	}
	if a.Closed {
		return a.Input, evaluator.Judgement{}, "", fmt.Errorf("%s#%s is closed: there is nothing to evaluate", f.repo, strconv.Itoa(f.pr))
	}
	return a.Input, a.Judgement, a.Policy.Label, nil
}

type evalResult struct {
	decision.Verdict
	Output  report.Output `json:"check_run"`
	Notices []string      `json:"notices,omitempty"`
	HeadSHA string        `json:"head_sha"`
	Policy  string        `json:"policy"`
	Time    string        `json:"time"`
}

func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
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
