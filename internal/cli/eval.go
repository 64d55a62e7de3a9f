package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/report"
)

type evalFlags struct {
	format, at, mode              string
	inputOnly                     bool
	policyDir, config, repoConfig string
	repo                          string
	pr                            int
	policyRepo, policyFolder      string
	fromGit, author               string
	labels                        []string
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
	dir := ""
	if len(args) == 1 {
		dir = args[0]
	}
	now := time.Now()
	if f.at != "" {
		t, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			return fail(fmt.Errorf("--at %q: give an RFC 3339 time such as 2026-11-20T16:00:00+01:00", f.at))
		}
		now = t
	}
	res, err := app.EvalPullRequest(cmd.Context(), getenv, app.Eval{
		Dir: dir, FromGit: f.fromGit, Author: f.author, Labels: f.labels,
		Live: live, Repo: f.repo, PR: f.pr,
		PolicyDir: f.policyDir, ConfigFile: f.config, RepoConfigFile: f.repoConfig,
		PolicyRepo: f.policyRepo, PolicyFolder: f.policyFolder,
		InputOnly: f.inputOnly, Mode: decision.Mode(f.mode), Now: now,
	})
	for _, n := range res.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", n)
	}
	if err != nil {
		return fail(err)
	}
	in, j, policyLabel := res.Input, res.Judgement, res.Policy
	out := cmd.OutOrStdout()
	if f.inputOnly {
		return writeJSON(out, in)
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
