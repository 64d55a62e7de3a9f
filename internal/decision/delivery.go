package decision

import (
	"fmt"
	"time"
)

// The types below are what the webhook intake hands on: it decodes a
// verified payload into them, and the queue and the store take them as
// they are, so the intake needs neither (nor their database drivers).

// Delivery is an accepted webhook delivery (or an event mergeguard makes
// itself: a command's recheck, a sweep, a coverage upload) that concerns a
// pull request.
type Delivery struct {
	ID             string
	Event          string
	Action         string
	InstallationID int64
	PR             PRKey
	ReceivedAt     time.Time
	// Head is the pull request's head as the payload showed it (SHA ""
	// when it shows none); it is recorded with the delivery.
	Head HeadSighting
	// Rerun is set when the delivery is someone asking to see the pull
	// request's check again (its At is the delivery's ReceivedAt).
	Rerun *Rerun
}

// PRKey identifies a pull request as the queue and the store key it.
// RepoID is GitHub's immutable repository id (names change on rename; the
// id does not).
type PRKey struct {
	RepoID int64
	// Repo is "owner/name" as of the latest event.
	Repo   string
	Number int
}

func (k PRKey) String() string { return fmt.Sprintf("%s#%d", k.Repo, k.Number) }

// Receipt is a verified delivery that needed no job of its own (a ping, a
// push, an ignored event): noted so that it is not redelivered for nothing.
type Receipt struct {
	// ID is the X-GitHub-Delivery header, the same for every attempt.
	ID      string
	Event   string
	Outcome string
	// ReceivedAt is when mergeguard handled it.
	ReceivedAt time.Time
}

// Acceptance says what accepting a delivery did with it; the intake answers
// GitHub with it.
type Acceptance string

const (
	// Queued: a job was created for the pull request.
	Queued Acceptance = "accepted"
	// Coalesced: a job was already pending; it will see this event.
	Coalesced Acceptance = "coalesced"
	// Duplicate: this delivery ID was accepted before.
	Duplicate Acceptance = "duplicate"
)

// MergeGroupRequest is a merge queue entry to check: the rules for the pull
// request at the queue's tip, evaluated now, published on the merge group's
// head commit. Its JSON form is a queued job's arguments: the names must not
// change, or jobs queued before an upgrade would not decode after it.
type MergeGroupRequest struct {
	InstallationID int64  `json:"installation_id"`
	RepoID         int64  `json:"repo_id"`
	Repo           string `json:"repo"`
	Number         int    `json:"number"`
	HeadSHA        string `json:"head_sha"`
	HeadRef        string `json:"head_ref"`
	BaseSHA        string `json:"base_sha"`
	BaseRef        string `json:"base_ref"`
	DeliveryID     string `json:"delivery_id"`
}

// Comment is a comment that may hold a command. Its JSON form is a queued
// job's arguments (see MergeGroupRequest).
type Comment struct {
	InstallationID int64  `json:"installation_id"`
	RepoID         int64  `json:"repo_id"`
	Repo           string `json:"repo"`
	// Number is the or pull request's number; IsPullRequest says
	// which.
	Number        int    `json:"number"`
	IsPullRequest bool   `json:"is_pull_request"`
	CommentID     int64  `json:"comment_id"`
	URL           string `json:"url"`
	Author        string `json:"author"`
	AuthorType    string `json:"author_type"`
	Association   string `json:"association"`
	Body          string `json:"body"`
	DeliveryID    string `json:"delivery_id"`
	// CreatedAt is when GitHub wrote the comment (zero for jobs queued
	// by a release that did not record it).
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Push is what a push delivery says: the policy and configuration cached
// from the pushed branch may be stale, and the pull requests they judge may
// need evaluating again.
type Push struct {
	InstallationID                     int64
	RepoID                             int64
	Owner, Repo, Branch, DefaultBranch string
	// After is the commit the branch now points at.
	After string
	// Files are the paths its commits added, modified or removed.
	Files []string
}

// DeploymentStatus is what a deployment_status delivery says: a deployment
// of a commit to an environment changed state, which can change the
// bake_time verdict of the repository's promotion pull requests.
type DeploymentStatus struct {
	InstallationID int64
	RepoID         int64
	Owner, Repo    string
	DefaultBranch  string
	Environment    string
	State          string
	DeploymentID   int64
	SHA, Ref       string
}

// PermissionsAccepted is an installation whose owner accepted the App's new
// permissions (an installation delivery, action new_permissions_accepted):
// rules that failed for a missing permission can now pass.
type PermissionsAccepted struct {
	InstallationID int64
	Owner          string
	// DeliveryID identifies the delivery, so that a redelivery sweeps once.
	DeliveryID string
}
