package incident

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
	"github.com/mergeguard/mergeguard/internal/store"
)

// GitHub is what running a command needs from GitHub.
type GitHub interface {
	policysource.GitHub
	TeamMembers(ctx context.Context, org, slug string) ([]string, error)
	CreateComment(ctx context.Context, owner, repo string, number int, body string) error
	AddReaction(ctx context.Context, owner, repo string, commentID int64, content string) error
}

// Policies resolves the organization's configuration.
type Policies interface {
	Resolve(ctx context.Context, gh policysource.GitHub, f policysource.For) (policysource.Resolved, error)
	PolicyRepo() string
}

// Commands runs /guard freeze, /guard unfreeze and /guard help.
type Commands struct {
	DB       *store.DB
	GitHub   func(installationID int64) GitHub
	Policies Policies
	Sweeps   Sweeper
	Now      func() time.Time
	Log      *slog.Logger
}

// Comment is a comment that holds commands, parsed by whoever dispatched
// it (the comment is parsed once, where it is dispatched).
type Comment struct {
	Installation decision.InstallationID
	Repo         decision.Repo
	// Number is the issue or pull request the comment is on.
	Number    int
	CommentID int64
	URL       string
	Author    string
	// Commands are what the comment holds (command.ParseAll).
	Commands []command.Parsed
}

// Handle runs the comment's command, if it holds one, and replies.
func (c *Commands) Handle(ctx context.Context, cm Comment) error {
	parsed := freezeCommand(cm.Commands)
	if parsed.Ignore() {
		return nil
	}
	gh := c.GitHub(int64(cm.Installation))
	reply := parsed.Reply
	reaction := "confused"
	if cmd := parsed.Command; cmd != nil {
		var err error
		if reply, reaction, err = c.run(ctx, gh, cm, cmd); err != nil {
			return err
		}
	}
	if err := gh.CreateComment(ctx, cm.Repo.Owner, cm.Repo.Name, cm.Number, reply); err != nil {
		return fmt.Errorf("reply to %s: %w", cm.URL, err)
	}
	// The reaction acknowledges the comment itself; losing it is harmless.
	if err := gh.AddReaction(ctx, cm.Repo.Owner, cm.Repo.Name, cm.CommentID, reaction); err != nil {
		c.Log.Warn("could not react to a command", "comment", cm.URL, "err", err)
	}
	return nil
}

// freezeCommand picks what this package answers from a comment's
// commands: the first freeze or unfreeze, or else the first command or
// malformed line (help, or a pull request command written on an issue).
func freezeCommand(all []command.Parsed) command.Parsed {
	for _, p := range all {
		if p.Command != nil && (p.Command.Kind == command.Freeze || p.Command.Kind == command.Unfreeze) {
			return p
		}
	}
	if len(all) > 0 {
		return all[0]
	}
	return command.Parsed{}
}

