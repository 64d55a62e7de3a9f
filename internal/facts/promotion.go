package facts

import (
	"fmt"

	"github.com/mergeguard/mergeguard/internal/promotion"
)

// BakeTime is what the bake_time rule's settings ask mergeguard to read
// for a pull request: which files promote, how to read what they promote,
// and whose deployment history tells whether it baked.
type BakeTime struct {
	Promotion promotion.Config
	// Environments are the pre-production environments, then the
	// production environment when rollbacks are allowed: each one's
	// history is fetched.
	Environments []string
}

// BakeTimeSettings reads rules.bake_time's effective settings. on is false
// when the rule asks for nothing (no promotion paths): then no other rule
// pays for a request. A configuration the loader let through but that does
// not hold together (paths without patterns) is an error, which the caller
// shows on the promotion rather than passing it.
func BakeTimeSettings(values map[string]any) (bt BakeTime, on bool, err error) {
	raw := promotion.RawConfig{Paths: stringList(values["promotion_paths"]), Patterns: stringList(values["promotion_patterns"])}
	if len(raw.Paths) == 0 {
		return BakeTime{}, false, nil
	}
	if bt.Promotion, err = raw.Validate(); err != nil {
		return BakeTime{}, true, fmt.Errorf("rules.bake_time: %w", err)
	}
	seen := map[string]bool{}
	add := func(env string) {
		if env != "" && !seen[env] {
			seen[env] = true
			bt.Environments = append(bt.Environments, env)
		}
	}
	for _, env := range stringList(values["environments"]) {
		add(env)
	}
	if rollbacks, _ := values["allow_rollbacks"].(bool); rollbacks {
		prod, _ := values["production_environment"].(string)
		add(prod)
	}
	return bt, true, nil
}

// PromotionProblem is the promotion when the settings do not hold
// together: the rule blocks a promotion with the reason.
func PromotionProblem(err error) *promotion.Result {
	return &promotion.Result{Files: []string{}, Matches: []promotion.Match{}, Problems: []promotion.Problem{{Kind: "config", Message: err.Error()}}}
}

// Promotion reads what the changed files promote. A file whose lines are
// unknown (no patch, not diffed from its contents, or a patch that could
// not be read) cannot be read for a version, which is a problem rather
// than "nothing promoted".
func Promotion(c promotion.Config, files []File) *promotion.Result {
	in := make([]promotion.File, 0, len(files))
	for _, f := range files {
		pf := promotion.File{Path: f.Path, PreviousPath: f.PreviousPath,
			LinesUnknown: (f.PatchMissing && !f.ContentsDiffed) || f.ParseError != ""}
		for _, l := range f.AddedLines {
			pf.AddedLines = append(pf.AddedLines, promotion.Line{Number: l.Line, Text: l.Text})
		}
		in = append(in, pf)
	}
	r := c.Extract(in)
	return &r
}

// stringList reads a list of strings from a setting's value (a []any after
// YAML or JSON; []string from Go callers).
func stringList(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
