package fakegithub

import (
	"net/http"
	"strings"
)

type team struct {
	id        int64
	org, slug string
	members   []string
}

// AddTeam creates a team in an organization with the given members.
func (s *Server) AddTeam(org, slug string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teams[lower(org+"/"+slug)] = &team{id: s.id(), org: org, slug: slug, members: members}
}

// teamMembers implements GET /orgs/{org}/teams/{team_slug}/members. An
// installation sees the teams of the account it is installed on; any other
// team is a 404, as on GitHub.
func (s *Server) teamMembers(w *responder, r *http.Request) (int, any) {
	org := r.PathValue("org")
	s.mu.Lock()
	inst := s.installations[w.installation]
	t := s.teams[lower(org+"/"+r.PathValue("team_slug"))]
	s.mu.Unlock()
	if t == nil || inst == nil || !strings.EqualFold(inst.account, org) {
		return 404, errorBody("Not Found")
	}
	return s.listPageOf(w, r, len(t.members), func(i int) any { return s.userJSON(t.members[i], "User") })
}
