package cli

import (
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/settings"
)

func newServeCommand(getenv Env) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the GitHub App: receive webhooks, evaluate pull requests, post check runs",
		Long: `Run the GitHub App server. Configuration comes from environment variables:

  MERGEGUARD_ADDR                listen address (default :8080)
  MERGEGUARD_APP_ID              GitHub App ID (required)
  MERGEGUARD_PRIVATE_KEY_FILE    path of the App's private key (.pem), or
  MERGEGUARD_PRIVATE_KEY         the key itself (one of the two is required)
  MERGEGUARD_WEBHOOK_SECRET      the App's webhook secret (required)
  MERGEGUARD_GITHUB_API_URL      REST API root (default https://api.github.com/;
                                 GitHub Enterprise Server: https://HOST/api/v3/)
  MERGEGUARD_DATABASE_URL        sqlite:PATH (default sqlite:mergeguard.db) or postgres://…
  MERGEGUARD_CHECK_NAME          name of the check run (default mergeguard)
  MERGEGUARD_CONFIG_FILE         NAME=VALUE file for what the environment leaves
                                 unset (default mergeguard.env, if it exists;
                                 mergeguard setup writes it)

See the README for the optional tuning variables.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := settings.WithConfigFile(getenv)
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			s, err := settings.FromEnv(env, settings.ReadPrivateKeyFile)
			if err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			log := newLogger(cmd.ErrOrStderr(), s)
			if err := app.Run(cmd.Context(), s, app.Options{Log: log}); err != nil {
				return &ExitError{Code: ExitFailure, Err: err}
			}
			return nil
		},
	}
}

func newLogger(w io.Writer, s settings.Settings) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.LogLevel}
	if s.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
