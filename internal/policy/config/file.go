package config

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is something wrong with a configuration file, at a line when known.
type Problem struct {
	File    string
	Line    int
	Message string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Message)
}

// Error lists the problems that make a configuration unusable.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	if len(lines) == 1 {
		return "configuration is not valid: " + lines[0]
	}
	return fmt.Sprintf("configuration is not valid (%d problems):\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// Kind tells the organization's file from a repository's: only the
// organization may lock keys or choose what happens on a policy error.
type Kind int

const (
	OrgFile Kind = iota
	RepoFile
)

// File is a parsed configuration file: its values by key path ("mode",
// "rules.required_reviewers.approvals"), with the line each came from.
type File struct {
	Path   string
	Kind   Kind
	Values map[string]any
	Lines  map[string]int
}

// maxFileBytes bounds a configuration file: nothing legitimate comes close.
const maxFileBytes = 1 << 20

var topLevel = map[Kind][]string{
	OrgFile:  {"mode", "on_policy_error", "debug", "locked", "rules"},
	RepoFile: {"mode", "rules"},
}

// Parse reads a configuration file. Values are not checked against the
// rules yet (see Resolve); the shape is.
func Parse(path string, kind Kind, data []byte) (*File, error) {
	f := &File{Path: path, Kind: kind, Values: map[string]any{}, Lines: map[string]int{}}
	if len(data) > maxFileBytes {
		return nil, &Error{[]Problem{{File: path, Message: "larger than 1 MiB"}}}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{[]Problem{yamlProblem(path, err)}}
	}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{[]Problem{{File: path, Line: root.Line, Message: "the file must be a mapping of settings (mode, rules, …)"}}}
	}
	var problems []Problem
	add := func(line int, format string, args ...any) {
		problems = append(problems, Problem{File: path, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		if !slices.Contains(topLevel[kind], key) {
			if kind == RepoFile && slices.Contains(topLevel[OrgFile], key) {
				add(k.Line, "%s can only be set in the organization's mergeguard/config.yaml", key)
			} else {
				add(k.Line, "unknown setting %q; the settings are %s", key, strings.Join(topLevel[kind], ", "))
			}
			continue
		}
		if _, dup := f.Lines[key]; dup {
			add(k.Line, "%s is set twice", key)
			continue
		}
		if key != "rules" {
			val, err := decode(v)
			if err != nil {
				add(v.Line, "%s: %v", key, err)
				continue
			}
			f.Values[key], f.Lines[key] = val, k.Line
			continue
		}
		f.Lines[key] = k.Line
		if v.Kind != yaml.MappingNode {
			if v.Tag != "!!null" {
				add(v.Line, "rules must map rule names to their settings")
			}
			continue
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			rk, rv := v.Content[j], v.Content[j+1]
			rule := "rules." + rk.Value
			if _, dup := f.Lines[rule]; dup {
				add(rk.Line, "rule %s is configured twice", rk.Value)
				continue
			}
			f.Lines[rule] = rk.Line
			if rv.Kind != yaml.MappingNode {
				if rv.Tag != "!!null" {
					add(rv.Line, "rules.%s must map setting names to values", rk.Value)
				}
				continue
			}
			for n := 0; n+1 < len(rv.Content); n += 2 {
				sk, sv := rv.Content[n], rv.Content[n+1]
				path := rule + "." + sk.Value
				if _, dup := f.Lines[path]; dup {
					add(sk.Line, "%s is set twice", path)
					continue
				}
				val, err := decode(sv)
				if err != nil {
					add(sv.Line, "%s: %v", path, err)
					continue
				}
				f.Values[path], f.Lines[path] = val, sk.Line
			}
		}
	}
	if len(problems) > 0 {
		return nil, &Error{problems}
	}
	return f, nil
}

func decode(n *yaml.Node) (any, error) {
	keepTimestampsAsText(n)
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return fromYAML(v)
}

// keepTimestampsAsText makes an unquoted date (2026-12-21) a string, as the
// author wrote it: YAML would read it as a timestamp in UTC, losing the time
// zone the rule applies.
func keepTimestampsAsText(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!timestamp" {
		n.Tag = "!!str"
	}
	for _, c := range n.Content {
		keepTimestampsAsText(c)
	}
}

// fromYAML converts decoded YAML to JSON-shaped values.
func fromYAML(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := fromYAML(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case map[any]any:
		return nil, fmt.Errorf("mapping keys must be strings")
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := fromYAML(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case float64:
		// YAML has .nan and .inf; JSON, and so the policy's input, has
		// neither: refuse them here, where the file and line are known.
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s is not a number a rule can use: give a finite number such as 80", yamlSpecial(x))
		}
		return normalise(x), nil
	case int, int64, uint64, string, bool, nil:
		return normalise(x), nil
	}
	return nil, fmt.Errorf("unsupported value %v (%T): use numbers, strings, booleans, lists and mappings", v, v)
}

// yamlSpecial spells a value that is not a finite number as YAML does.
func yamlSpecial(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case f > 0:
		return ".inf"
	}
	return "-.inf"
}

func yamlProblem(path string, err error) Problem {
	msg := err.Error()
	var line int
	// yaml.v3 reports "yaml: line N: message".
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if n, tail, ok := strings.Cut(rest, ":"); ok {
			fmt.Sscanf(n, "%d", &line)
			msg = strings.TrimSpace(tail)
		}
	}
	return Problem{File: path, Line: line, Message: "not valid YAML: " + msg}
}
