package fakegithub

import (
	"net/http"
	"strings"
)

// SetPermission gives a user a permission on the repository: admin,
// maintain, write, triage or read. Anyone else can read it (the fake's
// repositories are visible to the installation's organization).
func (r *Repo) SetPermission(login, permission string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if r.s.permissions == nil {
		r.s.permissions = map[string]string{}
	}
	r.s.permissions[lower(r.owner+"/"+r.name+"/"+login)] = permission
}

// getPermission answers GET /repos/{owner}/{repo}/collaborators/{username}/permission.
// GitHub reports the legacy permission (admin, write, read, none) in
// "permission" and the role in "role_name": maintain shows as write,
// triage as read.
func (s *Server) getPermission(w *responder, r *http.Request) (int, any) {
	s.mu.Lock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	login := r.PathValue("username")
	role := s.permissions[lower(r.PathValue("owner")+"/"+r.PathValue("repo")+"/"+login)]
	s.mu.Unlock()
	if rp == nil {
		return 404, errorBody("Not Found")
	}
	if role == "" {
		role = "read"
	}
	legacy := map[string]string{"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}[strings.ToLower(role)]
	if legacy == "" {
		legacy = "none"
	}
	// The user is a collaborator object: a user with its role and
	// permissions on the repository.
	user := s.userJSON(login, "User")
	user["role_name"] = role
	user["permissions"] = map[string]any{
		"admin": role == "admin", "maintain": role == "admin" || role == "maintain",
		"push": legacy == "admin" || legacy == "write", "triage": legacy == "admin" || legacy == "write" || role == "triage", "pull": legacy != "none",
	}
	return 200, map[string]any{"permission": legacy, "role_name": role, "user": user}
}
