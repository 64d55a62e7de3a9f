package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Deployment is a deployment in the fake: a commit (and the ref it was
// asked for) sent to an environment, with its statuses oldest first.
type Deployment struct {
	repo        *Repo
	id          int64
	sha, ref    string
	environment string
	creator     string
	created     time.Time
	statuses    []deploymentStatus
}

type deploymentStatus struct {
	id      int64
	state   string
	created time.Time
}

// Deploy records a deployment of sha (asked for as ref, a tag or branch) to
// environment at the given time, with no status yet.
func (r *Repo) Deploy(environment, sha, ref string, at time.Time) *Deployment {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	d := &Deployment{repo: r, id: r.s.id(), sha: sha, ref: ref, environment: environment, creator: "deploy-bot[bot]", created: at.UTC()}
	r.deployments = append(r.deployments, d)
	return d
}

// DenyDeployments makes the repository's deployments unreadable to the
// App, as for an installation that has not accepted Deployments: read
// (GitHub answers 403 "Resource not accessible by integration").
func (r *Repo) DenyDeployments(deny bool) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.deploymentsDenied = deny
}

// ID is the deployment's ID.
func (d *Deployment) ID() int64 { return d.id }

// SetStatus adds a status (success, failure, error, in_progress, …) at the
// given time.
func (d *Deployment) SetStatus(state string, at time.Time) {
	d.repo.s.mu.Lock()
	defer d.repo.s.mu.Unlock()
	d.statuses = append(d.statuses, deploymentStatus{id: d.repo.s.id(), state: state, created: at.UTC()})
}

func (s *Server) deploymentJSON(d *Deployment) map[string]any {
	full := d.repo.FullName()
	u := fmt.Sprintf("%s/repos/%s/deployments/%d", s.api(), full, d.id)
	updated := d.created
	if n := len(d.statuses); n > 0 {
		updated = d.statuses[n-1].created
	}
	return map[string]any{
		"url": u, "id": d.id, "node_id": nodeID("DE_", d.id), "sha": d.sha, "ref": d.ref, "task": "deploy",
		"payload": map[string]any{}, "original_environment": d.environment, "environment": d.environment,
		"description": "Deploy " + d.ref, "creator": s.userJSON(d.creator, "Bot"),
		"created_at": ts(d.created), "updated_at": ts(updated), "statuses_url": u + "/statuses",
		"repository_url": s.api() + "/repos/" + full, "transient_environment": false,
		"production_environment": d.environment == "production",
	}
}

func (s *Server) deploymentStatusJSON(d *Deployment, st deploymentStatus) map[string]any {
	full := d.repo.FullName()
	du := fmt.Sprintf("%s/repos/%s/deployments/%d", s.api(), full, d.id)
	return map[string]any{
		"url": fmt.Sprintf("%s/statuses/%d", du, st.id), "id": st.id, "node_id": nodeID("DES_", st.id),
		"state": st.state, "creator": s.userJSON(d.creator, "Bot"), "description": "",
		"environment": d.environment, "target_url": webHost + "/" + full + "/actions", "log_url": webHost + "/" + full + "/actions",
		"environment_url": "https://" + d.environment + ".example.com",
		"created_at":      ts(st.created), "updated_at": ts(st.created),
		"deployment_url": du, "repository_url": s.api() + "/repos/" + full,
	}
}

// listDeployments answers GET /repos/{owner}/{repo}/deployments, newest
// first, filtered by sha, ref, task and environment as GitHub does.
func (s *Server) listDeployments(w *responder, r *http.Request) (int, any) {
	s.mu.Lock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	if rp == nil {
		s.mu.Unlock()
		return 404, errorBody("Not Found")
	}
	if rp.deploymentsDenied {
		s.mu.Unlock()
		return 403, errorBody("Resource not accessible by integration")
	}
	q := r.URL.Query()
	var list []*Deployment
	for i := len(rp.deployments) - 1; i >= 0; i-- {
		d := rp.deployments[i]
		if v := q.Get("sha"); v != "" && !strings.EqualFold(v, d.sha) {
			continue
		}
		if v := q.Get("ref"); v != "" && v != d.ref {
			continue
		}
		if v := q.Get("task"); v != "" && v != "deploy" {
			continue
		}
		if v := q.Get("environment"); v != "" && v != d.environment {
			continue
		}
		list = append(list, d)
	}
	items := make([]map[string]any, len(list))
	for i, d := range list {
		items[i] = s.deploymentJSON(d)
	}
	s.mu.Unlock()
	return s.listPageOf(w, r, len(items), func(i int) any { return items[i] })
}

// listDeploymentStatuses answers GET
// /repos/{owner}/{repo}/deployments/{deployment_id}/statuses, newest first.
func (s *Server) listDeploymentStatuses(w *responder, r *http.Request) (int, any) {
	id, err := strconv.ParseInt(r.PathValue("deployment_id"), 10, 64)
	s.mu.Lock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	if rp == nil || err != nil {
		s.mu.Unlock()
		return 404, errorBody("Not Found")
	}
	if rp.deploymentsDenied {
		s.mu.Unlock()
		return 403, errorBody("Resource not accessible by integration")
	}
	var items []map[string]any
	for _, d := range rp.deployments {
		if d.id != id {
			continue
		}
		items = []map[string]any{}
		for i := len(d.statuses) - 1; i >= 0; i-- {
			items = append(items, s.deploymentStatusJSON(d, d.statuses[i]))
		}
	}
	s.mu.Unlock()
	if items == nil {
		return 404, errorBody("Not Found")
	}
	return s.listPageOf(w, r, len(items), func(i int) any { return items[i] })
}

// DeploymentStatusPayload builds the deployment_status delivery GitHub
// sends from an App's webhook for the deployment's latest status.
func (s *Server) DeploymentStatusPayload(d *Deployment) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(d.statuses) == 0 {
		panic("fakegithub: DeploymentStatusPayload of a deployment without a status")
	}
	st := s.deploymentStatusJSON(d, d.statuses[len(d.statuses)-1])
	dep := s.deploymentJSON(d)
	body := map[string]any{
		"action": "created", "deployment_status": st, "deployment": dep,
		"repository":   s.repoJSON(d.repo),
		"sender":       s.userJSON(d.creator, "Bot"),
		"installation": map[string]any{"id": d.repo.installation, "node_id": nodeID("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u", d.repo.installation)},
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return b
}
