// Package deployhistory is the deployment history the bake_time rule reads
// (input.deployments): per environment, the deployments of a repository with
// their statuses, as GitHub's Deployments API answers. It reads GitHub's
// JSON (the API's answers, or the deployments.json `mergeguard eval` takes)
// and shapes it for the input document. It is pure; fetching is the GitHub
// client's job.
package deployhistory

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/text"
)

// Fetch outcomes, in Input.Status.
const (
	// StatusOK: the history was read.
	StatusOK = "ok"
	// StatusPermissionMissing: the installation has not granted
	// Deployments: read (GitHub answered 403 or 404 for the repository's
	// deployments), which the rule reports with what to grant.
	StatusPermissionMissing = "permission_missing"
	// StatusError: GitHub did not answer usefully; the rule fails closed.
	StatusError = "error"
)

// Limits: the rule needs the recent history, and the input document must
// stay small.
const (
	MaxDeploymentsPerEnvironment = 100
	MaxStatusesPerDeployment     = 100
	maxText                      = 200
)

// Status is one deployment status.
type Status struct {
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
}

// Deployment is one deployment with its statuses, oldest status first.
type Deployment struct {
	ID          int64     `json:"id"`
	SHA         string    `json:"sha"`
	Ref         string    `json:"ref"`
	Environment string    `json:"environment"`
	CreatedAt   time.Time `json:"created_at"`
	Statuses    []Status  `json:"statuses"`
}

// Input is input.deployments.
type Input struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Environments maps an environment's name to its deployments, newest
	// first, as GitHub lists them.
	Environments map[string][]Deployment `json:"environments"`
}

// PermissionMissing is the input when the installation cannot read
// deployments.
func PermissionMissing() Input {
	return Input{Status: StatusPermissionMissing, Environments: map[string][]Deployment{}}
}

// Failed is the input when the history could not be read.
func Failed(err error) Input {
	msg := "unknown error"
	if err != nil {
		msg = clip(err.Error())
	}
	return Input{Status: StatusError, Error: msg, Environments: map[string][]Deployment{}}
}

// FromDeployments shapes deployments (of any environments, in any order)
// into the input: grouped by environment, newest deployment first, each
// one's statuses oldest first, within the limits.
func FromDeployments(ds []Deployment) Input {
	in := Input{Status: StatusOK, Environments: map[string][]Deployment{}}
	for _, d := range ds {
		d.Statuses = append([]Status(nil), d.Statuses...)
		sort.SliceStable(d.Statuses, func(i, j int) bool { return d.Statuses[i].CreatedAt.Before(d.Statuses[j].CreatedAt) })
		if n := len(d.Statuses); n > MaxStatusesPerDeployment {
			d.Statuses = d.Statuses[n-MaxStatusesPerDeployment:] // the latest matter
		}
		if d.Statuses == nil {
			d.Statuses = []Status{}
		}
		in.Environments[d.Environment] = append(in.Environments[d.Environment], d)
	}
	for env, list := range in.Environments {
		sort.SliceStable(list, func(i, j int) bool {
			if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
				return list[i].CreatedAt.After(list[j].CreatedAt)
			}
			return list[i].ID > list[j].ID
		})
		if len(list) > MaxDeploymentsPerEnvironment {
			list = list[:MaxDeploymentsPerEnvironment]
		}
		in.Environments[env] = list
	}
	return in
}

// githubDeployment and githubStatus read the fields used from GitHub's
// deployment and deployment status objects.
type githubDeployment struct {
	ID          *int64          `json:"id"`
	SHA         string          `json:"sha"`
	Ref         string          `json:"ref"`
	Environment string          `json:"environment"`
	CreatedAt   *time.Time      `json:"created_at"`
	Statuses    json.RawMessage `json:"statuses"`
}

type githubStatus struct {
	State     string     `json:"state"`
	CreatedAt *time.Time `json:"created_at"`
}

// ParseDeployments reads the answer to GET /repos/{owner}/{repo}/deployments.
// A deployment object may carry its statuses under "statuses" (GitHub's
// answer does not; deployments.json does).
func ParseDeployments(body []byte) ([]Deployment, error) {
	var raw []githubDeployment
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("deployments: not a JSON list of deployments: %w", err)
	}
	out := make([]Deployment, 0, len(raw))
	for i, g := range raw {
		if g.ID == nil || g.CreatedAt == nil || g.Environment == "" {
			return nil, fmt.Errorf("deployments: item %d lacks id, environment or created_at", i)
		}
		d := Deployment{ID: *g.ID, SHA: strings.ToLower(clip(g.SHA)), Ref: clip(g.Ref), Environment: clip(g.Environment), CreatedAt: *g.CreatedAt, Statuses: []Status{}}
		if len(g.Statuses) > 0 && string(g.Statuses) != "null" {
			st, err := ParseStatuses(g.Statuses)
			if err != nil {
				return nil, fmt.Errorf("deployments: deployment %d: %w", d.ID, err)
			}
			d.Statuses = st
		}
		out = append(out, d)
	}
	return out, nil
}

// ParseStatuses reads the answer to GET
// /repos/{owner}/{repo}/deployments/{id}/statuses.
func ParseStatuses(body []byte) ([]Status, error) {
	var raw []githubStatus
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("statuses: not a JSON list of deployment statuses: %w", err)
	}
	out := make([]Status, 0, len(raw))
	for i, g := range raw {
		if g.State == "" || g.CreatedAt == nil {
			return nil, fmt.Errorf("statuses: item %d lacks state or created_at", i)
		}
		out = append(out, Status{State: clip(g.State), CreatedAt: *g.CreatedAt})
	}
	return out, nil
}

// ParseFile reads the deployments.json of an eval directory: GitHub's
// deployment objects, each with its statuses under "statuses".
func ParseFile(body []byte) (Input, error) {
	ds, err := ParseDeployments(body)
	if err != nil {
		return Input{}, err
	}
	return FromDeployments(ds), nil
}

// clip bounds a string GitHub sent (a ref, an environment's name).
func clip(s string) string { return text.Clip(s, maxText) }
