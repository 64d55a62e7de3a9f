package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// What happens when the policy cannot be loaded or a rule cannot be
// evaluated.
const (
	// FailClosed blocks: the default, because a gate that cannot decide
	// must not let changes through.
	FailClosed = "fail_closed"
	// LastGood evaluates with the last policy that compiled.
	LastGood = "last_good"
)

// Config is the effective configuration: validated, merged, defaulted.
type Config struct {
	Mode          decision.Mode
	OnPolicyError string
	Debug         bool
	Locked        []string
	Rules         map[string]RuleConfig
	// Notices are things a reader of the check run should know, such as a
	// repository setting the organization did not let through.
	Notices []string
}

// RuleConfig is one rule's effective settings.
type RuleConfig struct {
	Enabled bool
	// Severity overrides the rule's own severity when set.
	Severity decision.Severity
	Values   map[string]any
	// Override says who may override the rule on a pull request; nil
	// means nobody. Only the organization's file sets it.
	Override *OverrideConfig
}

// OverrideConfig is rules.<id>.override: who may let the rule's failure
// through with /guard override, and whether that survives a push.
type OverrideConfig struct {
	Teams []string `json:"teams"`
	Users []string `json:"users"`
	// Author lets the pull request's author override on their own pull
	// request (when they are otherwise allowed).
	Author bool `json:"author"`
	// KeepOnPush keeps an override across pushes; by default a new push
	// clears it, since the override was given for the code as it was.
	KeepOnPush bool `json:"keep_on_push"`
}

// Schema is what the compiled policy accepts: its rules and their settings.
type Schema struct {
	Rules map[string]RuleSchema
	// Severities are the rules' own severities, for stricter comparisons.
	Severities map[string]decision.Severity
}

// Defaults is the configuration with nothing configured.
func Defaults(s Schema) Config {
	c := Config{Mode: decision.Enforce, OnPolicyError: FailClosed, Rules: map[string]RuleConfig{}}
	for id, rs := range s.Rules {
		rc := RuleConfig{Enabled: true, Values: map[string]any{}}
		for k, set := range rs.Settings {
			rc.Values[k] = set.Default
		}
		c.Rules[id] = rc
	}
	return c
}

// Resolve validates the organization's and the repository's files (either
// may be nil) against the schema and merges them: the organization's values
// over the defaults, then the repository's, except that a key the
// organization locked only takes a stricter value.
func Resolve(org, repo *File, s Schema) (Config, error) {
	c := Defaults(s)
	var problems []Problem
	if org != nil {
		problems = append(problems, c.apply(org, s, false)...)
		problems = append(problems, c.checkLocked(org, s)...)
	}
	if repo != nil && len(problems) == 0 {
		problems = append(problems, c.apply(repo, s, true)...)
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return c, &Error{problems}
	}
	return c, nil
}

// ResolvePartial is Resolve for a repository file known to have problems:
// the repository's valid settings are applied and its problems returned, so
// that a mistake in one setting does not drop the repository's tightening of
// the others. Problems in the organization's file are still an error.
func ResolvePartial(org, repo *File, s Schema) (Config, []Problem, error) {
	c := Defaults(s)
	if org != nil {
		problems := append(c.apply(org, s, false), c.checkLocked(org, s)...)
		if len(problems) > 0 {
			return c, nil, &Error{problems}
		}
	}
	if repo == nil {
		return c, nil, nil
	}
	problems := c.apply(repo, s, true)
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	return c, problems, nil
}

func (c *Config) apply(f *File, s Schema, fromRepo bool) []Problem {
	var problems []Problem
	bad := func(path, format string, args ...any) {
		problems = append(problems, Problem{File: f.Path, Line: f.Lines[path], Message: path + ": " + fmt.Sprintf(format, args...)})
	}
	// Rules named without settings must still exist.
	for path := range f.Lines {
		if id, ok := strings.CutPrefix(path, "rules."); ok && !strings.Contains(id, ".") {
			if _, known := s.Rules[id]; !known {
				bad(path, "there is no rule %q; the rules are %s", id, strings.Join(sortedKeys(s.Rules), ", "))
			}
		}
	}
	for _, path := range sortedKeys(f.Values) {
		val := f.Values[path]
		current, set, err := c.setter(path, val, s)
		if err != nil {
			if _, known := s.Rules[ruleOf(path)]; known || !strings.HasPrefix(path, "rules.") {
				bad(path, "%v", err)
			}
			continue
		}
		if err := c.checkSpans(f, path, val, s); err != nil {
			bad(path, "%v", err)
			continue
		}
		if fromRepo && strings.HasSuffix(path, ".override") && strings.Count(path, ".") == 2 {
			c.Notices = append(c.Notices, fmt.Sprintf(
				"%s line %d sets %s, but who may override a rule is the organization's decision: set it in the organization's mergeguard/config.yaml.",
				f.Path, f.Lines[path], path))
			continue
		}
		if why := c.lock(path, s); fromRepo && why != "" && !reflect.DeepEqual(current, val) && !stricter(path, val, current, s) {
			c.Notices = append(c.Notices, fmt.Sprintf(
				"%s line %d sets %s to %s, but %s: its value %s applies (a repository may only make a locked setting stricter).",
				f.Path, f.Lines[path], path, show(val), why, show(current)))
			continue
		}
		set()
	}
	return problems
}

