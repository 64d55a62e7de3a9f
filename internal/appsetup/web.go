package appsetup

import (
	"fmt"
	"net/url"
	"strings"
)

// WebURL derives GitHub's web address (where Apps are registered) from the
// REST API root: https://api.github.com/ → https://github.com/, GitHub
// Enterprise Server's https://HOST/api/v3/ → https://HOST/, and GitHub
// Enterprise Cloud's https://api.SUBDOMAIN.ghe.com/ → https://SUBDOMAIN.ghe.com/.
// The result ends with a slash.
func WebURL(apiURL string) (string, error) {
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("MERGEGUARD_GITHUB_API_URL %q is not an http(s) URL", apiURL)
	}
	path := strings.TrimSuffix(u.Path, "/")
	switch {
	case strings.HasSuffix(path, "/api/v3"):
		u.Path = strings.TrimSuffix(path, "api/v3")
	case path == "" && strings.HasPrefix(u.Host, "api.") && len(u.Hostname()) > len("api."):
		u.Host, u.Path = strings.TrimPrefix(u.Host, "api."), "/"
	default:
		return "", fmt.Errorf("cannot tell GitHub's web address from MERGEGUARD_GITHUB_API_URL %q: use https://api.github.com/ or, for GitHub Enterprise Server, https://HOST/api/v3/", apiURL)
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment, u.User = "", false, "", "", nil
	return u.String(), nil
}

// NewAppURL is the page that registers an App from a manifest: under the
// organization when org is set, else under the signed-in user.
func NewAppURL(webURL, org, state string) string {
	page := "settings/apps/new"
	if org != "" {
		page = "organizations/" + url.PathEscape(org) + "/settings/apps/new"
	}
	return webURL + page + "?state=" + url.QueryEscape(state)
}
