package decision

import "time"

// These types are what mergeguard knows of a pull request from GitHub, in
// its own shapes: the GitHub adapter (githubapp) fills them from the API,
// `mergeguard eval DIR` from files, tests from plain values, and the policy
// input is built from them. No client library's types cross a package
// boundary, so the input contract is shaped by mergeguard alone.

// Account is a GitHub user or bot.
type Account struct {
	Login string
	// Type is GitHub's account type: "User", "Bot" or "Organization".
	Type string
}

// RepoDetails is what GitHub says of a repository.
type RepoDetails struct {
	Owner string // the owner's login
	Name  string
	// FullName is "owner/name" as GitHub sent it.
	FullName      string
	DefaultBranch string
	// Visibility is "public", "private" or "internal"; "" when GitHub did
	// not say, and Private then tells.
	Visibility string
	Private    bool
	Topics     []string
}

// Branch is one side of a pull request.
type Branch struct {
	Ref string
	SHA string
	// RepoFullName is the repository the branch is in ("owner/name"); ""
	// when that repository was deleted.
	RepoFullName string
}

// PullRequestDetails is a pull request as GitHub described it when it was
// read: identity, text, author, the two branches and their state.
type PullRequestDetails struct {
	Number int
	Title  string
	Body   string
	// State is "open" or "closed".
	State  string
	Draft  bool
	Merged bool
	// MergedBy is the login of who merged it ("" when not merged, or not
	// said).
	MergedBy string
	Author   Account
	// AuthorAssociation is the author's relation to the repository:
	// "OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "NONE"...
	AuthorAssociation string
	Base              Branch
	Head              Branch
	// BaseRepo describes the base repository; nil when it was not given
	// (never by GitHub, but possibly in a hand-written file).
	BaseRepo *RepoDetails
	Labels   []string
	// CreatedAt and UpdatedAt are zero when not given.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Commits and ChangedFiles are GitHub's counts (0 when not given).
	Commits      int
	ChangedFiles int
	// RequestedUsers and RequestedTeams are the reviews requested and not
	// yet given: logins, and team slugs of the repository's organization.
	RequestedUsers []string
	RequestedTeams []string
}

// Review is one review of a pull request.
type Review struct {
	Author            Account
	AuthorAssociation string
	// State is as GitHub gives it: "APPROVED", "CHANGES_REQUESTED",
	// "COMMENTED", "DISMISSED", "PENDING".
	State string
	// CommitSHA is the commit the review was given on.
	CommitSHA string
	// SubmittedAt is zero when not given.
	SubmittedAt time.Time
}

// Commit is one commit of a pull request.
type Commit struct {
	SHA     string
	Message string
	// Author and Committer are the GitHub logins the commit is attributed
	// to; "" when its e-mail address belongs to no account.
	Author    string
	Committer string
}

// ChangedFile is one file a pull request changes, as GitHub lists it.
type ChangedFile struct {
	Path string
	// PreviousPath is the path before a rename or copy.
	PreviousPath string
	// Status is "added", "removed", "modified", "renamed", "copied",
	// "changed" or "unchanged".
	Status    string
	Additions int
	Deletions int
	Changes   int
	// Patch is the file's unified diff hunks; "" when GitHub sent none
	// (binary files, very large diffs).
	Patch string
}

// CheckRunWrite is one request to create or update a check run.
type CheckRunWrite struct {
	Name string
	// HeadSHA is the commit a created check run is on (creation only).
	HeadSHA string
	// ExternalID is left as it is when "".
	ExternalID string
	// DetailsURL is the page GitHub's "Details" link opens (the web
	// view's evaluation page); left as it is when "".
	DetailsURL string
	// Conclusion, when set, completes the check run with it at
	// CompletedAt; when "", status and conclusion are left as they are (an
	// update that only adds annotations).
	Conclusion  Conclusion
	CompletedAt time.Time
	Title       string
	Summary     string
	// Text is left as it is when "".
	Text string
	// Annotations are sent as they are: GitHub's limits on their title and
	// message already applied. RuleID is not sent.
	Annotations []Annotation
}
