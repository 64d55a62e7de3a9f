// Package fleet is a batch of pull requests opened at once on a fake
// GitHub, each with the verdict it must end with, for the tests that hold
// the server to converging under GitHub's faults, outages and crashes.
package fleet

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

// Fleet is n pull requests spread over installations (one organization
// and repository each): every second one approved by someone other than
// its author, so half must end as success and half as failure under the
// bundled rules.
type Fleet struct {
	GH  *fakegithub.Server
	PRs []*fakegithub.PR
	// Want is each pull request's expected conclusion, by Key.
	Want map[string]string
}

// New opens n pull requests over installations installations (numbered
// from 100; organization org<i>, repository shop).
func New(gh *fakegithub.Server, n, installations int) *Fleet {
	f := &Fleet{GH: gh, Want: map[string]string{}}
	repos := make([]*fakegithub.Repo, installations)
	for i := range repos {
		repos[i] = gh.AddRepo(int64(100+i), fmt.Sprintf("org%d", i), "shop")
	}
	for i := range n {
		repo := repos[i%installations]
		pr := repo.OpenPR(fakegithub.PRSpec{
			Title: fmt.Sprintf("Change %d", i), Author: "dev",
			Files: []fakegithub.File{{Path: fmt.Sprintf("pkg%d/a.go", i), Status: "modified", Patch: "@@ -1 +1 @@\n-a\n+b\n"}},
		})
		want := "failure"
		if i%2 == 0 {
			pr.Review("alice", "APPROVED")
			want = "success"
		}
		f.PRs = append(f.PRs, pr)
		f.Want[Key(pr)] = want
	}
	return f
}

// Key names a pull request as the fake's request log does ("owner/repo#n").
func Key(pr *fakegithub.PR) string { return fmt.Sprintf("%s#%d", pr.Repo().FullName(), pr.Number) }

// Opened is the pull request's opening delivery: its ID and body.
func (f *Fleet) Opened(pr *fakegithub.PR) (id string, body []byte) {
	return "opened-" + strings.ReplaceAll(Key(pr), "/", "-"), f.GH.Payload("pull_request", "opened", pr, nil)
}

// Pending lists what keeps the fleet from its end state: a pull request
// without exactly one completed check run on its head with its expected
// conclusion. Empty means converged.
func (f *Fleet) Pending() []string {
	var out []string
	for _, pr := range f.PRs {
		runs := f.GH.CheckRuns(pr.Repo().FullName(), pr.HeadSHA())
		want := f.Want[Key(pr)]
		switch {
		case len(runs) == 0:
			out = append(out, Key(pr)+": no check run")
		case len(runs) > 1:
			out = append(out, fmt.Sprintf("%s: %d check runs", Key(pr), len(runs)))
		case runs[0].Status != "completed" || runs[0].Conclusion != want:
			out = append(out, fmt.Sprintf("%s: %s/%s (%s), want completed/%s", Key(pr), runs[0].Status, runs[0].Conclusion, runs[0].Title, want))
		}
	}
	return out
}

// Duplicates lists the pull requests with more than one check run on their
// head: the one thing that may never happen, even mid-way.
func (f *Fleet) Duplicates() []string {
	var out []string
	for _, pr := range f.PRs {
		if n := len(f.GH.CheckRuns(pr.Repo().FullName(), pr.HeadSHA())); n > 1 {
			out = append(out, fmt.Sprintf("%s: %d check runs", Key(pr), n))
		}
	}
	return out
}

// Requests counts the requests the fake received, and how many of them
// were answered normally (no fault, no limit).
func (f *Fleet) Requests() (all, answered int) {
	for _, r := range f.GH.Requests() {
		all++
		if r.Fault == "" && r.Status > 0 && r.Status < 400 {
			answered++
		}
	}
	return all, answered
}

// RereadFacts lists the facts of a pull request (its files, reviews,
// commits, comparisons) read and answered more often than the pull request
// itself. Every evaluation attempt reads the pull request once, first; an
// attempt that read a fact twice would show here. (A fact read fewer times
// is an attempt that stopped before it.) Looking up a check run is not a
// fact: the publisher looks again after a write whose answer was lost.
func (f *Fleet) RereadFacts() []string {
	type key struct{ pr, req string }
	reads := map[key]int{}
	pulls := map[string]int{}
	for _, r := range f.GH.Requests() {
		if r.Method != http.MethodGet || r.PR == "" || r.Fault != "" || (r.Status != http.StatusOK && r.Status != http.StatusNotModified) {
			continue
		}
		switch r.Route {
		case "/repos/{owner}/{repo}/pulls/{pull_number}":
			pulls[r.PR]++
			continue
		case "/repos/{owner}/{repo}/commits/{ref}/check-runs":
			continue
		}
		reads[key{r.PR, r.Route + "?" + r.Query}]++
	}
	var out []string
	for k, n := range reads {
		if n > pulls[k.pr] {
			out = append(out, fmt.Sprintf("%s: %s read %d times in %d evaluations", k.pr, k.req, n, pulls[k.pr]))
		}
	}
	sort.Strings(out)
	return out
}
