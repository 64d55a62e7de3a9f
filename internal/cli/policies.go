package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/policies"
)

func newPoliciesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policies",
		Short: "Work with mergeguard's bundled policies",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "export DIR",
		Short: "Write the bundled library and rules into DIR, for OPA's own tools",
		Long: `Write mergeguard's bundled library (data.mergeguard.lib) and rules into DIR as .rego
files, so that OPA's tools can load them next to a policy repository's rules,
which call the library:

  mergeguard policies export .mergeguard-bundled
  opa test .mergeguard-bundled mergeguard/policies

opa test runs the tests without mergeguard's sandbox and configuration check;
mergeguard test runs them as the server does. Files of the same names in DIR are
replaced. Export again after upgrading mergeguard.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			written, err := policies.Export(args[0])
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			fmt.Fprintf(c.OutOrStdout(), "Wrote %d bundled policy files to %s.\n", len(written), args[0])
			return nil
		},
	})
	return cmd
}
