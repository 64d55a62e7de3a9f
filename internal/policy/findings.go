package policy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/text"
)

// fillFindings reads the deny, warn and skip sets of one rule into res. It
// returns a message when a set holds something that is not a finding, since
// silently dropping a malformed denial would let a change through.
func fillFindings(res *decision.RuleResult, bindings map[string]any, now time.Time) string {
	var problems []string
	for _, set := range []string{"deny", "warn"} {
		raw, ok := bindings[set]
		if !ok {
			continue
		}
		items, ok := raw.([]any)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s must be a set, got %s", set, typeName(raw)))
			continue
		}
		for _, item := range items {
			f, err := findingFrom(item)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s entry %s: %v", set, compactJSON(item), err))
				continue
			}
			if set == "deny" {
				res.Denials = append(res.Denials, f)
			} else {
				res.Warnings = append(res.Warnings, f)
			}
		}
	}
	if raw, ok := bindings["skip"]; ok {
		items, _ := raw.([]any)
		for _, item := range items {
			if s, ok := item.(string); ok && strings.TrimSpace(s) != "" {
				res.SkipReasons = append(res.SkipReasons, s)
			} else {
				problems = append(problems, fmt.Sprintf("skip entry %s: a skip reason is a non-empty string", compactJSON(item)))
			}
		}
	}
	if raw, ok := bindings["details"]; ok {
		tables, problem := detailsFrom(raw)
		if problem != "" {
			problems = append(problems, problem)
		}
		res.Details = tables
	}
	if raw, ok := bindings["recheck_at"]; ok {
		at, err := recheckAt(raw, now)
		if err != "" {
			problems = append(problems, err)
		}
		res.RecheckAt = at
	}
	if raw, ok := bindings["request_reviewers"]; ok {
		req, problem := reviewRequestFrom(raw)
		if problem != "" {
			problems = append(problems, problem)
		}
		res.RequestReviewers = req
	}
	res.Denials = sortFindings(res.Denials)
	res.Warnings = sortFindings(res.Warnings)
	slices.Sort(res.SkipReasons)
	if len(problems) > 0 {
		return "rule produced malformed results: " + strings.Join(problems, "; ")
	}
	return ""
}

// findingFrom accepts the conftest shapes: a message string, or an object
// {msg, path?, line?, end_line?}.
func findingFrom(item any) (decision.Finding, error) {
	switch v := item.(type) {
	case string:
		if strings.TrimSpace(v) == "" {
			return decision.Finding{}, fmt.Errorf("message is empty")
		}
		return decision.Finding{Message: v}, nil
	case map[string]any:
		msg, _ := v["msg"].(string)
		if strings.TrimSpace(msg) == "" {
			return decision.Finding{}, fmt.Errorf("needs a non-empty string \"msg\"")
		}
		f := decision.Finding{Message: msg}
		p, hasPath := v["path"]
		if !hasPath {
			if _, hasLine := v["line"]; hasLine {
				return decision.Finding{}, fmt.Errorf("has a line but no path")
			}
			return f, nil
		}
		path, ok := p.(string)
		if !ok || path == "" {
			return decision.Finding{}, fmt.Errorf("path must be a non-empty string")
		}
		f.Location = &decision.Location{Path: path}
		var err error
		if f.Location.StartLine, err = lineNumber(v, "line"); err != nil {
			return decision.Finding{}, err
		}
		if f.Location.EndLine, err = lineNumber(v, "end_line"); err != nil {
			return decision.Finding{}, err
		}
		if f.Location.EndLine != 0 && f.Location.StartLine == 0 {
			return decision.Finding{}, fmt.Errorf("has end_line but no line")
		}
		if f.Location.EndLine != 0 && f.Location.EndLine < f.Location.StartLine {
			return decision.Finding{}, fmt.Errorf("end_line %d is before line %d", f.Location.EndLine, f.Location.StartLine)
		}
		return f, nil
	default:
		return decision.Finding{}, fmt.Errorf("a finding is a string or an object with msg, got %s", typeName(item))
	}
}

func lineNumber(v map[string]any, key string) (int, error) {
	raw, ok := v[key]
	if !ok {
		return 0, nil
	}
	n, ok := raw.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s must be a number", key)
	}
	i, err := n.Int64()
	if err != nil || i < 1 {
		return 0, fmt.Errorf("%s must be a whole number ≥ 1, got %s", key, n)
	}
	return int(i), nil
}

// sortFindings orders findings by place and message and drops repeats: a
// rule's set may hold objects that differ only in keys the engine does not
// read (the bundled migration rule denies its reported findings as they
// are), and each finding is shown once.
func sortFindings(fs []decision.Finding) []decision.Finding {
	slices.SortStableFunc(fs, func(a, b decision.Finding) int {
		ap, bp := a.Location, b.Location
		switch {
		case ap == nil && bp == nil:
			return cmp.Compare(a.Message, b.Message)
		case ap == nil:
			return -1
		case bp == nil:
			return 1
		}
		return cmp.Or(cmp.Compare(ap.Path, bp.Path), cmp.Compare(ap.StartLine, bp.StartLine), cmp.Compare(a.Message, b.Message), cmp.Compare(ap.EndLine, bp.EndLine))
	})
	return slices.CompactFunc(fs, func(a, b decision.Finding) bool {
		if a.Message != b.Message || (a.Location == nil) != (b.Location == nil) {
			return false
		}
		return a.Location == nil || *a.Location == *b.Location
	})
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return text.Clip(string(b), 120)
}

