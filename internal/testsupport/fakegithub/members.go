package fakegithub

import (
	"net/http"
	"slices"
	"strings"
)

// AddMember makes users members of an organization. Members of its teams
// (AddTeam) are members too, as on GitHub.
func (s *Server) AddMember(org string, logins ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.members == nil {
		s.members = map[string]bool{}
	}
	for _, l := range logins {
		s.members[lower(org+"/"+l)] = true
	}
}

// checkMember implements GET /orgs/{org}/members/{username} as an
// installation with the members permission sees it: 204 for a member,
// public or private, and 404 with no body for anyone else (GitHub's
// description declares no content for either). An installation on another
// account is a 404 too, as for teams.
func (s *Server) checkMember(w *responder, r *http.Request) (int, any) {
	org, login := r.PathValue("org"), r.PathValue("username")
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.installations[w.installation]
	if inst == nil || !strings.EqualFold(inst.account, org) {
		return 404, nil
	}
	member := s.members[lower(org+"/"+login)]
	for _, t := range s.teams {
		if strings.EqualFold(t.org, org) && slices.ContainsFunc(t.members, func(m string) bool { return strings.EqualFold(m, login) }) {
			member = true
		}
	}
	if !member {
		return 404, nil
	}
	return 204, nil
}
