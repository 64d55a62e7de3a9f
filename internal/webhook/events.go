package webhook

import (
	"errors"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/store"
)

// handledActions lists, per event, the actions that change what a pull
// request's check should say. Other actions of these events are ignored.
var handledActions = map[string]map[string]bool{
	"pull_request": {
		"opened": true, "synchronize": true, "reopened": true, "ready_for_review": true,
		"edited": true, "labeled": true, "unlabeled": true, "converted_to_draft": true,
		// closed: the pull request's verdict must stop holding back a head
		// commit it shared with another pull request.
		"closed": true,
	},
	"pull_request_review": {"submitted": true, "edited": true, "dismissed": true},
}

// knownEvents are the events the App subscribes to; they label metrics.
// Anything else is labelled "other" so that unauthenticated callers cannot
// create unbounded metric series.
var knownEvents = map[string]bool{
	"ping": true, "pull_request": true, "pull_request_review": true, "issue_comment": true,
	"check_run": true, "check_suite": true, "merge_group": true, "push": true,
	"installation": true, "installation_repositories": true,
}

func eventLabel(event string) string {
	if knownEvents[event] {
		return event
	}
	return "other"
}

// errIgnored marks a well-formed delivery mergeguard has nothing to do for.
var errIgnored = errors.New("ignored")

// malformedError is a payload that cannot be used.
type malformedError struct{ reason string }

func (e *malformedError) Error() string { return e.reason }

// parseDelivery decodes a verified payload into the delivery it stands for.
func parseDelivery(event, id string, payload []byte) (store.Delivery, error) {
	if handledActions[event] == nil {
		return store.Delivery{}, errIgnored
	}
	parsed, err := github.ParseWebHook(event, payload)
	if err != nil {
		return store.Delivery{}, &malformedError{fmt.Sprintf("payload is not a valid %s event: %v", event, err)}
	}
	var (
		action       string
		installation *github.Installation
		repo         *github.Repository
		number       int
	)
	switch e := parsed.(type) {
	case *github.PullRequestEvent:
		action, installation, repo = e.GetAction(), e.GetInstallation(), e.GetRepo()
		number = e.GetNumber()
		if number == 0 {
			number = e.GetPullRequest().GetNumber()
		}
	case *github.PullRequestReviewEvent:
		action, installation, repo = e.GetAction(), e.GetInstallation(), e.GetRepo()
		number = e.GetPullRequest().GetNumber()
	default:
		return store.Delivery{}, errIgnored
	}
	if !handledActions[event][action] {
		return store.Delivery{}, errIgnored
	}
	d := store.Delivery{ID: id, Event: event, Action: action}
	switch {
	case installation.GetID() <= 0:
		return d, &malformedError{"payload has no installation.id: mergeguard only handles deliveries from its GitHub App's webhook, not from a repository or organization webhook"}
	case repo.GetID() <= 0 || repo.GetOwner().GetLogin() == "" || repo.GetName() == "":
		return d, &malformedError{"payload has no repository id, owner and name"}
	case number <= 0:
		return d, &malformedError{"payload has no pull request number"}
	}
	d.InstallationID = installation.GetID()
	d.PR = store.PRKey{RepoID: repo.GetID(), Repo: repo.GetOwner().GetLogin() + "/" + repo.GetName(), Number: number}
	return d, nil
}
