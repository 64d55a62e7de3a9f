package oidcauth

import (
	"fmt"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Claims are what mergeguard uses from a verified token.
type Claims struct {
	Repository string // "owner/name"
	SHA        string // the commit the workflow ran for (for pull_request events: the merge commit)
	Ref        string // e.g. refs/heads/main, refs/pull/42/merge
	EventName  string
	Actor      string
	Workflow   string
	RunID      string
}

// claimsOf reads the GitHub-specific claims of a verified token. Repository
// and sha are required because they are what ties an upload to a commit; a
// token without them is an ID token, but not a workflow's.
func claimsOf(tok *oidc.IDToken) (Claims, *Error) {
	var c struct {
		Repository string `json:"repository"`
		SHA        string `json:"sha"`
		Ref        string `json:"ref"`
		EventName  string `json:"event_name"`
		Actor      string `json:"actor"`
		Workflow   string `json:"workflow"`
		RunID      string `json:"run_id"`
	}
	if err := tok.Claims(&c); err != nil {
		return Claims{}, reject(reasonMalformed, fmt.Sprintf("the token's claims are not what GitHub Actions issues (%v)", err))
	}
	var missing []string
	if c.Repository == "" {
		missing = append(missing, "repository")
	}
	if c.SHA == "" {
		missing = append(missing, "sha")
	}
	if len(missing) > 0 {
		return Claims{}, reject(reasonMissing, fmt.Sprintf("the token has no %s claim; only tokens a GitHub Actions job requests carry them, so request it from within the workflow", strings.Join(missing, " or ")))
	}
	return Claims(c), nil
}
