package githubapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// DefaultBranch returns a repository's default branch.
func (i *Installation) DefaultBranch(ctx context.Context, owner, repo string) (string, error) {
	r, _, err := i.client.Repositories.Get(ctx, owner, repo)
	if err != nil {
		return "", fmt.Errorf("get repository %s/%s: %w", owner, repo, i.explain(err))
	}
	return r.GetDefaultBranch(), nil
}

// CommitSHA resolves a branch, tag or SHA to a commit SHA. Repeated calls are
// conditional, so checking whether a branch moved costs a 304.
func (i *Installation) CommitSHA(ctx context.Context, owner, repo, ref string) (string, error) {
	sha, _, err := i.client.Repositories.GetCommitSHA1(ctx, owner, repo, ref, "")
	if err != nil {
		return "", fmt.Errorf("resolve %s in %s/%s: %w", ref, owner, repo, i.explain(err))
	}
	return sha, nil
}

// TreeEntry is a file in a commit's tree.
type TreeEntry struct {
	Path string
	SHA  string
	Size int
}

// ErrTreeTooLarge is returned when GitHub truncates a recursive tree
// listing (more than 100,000 entries or 7 MB).
var ErrTreeTooLarge = errors.New("the repository's tree is too large for GitHub to list in one response")

// Files lists the files (blobs) of a commit's tree, recursively.
func (i *Installation) Files(ctx context.Context, owner, repo, sha string) ([]TreeEntry, error) {
	tree, _, err := i.client.Git.GetTree(ctx, owner, repo, sha, true)
	if err != nil {
		return nil, fmt.Errorf("read the tree of %s/%s@%s: %w", owner, repo, decision.ShortSHA(sha), i.explain(err))
	}
	if tree.GetTruncated() {
		return nil, fmt.Errorf("%s/%s@%s: %w", owner, repo, decision.ShortSHA(sha), ErrTreeTooLarge)
	}
	var out []TreeEntry
	for _, e := range tree.Entries {
		if e.GetType() == "blob" {
			out = append(out, TreeEntry{Path: e.GetPath(), SHA: e.GetSHA(), Size: e.GetSize()})
		}
	}
	return out, nil
}

// Blob returns a file's content by its blob SHA.
func (i *Installation) Blob(ctx context.Context, owner, repo, sha string) ([]byte, error) {
	b, _, err := i.client.Git.GetBlobRaw(ctx, owner, repo, sha)
	if err != nil {
		return nil, fmt.Errorf("read blob %s in %s/%s: %w", decision.ShortSHA(sha), owner, repo, i.explain(err))
	}
	return b, nil
}

// File returns a file's content at ref; found is false when it does not
// exist there.
func (i *Installation) File(ctx context.Context, owner, repo, path, ref string) (content []byte, found bool, err error) {
	fc, _, _, err := i.client.Repositories.GetContents(ctx, owner, repo, path, &github.RepositoryContentGetOptions{Ref: ref})
	if IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s at %s in %s/%s: %w", path, ref, owner, repo, i.explain(err))
	}
	if fc == nil {
		return nil, false, fmt.Errorf("%s in %s/%s is a directory, not a file", path, owner, repo)
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, false, fmt.Errorf("decode %s in %s/%s: %w", path, owner, repo, err)
	}
	return []byte(s), true, nil
}

// FileTooLargeError is a file FileAt would not read whole.
type FileTooLargeError struct {
	Path, Ref string
	Limit     int64
	// Size is the file's size when GitHub said it, else -1.
	Size int64
}

func (e *FileTooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("%s at %s is larger than %d bytes", e.Path, decision.ShortSHA(e.Ref), e.Limit)
	}
	return fmt.Sprintf("%s at %s is %d bytes, more than %d", e.Path, decision.ShortSHA(e.Ref), e.Size, e.Limit)
}

// FileAt returns a file's content at ref (a commit SHA, branch or tag) as
// it is, reading at most limit bytes; found is false when the path is not
// a file at ref, and a larger file is a *FileTooLargeError. It asks the
// contents API for the raw media type, which serves files up to 100 MB
// where File's JSON form stops at 1 MB. Repeated reads are conditional
// (see etagCache), so reading an unchanged file again costs no rate limit.
// A fork's commits can be read from the base repository.
func (i *Installation) FileAt(ctx context.Context, owner, repo, path, ref string, limit int64) (content []byte, found bool, err error) {
	u := fmt.Sprintf("repos/%s/%s/contents/%s?ref=%s", url.PathEscape(owner), url.PathEscape(repo),
		(&url.URL{Path: strings.TrimPrefix(path, "/")}).EscapedPath(), url.QueryEscape(ref))
	req, err := i.client.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Accept", "application/vnd.github.raw+json")
	resp, err := i.client.BareDo(ctx, req)
	if resp != nil {
		defer resp.Body.Close()
	}
	var er *github.ErrorResponse
	switch {
	case IsNotFound(err):
		return nil, false, nil
	case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden && tooLarge(er):
		// Over the contents API's 100 MB.
		return nil, false, &FileTooLargeError{Path: path, Ref: ref, Limit: limit, Size: -1}
	case err != nil:
		return nil, false, fmt.Errorf("read %s at %s in %s/%s: %w", path, decision.ShortSHA(ref), owner, repo, i.explain(err))
	}
	if resp.ContentLength > limit {
		return nil, false, &FileTooLargeError{Path: path, Ref: ref, Limit: limit, Size: resp.ContentLength}
	}
	content, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, false, fmt.Errorf("read %s at %s in %s/%s: %w", path, decision.ShortSHA(ref), owner, repo, err)
	}
	if int64(len(content)) > limit {
		return nil, false, &FileTooLargeError{Path: path, Ref: ref, Limit: limit, Size: -1}
	}
	return content, true, nil
}

// tooLarge reports whether a 403 is GitHub's "too large" for the contents
// API rather than a missing permission.
func tooLarge(er *github.ErrorResponse) bool {
	for _, e := range er.Errors {
		if e.Code == "too_large" {
			return true
		}
	}
	return strings.Contains(strings.ToLower(er.Message), "too large")
}