func (c *Commands) run(ctx context.Context, gh GitHub, cm Comment, cmd *command.Command) (reply, reaction string, err error) {
	switch cmd.Kind {
	case command.Help:
		return command.UsageFreeze + "\n\n" + command.UsagePR, "+1", nil
	case command.Freeze, command.Unfreeze:
	default:
		return fmt.Sprintf("%s works on pull requests; write it in a comment on the pull request it is about.", command.Code(string(cmd.Kind))), "confused", nil
	}
	policyRepo := c.Policies.PolicyRepo()
	if !strings.EqualFold(cm.Repo.Name, policyRepo) {
		return fmt.Sprintf("Freezes are started and ended in %s/%s, where the incident team works and everyone can see them. Every blocked check names the freezes in effect.", cm.Repo.Owner, policyRepo), "confused", nil
	}
	settings, err := c.freezeSettings(ctx, gh, cm.Repo.Owner, policyRepo)
	if err != nil {
		return "", "", err
	}
	if why, err := c.authorize(ctx, gh, cm, settings); err != nil || why != "" {
		return why, "confused", err
	}
	now := c.Now()
	switch cmd.Kind {
	case command.Freeze:
		ends := time.Time{}
		switch {
		case cmd.For > 0:
			ends = now.Add(cmd.For)
		case cmd.Until != "":
			if ends, err = command.ResolveUntil(cmd.Until, now, settings.loc); err != nil {
				return fmt.Sprintf("The freeze was not started: %v.", err), "confused", nil
			}
		}
		f, err := StartFreeze(ctx, c.DB, c.Sweeps, Start{
			Owner: cm.Repo.Owner, InstallationID: int64(cm.Installation), Repos: cmd.Repos, Reason: cmd.Reason,
			Ends: ends, By: cm.Author, Source: cm.URL,
		}, now)
		if err != nil {
			return "", "", err
		}
		if !f.ActiveAt(now) {
			// This comment's freeze, started before (the job is being
			// retried), has ended since.
			return fmt.Sprintf("This comment started freeze %d, which has ended since: %s.", f.ID, Describe(f, cm.Repo.Owner, settings.loc)), "+1", nil
		}
		return fmt.Sprintf("Merges are frozen: %s.\n\nOpen pull requests into frozen branches are checked again now, and their checks fail until the freeze ends. `/guard unfreeze %d` ends it early.",
			Describe(f, cm.Repo.Owner, settings.loc), f.ID), "+1", nil
	case command.Unfreeze:
		ended, err := EndFreezes(ctx, c.DB, c.Sweeps, End{Owner: cm.Repo.Owner, InstallationID: int64(cm.Installation), ID: cmd.ID, By: cm.Author, Source: cm.URL}, now)
		if err != nil {
			return "", "", err
		}
		if len(ended) == 0 {
			if cmd.ID > 0 {
				return fmt.Sprintf("Freeze %d is not in effect, so there is nothing to end.", cmd.ID), "confused", nil
			}
			return "No freeze is in effect, so there is nothing to end.", "confused", nil
		}
		lines := make([]string, len(ended))
		for i, f := range ended {
			lines[i] = "- ended " + Describe(f, cm.Repo.Owner, settings.loc)
		}
		return "Merges are open again:\n\n" + strings.Join(lines, "\n") + "\n\nOpen pull requests are checked again now.", "+1", nil
	}
	return "", "", fmt.Errorf("command %s is not handled here", cmd.Kind)
}

type freezeSettings struct {
	teams []string
	loc   *time.Location
}

// freezeSettings reads rules.change_freeze's incident_teams and timezone
// from the organization's configuration (the policy that judges the policy
// repository's own pull requests, which works even while the policy is
// broken).
func (c *Commands) freezeSettings(ctx context.Context, gh GitHub, owner, policyRepo string) (freezeSettings, error) {
	res, err := c.Policies.Resolve(ctx, gh, policysource.For{Owner: owner, Repo: policyRepo})
	if err != nil {
		return freezeSettings{}, fmt.Errorf("read the configuration of %s: %w", owner, err)
	}
	out := freezeSettings{loc: time.UTC}
	values := res.Config.Rules["change_freeze"].Values
	if tz, ok := values["timezone"].(string); ok {
		if loc, err := time.LoadLocation(tz); err == nil {
			out.loc = loc
		}
	}
	if teams, ok := values["incident_teams"].([]any); ok {
		for _, t := range teams {
			if s, ok := t.(string); ok {
				out.teams = append(out.teams, s)
			}
		}
	}
	return out, nil
}

// authorize returns why the comment's author may not run freeze commands,
// or "" when they may: they must be in one of the incident teams.
func (c *Commands) authorize(ctx context.Context, gh GitHub, cm Comment, s freezeSettings) (string, error) {
	if len(s.teams) == 0 {
		return "Only members of the teams in `rules.change_freeze.incident_teams` may start or end freezes, and none is configured: name the incident team there, in mergeguard/config.yaml.", nil
	}
	var names []string
	for _, team := range s.teams {
		slug := team[strings.LastIndex(team, "/")+1:]
		slug = strings.TrimPrefix(slug, "@")
		names = append(names, "@"+cm.Repo.Owner+"/"+slug)
		members, err := gh.TeamMembers(ctx, cm.Repo.Owner, slug)
		switch {
		case githubapp.IsTokenError(err):
			return "", err
		case githubapp.IsNotFound(err) || githubapp.StatusCode(err) == 403:
			c.Log.Warn("an incident team cannot be read", "team", cm.Repo.Owner+"/"+slug, "err", err)
			continue
		case err != nil:
			return "", err
		}
		if slices.ContainsFunc(members, func(m string) bool { return strings.EqualFold(m, cm.Author) }) {
			return "", nil
		}
	}
	return fmt.Sprintf("Only members of %s may start or end freezes, and @%s is not one. Ask someone in that team, or the incident commander.", strings.Join(names, " or "), cm.Author), nil
}
