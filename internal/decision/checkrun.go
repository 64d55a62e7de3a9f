package decision

import "errors"

// ErrNotFound is what a lookup returns when there is nothing to find. The
// store returns it, so that the parts it serves tell absence from failure
// without importing the store (and its database drivers).
var ErrNotFound = errors.New("not found")

// The publisher's records of what it published, in its own terms; the
// store keeps them.

// CheckRunKey identifies the check run mergeguard owns on a head commit.
type CheckRunKey struct {
	RepoID  int64
	HeadSHA string
	Name    string
}

// CheckRunRecord is what mergeguard last published on a check run.
type CheckRunRecord struct {
	ID           int64
	OutputDigest string
	// Annotations are the keys of annotations the check run already carries.
	Annotations []string
}

// HeadVerdict is one pull request's verdict on a head commit.
type HeadVerdict struct {
	PR         int
	BaseRef    string
	Conclusion string
	// Output is the rendered check-run output, as JSON.
	Output string
}
