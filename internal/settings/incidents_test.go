package settings

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestIncidentsFromEnv(t *testing.T) {
	token := strings.Repeat("f", 32)
	good := "organization: acme\nsecrets: [" + strings.Repeat("s", 20) + "]\nservices:\n  PSVC1: {repositories: [shop]}\n  PSVC2: {org_wide: true}\nurgencies: [high]\npriorities: [P1]\n"
	files := map[string]string{
		"/etc/pd.yaml":       good,
		"/etc/noorg.yaml":    strings.Replace(good, "organization: acme\n", "", 1),
		"/etc/unknown.yaml":  good + "escalate: true\n",
		"/etc/nosecret.yaml": strings.Replace(good, "secrets: ["+strings.Repeat("s", 20)+"]\n", "", 1),
	}
	readFile := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, &os.PathError{Op: "open", Path: p, Err: os.ErrNotExist}
	}
	tests := []struct {
		name string
		env  map[string]string
		want string // "" for no error
	}{
		{"nothing", nil, ""},
		{"tokens and PagerDuty", map[string]string{EnvFreezeTokens: "acme/*=" + token + ", acme/shop=" + strings.Repeat("e", 40), EnvPagerDutyFile: "/etc/pd.yaml"}, ""},
		{"short token", map[string]string{EnvFreezeTokens: "acme/*=short"}, "shorter than 32"},
		{"bad scope", map[string]string{EnvFreezeTokens: "acme=" + token}, "SCOPE=TOKEN"},
		{"missing file", map[string]string{EnvPagerDutyFile: "/etc/none.yaml"}, "cannot read"},
		{"no organization", map[string]string{EnvPagerDutyFile: "/etc/noorg.yaml"}, "organization:"},
		{"unknown key", map[string]string{EnvPagerDutyFile: "/etc/unknown.yaml"}, "escalate"},
		{"no secret", map[string]string{EnvPagerDutyFile: "/etc/nosecret.yaml"}, "no signing secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := incidentsFromEnv(func(k string) string { return tt.env[k] }, readFile)
			if tt.want != "" {
				var ve *VariableError
				if !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want a variable error with %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.env[EnvPagerDutyFile] != "" && (in.PagerDuty == nil || in.PagerDuty.Owner != "acme" || len(in.PagerDuty.Config.Secrets()) != 1) {
				t.Errorf("PagerDuty %+v", in.PagerDuty)
			}
			if tt.env[EnvFreezeTokens] != "" && (len(in.FreezeTokens) != 2 || !in.FreezeTokens[0].Allows("acme/web") || in.FreezeTokens[1].Allows("acme/web")) {
				t.Errorf("tokens %+v", in.FreezeTokens)
			}
		})
	}
}
