package fakegithub

import (
	"net/http"
	"sort"
)

// Archive archives the repository: GitHub still lists and serves it, but
// refuses writes to it.
func (r *Repo) Archive() {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.archived = true
}

// listInstallationRepos implements GET /installation/repositories: the
// repositories the token's installation can access, oldest first. Only an
// installation token may ask; GitHub refuses a personal token with 403.
func (s *Server) listInstallationRepos(w *responder, r *http.Request) (int, any) {
	if personalToken(r) {
		return 403, errorBody("You must authenticate with an installation access token in order to list repositories for an installation.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var repos []*Repo
	for _, rp := range s.repos {
		if rp.installation == w.installation {
			repos = append(repos, rp)
		}
	}
	sort.Slice(repos, func(i, j int) bool { return repos[i].id < repos[j].id })
	from, to, status, body := pagination(w, r, len(repos))
	if status != 0 {
		return status, body
	}
	list := []any{}
	for _, rp := range repos[from:to] {
		list = append(list, s.orgRepoJSON(rp))
	}
	return 200, map[string]any{"total_count": len(repos), "repositories": list, "repository_selection": "all"}
}
