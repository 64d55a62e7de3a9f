package fakegithub

import (
	"fmt"
	"net/http"
	"strings"
)

// codeOwnersLocations are where GitHub looks for CODEOWNERS, in order.
var codeOwnersLocations = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// codeOwnersErrors implements GET /repos/{owner}/{repo}/codeowners/errors:
// the CODEOWNERS file GitHub uses at ref (the default branch when none),
// with a 404 when there is none. Of GitHub's checks the fake makes one:
// an @org/team owner that is not a team the fake knows is an "Unknown
// owner", worded as GitHub words it. Users are taken to exist, and lines
// GitHub cannot parse are not reported.
func (s *Server) codeOwnersErrors(w *responder, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = rp.defaultBranch
	}
	sha := ref
	if b, ok := rp.branches[ref]; ok {
		sha = b
	}
	tree, ok := rp.trees[sha]
	if !ok {
		return 404, errorBody("Not Found")
	}
	for _, loc := range codeOwnersLocations {
		content, ok := tree[loc]
		if !ok {
			continue
		}
		errs := []any{}
		for n, line := range strings.Split(content, "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
				continue
			}
			for _, owner := range fields[1:] {
				if strings.HasPrefix(owner, "#") {
					break
				}
				if !strings.HasPrefix(owner, "@") || !strings.Contains(owner, "/") || s.teams[lower(strings.TrimPrefix(owner, "@"))] != nil {
					continue
				}
				col := strings.Index(line, owner) + 1
				msg := fmt.Sprintf("Unknown owner on line %d: make sure %s exists and has write access to the repository\n\n  %s\n  %s^", n+1, owner, line, strings.Repeat(" ", col-1))
				errs = append(errs, map[string]any{
					"line": n + 1, "column": col, "kind": "Unknown owner", "source": line, "suggestion": nil, "message": msg, "path": loc,
				})
			}
		}
		return 200, map[string]any{"errors": errs}
	}
	return 404, errorBody("Not Found")
}
