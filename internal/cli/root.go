// Package cli is mergeguard's command line: it parses arguments and the
// environment and hands off to the packages that do the work.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/version"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitBlocked = 1
	ExitFailure = 2
)

// ExitError carries a process exit status. Err, when set, is printed.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Env is how commands read environment variables (os.Getenv in production,
// a map in tests).
type Env func(string) string

// Run executes the command line args (without the program name).
func Run(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	root := &cobra.Command{
		Use:           "mergeguard",
		Short:         "mergeguard stops unsafe changes before they merge",
		Long:          "mergeguard is a GitHub App that evaluates policies on every pull request and reports the verdict as a check run that can block the merge.",
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetContext(ctx)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	root.AddCommand(
		newEvalCommand(getenv),
		newServeCommand(getenv),
		newSetupCommand(getenv),
		newTestCommand(getenv),
		newFreezeCommand(getenv, time.Now),
		newCoverageCommand(getenv),
		newAuditCommand(getenv, time.Now),
		newReplayCommand(getenv, time.Now),
		newPoliciesCommand(),
		newPolicyWorkerCommand(),
	)
	return root.ExecuteContext(ctx)
}

// ExitCode maps the error returned by Run to a process exit status, printing
// it when there is something to say.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(stderr, "mergeguard: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(stderr, "mergeguard: %v\n", err)
	return ExitFailure
}
