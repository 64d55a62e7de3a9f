// Package comments dispatches the commands a comment holds to those that
// run them. A comment is parsed once, here; each handler gets the parsed
// commands.
package comments

import (
	"context"
	"strings"

	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/incident"
	"github.com/mergeguard/mergeguard/internal/prcommand"
)

// Dispatcher hands freezes to the incident commands (in the policy
// repository), and the rest to the pull request commands.
type Dispatcher struct {
	Incident *incident.Commands
	PR       *prcommand.Handler
	// Prefix starts a command ("/guard" when empty).
	Prefix string
}

// HandleComment runs the commands of a comment queued by the webhook
// intake.
func (d Dispatcher) HandleComment(ctx context.Context, cm decision.Comment) error {
	owner, name, _ := strings.Cut(cm.Repo, "/")
	pr := decision.PullRequest{Installation: decision.InstallationID(cm.InstallationID), Repo: decision.Repo{Owner: owner, Name: name}, Number: cm.Number}
	parsed := command.ParseAll(cm.Body, command.Options{Prefix: d.Prefix})
	var forPR []command.Parsed
	freeze := false
	for _, p := range parsed {
		if p.Command != nil && (p.Command.Kind == command.Freeze || p.Command.Kind == command.Unfreeze) {
			freeze = true
			continue
		}
		forPR = append(forPR, p)
	}
	if freeze || !cm.IsPullRequest {
		// Freezes, and anything written on an issue: the incident commands
		// reply (on an issue outside the policy repository they say where
		// freezes are started).
		if err := d.Incident.Handle(ctx, incident.Comment{
			Installation: pr.Installation, Repo: pr.Repo, Number: pr.Number,
			CommentID: cm.CommentID, URL: cm.URL, Author: cm.Author, Commands: parsed,
		}); err != nil || !cm.IsPullRequest {
			return err
		}
	}
	return d.PR.Handle(ctx, prcommand.Comment{
		PR:        prcommand.PR{PullRequest: pr, RepoID: cm.RepoID},
		CommentID: cm.CommentID, URL: cm.URL, Author: cm.Author, WrittenAt: cm.CreatedAt, Commands: forPR,
	})
}