// setter validates a value for path and returns the current value and a
// function that applies the new one.
func (c *Config) setter(path string, val any, s Schema) (current any, set func(), err error) {
	switch path {
	case "mode":
		m, ok := val.(string)
		if !ok || !decision.Mode(m).Valid() {
			return nil, nil, fmt.Errorf("use enforce (failing rules fail the check) or report (the check is neutral), not %s", show(val))
		}
		return string(c.Mode), func() { c.Mode = decision.Mode(m) }, nil
	case "on_policy_error":
		v, ok := val.(string)
		if !ok || v != FailClosed && v != LastGood {
			return nil, nil, fmt.Errorf("use %s (block while the policy is broken) or %s (evaluate with the last policy that compiled), not %s", FailClosed, LastGood, show(val))
		}
		return c.OnPolicyError, func() { c.OnPolicyError = v }, nil
	case "debug":
		b, ok := val.(bool)
		if !ok {
			return nil, nil, fmt.Errorf("must be true or false")
		}
		return c.Debug, func() { c.Debug = b }, nil
	case "locked":
		list, ok := val.([]any)
		if !ok {
			return nil, nil, fmt.Errorf("must be a list of setting names such as rules.required_reviewers.approvals")
		}
		var keys []string
		for _, e := range list {
			k, ok := e.(string)
			if !ok {
				return nil, nil, fmt.Errorf("must list setting names as strings")
			}
			keys = append(keys, k)
		}
		return nil, func() { c.Locked = keys }, nil
	}
	id, key, ok := strings.Cut(strings.TrimPrefix(path, "rules."), ".")
	rs, known := s.Rules[id]
	if !ok || !known {
		return nil, nil, fmt.Errorf("there is no rule %q", id)
	}
	rc := c.Rules[id]
	switch key {
	case "enabled":
		b, ok := val.(bool)
		if !ok {
			return nil, nil, fmt.Errorf("must be true or false")
		}
		return rc.Enabled, func() { rc.Enabled = b; c.Rules[id] = rc }, nil
	case "severity":
		sv, ok := val.(string)
		if !ok || !decision.Severity(sv).Valid() {
			return nil, nil, fmt.Errorf("use error (blocks the merge) or warning (reported only), not %s", show(val))
		}
		cur := string(rc.Severity)
		if cur == "" {
			cur = string(s.Severities[id])
		}
		return cur, func() { rc.Severity = decision.Severity(sv); c.Rules[id] = rc }, nil
	case "override":
		oc, err := parseOverride(val)
		if err != nil {
			return nil, nil, err
		}
		return rc.Override, func() { rc.Override = &oc; c.Rules[id] = rc }, nil
	}
	setting, ok := rs.Settings[key]
	if !ok {
		return nil, nil, fmt.Errorf("rule %s has no setting %q; its settings are %s", id, key, strings.Join(rs.Keys(), ", "))
	}
	if err := setting.validate(val); err != nil {
		return nil, nil, err
	}
	return rc.Values[key], func() {
		values := maps.Clone(rc.Values)
		values[key] = val
		rc.Values = values
		c.Rules[id] = rc
	}, nil
}

func (c *Config) checkLocked(f *File, s Schema) []Problem {
	var problems []Problem
	for _, key := range c.Locked {
		if key == "mode" || key == "rules" {
			continue
		}
		id, setting, _ := strings.Cut(strings.TrimPrefix(key, "rules."), ".")
		rs, known := s.Rules[id]
		_, declared := rs.Settings[setting]
		if !strings.HasPrefix(key, "rules.") || !known || setting != "" && !declared && setting != "enabled" && setting != "severity" {
			problems = append(problems, Problem{File: f.Path, Line: f.Lines["locked"], Message: fmt.Sprintf(
				"locked: %q is not a setting; lock mode, rules.<rule>, or rules.<rule>.<setting>", key)})
		}
	}
	return problems
}

// lock returns why path is locked, or "" when it is not. A path is locked
// when the organization locked it or a parent of it. Locking one setting of
// a rule also locks the rule's enabled and severity, and locking anything
// also locks mode: otherwise a repository could keep the locked value and
// switch the rule off, or make the whole check report-only.
func (c *Config) lock(path string, s Schema) string {
	for _, l := range c.Locked {
		if path == l || strings.HasPrefix(path, l+".") {
			return "the organization locks this setting"
		}
	}
	if id := ruleOf(path); strings.HasPrefix(path, "rules.") && s.Rules[id].Locked {
		return fmt.Sprintf("rule %s protects the merge gate itself, so its settings are locked", id)
	}
	if rule, ok := strings.CutSuffix(path, ".enabled"); ok {
		if l := c.lockedUnder(rule + "."); l != "" {
			return fmt.Sprintf("the organization locks %s, which also locks whether the rule is enabled", l)
		}
	}
	if rule, ok := strings.CutSuffix(path, ".severity"); ok {
		if l := c.lockedUnder(rule + "."); l != "" {
			return fmt.Sprintf("the organization locks %s, which also locks the rule's severity", l)
		}
	}
	if path == "mode" && len(c.Locked) > 0 {
		return fmt.Sprintf("the organization locks %s, which also locks mode", c.Locked[0])
	}
	if path == "mode" {
		for _, id := range sortedKeys(s.Rules) {
			if s.Rules[id].Locked {
				return fmt.Sprintf("rule %s protects the merge gate itself, which also locks mode", id)
			}
		}
	}
	return ""
}

