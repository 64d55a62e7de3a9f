package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/decision"
)

func schema(t *testing.T) Schema {
	t.Helper()
	reviewers, err := ParseSettings("required_reviewers", map[string]any{
		"approvals":     map[string]any{"default": 1, "minimum": 1, "stricter": "higher"},
		"ignore_bots":   map[string]any{"default": true, "stricter": true}, // as YAML reads an unquoted true
		"exempt_labels": map[string]any{"default": []any{"dependencies"}, "stricter": "fewer"},
		"protected":     map[string]any{"default": []any{"deploy/**"}, "stricter": "more"},
		"teams":         map[string]any{"default": []any{}, "type": "list"},
		"window":        map[string]any{"default": "business", "enum": []any{"business", "always"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return Schema{
		Rules: map[string]RuleSchema{
			"required_reviewers": {ID: "required_reviewers", Settings: reviewers},
			"no_todo":            {ID: "no_todo", Settings: map[string]Setting{}},
		},
		Severities: map[string]decision.Severity{"required_reviewers": decision.SeverityError, "no_todo": decision.SeverityWarning},
	}
}

func parse(t *testing.T, kind Kind, src string) *File {
	t.Helper()
	name := "mergeguard/config.yaml"
	if kind == RepoFile {
		name = ".github/mergeguard.yaml"
	}
	f, err := Parse(name, kind, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDefaults(t *testing.T) {
	c, err := Resolve(nil, nil, schema(t))
	if err != nil {
		t.Fatal(err)
	}
	rr := c.Rules["required_reviewers"]
	if c.Mode != decision.Enforce || c.OnPolicyError != FailClosed || !rr.Enabled || rr.Values["approvals"] != int64(1) {
		t.Fatalf("defaults: %+v", c)
	}
	data := c.Data()["rules"].(map[string]any)["required_reviewers"].(map[string]any)
	if data["enabled"] != true || data["approvals"] != int64(1) {
		t.Fatalf("data %+v", data)
	}
}

func TestParseAndResolveProblems(t *testing.T) {
	tests := []struct {
		name, src, want string
		line            int
		kind            Kind
	}{
		{"yaml syntax", "mode: enforce\nrules:\n  required_reviewers: [\n", "not valid YAML", 0, OrgFile},
		{"not a mapping", "- mode\n", "must be a mapping", 1, OrgFile},
		{"unknown key", "mode: enforce\nmodes: report\n", `unknown setting "modes"`, 2, OrgFile},
		{"org-only key in a repository", "locked: [mode]\n", "can only be set in the organization's", 1, RepoFile},
		{"bad mode", "mode: strict\n", "use enforce", 1, OrgFile},
		{"bad on_policy_error", "on_policy_error: ignore\n", "fail_closed", 1, OrgFile},
		{"unknown rule", "rules:\n  required_reviewer:\n    enabled: false\n", `there is no rule "required_reviewer"`, 2, OrgFile},
		{"unknown rule without settings", "rules:\n  nope:\n", `there is no rule "nope"`, 2, OrgFile},
		{"unknown setting", "rules:\n  required_reviewers:\n    approval: 2\n", `has no setting "approval"; its settings are enabled, severity, approvals`, 3, OrgFile},
		{"wrong type", "rules:\n  required_reviewers:\n    approvals: two\n", "must be an integer, not a string", 3, OrgFile},
		{"below minimum", "rules:\n  required_reviewers:\n    approvals: 0\n", "at least 1", 3, OrgFile},
		{"not in enum", "rules:\n  required_reviewers:\n    window: never\n", "one of business, always", 3, OrgFile},
		{"list of wrong items", "rules:\n  required_reviewers:\n    protected: [1]\n", "item 1 must be a string", 3, OrgFile},
		{"bad severity", "rules:\n  no_todo:\n    severity: fatal\n", "use error", 3, OrgFile},
		{"locked unknown", "locked: [rules.required_reviewers.approval]\n", "is not a setting", 1, OrgFile},
		{"not a number", "rules:\n  required_reviewers:\n    approvals: .nan\n", ".nan is not a number a rule can use", 3, OrgFile},
		{"infinite", "rules:\n  required_reviewers:\n    approvals: -.Inf\n", "-.inf is not a number", 3, OrgFile},
		{"infinite in a list", "rules:\n  required_reviewers:\n    protected: [a, .inf]\n", ".inf is not a number", 3, RepoFile},
		{"duplicate rule", "rules:\n  no_todo: {}\n  no_todo: {}\n", "configured twice", 3, OrgFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("cfg.yaml", tt.kind, []byte(tt.src))
			if err == nil {
				if tt.kind == RepoFile {
					_, err = Resolve(nil, f, schema(t))
				} else {
					_, err = Resolve(f, nil, schema(t))
				}
			}
			ce, ok := err.(*Error)
			if !ok || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if tt.line > 0 && ce.Problems[0].Line != tt.line {
				t.Fatalf("problem on line %d, want %d: %v", ce.Problems[0].Line, tt.line, err)
			}
		})
	}
}

func TestRepositoryOverridesAndLocks(t *testing.T) {
	org := parse(t, OrgFile, `
mode: enforce
locked:
  - mode
  - rules.required_reviewers.approvals
  - rules.required_reviewers.protected
  - rules.required_reviewers.exempt_labels
  - rules.required_reviewers.ignore_bots
rules:
  required_reviewers:
    approvals: 2
    ignore_bots: false
  no_todo:
    severity: warning
`)
	tests := []struct {
		name, repo string
		check      func(c Config) bool
		notices    int
	}{
		{"tighten a locked number", "rules:\n  required_reviewers:\n    approvals: 3\n",
			func(c Config) bool { return c.Rules["required_reviewers"].Values["approvals"] == int64(3) }, 0},
		{"loosen a locked number", "rules:\n  required_reviewers:\n    approvals: 1\n",
			func(c Config) bool { return c.Rules["required_reviewers"].Values["approvals"] == int64(2) }, 1},
		{"loosen an unlocked setting", "rules:\n  no_todo:\n    enabled: false\n",
			func(c Config) bool { return !c.Rules["no_todo"].Enabled }, 0},
		{"report mode is looser than enforce", "mode: report\n",
			func(c Config) bool { return c.Mode == decision.Enforce }, 1},
		{"protect more paths", "rules:\n  required_reviewers:\n    protected: [deploy/**, infra/**]\n",
			func(c Config) bool { return len(c.Rules["required_reviewers"].Values["protected"].([]any)) == 2 }, 0},
		{"protect other paths instead", "rules:\n  required_reviewers:\n    protected: [infra/**]\n",
			func(c Config) bool {
				return c.Rules["required_reviewers"].Values["protected"].([]any)[0] == "deploy/**"
			}, 1},
		{"exempt fewer labels", "rules:\n  required_reviewers:\n    exempt_labels: []\n",
			func(c Config) bool { return len(c.Rules["required_reviewers"].Values["exempt_labels"].([]any)) == 0 }, 0},
		{"tighten a locked boolean", "rules:\n  required_reviewers:\n    ignore_bots: true\n",
			func(c Config) bool { return c.Rules["required_reviewers"].Values["ignore_bots"] == true }, 0},
		{"same value as the organization", "rules:\n  required_reviewers:\n    approvals: 2\n",
			func(c Config) bool { return c.Rules["required_reviewers"].Values["approvals"] == int64(2) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(org, parse(t, RepoFile, tt.repo), schema(t))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) || len(c.Notices) != tt.notices {
				t.Fatalf("config %+v, notices %q", c.Rules, c.Notices)
			}
			if tt.notices > 0 && !strings.Contains(c.Notices[0], ".github/mergeguard.yaml line ") {
				t.Fatalf("notice does not say where: %q", c.Notices[0])
			}
		})
	}
}

func TestLockingARuleLocksAllItsSettings(t *testing.T) {
	org := parse(t, OrgFile, "locked: [rules.required_reviewers]\n")
	c, err := Resolve(org, parse(t, RepoFile, "rules:\n  required_reviewers:\n    enabled: false\n    severity: warning\n"), schema(t))
	if err != nil {
		t.Fatal(err)
	}
	if rr := c.Rules["required_reviewers"]; !rr.Enabled || rr.Severity != "" || len(c.Notices) != 2 {
		t.Fatalf("rule %+v, notices %q", rr, c.Notices)
	}
}

func TestLockingASettingAlsoLocksItsRuleAndTheMode(t *testing.T) {
	org := parse(t, OrgFile, "locked: [rules.required_reviewers.approvals]\nrules:\n  required_reviewers:\n    approvals: 2\n")
	tests := []struct {
		repo, says string
		held       func(c Config) bool
	}{
		{"rules:\n  required_reviewers:\n    enabled: false\n", "which also locks whether the rule is enabled",
			func(c Config) bool { return c.Rules["required_reviewers"].Enabled }},
		{"rules:\n  required_reviewers:\n    severity: warning\n", "which also locks the rule's severity",
			func(c Config) bool { return c.Rules["required_reviewers"].Severity == "" }},
		{"mode: report\n", "which also locks mode",
			func(c Config) bool { return c.Mode == decision.Enforce }},
	}
	for _, tt := range tests {
		c, err := Resolve(org, parse(t, RepoFile, tt.repo), schema(t))
		if err != nil {
			t.Fatal(err)
		}
		if !tt.held(c) || len(c.Notices) != 1 || !strings.Contains(c.Notices[0], tt.says) {
			t.Errorf("%q: config %+v, notices %q", tt.repo, c, c.Notices)
		}
	}
	// A rule nothing locks can still be turned off by a repository.
	c, err := Resolve(org, parse(t, RepoFile, "rules:\n  no_todo:\n    enabled: false\n"), schema(t))
	if err != nil || c.Rules["no_todo"].Enabled || len(c.Notices) != 0 {
		t.Errorf("an unlocked rule: %+v %q %v", c.Rules["no_todo"], c.Notices, err)
	}
}

func TestARuleCanDeclareItsSettingsLocked(t *testing.T) {
	s := schema(t)
	rr := s.Rules["required_reviewers"]
	rr.Locked = true
	s.Rules["required_reviewers"] = rr
	c, err := Resolve(nil, parse(t, RepoFile, "mode: report\nrules:\n  required_reviewers:\n    protected: []\n    enabled: false\n  no_todo:\n    enabled: false\n"), s)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != decision.Enforce || !c.Rules["required_reviewers"].Enabled || len(c.Rules["required_reviewers"].Values["protected"].([]any)) != 1 || c.Rules["no_todo"].Enabled {
		t.Fatalf("config %+v", c)
	}
	if len(c.Notices) != 3 || !strings.Contains(strings.Join(c.Notices, " "), "protects the merge gate itself") {
		t.Fatalf("notices %q", c.Notices)
	}
}

func TestResolvePartialKeepsTheValidRepositorySettings(t *testing.T) {
	org := parse(t, OrgFile, "rules:\n  required_reviewers:\n    approvals: 1\n")
	repo := parse(t, RepoFile, "rules:\n  required_reviewers:\n    approvals: 3\n    window: sometimes\n  retired_rule:\n    enabled: true\n")
	if _, err := Resolve(org, repo, schema(t)); err == nil {
		t.Fatal("Resolve must reject the file")
	}
	c, problems, err := ResolvePartial(org, repo, schema(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules["required_reviewers"].Values["approvals"] != int64(3) {
		t.Errorf("the valid tightening must apply: %+v", c.Rules["required_reviewers"].Values)
	}
	if len(problems) != 2 || problems[0].Line != 4 || problems[1].Line != 5 {
		t.Errorf("problems %+v", problems)
	}
	if _, _, err := ResolvePartial(parse(t, OrgFile, "rules:\n  nope:\n    x: 1\n"), repo, schema(t)); err == nil {
		t.Error("a broken organization file is still an error")
	}
}

func TestTeamsNamedAnywhere(t *testing.T) {
	s := schema(t)
	s.Rules["paths"] = RuleSchema{ID: "paths", Settings: map[string]Setting{
		"requirements": {Key: "requirements", Default: []any{}, Type: TypeList},
		"guard_teams":  {Key: "guard_teams", Default: []any{}, Type: TypeList},
		"oncall_team":  {Key: "oncall_team", Default: "", Type: TypeString},
		"steam":        {Key: "steam", Default: "", Type: TypeString},
	}}
	org := parse(t, OrgFile, `
rules:
  required_reviewers:
    teams: [acme/dba, "@acme/payments-core"]
  paths:
    requirements:
      - paths: [infra/**]
        teams: [platform]
        team: sre
    guard_teams: [security]
    oncall_team: oncall
    steam: not-a-team
`)
	c, err := Resolve(org, nil, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Teams(); !slices.Equal(got, []string{"dba", "oncall", "payments-core", "platform", "security", "sre"}) {
		t.Fatalf("teams %v", got)
	}
}

func TestSettingDeclarationsAreChecked(t *testing.T) {
	for name, decl := range map[string]any{
		"no default":            map[string]any{"description": "x"},
		"built-in name":         "enabled",
		"bad stricter":          map[string]any{"default": 1, "stricter": "more"},
		"stricter not a word":   map[string]any{"default": 1, "stricter": 2},
		"default breaks limits": map[string]any{"default": 0, "minimum": 1},
		"not an object":         "x",
		"bad type":              map[string]any{"default": 1, "type": "float"},
	} {
		raw := map[string]any{"key": decl}
		if name == "built-in name" {
			raw = map[string]any{"enabled": map[string]any{"default": true}}
		}
		if _, err := ParseSettings("r", raw); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("mode: enforce\nrules:\n  required_reviewers:\n    approvals: 2\n")
	f.Add("locked: [mode]\nrules: {a: {b: [1, {c: d}]}}\n")
	f.Add("rules:\n  x: &a {y: 1}\n  z: *a\n")
	f.Fuzz(func(t *testing.T, src string) {
		for _, kind := range []Kind{OrgFile, RepoFile} {
			file, err := Parse("f.yaml", kind, []byte(src))
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error of type %T", err)
				}
				continue
			}
			c, err := Resolve(file, nil, Schema{Rules: map[string]RuleSchema{}})
			if err == nil && c.Mode == "" {
				t.Fatal("resolved config without a mode")
			}
		}
	})
}

func TestShapedSettingsAreCheckedWhenLoaded(t *testing.T) {
	settings, err := ParseSettings("change_freeze", map[string]any{
		"timezone": map[string]any{"default": "UTC", "format": "timezone"},
		"paths":    map[string]any{"default": []any{}, "type": "list", "items": map[string]any{"type": "string", "format": "glob"}},
		"windows": map[string]any{"default": []any{}, "type": "list", "items": map[string]any{
			"type": "object", "required": []any{"start", "end"},
			"keys": map[string]any{
				"start":  map[string]any{"type": "string", "format": "weekly_time"},
				"end":    map[string]any{"type": "string", "format": "weekly_time"},
				"reason": map[string]any{"type": "string"},
			},
		}},
		"patterns": map[string]any{"default": []any{}, "type": "list", "items": map[string]any{"type": "string", "format": "promotion_pattern"}},
		"dates": map[string]any{"default": []any{}, "type": "list", "items": map[string]any{
			"type": "object", "keys": map[string]any{"start": map[string]any{"type": "string", "format": "date_time"}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := Schema{Rules: map[string]RuleSchema{"change_freeze": {ID: "change_freeze", Settings: settings}}}
	tests := []struct{ yaml, want string }{
		{"timezone: Europe/Berlin", ""},
		{"timezone: Europe/Berln", `"Europe/Berln" is not a time zone`},
		{"timezone: Local", "is not a time zone"},
		{"windows: [{start: Fri 15:00, end: monday 8:00, reason: weekend}]", ""},
		{"windows: [{start: Fry 15:00, end: Mon 08:00}]", `item 1: start: "Fry 15:00" is not a day and time`},
		{"windows: [{start: Fri 25:00, end: Mon 08:00}]", "is not a day and time"},
		{"windows: [{start: Fri 15:00}]", "item 1: needs end"},
		{"windows: [{start: Fri 15:00, end: Mon 08:00, until: x}]", `unknown key "until"`},
		{"windows: [Fri 15:00]", "item 1: must be an object, not a string"},
		{"dates: [{start: 2026-12-21}, {start: 2026-12-21 18:00}]", ""},
		{"dates: [{start: 2026-02-30}]", `"2026-02-30" is not a date`},
		{"paths: [\"docs/**\"]", ""},
		{"paths: [\"docs/[\"]", "is not a valid glob"},
		{`patterns: ['image: shop:(?P<version>\S+)', 'ref: (?P<sha>[0-9a-f]{40})']`, ""},
		{`patterns: ['image: shop:(?P<version>\S+']`, "item 1: pattern \"image: shop:(?P<version>\\\\S+\" is not a regular expression: error parsing regexp: missing closing )"},
		{`patterns: ['image: shop:(\S+)']`, "has no named group"},
		{`patterns: ['(?P<tag>\S+)']`, `group "tag" is neither`},
	}
	for _, tt := range tests {
		org := parse(t, OrgFile, "rules:\n  change_freeze:\n    "+tt.yaml+"\n")
		_, err := Resolve(org, nil, s)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.yaml, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "mergeguard/config.yaml:3")):
			t.Errorf("%s: got %v, want %q at line 3", tt.yaml, err, tt.want)
		}
	}
	for _, bad := range []map[string]any{
		{"x": map[string]any{"default": "", "format": "colour"}},
		{"x": map[string]any{"default": 1, "format": "timezone"}},
		{"x": map[string]any{"default": []any{}, "type": "list", "items": map[string]any{"type": "object", "required": []any{"a"}}}},
		{"x": map[string]any{"default": "", "items": map[string]any{"type": "string"}}},
	} {
		if _, err := ParseSettings("r", bad); err == nil {
			t.Errorf("declaration %v must be rejected", bad)
		}
	}
}

func TestParseWeeklyTime(t *testing.T) {
	for s, want := range map[string][2]int{"Fri 15:00": {5, 900}, "sunday 0:05": {0, 5}, "MON 08:00": {1, 480}, "Sat 23:59": {6, 1439}} {
		d, m, ok := ParseWeeklyTime(s)
		if !ok || d != want[0] || m != want[1] {
			t.Errorf("%q: %d %d %v", s, d, m, ok)
		}
	}
	for _, s := range []string{"Fr 15:00", "Fri 24:00", "Fri 15", "Fri15:00", "Fridays 15:00", ""} {
		if _, _, ok := ParseWeeklyTime(s); ok {
			t.Errorf("%q must not parse", s)
		}
	}
}
