package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/text"
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
	// A merge queue entry waits for its checks on the merge group's commit.
	"merge_group": {"checks_requested": true},
	// Comments may hold /guard commands; an edit does not run one again.
	"issue_comment": {"created": true},
	// "Re-run" on the check, and the check's buttons: evaluate again.
	"check_run":   {"rerequested": true, "requested_action": true},
	"check_suite": {"rerequested": true},
}

// knownEvents are the events the App subscribes to; they label metrics.
// Anything else is labelled "other" so that unauthenticated callers cannot
// create unbounded metric series.
var knownEvents = map[string]bool{
	"ping": true, "pull_request": true, "pull_request_review": true, "issue_comment": true,
	"check_run": true, "check_suite": true, "merge_group": true, "push": true, "deployment_status": true,
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

// mergeQueueRef is the branch GitHub creates for a merge queue entry:
// gh-readonly-queue/<base>/pr-<number>-<head sha>.
var mergeQueueRef = regexp.MustCompile(`^(?:refs/heads/)?gh-readonly-queue/.+/pr-([0-9]+)-[0-9a-f]{7,64}$`)

// maxPRNumber is the largest pull request number mergeguard accepts:
// GitHub's numbers are 32-bit.
const maxPRNumber = 1<<31 - 1

// mergeQueuePR reads the pull request number from a merge queue branch.
// The number is parsed strictly: no sign, no leading zero, and no value
// beyond a pull request number (a number that overflowed would otherwise
// name some other pull request).
func mergeQueuePR(ref string) (int, error) {
	m := mergeQueueRef.FindStringSubmatch(ref)
	if m == nil {
		return 0, fmt.Errorf("merge_group.head_ref %q is not a merge queue branch (gh-readonly-queue/<base>/pr-<number>-<sha>)", text.Clip(ref, 200))
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n < 1 || n > maxPRNumber || m[1][0] == '0' {
		return 0, fmt.Errorf("merge_group.head_ref %q names pull request %q, which is not a pull request number (1 to %d)", text.Clip(ref, 200), text.Clip(m[1], 40), maxPRNumber)
	}
	return int(n), nil
}

// maxCommentBytes bounds a comment kept for a command job; GitHub allows
// 65,536 characters.
const maxCommentBytes = 256 << 10

// job is the work of its own a delivery asks for, beside its pull
// request's evaluation: a decision.MergeGroupRequest or a decision.Comment.
type job any

// parseDelivery decodes a verified payload into the delivery it stands for
// and, for merge groups and commands, the job to run. A nil job means the
// pull request is evaluated through the coalescing queue.
func parseDelivery(event, id string, payload []byte, prefix string) (decision.Delivery, job, error) {
	if handledActions[event] == nil {
		return decision.Delivery{}, nil, errIgnored
	}
	if event == "check_run" || event == "check_suite" {
		return parseCheckDelivery(event, id, payload)
	}
	parsed, err := github.ParseWebHook(event, payload)
	if err != nil {
		return decision.Delivery{}, nil, &malformedError{fmt.Sprintf("payload is not a valid %s event: %v", event, err)}
	}
	var (
		action       string
		installation *github.Installation
		repo         *github.Repository
		number       int
		work         func(d decision.Delivery) job
		head         decision.HeadSighting
	)
	switch e := parsed.(type) {
	case *github.PullRequestEvent:
		action, installation, repo = e.GetAction(), e.GetInstallation(), e.GetRepo()
		number = e.GetNumber()
		if number == 0 {
			number = e.GetPullRequest().GetNumber()
		}
		head = headSeen(e.GetPullRequest())
		head.Opened = action == "opened"
	case *github.PullRequestReviewEvent:
		action, installation, repo = e.GetAction(), e.GetInstallation(), e.GetRepo()
		number = e.GetPullRequest().GetNumber()
		head = headSeen(e.GetPullRequest())
	case *github.MergeGroupEvent:
		action, installation, repo = e.GetAction(), e.GetInstallation(), e.GetRepo()
		mg := e.GetMergeGroup()
		n, err := mergeQueuePR(mg.GetHeadRef())
		if err != nil && handledActions[event][action] {
			return decision.Delivery{}, nil, &malformedError{err.Error()}
		}
		number = n
		if mg.GetHeadSHA() == "" && handledActions[event][action] {
			return decision.Delivery{}, nil, &malformedError{"merge_group has no head_sha"}
		}
		work = func(d decision.Delivery) job {
			return decision.MergeGroupRequest{
				InstallationID: d.InstallationID, RepoID: d.PR.RepoID, Repo: d.PR.Repo, Number: d.PR.Number,
				HeadSHA: mg.GetHeadSHA(), HeadRef: strings.TrimPrefix(mg.GetHeadRef(), "refs/heads/"),
				BaseSHA: mg.GetBaseSHA(), BaseRef: strings.TrimPrefix(mg.GetBaseRef(), "refs/heads/"), DeliveryID: d.ID,
			}
		}
	case *github.IssueCommentEvent:
		action, installation, repo = e.GetAction(), e.GetInstallation(), e.GetRepo()
		number = e.GetIssue().GetNumber()
		c := e.GetComment()
		// Bots' comments are never commands: mergeguard's own replies
		// quote commands, and must not run them.
		if c.GetUser().GetType() == "Bot" || strings.HasSuffix(c.GetUser().GetLogin(), "[bot]") {
			return decision.Delivery{}, nil, errIgnored
		}
		if !strings.Contains(c.GetBody(), prefix) {
			return decision.Delivery{}, nil, errIgnored
		}
		if len(c.GetBody()) > maxCommentBytes {
			return decision.Delivery{}, nil, &malformedError{"comment is larger than 256 KiB"}
		}
		work = func(d decision.Delivery) job {
			return decision.Comment{
				InstallationID: d.InstallationID, RepoID: d.PR.RepoID, Repo: d.PR.Repo, Number: d.PR.Number,
				IsPullRequest: e.GetIssue().IsPullRequest(), CommentID: c.GetID(), URL: c.GetHTMLURL(),
				Author: c.GetUser().GetLogin(), AuthorType: c.GetUser().GetType(), Association: c.GetAuthorAssociation(),
				Body: c.GetBody(), DeliveryID: d.ID, CreatedAt: c.GetCreatedAt().Time,
			}
		}
	default:
		return decision.Delivery{}, nil, errIgnored
	}
	if !handledActions[event][action] {
		return decision.Delivery{}, nil, errIgnored
	}
	d := decision.Delivery{ID: id, Event: event, Action: action}
	switch {
	case installation.GetID() <= 0:
		return d, nil, &malformedError{"payload has no installation.id: mergeguard only handles deliveries from its GitHub App's webhook, not from a repository or organization webhook"}
	case repo.GetID() <= 0 || repo.GetOwner().GetLogin() == "" || repo.GetName() == "":
		return d, nil, &malformedError{"payload has no repository id, owner and name"}
	case number <= 0:
		return d, nil, &malformedError{"payload has no pull request or issue number"}
	}
	d.InstallationID = installation.GetID()
	d.PR = decision.PRKey{RepoID: repo.GetID(), Repo: repo.GetOwner().GetLogin() + "/" + repo.GetName(), Number: number}
	d.Head = head
	if work != nil {
		return d, work(d), nil
	}
	return d, nil, nil
}

// headSeen is the head a payload's pull request shows, seen no earlier
// than its updated_at (GitHub wrote the payload after that update); the
// handler adds when it arrived.
func headSeen(pr *github.PullRequest) decision.HeadSighting {
	return decision.HeadSighting{SHA: pr.GetHead().GetSHA(), From: pr.GetUpdatedAt().Time}
}

// checkPayload is what a check_run or check_suite delivery needs to say.
// It is read on its own rather than through go-github's event types: only
// these fields matter, and a timestamp elsewhere in the payload in a form
// go-github does not parse must not lose the re-run.
type checkPayload struct {
	Action       string `json:"action"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Owner struct {
			Login string `json:"login"`
		} `json:"owner"`
	} `json:"repository"`
	CheckRun struct {
		PullRequests []*github.PullRequest `json:"pull_requests"`
	} `json:"check_run"`
	CheckSuite struct {
		PullRequests []*github.PullRequest `json:"pull_requests"`
	} `json:"check_suite"`
	Sender struct {
		Login string `json:"login"`
	} `json:"sender"`
}

// rerunVia names, per check event, the button a person pressed.
var rerunVia = map[string]string{
	"check_run.rerequested":      "Re-run",
	"check_suite.rerequested":    "Re-run of all checks",
	"check_run.requested_action": "a button on the check",
}

// parseCheckDelivery reads a re-run request ("Re-run" on the check or its
// suite, or a button on the check) as an evaluation of its pull request.
func parseCheckDelivery(event, id string, payload []byte) (decision.Delivery, job, error) {
	var p checkPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return decision.Delivery{}, nil, &malformedError{fmt.Sprintf("payload is not a valid %s event: %v", event, err)}
	}
	if !handledActions[event][p.Action] {
		return decision.Delivery{}, nil, errIgnored
	}
	prs := p.CheckRun.PullRequests
	if event == "check_suite" {
		prs = p.CheckSuite.PullRequests
	}
	number := firstPR(prs)
	if number == 0 {
		// GitHub lists no pull request for a check on a fork's commit; the
		// next push or review evaluates it.
		return decision.Delivery{}, nil, errIgnored
	}
	d := decision.Delivery{ID: id, Event: event, Action: p.Action}
	switch {
	case p.Installation.ID <= 0:
		return d, nil, &malformedError{"payload has no installation.id: mergeguard only handles deliveries from its GitHub App's webhook, not from a repository or organization webhook"}
	case p.Repository.ID <= 0 || p.Repository.Owner.Login == "" || p.Repository.Name == "":
		return d, nil, &malformedError{"payload has no repository id, owner and name"}
	}
	d.InstallationID = p.Installation.ID
	d.PR = decision.PRKey{RepoID: p.Repository.ID, Repo: p.Repository.Owner.Login + "/" + p.Repository.Name, Number: number}
	// A person pressed the button: the check run is written afresh even if
	// the verdict is the same, so they see it was done.
	d.Rerun = &decision.Rerun{By: p.Sender.Login, Via: rerunVia[event+"."+p.Action]}
	return d, nil, nil
}

// firstPR is the number of the first pull request a check names, 0 when
// none. A commit shared by several pull requests is evaluated for the
// first; the verdicts of a shared head are combined when published.
func firstPR(prs []*github.PullRequest) int {
	for _, pr := range prs {
		if pr.GetNumber() > 0 {
			return pr.GetNumber()
		}
	}
	return 0
}