func (c *Config) lockedUnder(prefix string) string {
	for _, l := range c.Locked {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// stricter reports whether a repository's value makes path stricter than
// the organization's.
func stricter(path string, val, current any, s Schema) bool {
	switch {
	case path == "mode":
		return val == string(decision.Enforce)
	case strings.HasSuffix(path, ".enabled"):
		return val == true
	case strings.HasSuffix(path, ".severity"):
		return val == string(decision.SeverityError)
	}
	id, key, _ := strings.Cut(strings.TrimPrefix(path, "rules."), ".")
	setting := s.Rules[id].Settings[key]
	switch setting.Stricter {
	case "higher", "lower":
		v, okv := toFloat(val)
		cur, okc := toFloat(current)
		return okv && okc && (setting.Stricter == "higher" && v >= cur || setting.Stricter == "lower" && v <= cur)
	case "true", "false":
		return val == (setting.Stricter == "true")
	case "more", "fewer":
		v, _ := val.([]any)
		cur, _ := current.([]any)
		if setting.Stricter == "more" {
			return subset(cur, v)
		}
		return subset(v, cur)
	}
	return false
}

func subset(a, b []any) bool {
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y any) bool { return reflect.DeepEqual(x, y) }) {
			return false
		}
	}
	return true
}

// Data is the configuration as rules see it: data.mergeguard.config.
func (c Config) Data() map[string]any {
	rules, overrides := map[string]any{}, map[string]any{}
	for id, rc := range c.Rules {
		r := maps.Clone(rc.Values)
		if r == nil {
			r = map[string]any{}
		}
		r["enabled"] = rc.Enabled
		if rc.Severity != "" {
			r["severity"] = string(rc.Severity)
		}
		rules[id] = r
		if o := rc.Override; o != nil {
			overrides[id] = map[string]any{
				"teams": strings2any(o.Teams), "users": strings2any(o.Users), "author": o.Author, "keep_on_push": o.KeepOnPush,
			}
		}
	}
	return map[string]any{"mode": string(c.Mode), "rules": rules, "overrides": overrides}
}

// Teams lists the team slugs the configuration names: every value of a
// setting called teams (a list) or team (a string), or ending in _teams or
// _team, at any depth. Only these teams' members are fetched.
func (c Config) Teams() []string {
	seen := map[string]bool{}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case string:
			if namesTeams(key) {
				seen[strings.TrimPrefix(x[strings.LastIndex(x, "/")+1:], "@")] = true
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		}
	}
	for _, rc := range c.Rules {
		if rc.Enabled {
			walk("", rc.Values)
		}
		if rc.Override != nil {
			walk("teams", strings2any(rc.Override.Teams))
		}
	}
	delete(seen, "")
	return sortedKeys(seen)
}

func namesTeams(key string) bool {
	return key == "team" || key == "teams" || strings.HasSuffix(key, "_team") || strings.HasSuffix(key, "_teams")
}

func ruleOf(path string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(path, "rules."), ".")
	return id
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func show(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func strings2any(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// parseOverride validates rules.<id>.override.
func parseOverride(val any) (OverrideConfig, error) {
	const shape = "must be a mapping with teams and users (lists of names), author and keep_on_push (true or false)"
	m, ok := val.(map[string]any)
	if !ok {
		return OverrideConfig{}, fmt.Errorf("%s", shape)
	}
	var oc OverrideConfig
	for k, v := range m {
		switch k {
		case "teams", "users":
			list, ok := v.([]any)
			if !ok {
				return oc, fmt.Errorf("%s must be a list of names", k)
			}
			for _, e := range list {
				name, ok := e.(string)
				if !ok || strings.TrimSpace(name) == "" {
					return oc, fmt.Errorf("%s must be a list of names, not %s", k, show(e))
				}
				if k == "teams" {
					oc.Teams = append(oc.Teams, name)
				} else {
					oc.Users = append(oc.Users, name)
				}
			}
		case "author", "keep_on_push":
			b, ok := v.(bool)
			if !ok {
				return oc, fmt.Errorf("%s must be true or false", k)
			}
			if k == "author" {
				oc.Author = b
			} else {
				oc.KeepOnPush = b
			}
		default:
			return oc, fmt.Errorf("has no setting %q; %s", k, shape)
		}
	}
	return oc, nil
}