// recheckAt reads a rule's recheck_at set — instants as nanoseconds since
// the epoch or RFC 3339 strings — and returns the earliest one after now.
func recheckAt(raw any, now time.Time) (*time.Time, string) {
	items, ok := raw.([]any)
	if !ok {
		return nil, fmt.Sprintf("recheck_at must be a set, got %s", typeName(raw))
	}
	var earliest *time.Time
	for _, item := range items {
		var t time.Time
		switch v := item.(type) {
		case json.Number:
			ns, err := v.Int64()
			if err != nil {
				return nil, fmt.Sprintf("recheck_at entry %s: an instant is nanoseconds since the epoch (a whole number) or an RFC 3339 string", v)
			}
			t = time.Unix(0, ns)
		case string:
			var err error
			if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return nil, fmt.Sprintf("recheck_at entry %q: an instant is nanoseconds since the epoch or an RFC 3339 string", v)
			}
		default:
			return nil, fmt.Sprintf("recheck_at entry %s: an instant is nanoseconds since the epoch or an RFC 3339 string", compactJSON(item))
		}
		if t.After(now) && (earliest == nil || t.Before(*earliest)) {
			t := t.UTC()
			earliest = &t
		}
	}
	return earliest, ""
}

// reviewRequestFrom reads a rule's request_reviewers set: "@login" for a
// user, "@org/team" for a team. An entry of another shape is a problem of
// the rule, not a request sent to whoever it names.
func reviewRequestFrom(raw any) (*decision.ReviewRequest, string) {
	items, ok := raw.([]any)
	if !ok {
		return nil, fmt.Sprintf("request_reviewers must be a set, got %s", typeName(raw))
	}
	if len(items) == 0 {
		return nil, ""
	}
	req := &decision.ReviewRequest{}
	for _, item := range items {
		s, _ := item.(string)
		name, ok := strings.CutPrefix(s, "@")
		org, slug, isTeam := strings.Cut(name, "/")
		switch {
		case !ok || name == "" || strings.ContainsAny(name, " @") || isTeam && (org == "" || slug == "" || strings.Contains(slug, "/")):
			return nil, fmt.Sprintf("request_reviewers entry %s: a reviewer is \"@login\" or \"@org/team\"", compactJSON(item))
		case isTeam:
			req.Teams = append(req.Teams, name)
		default:
			req.Users = append(req.Users, name)
		}
	}
	slices.Sort(req.Teams)
	slices.Sort(req.Users)
	return req, ""
}

// maxDetailRows bounds the rows of one rule's details tables: the check
// run's details hold 65,535 characters, so more rows could not be shown.
const maxDetailRows = 2000

// detailsFrom reads a rule's details set: tables
// {"title": string, "columns": [string], "rows": [[cell]], "note"?: string},
// whose cells are strings or numbers and whose rows have a cell per column.
func detailsFrom(raw any) ([]decision.Table, string) {
	items, ok := raw.([]any)
	if !ok {
		return nil, fmt.Sprintf("details must be a set, got %s", typeName(raw))
	}
	var out []decision.Table
	rows := 0
	for _, item := range items {
		t, err := tableFrom(item)
		if err != nil {
			return nil, fmt.Sprintf("details entry %s: %v", compactJSON(item), err)
		}
		if rows += len(t.Rows); rows > maxDetailRows {
			return nil, fmt.Sprintf("details hold more than %d rows; show the rows that matter and say how many were left out", maxDetailRows)
		}
		out = append(out, t)
	}
	slices.SortStableFunc(out, func(a, b decision.Table) int { return cmp.Compare(a.Title, b.Title) })
	return out, ""
}

func tableFrom(item any) (decision.Table, error) {
	obj, ok := item.(map[string]any)
	if !ok {
		return decision.Table{}, fmt.Errorf("a table is an object {title, columns, rows, note}, got %s", typeName(item))
	}
	var t decision.Table
	if t.Title, ok = obj["title"].(string); !ok || strings.TrimSpace(t.Title) == "" {
		return decision.Table{}, fmt.Errorf("title must be a non-empty string")
	}
	if n, present := obj["note"]; present {
		if t.Note, ok = n.(string); !ok {
			return decision.Table{}, fmt.Errorf("note must be a string, got %s", typeName(n))
		}
	}
	cols, ok := obj["columns"].([]any)
	if !ok || len(cols) == 0 {
		return decision.Table{}, fmt.Errorf("columns must be a non-empty array of strings")
	}
	for _, c := range cols {
		s, ok := c.(string)
		if !ok {
			return decision.Table{}, fmt.Errorf("columns must be strings, got %s", typeName(c))
		}
		t.Columns = append(t.Columns, s)
	}
	rows, ok := obj["rows"].([]any)
	if !ok {
		return decision.Table{}, fmt.Errorf("rows must be an array of arrays, got %s", typeName(obj["rows"]))
	}
	for i, r := range rows {
		cells, ok := r.([]any)
		if !ok || len(cells) != len(t.Columns) {
			return decision.Table{}, fmt.Errorf("row %d must be an array of %d cells, one per column", i+1, len(t.Columns))
		}
		row := make([]string, len(cells))
		for j, c := range cells {
			switch v := c.(type) {
			case string:
				row[j] = v
			case json.Number:
				row[j] = v.String()
			default:
				return decision.Table{}, fmt.Errorf("row %d cell %d must be a string or a number, got %s", i+1, j+1, typeName(c))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}
