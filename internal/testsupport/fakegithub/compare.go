package fakegithub

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// compare implements GET /repos/{owner}/{repo}/compare/{basehead} for
// commits of the repository's pull requests: a head and an earlier commit of
// the same pull request compare "ahead" with the files the later commits
// touched; the pull request's base and a head, "ahead" with its files and
// the base as the merge base; a commit a force-push removed compares
// "diverged".
func (s *Server) compare(w *responder, r *http.Request) (int, any) {
	base, head, ok := strings.Cut(r.PathValue("basehead"), "...")
	if !ok {
		return 404, errorBody("Not Found")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	w.pr = rp.prAt(head)
	for _, p := range rp.pulls {
		hi := slices.IndexFunc(p.commits, func(c commit) bool { return c.sha == head })
		if hi < 0 {
			continue
		}
		bi := slices.IndexFunc(p.commits, func(c commit) bool { return c.sha == base })
		switch {
		case bi >= 0 && bi <= hi:
			var touched []string
			for _, c := range p.commits[bi+1 : hi+1] {
				for _, path := range c.touched {
					if !slices.Contains(touched, path) {
						touched = append(touched, path)
					}
				}
			}
			status := "ahead"
			if bi == hi {
				status = "identical"
			}
			return 200, s.comparisonJSON(p, p.commits[bi], p.commits[bi], p.commits[bi+1:hi+1], touched, status, hi-bi, 0)
		case base == p.baseSHA:
			// The pull request's own diff: everything since its base.
			b := commit{sha: base, message: "base"}
			return 200, s.comparisonJSON(p, b, b, p.commits[:hi+1], paths(p.files), "ahead", hi+1, 0)
		case rp.orphans[base]:
			// The old commit shares only the pull request's base with head.
			mergeBase := commit{sha: p.baseSHA, message: "base"}
			return 200, s.comparisonJSON(p, commit{sha: base, message: "rewritten"}, mergeBase, p.commits[:hi+1], paths(p.files), "diverged", hi+1, 1)
		}
	}
	return 404, errorBody("Not Found")
}

func (s *Server) comparisonJSON(p *PR, base, mergeBase commit, commits []commit, touched []string, status string, ahead, behind int) map[string]any {
	full := p.repo.FullName()
	head := p.headSHA
	list := []any{}
	for i, c := range commits {
		parent := base.sha
		if i > 0 {
			parent = commits[i-1].sha
		}
		list = append(list, s.commitJSON(p, c, parent))
	}
	files := []any{}
	for _, path := range touched {
		for _, f := range p.files {
			if f.Path == path {
				files = append(files, s.fileJSON(p, f))
			}
		}
	}
	html := fmt.Sprintf("%s/%s/compare/%s...%s", webHost, full, base.sha, head)
	return map[string]any{
		"url":               fmt.Sprintf("%s/repos/%s/compare/%s...%s", s.api(), full, base.sha, head),
		"html_url":          html,
		"permalink_url":     html,
		"diff_url":          html + ".diff",
		"patch_url":         html + ".patch",
		"base_commit":       s.commitJSON(p, base, ""),
		"merge_base_commit": s.commitJSON(p, mergeBase, ""),
		"status":            status,
		"ahead_by":          ahead,
		"behind_by":         behind,
		"total_commits":     len(commits),
		"commits":           list,
		"files":             files,
	}
}
