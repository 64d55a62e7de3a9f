package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/evaluator"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/localpr"
	"github.com/mergeguard/mergeguard/internal/policy"
	"github.com/mergeguard/mergeguard/internal/report"
	"github.com/mergeguard/mergeguard/policies"
)

func newEvalCommand(getenv Env) *cobra.Command {
	var (
		format    string
		at        string
		mode      string
		inputOnly bool
	)
	cmd := &cobra.Command{
		Use:   "eval DIR",
		Short: "Evaluate a pull request described by files, offline",
		Long: `Evaluate a pull request described by files in DIR with the bundled policies and
print what the check run would say. Nothing is sent anywhere.

DIR holds:
  pull_request.json  the pull request, as GitHub's REST API returns it (required)
  diff.patch         its unified diff, e.g. from "git diff main...HEAD" (required)
  reviews.json       its reviews, as GitHub lists them (optional)
  commits.json       its commits, as GitHub lists them (optional)

Exit status: 0 when the policy lets the pull request merge, 1 when it blocks
it (also in report mode, where the check run itself would be neutral), 2 on
an error.`,
		Example: "  mergeguard eval testdata/prs/approved\n  mergeguard eval --format json --at 2026-11-20T16:00:00+01:00 testdata/prs/unreviewed",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--format %q: use text or json", format)}
			}
			m := decision.Mode(mode)
			if !m.Valid() {
				return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--mode %q: use enforce or report", mode)}
			}
			now := time.Now()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--at %q: give an RFC 3339 time such as 2026-11-20T16:00:00+01:00", at)}
				}
				now = t
			}
			src, err := localpr.Load(args[0], now)
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			input := facts.Build(src)
			out := cmd.OutOrStdout()
			if inputOnly {
				return writeJSON(out, input)
			}

			mods, err := policy.LoadFS(policies.FS, ".")
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			engine, err := policy.Compile(cmd.Context(), mods, policy.Options{})
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			judge := evaluator.Judge{Engine: engine, Mode: m, Policy: evaluator.BundledPolicy(engine)}
			j, err := judge.Decide(cmd.Context(), input, now)
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			verdict := j.Verdict
			if format == "json" {
				err = writeJSON(out, evalResult{
					Verdict: verdict, Output: j.Output,
					HeadSHA: input.PullRequest.Head.SHA, Policy: judge.Policy, Time: input.Time.RFC3339,
				})
			} else {
				err = report.Text(out, verdict, j.Output)
			}
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			if verdict.Blocked {
				return &ExitError{Code: ExitBlocked}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&at, "at", "", "evaluate as of this RFC 3339 instant (input.time) instead of now")
	cmd.Flags().StringVar(&mode, "mode", string(decision.Enforce), "enforce or report")
	cmd.Flags().BoolVar(&inputOnly, "input-only", false, "print the policy input document instead of evaluating it")
	return cmd
}

type evalResult struct {
	decision.Verdict
	Output  report.Output `json:"check_run"`
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
