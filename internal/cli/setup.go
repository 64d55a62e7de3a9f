package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/appsetup"
	"github.com/mergeguard/mergeguard/internal/settings"
)

// newSetupCommand is `mergeguard setup`: register the GitHub App by GitHub's
// manifest flow and save its credentials where `mergeguard serve` reads them.
func newSetupCommand(getenv Env) *cobra.Command {
	var cfg appsetup.Config
	cmd := &cobra.Command{
		Use:   "setup --url PUBLIC_URL [--org ORG]",
		Short: "Register mergeguard's GitHub App and save its credentials for mergeguard serve",
		Long: `Register mergeguard's GitHub App from a manifest. setup serves a page on this machine
that sends GitHub the App's name, webhook URL (PUBLIC_URL/webhook), permissions and
events; you confirm on GitHub, GitHub sends the browser back, and setup saves the App
ID, private key, webhook secret and OAuth client to a file only you can read
(mergeguard.env by default), which mergeguard serve reads from its working directory.
With them it turns on the web view at PUBLIC_URL/ui/ (sign-in callback
PUBLIC_URL/ui/callback) and writes a random session key for it.

GitHub Enterprise Server: set MERGEGUARD_GITHUB_API_URL=https://HOST/api/v3/ first.`,
		Example: `  mergeguard setup --org acme --url https://mergeguard.acme.dev
  mergeguard setup --url https://mergeguard.example.com --out /etc/mergeguard/mergeguard.env`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fail := func(err error) error { return &ExitError{Code: ExitFailure, Err: err} }
			api, err := settings.ParseAPIURL(strings.TrimSpace(getenv(settings.EnvGitHubAPIURL)))
			if err != nil {
				return fail(err)
			}
			cfg.APIURL = api
			stderr := cmd.ErrOrStderr()
			cfg.Warn = func(msg string) { fmt.Fprintf(stderr, "mergeguard: %s\n", msg) }
			session, err := appsetup.Start(cfg)
			if err != nil {
				return fail(err)
			}
			out := cmd.OutOrStdout()
			owner := "your account"
			if cfg.Org != "" {
				owner = "the organization " + cfg.Org + " (you must be one of its owners)"
			}
			m := session.Manifest()
			fmt.Fprintf(out, "Open this page in a browser signed in to GitHub:\n\n  %s\n\n", session.URL())
			fmt.Fprintf(out, "It asks GitHub to create the App %q for %s,\nwith its webhook at %s. Confirm it on GitHub; GitHub then sends the browser back here.\n", m.Name, owner, m.HookAttributes.URL)
			timeout := cfg.Timeout
			if timeout <= 0 {
				timeout = appsetup.DefaultTimeout
			}
			fmt.Fprintf(out, "Waiting up to %s…\n\n", timeout)

			res, err := session.Wait(cmd.Context())
			if err != nil {
				return fail(err)
			}
			printNextSteps(cmd, res, m.URL)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.PublicURL, "url", "", "public https address where GitHub will reach mergeguard (the webhook is URL/webhook); required")
	f.StringVar(&cfg.Org, "org", "", "register the App for this organization (default: your personal account)")
	f.StringVar(&cfg.Name, "name", "", "the App's name, unique on GitHub (default mergeguard-ORG, or mergeguard)")
	f.StringVar(&cfg.Out, "out", settings.DefaultConfigFile, "file to write the App's credentials to (mode 0600)")
	f.BoolVar(&cfg.Force, "force", false, "replace the --out file if it exists")
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "loopback address of the local setup page (port 0: any free port)")
	f.DurationVar(&cfg.Timeout, "timeout", appsetup.DefaultTimeout, "how long to wait for GitHub to send the browser back")
	return cmd
}

func printNextSteps(cmd *cobra.Command, res appsetup.Result, publicURL string) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Registered the GitHub App %s (App ID %d) and saved its credentials to %s\n", res.Slug, res.AppID, res.Path)
	fmt.Fprintf(out, "(readable by you only; it holds the App's private key: keep it secret).\n\n")
	fmt.Fprintf(out, "Next:\n  1. Install the App on the repositories it should guard:\n       %s\n", res.InstallURL)
	serve := "mergeguard serve"
	if filepath.Clean(res.Path) != settings.DefaultConfigFile {
		serve = settings.EnvConfigFile + "=" + res.Path + " mergeguard serve"
	}
	fmt.Fprintf(out, "  2. Start mergeguard where %s reaches it:\n       %s\n", publicURL, serve)
	fmt.Fprintf(out, "     (containers: docker run --env-file %s …, or kubectl create secret generic mergeguard --from-env-file=%s)\n", res.Path, res.Path)
}
