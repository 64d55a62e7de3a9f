package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/replay"
	"github.com/mergeguard/mergeguard/internal/text"
)

func newReplayCommand(getenv Env, now func() time.Time) *cobra.Command {
	var (
		r                   app.Replay
		since, format, repo string
		at                  string
	)
	cmd := &cobra.Command{
		Use:   "replay --policy-dir DIR [PR-DIR...]",
		Short: "Show what a policy change would do to the pull requests evaluated recently",
		Long: `Replay a proposed policy on the pull requests mergeguard evaluated recently and
show the difference: the pull requests it would newly block and unblock, per rule
and per repository, with the new policy's messages.

Without PR-DIR arguments, the input documents the server stored with its
evaluations are read from its database (MERGEGUARD_DATABASE_URL): the latest of
each pull request evaluated since --since. Each is judged at its own input.time,
so time-dependent rules (freezes) decide as they did then. The comparison is with
the verdicts given then (which also reflect repositories' own configuration and
overrides), or, for the policy change alone, with --base-policy-dir: a checkout
of the policy in use. Repositories' own .github/mergeguard.yaml are not applied
to the replayed policies: the organization's configuration is.

With PR-DIR arguments (directories as for mergeguard eval), those pull requests
are replayed at --at (default now), compared with --base-policy-dir or the
bundled policy.

Pull requests whose stored input predates a field the new policy reads are
listed apart: their verdict may change only because the field is missing.

Exit status: 0 when the replay ran (whatever it found), 2 on an error.`,
		Example: `  mergeguard replay --policy-dir ../acme-github --since 14d
  mergeguard replay --policy-dir ../acme-github --repo acme/shop --format json
  mergeguard replay --policy-dir ../acme-github --at 2026-11-25T11:00:00+01:00 testdata/prs/*`,
		RunE: func(c *cobra.Command, args []string) error {
			fail := func(err error) error { return &ExitError{Code: ExitFailure, Err: err} }
			if r.PolicyDir == "" {
				return fail(errors.New("--policy-dir is required: a checkout of the policy repository with the proposed change"))
			}
			if format != "text" && format != "json" {
				return fail(fmt.Errorf("--format %q: use text or json", format))
			}
			r.Dirs = args
			var err error
			if r.Since, err = app.ParseSince(since, now()); err != nil {
				return fail(fmt.Errorf("--since %q: %w", since, err))
			}
			r.At = now()
			if at != "" {
				if r.At, err = time.Parse(time.RFC3339, at); err != nil {
					return fail(fmt.Errorf("--at %q: give an RFC 3339 time such as 2026-11-20T16:00:00+01:00", at))
				}
			}
			if repo != "" {
				owner, name, _ := strings.Cut(repo, "/")
				if owner == "" || strings.Contains(name, "/") {
					return fail(fmt.Errorf("--repo %q: give owner/name, or an owner", repo))
				}
				r.Owner = owner
				if name != "" {
					r.Repo = repo
				}
			}
			res, err := app.RunReplay(c.Context(), getenv, r)
			if err != nil {
				return fail(err)
			}
			for _, n := range res.Notices {
				fmt.Fprintf(c.ErrOrStderr(), "warning: %s\n", n)
			}
			if format == "json" {
				return writeJSON(c.OutOrStdout(), replayJSON{Policy: res.Policy, Base: res.Base, Report: res.Report, Missing: res.Missing.TooLarge + res.Missing.NotStored})
			}
			return writeReplay(c.OutOrStdout(), res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&r.PolicyDir, "policy-dir", "", "a checkout of the policy repository with the proposed change (required)")
	fl.StringVar(&r.ConfigFile, "config", "", "an organization configuration file (config.yaml) to use with it")
	fl.StringVar(&r.BasePolicyDir, "base-policy-dir", "", "a checkout of the policy in use, to compare with (default: the verdicts given then, or the bundled policy for PR-DIRs)")
	fl.StringVar(&r.PolicyFolder, "policy-folder", "", "folder of the policy in the checkouts (default $MERGEGUARD_POLICY_FOLDER, or mergeguard)")
	fl.StringVar(&since, "since", "14d", "stored inputs of pull requests evaluated since then: days (14d), a duration, a date or a time")
	fl.StringVar(&repo, "repo", "", "only this repository (owner/name) or organization (owner)")
	fl.IntVar(&r.Limit, "limit", 500, "at most this many pull requests, the most recently evaluated")
	fl.StringVar(&at, "at", "", "input.time for PR-DIRs (RFC 3339; default now)")
	fl.StringVar(&format, "format", "text", "text or json")
	return cmd
}

type replayJSON struct {
	Policy string `json:"policy"`
	Base   string `json:"compared_with"`
	replay.Report
	Missing int `json:"pull_requests_without_stored_input"`
}

// writeReplay prints the difference for a terminal: the counts, a table per
// rule and per repository, then each pull request with the new messages.
func writeReplay(w io.Writer, res app.ReplayResult) error {
	rep := res.Report
	var b strings.Builder
	fmt.Fprintf(&b, "Replayed %s on %d pull %s, compared with %s; each judged at its own input.time.\n",
		res.Policy, rep.Inputs, text.Plural(rep.Inputs, "request", "requests"), res.Base)
	fmt.Fprintf(&b, "Would newly block %d and unblock %d; %d unchanged.\n", len(rep.NewlyBlocked), len(rep.NewlyUnblocked), rep.Unchanged)
	if n := len(rep.Predating); n > 0 {
		fmt.Fprintf(&b, "%d changed only on inputs stored before a field the new policy reads existed (listed apart).\n", n)
	}
	if n := res.Missing.TooLarge + res.Missing.NotStored; n > 0 {
		fmt.Fprintf(&b, "%d evaluated pull %s no stored input (%d too large, %d evaluated before inputs were stored).\n",
			n, text.Plural(n, "request has", "requests have"), res.Missing.TooLarge, res.Missing.NotStored)
	}
	if n := len(rep.Failures); n > 0 {
		fmt.Fprintf(&b, "%d could not be replayed (listed below).\n", n)
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	if len(rep.Rules) > 0 {
		fmt.Fprintln(tw, "\nrule\tnewly blocking\tnewly passing\tpredating inputs")
		for _, r := range rep.Rules {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", r.Rule, r.NewlyBlocking, r.NewlyPassing, r.PredatingInput)
		}
	}
	if len(rep.Repos) > 0 {
		fmt.Fprintln(tw, "\nrepository\tnewly blocked\tnewly unblocked\t")
		for _, r := range rep.Repos {
			fmt.Fprintf(tw, "%s\t%d\t%d\t\n", r.Repo, r.NewlyBlocked, r.NewlyUnblocked)
		}
	}
	tw.Flush()
	list := func(title string, cs []replay.Change) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s:\n", title)
		for _, c := range cs {
			fmt.Fprintf(&b, "  %s#%d (%s, %s)", c.Repo, c.Number, shortSHA(c.HeadSHA), c.At.Format(time.RFC3339))
			if len(c.Blocking) > 0 {
				fmt.Fprintf(&b, " newly blocking: %s", strings.Join(c.Blocking, ", "))
			}
			if len(c.Passing) > 0 {
				fmt.Fprintf(&b, " newly passing: %s", strings.Join(c.Passing, ", "))
			}
			if len(c.MissingFields) > 0 {
				fmt.Fprintf(&b, " input predates: %s", strings.Join(c.MissingFields, ", "))
			}
			b.WriteString("\n")
			for _, m := range c.Messages {
				fmt.Fprintf(&b, "    - %s\n", strings.ReplaceAll(m, "\n", " "))
			}
		}
	}
	list("Newly blocked", rep.NewlyBlocked)
	list("Newly unblocked", rep.NewlyUnblocked)
	list("Changed on inputs that predate a field the new policy reads", rep.Predating)
	if len(rep.Failures) > 0 {
		b.WriteString("\nCould not be replayed:\n")
		for _, f := range rep.Failures {
			fmt.Fprintf(&b, "  %s#%d: %s\n", f.Repo, f.Number, f.Err)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}
