package decision

import (
	"fmt"
	"strings"
)

// InstallationID identifies one installation of the GitHub App: the account
// whose repositories mergeguard may read, and whose token it acts with.
type InstallationID int64

// Repo names a repository by its owner and name. It is the one way the code
// carries "owner/name", so that nothing splits or joins the string by hand.
type Repo struct {
	Owner string
	Name  string
}

// ParseRepo reads "owner/name". Anything else is refused, with what was given,
// so a malformed name never addresses the wrong repository.
func ParseRepo(s string) (Repo, error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return Repo{}, fmt.Errorf("repository %q is not of the form owner/name", s)
	}
	return Repo{Owner: owner, Name: name}, nil
}

// String is "owner/name", the form GitHub shows and the store keeps.
func (r Repo) String() string {
	if r.Owner == "" && r.Name == "" {
		return ""
	}
	return r.Owner + "/" + r.Name
}

// IsZero reports whether no repository is named.
func (r Repo) IsZero() bool { return r.Owner == "" && r.Name == "" }

// PullRequest identifies one pull request wherever it travels: from the
// webhook, through the queue and the store, to the evaluator and the check run.
type PullRequest struct {
	Installation InstallationID
	Repo         Repo
	Number       int
}

// String is "owner/name#number", the form people read in logs and messages.
func (p PullRequest) String() string { return fmt.Sprintf("%s#%d", p.Repo, p.Number) }

// Head is a pull request at one commit: what an evaluation judges, what a
// check run is attached to, and what an override is bound to.
type Head struct {
	PullRequest
	SHA string
}

// ShortSHA is the 7-character abbreviation GitHub shows for a commit. Shorter
// input (a test's made-up SHA, an empty one) is returned as it is.
func ShortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
