// Package facts builds the policy input document: everything the rules may
// know about one pull request at one instant. The document is the contract
// policy authors write Rego against (docs/input.md), so its JSON shape only
// changes together with Version.
package facts

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/mergeguard/mergeguard/internal/codeowners"
	"github.com/mergeguard/mergeguard/internal/deployhistory"
	"github.com/mergeguard/mergeguard/internal/migration"
	"github.com/mergeguard/mergeguard/internal/promotion"
)

// Version is the version of the input document's shape (input.version).
const Version = 1

// Input is what `input` is in Rego.
type Input struct {
	Version     int         `json:"version"`
	PullRequest PullRequest `json:"pull_request"`
	Repository  Repository  `json:"repository"`
	Files       []File      `json:"files"`
	// FilesTruncated is true when GitHub's cap on listed files cut the list,
	// so a rule can refuse to pass a pull request it cannot fully see.
	FilesTruncated bool     `json:"files_truncated"`
	Reviews        []Review `json:"reviews"`
	// Teams holds the teams the configuration mentions, by slug: only those
	// are fetched, never the whole organization.
	Teams map[string]Team `json:"teams"`
	// Freezes are the organization's incident freezes that have not ended
	// by the evaluation time (see Freeze).
	Freezes []Freeze `json:"freezes"`
	// Coverage is the diff coverage of the head commit, from the reports
	// CI uploaded (see Coverage).
	Coverage Coverage `json:"coverage"`
	// Promotion is what a promotion pull request promotes, and
	// Deployments the deployment history of that version; both only when
	// the bake_time rule is configured (see BakeTimeSettings), absent
	// otherwise.
	Promotion   *promotion.Result    `json:"promotion,omitempty"`
	Deployments *deployhistory.Input `json:"deployments,omitempty"`
	Time        Time                 `json:"time"`
	Trigger     Trigger              `json:"trigger"`
}

