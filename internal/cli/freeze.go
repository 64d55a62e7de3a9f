package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/incident"
	"github.com/mergeguard/mergeguard/internal/store"
)

// newFreezeCommand is `mergeguard freeze start|end|list`: incident freezes
// from a shell, against the server's database. The server's workers then
// re-evaluate the organization's open pull requests.
func newFreezeCommand(getenv Env, now func() time.Time) *cobra.Command {
	var org, by string
	cmd := &cobra.Command{
		Use:   "freeze",
		Short: "Start, end and list incident freezes (against the server's database)",
		Long: `Start, end and list incident freezes, as /guard freeze and /guard unfreeze do in the
policy repository. The commands use the server's database (MERGEGUARD_DATABASE_URL);
a running server re-evaluates the organization's open pull requests within seconds.`,
	}
	cmd.PersistentFlags().StringVar(&org, "org", "", "the organization (required)")
	cmd.PersistentFlags().StringVar(&by, "by", "", "who is acting, for the audit log (default $USER)")

	// open opens the server's database with a client that inserts sweeps
	// for the server's workers; acting (starting or ending a freeze) needs
	// to know who acts, for the audit log.
	open := func(ctx context.Context, acting bool) (*app.Admin, error) {
		if org == "" {
			return nil, errors.New("--org is required: the organization whose merges to freeze")
		}
		if by == "" {
			by = getenv("USER")
		}
		if acting && by == "" {
			return nil, errors.New("--by is required when $USER is unset: who is acting, for the audit log, e.g. --by ines")
		}
		return app.OpenJobs(ctx, getenv)
	}
	fail := func(err error) error { return &ExitError{Code: ExitFailure, Err: err} }

	var repos []string
	var forFlag, until, tz string
	var indefinitely bool
	start := &cobra.Command{
		Use:   "start REASON...",
		Short: "Start a freeze now",
		Example: `  mergeguard freeze start --org acme --for 2h checkout errors, INC-42
  mergeguard freeze start --org acme --repo shop --until "Mon 08:00" --timezone Europe/Berlin db migration
  mergeguard freeze start --org acme --indefinitely datacenter outage`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			set := 0
			for _, b := range []bool{forFlag != "", until != "", indefinitely} {
				if b {
					set++
				}
			}
			if set != 1 {
				return fail(errors.New("give exactly one of --for 2h, --until TIME or --indefinitely"))
			}
			loc, err := time.LoadLocation(tz)
			if err != nil || tz == "Local" {
				return fail(fmt.Errorf("--timezone %q: use an IANA name such as Europe/Berlin", tz))
			}
			t := now()
			var ends time.Time
			switch {
			case forFlag != "":
				d, err := command.ParseDuration(forFlag)
				if err != nil {
					return fail(fmt.Errorf("--for: %w", err))
				}
				ends = t.Add(d)
			case until != "":
				if ends, err = command.ResolveUntil(until, t, loc); err != nil {
					return fail(fmt.Errorf("--until: %w", err))
				}
			}
			admin, err := open(c.Context(), true)
			if err != nil {
				return fail(err)
			}
			defer admin.Close()
			f, err := admin.StartFreeze(c.Context(), incident.Start{
				Owner: org, Repos: repos, Reason: strings.Join(args, " "), Ends: ends, By: by, Source: "cli",
			}, t)
			if err != nil {
				return fail(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "Merges are frozen: %s.\n", incident.Describe(f, org, loc))
			return nil
		},
	}
	start.Flags().StringSliceVar(&repos, "repo", nil, "freeze only this repository (repeatable); default: every repository")
	start.Flags().StringVar(&forFlag, "for", "", "how long: 2h, 90m, 1d12h")
	start.Flags().StringVar(&until, "until", "", `until when: "18:00", "Mon 08:00", "2026-11-23 08:00" (in --timezone), or RFC 3339`)
	start.Flags().BoolVar(&indefinitely, "indefinitely", false, "until someone ends it")
	start.Flags().StringVar(&tz, "timezone", "UTC", "time zone of --until and of the output")

	end := &cobra.Command{
		Use:   "end [ID]",
		Short: "End freeze ID, or every freeze in effect",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var id int64
			if len(args) == 1 {
				var err error
				if id, err = strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64); err != nil || id <= 0 {
					return fail(fmt.Errorf("%q is not a freeze number", args[0]))
				}
			}
			admin, err := open(c.Context(), true)
			if err != nil {
				return fail(err)
			}
			defer admin.Close()
			ended, err := admin.EndFreezes(c.Context(), incident.End{Owner: org, ID: id, By: by, Source: "cli"}, now())
			if err != nil {
				return fail(err)
			}
			if len(ended) == 0 {
				return fail(errors.New("no such freeze is in effect"))
			}
			for _, f := range ended {
				fmt.Fprintf(c.OutOrStdout(), "Ended %s.\n", incident.Describe(f, org, time.UTC))
			}
			return nil
		},
	}

	var since time.Duration
	list := &cobra.Command{
		Use:   "list",
		Short: "List the freezes in effect, and those of the last --since",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			admin, err := open(c.Context(), false)
			if err != nil {
				return fail(err)
			}
			defer admin.Close()
			t := now()
			active, recent, err := admin.Freezes(c.Context(), org, t, t.Add(-since))
			if err != nil {
				return fail(err)
			}
			printFreezes(c.OutOrStdout(), active, recent, t)
			return nil
		},
	}
	list.Flags().DurationVar(&since, "since", 7*24*time.Hour, "also list freezes that started this long ago")

	cmd.AddCommand(start, end, list)
	return cmd
}

func printFreezes(w io.Writer, active, recent []store.Freeze, now time.Time) {
	seen := map[int64]bool{}
	var rows []string
	for _, f := range append(active, recent...) {
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		state := "ended"
		if f.ActiveAt(now) {
			state = "in effect"
		} else if now.Before(f.StartsAt) {
			state = "scheduled"
		}
		repos := "all"
		if len(f.Repositories) > 0 {
			repos = strings.Join(f.Repositories, ",")
		}
		ends := "when ended"
		if e := f.End(); !e.IsZero() {
			ends = e.UTC().Format(time.RFC3339)
		}
		rows = append(rows, fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%s", f.ID, state, repos, f.StartsAt.UTC().Format(time.RFC3339), ends, f.CreatedBy, f.Reason))
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "No freezes.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tREPOSITORIES\tSTARTED\tENDS\tBY\tREASON")
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	tw.Flush()
}
