package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/app"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/text"
)

func newTestCommand(getenv Env) *cobra.Command {
	var folder string
	var verbose bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Check a policy: it compiles, its configuration is valid, its Rego tests pass",
		Long: `Check a policy the way mergeguard's policy check does on pull requests to the
policy repository: the rules compile together with mergeguard's bundled rules
in the same sandbox, config.yaml is valid, and every Rego test (test_* rules
in *_test.rego files) passes. The policy runs in a separate process within
the server's memory limit for policies (MERGEGUARD_POLICY_MEMORY).

DIR is a checkout of the policy repository (holding mergeguard/), or a folder
of .rego files (and optionally a config.yaml); the default is the current
directory.

Exit status: 0 when everything passes, 1 when the policy is broken or a test
fails, 2 when DIR cannot be read.`,
		Example: "  mergeguard test\n  mergeguard test ../acme-github\n  mergeguard test -v policies/",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fail := func(err error) error { return &ExitError{Code: ExitFailure, Err: err} }
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			res, err := app.CheckPolicy(cmd.Context(), getenv, app.PolicyCheck{Dir: dir, Folder: folder, Timeout: timeout})
			for _, n := range res.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", n)
			}
			if err != nil {
				return fail(err)
			}
			if res.BundledSet {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s holds mergeguard's bundled policies; testing them in place of the built-in ones.\n", dir)
			}
			for _, n := range res.Version.Notices {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", n)
			}
			printCheck(cmd.OutOrStdout(), res.CheckResult, verbose)
			if res.Failed() {
				return &ExitError{Code: ExitBlocked}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&folder, "policy-folder", "", "folder of the policy in the policy repository (default $MERGEGUARD_POLICY_FOLDER, or mergeguard)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every test, and print() output of failing ones")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "time limit per rule and test (default $MERGEGUARD_POLICY_TIMEOUT, or 2s, as the server)")
	return cmd
}

func printCheck(w io.Writer, res policysource.CheckResult, verbose bool) {
	if !res.Version.OK() {
		fmt.Fprintf(w, "The policy cannot be used (%d %s):\n", len(res.Version.Problems), text.Plural(len(res.Version.Problems), "problem", "problems"))
		for _, p := range res.Version.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
		return
	}
	passed, failed, skipped := 0, 0, 0
	file := ""
	for _, t := range res.Tests {
		switch {
		case t.Skipped:
			skipped++
		case t.Passed:
			passed++
		default:
			failed++
		}
		if t.Passed && !verbose || t.Skipped && !verbose {
			continue
		}
		if t.File != file {
			file = t.File
			fmt.Fprintf(w, "%s:\n", file)
		}
		status := "PASS"
		switch {
		case t.Skipped:
			status = "SKIPPED"
		case !t.Passed:
			status = "FAIL"
		}
		fmt.Fprintf(w, "data.%s.%s: %s (%s)\n", t.Package, t.Name, status, t.Duration.Round(time.Microsecond))
		if !t.Passed && !t.Skipped {
			if t.Err != "" {
				fmt.Fprintf(w, "  %s\n", t.Err)
			}
			for _, l := range strings.Split(strings.TrimSpace(t.Output), "\n") {
				if l != "" {
					fmt.Fprintf(w, "  %s\n", l)
				}
			}
		}
	}
	if failed > 0 || verbose {
		fmt.Fprintln(w, strings.Repeat("-", 80))
	}
	total := passed + failed + skipped
	switch {
	case total == 0:
		fmt.Fprintln(w, "The policy compiles and its configuration is valid, but it has no Rego tests (*_test.rego).")
	case failed > 0:
		fmt.Fprintf(w, "PASS: %d/%d\nFAIL: %d/%d\n", passed, total, failed, total)
	default:
		fmt.Fprintf(w, "PASS: %d/%d\n", passed, total)
	}
	if skipped > 0 {
		fmt.Fprintf(w, "SKIPPED: %d/%d\n", skipped, total)
	}
}
