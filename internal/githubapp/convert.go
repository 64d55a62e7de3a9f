package githubapp

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// This file turns go-github's types into mergeguard's own (package
// decision) and back: the rest of the code never sees a client library's
// shapes.

func pullRequestDetails(pr *github.PullRequest) decision.PullRequestDetails {
	out := decision.PullRequestDetails{
		Number:            pr.GetNumber(),
		Title:             pr.GetTitle(),
		Body:              pr.GetBody(),
		State:             pr.GetState(),
		Draft:             pr.GetDraft(),
		Merged:            pr.GetMerged(),
		MergedBy:          pr.GetMergedBy().GetLogin(),
		Author:            account(pr.GetUser()),
		AuthorAssociation: pr.GetAuthorAssociation(),
		Base:              branch(pr.GetBase()),
		Head:              branch(pr.GetHead()),
		CreatedAt:         timestamp(pr.CreatedAt),
		UpdatedAt:         timestamp(pr.UpdatedAt),
		Commits:           pr.GetCommits(),
		ChangedFiles:      pr.GetChangedFiles(),
	}
	if r := pr.GetBase().GetRepo(); r != nil {
		out.BaseRepo = &decision.RepoDetails{
			Owner:         r.GetOwner().GetLogin(),
			Name:          r.GetName(),
			FullName:      r.GetFullName(),
			DefaultBranch: r.GetDefaultBranch(),
			Visibility:    r.GetVisibility(),
			Private:       r.GetPrivate(),
			Topics:        append([]string{}, r.Topics...),
		}
	}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	for _, u := range pr.RequestedReviewers {
		out.RequestedUsers = append(out.RequestedUsers, u.GetLogin())
	}
	for _, t := range pr.RequestedTeams {
		out.RequestedTeams = append(out.RequestedTeams, t.GetSlug())
	}
	return out
}

func account(u *github.User) decision.Account {
	return decision.Account{Login: u.GetLogin(), Type: u.GetType()}
}

func branch(b *github.PullRequestBranch) decision.Branch {
	return decision.Branch{Ref: b.GetRef(), SHA: b.GetSHA(), RepoFullName: b.GetRepo().GetFullName()}
}

// timestamp is zero for a time GitHub did not send.
func timestamp(t *github.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func reviews(in []*github.PullRequestReview) []decision.Review {
	out := make([]decision.Review, 0, len(in))
	for _, r := range in {
		out = append(out, decision.Review{
			Author:            account(r.GetUser()),
			AuthorAssociation: r.GetAuthorAssociation(),
			State:             r.GetState(),
			CommitSHA:         r.GetCommitID(),
			SubmittedAt:       timestamp(r.SubmittedAt),
		})
	}
	return out
}

func commits(in []*github.RepositoryCommit) []decision.Commit {
	out := make([]decision.Commit, 0, len(in))
	for _, c := range in {
		out = append(out, decision.Commit{
			SHA: c.GetSHA(), Message: c.GetCommit().GetMessage(),
			Author: c.GetAuthor().GetLogin(), Committer: c.GetCommitter().GetLogin(),
		})
	}
	return out
}

func changedFiles(in []*github.CommitFile) []decision.ChangedFile {
	out := make([]decision.ChangedFile, 0, len(in))
	for _, f := range in {
		out = append(out, decision.ChangedFile{
			Path: f.GetFilename(), PreviousPath: f.GetPreviousFilename(), Status: f.GetStatus(),
			Additions: f.GetAdditions(), Deletions: f.GetDeletions(), Changes: f.GetChanges(), Patch: f.GetPatch(),
		})
	}
	return out
}

// checkRunOutput is the output a write sends; nil when it sets none, so
// the check run's output is left as it is.
func checkRunOutput(w decision.CheckRunWrite) *github.CheckRunOutput {
	if w.Title == "" && w.Summary == "" && w.Text == "" && len(w.Annotations) == 0 {
		return nil
	}
	out := &github.CheckRunOutput{Title: github.String(w.Title), Summary: github.String(w.Summary)}
	if w.Text != "" {
		out.Text = github.String(w.Text)
	}
	for _, a := range w.Annotations {
		out.Annotations = append(out.Annotations, &github.CheckRunAnnotation{
			Path: github.String(a.Path), StartLine: github.Int(a.StartLine), EndLine: github.Int(a.EndLine),
			AnnotationLevel: github.String(string(a.Level)), Title: github.String(a.Title), Message: github.String(a.Message),
		})
	}
	return out
}

// completion is the status, conclusion and completion time a write sets:
// none unless it concludes the check run.
func completion(w decision.CheckRunWrite) (status, conclusion *string, at *github.Timestamp) {
	if w.Conclusion == "" {
		return nil, nil, nil
	}
	status, conclusion = github.String("completed"), github.String(string(w.Conclusion))
	if !w.CompletedAt.IsZero() {
		at = &github.Timestamp{Time: w.CompletedAt}
	}
	return status, conclusion, at
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func createOptions(w decision.CheckRunWrite) github.CreateCheckRunOptions {
	status, conclusion, at := completion(w)
	return github.CreateCheckRunOptions{
		Name: w.Name, HeadSHA: w.HeadSHA, ExternalID: optional(w.ExternalID), DetailsURL: optional(w.DetailsURL),
		Status: status, Conclusion: conclusion, CompletedAt: at, Output: checkRunOutput(w),
	}
}

func updateOptions(w decision.CheckRunWrite) github.UpdateCheckRunOptions {
	status, conclusion, at := completion(w)
	return github.UpdateCheckRunOptions{
		Name: w.Name, ExternalID: optional(w.ExternalID), DetailsURL: optional(w.DetailsURL),
		Status: status, Conclusion: conclusion, CompletedAt: at, Output: checkRunOutput(w),
	}
}

// DecodePullRequest reads a pull request in the JSON shape of GitHub's REST
// API (GET /repos/{owner}/{repo}/pulls/{number}), as `mergeguard eval DIR`
// is given it. Only the first JSON value is read. The error is the JSON
// decoder's own, for the caller to place in its file.
func DecodePullRequest(data []byte) (decision.PullRequestDetails, error) {
	var pr github.PullRequest
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&pr); err != nil {
		return decision.PullRequestDetails{}, err
	}
	return pullRequestDetails(&pr), nil
}

// DecodeReviews reads a pull request's reviews in the JSON shape of GitHub's
// list-reviews API.
func DecodeReviews(data []byte) ([]decision.Review, error) {
	var in []*github.PullRequestReview
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&in); err != nil {
		return nil, err
	}
	return reviews(in), nil
}

// DecodeCommits reads a pull request's commits in the JSON shape of GitHub's
// list-commits API.
func DecodeCommits(data []byte) ([]decision.Commit, error) {
	var in []*github.RepositoryCommit
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&in); err != nil {
		return nil, err
	}
	return commits(in), nil
}
