// Package config reads mergeguard's policy configuration: the
// organization's mergeguard/config.yaml and a repository's
// .github/mergeguard.yaml. Configuration goes raw YAML → validated against
// what each rule declares → one merged, defaulted value, once per policy
// version.
package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Setting is one configuration key a rule declares in its METADATA, under
// custom.config.<key>:
//
//	approvals:
//	  description: Approvals needed from people other than the author.
//	  default: 1
//	  minimum: 1
//	  stricter: higher
//
// The default fixes the type. stricter says which way a value makes the rule
// stricter, so a repository may tighten a key the organization locked:
// higher or lower (numbers), true or false (booleans), more or fewer (lists:
// a superset or a subset of the organization's).
type Setting struct {
	Key         string
	Description string
	Default     any
	Type        string
	Minimum     *float64
	Maximum     *float64
	Enum        []string
	Stricter    string
	// Shape is the declaration as a value shape, with any format, items
	// and keys it declares.
	Shape *Shape
}

// UnmarshalJSON restores Default's Go type after a JSON round trip (a policy
// worker sends the settings its compiled rules declare): whole numbers are
// int64, as when the METADATA was read.
func (s *Setting) UnmarshalJSON(b []byte) error {
	type plain Setting
	var p plain
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&p); err != nil {
		return err
	}
	p.Default = normalise(p.Default)
	*s = Setting(p)
	return nil
}

// Value types.
const (
	TypeInteger = "integer"
	TypeNumber  = "number"
	TypeString  = "string"
	TypeBoolean = "boolean"
	TypeList    = "list"
	TypeObject  = "object"
)

// RuleSchema is what one rule accepts.
type RuleSchema struct {
	ID       string
	Settings map[string]Setting
	// Locked rules take only stricter values from a repository, as if the
	// organization had locked every setting: rules that protect the merge
	// gate itself.
	Locked bool
}

// Keys lists the rule's settings, including the ones every rule has.
func (r RuleSchema) Keys() []string {
	keys := []string{"enabled", "severity"}
	for k := range r.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys[2:])
	return keys
}

// ParseSettings reads the custom.config block of a rule's METADATA.
func ParseSettings(ruleID string, raw any) (map[string]Setting, error) {
	out := map[string]Setting{}
	if raw == nil {
		return out, nil
	}
	block, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("rule %s: custom.config must map setting names to their declarations", ruleID)
	}
	for key, decl := range block {
		if key == "enabled" || key == "severity" {
			return nil, fmt.Errorf("rule %s: custom.config.%s is built in; every rule has enabled and severity", ruleID, key)
		}
		d, ok := decl.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("rule %s: custom.config.%s must be an object with at least a default", ruleID, key)
		}
		s := Setting{Key: key}
		def, ok := d["default"]
		if !ok {
			return nil, fmt.Errorf("rule %s: custom.config.%s needs a default (it fixes the type and applies when nothing is configured)", ruleID, key)
		}
		s.Default = normalise(def)
		s.Type = typeOf(s.Default)
		if t, ok := d["type"].(string); ok {
			s.Type = t
		}
		s.Description, _ = d["description"].(string)
		switch v := d["stricter"].(type) {
		case string:
			s.Stricter = v
		case bool: // YAML reads an unquoted true or false as a boolean
			s.Stricter = fmt.Sprint(v)
		case nil:
		default:
			return nil, fmt.Errorf("rule %s: custom.config.%s: stricter must be higher, lower, true, false, more or fewer", ruleID, key)
		}
		s.Minimum, s.Maximum = number(d["minimum"]), number(d["maximum"])
		if enum, ok := d["enum"].([]any); ok {
			for _, e := range enum {
				s.Enum = append(s.Enum, fmt.Sprint(e))
			}
		}
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("rule %s: custom.config.%s: %w", ruleID, key, err)
		}
		decl := maps.Clone(d)
		decl["type"] = s.Type
		sh, err := parseShape(decl, fmt.Sprintf("rule %s: custom.config.%s", ruleID, key))
		if err != nil {
			return nil, err
		}
		s.Shape = sh
		if err := s.validate(s.Default); err != nil {
			return nil, fmt.Errorf("rule %s: custom.config.%s: default %s", ruleID, key, err)
		}
		out[key] = s
	}
	for _, key := range sortedKeys(out) {
		for _, zone := range out[key].Shape.zones() {
			if z, ok := out[zone]; zone != "" && (!ok || z.Shape == nil || z.Shape.Format != "timezone") {
				return nil, fmt.Errorf("rule %s: custom.config.%s: span: timezone %q must be a setting of the rule with format timezone", ruleID, key, zone)
			}
		}
	}
	return out, nil
}

func (s Setting) check() error {
	switch s.Type {
	case TypeInteger, TypeNumber, TypeString, TypeBoolean, TypeList, TypeObject:
	default:
		return fmt.Errorf("type %q: use integer, number, string, boolean, list or object", s.Type)
	}
	allowed := map[string][]string{
		TypeInteger: {"higher", "lower"}, TypeNumber: {"higher", "lower"},
		TypeBoolean: {"true", "false"}, TypeList: {"more", "fewer"},
	}[s.Type]
	if s.Stricter != "" && !slices.Contains(allowed, s.Stricter) {
		if len(allowed) == 0 {
			return fmt.Errorf("stricter cannot be declared for a %s", s.Type)
		}
		return fmt.Errorf("stricter %q: for a %s use %s", s.Stricter, s.Type, strings.Join(allowed, " or "))
	}
	return nil
}

// validate checks a configured value against the declaration.
func (s Setting) validate(v any) error {
	if s.Shape != nil {
		if err := s.Shape.validate(v); err != nil {
			return err
		}
	}
	if got := typeOf(v); got != s.Type && !(s.Type == TypeNumber && got == TypeInteger) {
		return fmt.Errorf("must be %s, not %s", article(s.Type), article(got))
	}
	// Without declared items, a list's items must be like the default's.
	if list, ok := v.([]any); ok && typeOf(s.Default) == TypeList && (s.Shape == nil || s.Shape.Items == nil) {
		if def := s.Default.([]any); len(def) > 0 {
			want := typeOf(def[0])
			for i, e := range list {
				if got := typeOf(e); got != want && !(want == TypeNumber && got == TypeInteger) {
					return fmt.Errorf("item %d must be %s, not %s", i+1, article(want), article(got))
				}
			}
		}
	}
	return nil
}

// normalise turns decoded JSON or YAML into the value types used throughout:
// int64, float64, string, bool, []any, map[string]any.
func normalise(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case int:
		return int64(x)
	case uint64:
		return int64(x)
	case float64:
		if x == float64(int64(x)) && !strings.ContainsAny(fmt.Sprint(x), ".e") {
			return int64(x)
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalise(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalise(e)
		}
		return out
	}
	return v
}

func typeOf(v any) string {
	switch v.(type) {
	case int64:
		return TypeInteger
	case float64:
		return TypeNumber
	case string:
		return TypeString
	case bool:
		return TypeBoolean
	case []any:
		return TypeList
	case map[string]any:
		return TypeObject
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func number(v any) *float64 {
	if f, ok := toFloat(normalise(v)); ok {
		return &f
	}
	return nil
}

func article(t string) string {
	switch t {
	case TypeInteger, TypeObject:
		return "an " + t
	case "null":
		return "empty"
	}
	return "a " + t
}
