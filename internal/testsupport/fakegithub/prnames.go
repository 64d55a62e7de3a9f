package fakegithub

import (
	"fmt"
	"net/http"
)

// prOfPath names the pull request (or issue) a request's path is about, or
// "".
func (s *Server) prOfPath(r *http.Request) string {
	n := r.PathValue("pull_number")
	if n == "" {
		n = r.PathValue("issue_number")
	}
	if n == "" {
		return ""
	}
	return r.PathValue("owner") + "/" + r.PathValue("repo") + "#" + n
}

// prAt names the pull request whose head is sha, else one that has sha
// among its commits, or "". The caller holds s.mu.
func (rp *Repo) prAt(sha string) string {
	if rp == nil {
		return ""
	}
	best := 0
	for _, p := range rp.pulls {
		if p.headSHA == sha {
			best = p.Number
			break
		}
		for _, c := range p.commits {
			if c.sha == sha && best == 0 {
				best = p.Number
			}
		}
	}
	if best == 0 {
		return ""
	}
	return fmt.Sprintf("%s#%d", rp.FullName(), best)
}