// PullRequest describes the pull request itself.
type PullRequest struct {
	Number      int      `json:"number"`
	Title       string   `json:"title"`
	Body        string   `json:"body"`
	Draft       bool     `json:"draft"`
	State       string   `json:"state"`
	Author      Actor    `json:"author"`
	Base        Branch   `json:"base"`
	Head        Branch   `json:"head"`
	Labels      []string `json:"labels"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
	CommitCount int      `json:"commit_count"`
	Commits     []Commit `json:"commits"`
	// MergeGroup is set when the evaluation is for a merge queue entry.
	MergeGroup *MergeGroup `json:"merge_group"`
	// CodeOwners is the repository's CODEOWNERS file; nil when it was not
	// read (the code_owners rule is off).
	CodeOwners *CodeOwners `json:"codeowners"`
}

// MergeGroup is the merge queue commit being checked.
type MergeGroup struct {
	HeadSHA string `json:"head_sha"`
	HeadRef string `json:"head_ref"`
	BaseSHA string `json:"base_sha"`
	BaseRef string `json:"base_ref"`
}

// Actor is a GitHub account.
type Actor struct {
	Login string `json:"login"`
	// Type is "User", "Bot" or "Organization", as GitHub reports it.
	Type string `json:"type"`
	// Association is the author's relationship to the repository
	// (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR, NONE …).
	Association string `json:"association,omitempty"`
}

// Branch is one side of a pull request.
type Branch struct {
	Ref  string `json:"ref"`
	SHA  string `json:"sha"`
	Repo string `json:"repo"`
	// Fork is true when the head lives in a different repository than the base.
	Fork bool `json:"fork"`
}

// Commit is one commit of the pull request.
type Commit struct {
	SHA     string `json:"sha"`
	Message string `json:"message"`
	// Author is the GitHub login of the commit's author, and Committer of
	// who committed it (pushed it, for most commits); "" when the commit's
	// e-mail address is not linked to a GitHub account.
	Author    string `json:"author"`
	Committer string `json:"committer"`
}

// Repository is the base repository.
type Repository struct {
	Owner         string   `json:"owner"`
	Name          string   `json:"name"`
	FullName      string   `json:"full_name"`
	DefaultBranch string   `json:"default_branch"`
	Visibility    string   `json:"visibility"`
	Topics        []string `json:"topics"`
}

// File is one changed file with what its patch says.
type File struct {
	Path         string `json:"path"`
	PreviousPath string `json:"previous_path,omitempty"`
	// Status is added, modified, removed, renamed, copied, changed or unchanged.
	Status    string `json:"status"`
	Additions int    `json:"additions"`
	Deletions int    `json:"deletions"`
	Binary    bool   `json:"binary"`
	Hunks     []Hunk `json:"hunks"`
	// AddedLines are the added lines in new-file numbering.
	AddedLines []Line `json:"added_lines"`
	// RemovedLines are the removed line numbers in old-file numbering.
	RemovedLines []int `json:"removed_lines"`
	// PatchMissing is true when GitHub sent no patch for a file with changes
	// (very large diffs): the lines are unknown, not absent, unless
	// ContentsDiffed.
	PatchMissing bool `json:"patch_missing"`
	// ContentsDiffed is true when GitHub sent no patch and the hunks and
	// lines come from diffing the file at the base and at the head instead.
	ContentsDiffed bool `json:"contents_diffed,omitempty"`
	// Unreadable says why a file GitHub sent no patch for could not be
	// diffed from its contents either (binary, too large); its lines are
	// then unknown.
	Unreadable string `json:"unreadable,omitempty"`
	// ParseError holds why the patch could not be read; the file's hunks and
	// lines are then empty rather than partial.
	ParseError string `json:"parse_error,omitempty"`
	// Owners is the line of the base branch's CODEOWNERS that decides the
	// file's owners; nil when no line matches it, or CODEOWNERS was not
	// read. A line naming no owners leaves the file without one.
	Owners *codeowners.Match `json:"owners"`
	// PreviousOwners is the same for a moved file's old path (nil for
	// other files).
	PreviousOwners *codeowners.Match `json:"previous_owners,omitempty"`
	// Migration is the projection of a .sql file's whole content at the
	// head through PostgreSQL's parser (docs/migrations.md); nil for other
	// files, removed ones, and when MigrationUnread says why it could not
	// be read.
	Migration *migration.File `json:"migration,omitempty"`
	// MigrationUnread says why a .sql file's content at the head could not
	// be read for its projection (too large, not found, too many files).
	MigrationUnread string `json:"migration_unread,omitempty"`

	// content is the whole head content when the input already holds it
	// (a new file in a local diff, eval's files/<path>).
	content []byte
}

// Hunk is one hunk header of a patch.
type Hunk struct {
	OldStart int `json:"old_start"`
	OldLines int `json:"old_lines"`
	NewStart int `json:"new_start"`
	NewLines int `json:"new_lines"`
}

// Line is an added line.
type Line struct {
	Line int    `json:"line"`
	Text string `json:"text"`
	// Truncated is true when Text was cut at MaxLineBytes.
	Truncated bool `json:"truncated,omitempty"`
}

// Review is a reviewer's latest decisive review.
type Review struct {
	Author Actor `json:"author"`
	// State is APPROVED, CHANGES_REQUESTED or DISMISSED.
	State       string `json:"state"`
	CommitSHA   string `json:"commit_sha"`
	OnHead      bool   `json:"on_head"`
	SubmittedAt string `json:"submitted_at"`
	// ChangesSinceKnown is false when mergeguard could not tell what changed
	// after the review (the reviewed commit was force-pushed away, or more
	// files changed than GitHub lists); a stale-approval rule should then
	// treat the review as given on an unknown version.
	ChangesSinceKnown bool `json:"changes_since_known"`
	// FilesChangedSince are the paths changed between the reviewed commit
	// and the head (old and new path of a rename); empty when on the head.
	FilesChangedSince []string `json:"files_changed_since"`
}

// Team is a team's membership as seen by the App.
type Team struct {
	// Found is false when the team does not exist or the App cannot see it.
	Found   bool     `json:"found"`
	Members []string `json:"members"`
	// Error says why a team was not found, for the check's message.
	Error string `json:"error,omitempty"`
}

// Freeze is an incident freeze ("stop the bleeding"), started with
// /guard freeze or `mergeguard freeze start`.
type Freeze struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
	// Repositories are the names of the repositories it applies to; empty
	// for the whole organization.
	Repositories []string `json:"repositories"`
	CreatedBy    string   `json:"created_by"`
	StartsAt     string   `json:"starts_at"`
	StartsNS     int64    `json:"starts_ns"`
	// EndsAt and EndsNS are when it ends: as planned, or when someone ended
	// it; "" and 0 when it lasts until someone ends it.
	EndsAt string `json:"ends_at"`
	EndsNS int64  `json:"ends_ns"`
}

// NewFreeze states a freeze in the input's shape; ends is zero for a freeze
// without a planned end.
func NewFreeze(id int64, reason string, repos []string, by string, starts, ends time.Time) Freeze {
	f := Freeze{ID: id, Reason: reason, Repositories: repos, CreatedBy: by,
		StartsAt: starts.UTC().Format(time.RFC3339), StartsNS: starts.UnixNano()}
	if f.Repositories == nil {
		f.Repositories = []string{}
	}
	if !ends.IsZero() {
		f.EndsAt, f.EndsNS = ends.UTC().Format(time.RFC3339), ends.UnixNano()
	}
	return f
}

// Coverage is what the uploaded coverage reports say about the lines the
// pull request adds.
type Coverage struct {
	// Status is "ready" (reports for the head commit are in), "waiting"
	// (none yet, or not every flag the configuration expects), or
	// "not_uploaded" (the repository has not uploaded coverage lately).
	Status string `json:"status"`
	SHA    string `json:"sha"`
	// Flags are the flags uploaded for the head commit ("" for an upload
	// without one).
	Flags []string `json:"flags"`
	// WaitingSince is when the head commit was first evaluated, so a rule
	// can stop waiting for a report that does not come.
	WaitingSince   string `json:"waiting_since"`
	WaitingSinceNS int64  `json:"waiting_since_ns"`
	// Files are the changed files with added lines, by path.
	Files map[string]CoverageFile `json:"files"`
}

// CoverageFile is one changed file's added lines, as the reports see them.
type CoverageFile struct {
	// InReport is false when no report has the file; its lines are then
	// not measured.
	InReport   bool   `json:"in_report"`
	ReportPath string `json:"report_path,omitempty"`
	// Measured are the added lines the report counts as coverable, and
	// Covered those of them that ran.
	Measured []int `json:"measured"`
	Covered  []int `json:"covered"`
	// Partial are the covered lines with branches of which only some were
	// taken (Codecov's partial lines): they ran, but not every way out of
	// them did. Covered includes them.
	Partial []int `json:"partial"`
	// Branches are the measured lines the report has branch data for.
	Branches []LineBranches `json:"branches"`
}

// LineBranches is one line's branch coverage: how many branches it has
// and how many of them were taken.
type LineBranches struct {
	Line  int `json:"line"`
	Total int `json:"total"`
	Taken int `json:"taken"`
}

// Changes is what changed between a reviewed commit and the head.
type Changes struct {
	Known bool
	Files []string
}

// Time is the evaluation instant. Rules read it instead of a clock, so a
// simulation can move it.
type Time struct {
	RFC3339 string `json:"rfc3339"`
	NS      int64  `json:"ns"`
}

// Trigger says which event caused the evaluation.
type Trigger struct {
	Event  string `json:"event"`
	Action string `json:"action,omitempty"`
}

// FieldPaths are the object paths of the current input document
// ("pull_request.merge_group", "coverage.status"; fields inside arrays are
// not listed). A stored document lacking one predates that field: replay
// uses them to tell such inputs, on which a policy reading the field
// decides differently for that reason alone, from real changes.
func FieldPaths() []string {
	b, err := json.Marshal(Input{})
	if err != nil {
		return nil
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil
	}
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			p := prefix + k
			out = append(out, p)
			if child, ok := v.(map[string]any); ok {
				walk(p+".", child)
			}
		}
	}
	walk("", doc)
	slices.Sort(out)
	return out
}
