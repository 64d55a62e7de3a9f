package settings

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mergeguard/mergeguard/internal/pagerduty"
)

// Variables of the incident freeze API and the PagerDuty receiver.
const (
	EnvFreezeTokens  = "MERGEGUARD_FREEZE_TOKENS"
	EnvPagerDutyFile = "MERGEGUARD_PAGERDUTY_FILE"
)

// Incidents configures what outside tools may do to incident freezes.
type Incidents struct {
	// FreezeTokens may start, end and list freezes through
	// /api/v1/freezes, each within its scope ("owner/name", "owner/*" or
	// "*"). They are separate from the coverage upload tokens: a token CI
	// holds must not be able to stop every merge.
	FreezeTokens []UploadToken
	// PagerDuty is the PagerDuty receiver's configuration; nil when
	// POST /api/v1/pagerduty is not served.
	PagerDuty *PagerDuty
}

// PagerDuty is the validated PagerDuty receiver configuration.
type PagerDuty struct {
	// Owner is the organization whose repositories incidents freeze.
	Owner  string
	Config pagerduty.Config
}

// pagerDutyFile is the file MERGEGUARD_PAGERDUTY_FILE names.
type pagerDutyFile struct {
	Organization        string `yaml:"organization"`
	pagerduty.RawConfig `yaml:",inline"`
}

// maxPagerDutyFile bounds the file: secrets and a service map.
const maxPagerDutyFile = 1 << 20

func incidentsFromEnv(get func(string) string, readFile func(string) ([]byte, error)) (Incidents, error) {
	var in Incidents
	var err error
	if in.FreezeTokens, err = scopedTokens(EnvFreezeTokens, get(EnvFreezeTokens)); err != nil {
		return in, err
	}
	path := get(EnvPagerDutyFile)
	if path == "" {
		return in, nil
	}
	data, err := readFile(path)
	if err != nil {
		return in, &VariableError{EnvPagerDutyFile, fmt.Sprintf("cannot read %s: %v", path, err)}
	}
	if len(data) > maxPagerDutyFile {
		return in, &VariableError{EnvPagerDutyFile, fmt.Sprintf("%s is larger than 1 MiB", path)}
	}
	var f pagerDutyFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return in, &VariableError{EnvPagerDutyFile, fmt.Sprintf("%s: %v", path, err)}
	}
	if owner, _, _ := strings.Cut(f.Organization+"/x", "/"); f.Organization == "" || owner != f.Organization || strings.ContainsAny(f.Organization, " *") {
		return in, &VariableError{EnvPagerDutyFile, fmt.Sprintf("%s: organization: give the GitHub organization whose repositories incidents freeze", path)}
	}
	c, err := f.RawConfig.Validate()
	if err != nil {
		return in, &VariableError{EnvPagerDutyFile, fmt.Sprintf("%s: %v", path, err)}
	}
	in.PagerDuty = &PagerDuty{Owner: f.Organization, Config: c}
	return in, nil
}

// scopedTokens reads SCOPE=TOKEN entries, comma-separated, with SCOPE
// owner/name, owner/* or *.
func scopedTokens(name, value string) ([]UploadToken, error) {
	var out []UploadToken
	for _, entry := range strings.Split(value, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		scope, token, ok := strings.Cut(entry, "=")
		valid := ok && (scope == "*" || strings.Count(scope, "/") == 1 && !strings.HasPrefix(scope, "/") && !strings.HasSuffix(scope, "/"))
		if !valid {
			return nil, &VariableError{name, "entries are SCOPE=TOKEN, comma-separated, with SCOPE owner/name, owner/* or *"}
		}
		if len(token) < 32 {
			return nil, &VariableError{name, fmt.Sprintf("the token for %s is shorter than 32 characters; use a long random one (openssl rand -hex 32)", scope)}
		}
		out = append(out, UploadToken{Scope: scope, Token: token})
	}
	return out, nil
}
