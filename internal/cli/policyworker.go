package cli

import (
	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/policy"
)

// newPolicyWorkerCommand is the hidden subcommand the server (and `eval`
// and `test`) start to run policy code in a separate process within a
// memory limit.
func newPolicyWorkerCommand() *cobra.Command {
	return &cobra.Command{
		Use:                policy.WorkerSubcommand,
		Short:              "Run policies for another mergeguard process (internal)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return policy.ServeWorker(args, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}
