package cli

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/app"
	"github.com/mergeguard/mergeguard/internal/store"
)

func newAuditCommand(getenv Env, now func() time.Time) *cobra.Command {
	var (
		f                  store.AuditFilter
		repo, since, until string
		format             string
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List evaluations, overrides, holds, merges and freezes from the audit trail",
		Long: `List what mergeguard decided and what people did through it, oldest first, from the
server's database (MERGEGUARD_DATABASE_URL): every evaluation (commit, policy, trigger,
each rule's outcome, duration), every override and hold, every merge (with the check's
conclusion on the merged commit), and incident freezes.

What was merged during the freeze, and who allowed it:

  mergeguard audit --org acme --since 2026-11-27T15:00:00Z --until 2026-11-30T08:00:00Z --bypasses`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fail := func(err error) error { return &ExitError{Code: ExitFailure, Err: err} }
			usage := func(err error) error { return &ExitError{Code: ExitFailure, Err: err} }
			if repo != "" {
				owner, name, ok := strings.Cut(repo, "/")
				if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
					return usage(fmt.Errorf("--repo %q: give owner/name", repo))
				}
				f.Repo = repo
				if f.Owner == "" {
					f.Owner = owner
				}
			}
			if f.Number > 0 && f.Repo == "" {
				return usage(errors.New("--pr needs --repo"))
			}
			var err error
			if f.Since, err = auditTime(since, now()); err != nil {
				return usage(fmt.Errorf("--since: %w", err))
			}
			if until != "" {
				if f.Until, err = auditTime(until, now()); err != nil {
					return usage(fmt.Errorf("--until: %w", err))
				}
			}
			write, ok := auditWriters[format]
			if !ok {
				return usage(fmt.Errorf("--format %q: use table, json or csv", format))
			}
			admin, err := app.OpenDatabase(c.Context(), getenv)
			if err != nil {
				return fail(err)
			}
			defer admin.Close()
			records, err := admin.AuditTrail(c.Context(), f)
			if err != nil {
				return fail(fmt.Errorf("read the audit trail (is MERGEGUARD_DATABASE_URL the server's database, and has the server run once?): %w", err))
			}
			return write(c.OutOrStdout(), records)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Owner, "org", "", "only this organization")
	fl.StringVar(&repo, "repo", "", "only this repository (owner/name)")
	fl.IntVar(&f.Number, "pr", 0, "only this pull request (with --repo)")
	fl.StringVar(&since, "since", "720h", "from this time (RFC 3339, a date, or a duration back from now such as 72h)")
	fl.StringVar(&until, "until", "", "up to this time (same forms as --since)")
	fl.StringVar(&f.Rule, "rule", "", "only evaluations where this rule did not pass, and overrides of it")
	fl.BoolVar(&f.Bypasses, "bypasses", false, "only what let a change past a rule: overrides, overridden evaluations, merges of commits whose check had not passed")
	fl.StringVar(&format, "format", "table", "table, json or csv")
	fl.IntVar(&f.Limit, "limit", 10000, "at most this many records, the newest")
	return cmd
}

// auditTime reads a point in time: RFC 3339, a date (midnight UTC), or a
// duration before now.
func auditTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: give 2026-11-27T15:00:00Z, 2026-11-27 or 72h", s)
}

var auditWriters = map[string]func(io.Writer, []store.AuditRecord) error{
	"table": auditTable,
	"csv":   auditCSV,
	"json": func(w io.Writer, records []store.AuditRecord) error {
		if records == nil {
			records = []store.AuditRecord{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(records)
	},
}

var auditColumns = []string{"time", "kind", "repo", "pr", "actor", "rule", "head_sha", "result", "reason", "details"}

func auditRow(r store.AuditRecord) []string {
	pr := ""
	if r.Number > 0 {
		pr = fmt.Sprint(r.Number)
	}
	sha := r.SHA
	if len(sha) > 12 {
		sha = sha[:12]
	}
	return []string{r.At.UTC().Format(time.RFC3339), r.Kind, r.Repo, pr, r.Actor, r.Rule, sha, r.Result, r.Reason, details(r)}
}

// details summarises what the columns do not show: an evaluation's rules
// that did not pass and why it ran.
func details(r store.AuditRecord) string {
	var parts []string
	if rules, ok := r.Detail["rules"].(map[string]string); ok {
		var notPassed []string
		for id, o := range rules {
			if o != "pass" && o != "skip" {
				notPassed = append(notPassed, id+"="+o)
			}
		}
		sort.Strings(notPassed)
		parts = append(parts, notPassed...)
	}
	if t, ok := r.Detail["trigger"].(string); ok {
		parts = append(parts, "trigger="+t)
	}
	return strings.Join(parts, " ")
}

func auditTable(w io.Writer, records []store.AuditRecord) error {
	if len(records) == 0 {
		_, err := fmt.Fprintln(w, "No audit records match.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(auditColumns, "\t")))
	for _, r := range records {
		row := auditRow(r)
		for i := range row {
			row[i] = strings.Join(strings.Fields(row[i]), " ") // one record, one line
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func auditCSV(w io.Writer, records []store.AuditRecord) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(auditColumns); err != nil {
		return err
	}
	for _, r := range records {
		row := auditRow(r)
		for i, v := range row {
			// A spreadsheet runs a cell that starts with = + - @ as a
			// formula; reasons are people's free text.
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				row[i] = "'" + v
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
