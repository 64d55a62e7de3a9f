package localpr

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mergeguard/mergeguard/internal/deployhistory"
)

// DeploymentsFile holds the repository's deployment history, for bake_time.
const DeploymentsFile = "deployments.json"

// Deployments is the deployment history of deployments.json, answering as
// GitHub's Deployments API would: the deployments to an environment of a
// commit (or, without one, of a ref), newest first.
type Deployments struct {
	list []deployhistory.Deployment
	// missing is why there is no history: the file is not there.
	missing error
}

// LoadDeployments reads deployments.json in dir: GitHub's deployment
// objects, each with its statuses under "statuses". Without the file,
// every question about deployments is answered with an error, which the
// bake_time rule reports rather than passing.
func LoadDeployments(dir string) (Deployments, error) {
	data, err := readFile(dir, DeploymentsFile, false)
	if err != nil {
		return Deployments{}, err
	}
	if data == nil {
		return Deployments{missing: fmt.Errorf("%s is missing: add the repository's deployments, each with its statuses, to evaluate bake time offline", filepath.Join(dir, DeploymentsFile))}, nil
	}
	list, err := deployhistory.ParseDeployments(data)
	if err != nil {
		return Deployments{}, fmt.Errorf("%s is not valid: %w", filepath.Join(dir, DeploymentsFile), err)
	}
	return Deployments{list: list}, nil
}

// Deployments answers as GitHub's GET /repos/{owner}/{repo}/deployments
// filtered by environment and sha (or ref) does, with each deployment's
// statuses.
func (d Deployments) Deployments(_ context.Context, _, _, environment, sha, ref string) ([]deployhistory.Deployment, error) {
	if d.missing != nil {
		return nil, d.missing
	}
	var out []deployhistory.Deployment
	for _, dep := range d.list {
		switch {
		case dep.Environment != environment:
		case sha != "" && !strings.EqualFold(dep.SHA, sha):
		case sha == "" && dep.Ref != ref:
		default:
			out = append(out, dep)
		}
	}
	return out, nil
}
