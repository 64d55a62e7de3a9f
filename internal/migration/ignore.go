package migration

import (
	"sort"
	"strings"
)

// SquawkRules maps squawk's rule names (as of squawk 2.66) to the
// mergeguard checks that cover the same danger, so that a team moving from
// squawk keeps its "-- squawk-ignore RULE" comments. A rule mapped to no
// check has no mergeguard counterpart yet; its ignore is kept (Checks
// empty) so the policy can say it ignores nothing. docs/migrations.md
// shows this table.
var SquawkRules = map[string][]string{
	"adding-field-with-default":                    {"volatile_default"},
	"adding-foreign-key-constraint":                {"add_foreign_key"},
	"adding-not-nullable-field":                    {"set_not_null"},
	"adding-required-field":                        {"not_null_without_default"},
	"adding-serial-primary-key-field":              {"add_unique"},
	"ban-alter-domain-with-add-constraint":         nil,
	"ban-char-field":                               nil,
	"ban-concurrent-index-creation-in-transaction": {"concurrently_in_transaction"},
	"ban-create-domain-with-constraint":            nil,
	"ban-drop-column":                              {"drop_column"},
	"ban-drop-database":                            {"drop_database"},
	"ban-drop-not-null":                            nil,
	"ban-drop-table":                               {"drop_table"},
	"ban-duplicate-column-assignments":             nil,
	"ban-truncate-cascade":                         {"truncate_cascade"},
	"ban-uncommitted-transaction":                  {"uncommitted_transaction"},
	"changing-column-type":                         {"alter_column_type"},
	"constraint-missing-not-valid":                 {"add_check", "add_foreign_key"},
	"disallowed-unique-constraint":                 {"add_unique"},
	"prefer-bigint-over-int":                       nil,
	"prefer-bigint-over-smallint":                  nil,
	"prefer-identity":                              nil,
	"prefer-robust-stmts":                          nil,
	"prefer-text-field":                            nil,
	"prefer-timestamptz":                           nil,
	"renaming-column":                              {"rename_column"},
	"renaming-table":                               {"rename_table"},
	"require-concurrent-index-creation":            {"create_index"},
	"require-concurrent-index-deletion":            {"drop_index"},
	"require-enum-value-ordering":                  nil,
	"require-table-schema":                         nil,
	"require-lock-timeout":                         {"lock_timeout"},
	"require-statement-timeout":                    nil,
	"require-concurrent-reindex":                   {"reindex"},
	"require-concurrent-partition-detach":          {"detach_partition"},
	// The rule squawk split into the two above; kept as an alias.
	"require-timeout-settings": {"lock_timeout"},
	"transaction-nesting":      {"transaction_nesting"},
}

const (
	squawkIgnore     = "squawk-ignore"
	squawkIgnoreFile = "squawk-ignore-file"
	mergeguardIgnore = "mergeguard:ignore"
)

// parseIgnoreComment reads an ignore comment (the text after "--"); ok is
// false for any other comment. A squawk comment may name several rules
// separated by commas; squawk-ignore-file without rules ignores every
// rule ("all").
func parseIgnoreComment(text string, line int) ([]Ignore, bool) {
	low := strings.ToLower(text)
	switch {
	case hasWord(low, mergeguardIgnore):
		rest := strings.TrimSpace(text[len(mergeguardIgnore):])
		rule, reason, _ := strings.Cut(rest, " ")
		rule = strings.ToLower(strings.TrimSpace(rule))
		checks := []string{}
		if rule != "" {
			checks = []string{rule}
		}
		return []Ignore{{Source: "mergeguard", Rule: rule, Checks: checks, Reason: strings.TrimSpace(reason), Line: line, Statement: -1}}, true
	case hasWord(low, squawkIgnoreFile), hasWord(low, squawkIgnore):
		file := hasWord(low, squawkIgnoreFile)
		rest := low[len(squawkIgnore):]
		if file {
			rest = low[len(squawkIgnoreFile):]
		}
		var out []Ignore
		for _, r := range strings.Split(rest, ",") {
			r = strings.TrimSpace(r)
			if r == "" {
				continue
			}
			out = append(out, squawkIgnoreOf(r, line, file))
		}
		if len(out) == 0 && file {
			out = append(out, Ignore{Source: "squawk", Rule: "all", Checks: []string{"all"}, Line: line, Statement: -1, File: true})
		}
		return out, len(out) > 0
	}
	return nil, false
}

func squawkIgnoreOf(rule string, line int, file bool) Ignore {
	checks := append([]string{}, SquawkRules[rule]...)
	return Ignore{Source: "squawk", Rule: rule, Checks: checks, Reason: "squawk-ignore", Line: line, Statement: -1, File: file}
}

// hasWord is true when s starts with w followed by the end or a blank.
func hasWord(s, w string) bool {
	return strings.HasPrefix(s, w) && (len(s) == len(w) || s[len(w)] == ' ' || s[len(w)] == '\t')
}

// readComments reads the ignore comments and the down sections.
func (p *projector) readComments() {
	for _, c := range p.comments {
		igs, ok := parseIgnoreComment(c.text, c.line)
		if !ok {
			continue
		}
		p.f.Ignores = append(p.f.Ignores, igs...)
	}
	p.down = downSections(p.comments, p.f.Lines)
	if isDownFile(p.f.Path) && p.f.Lines > 0 {
		p.down = []lineRange{{1, p.f.Lines}}
	}
}

// attachIgnores ties each ignore to the statement it precedes: the first
// statement starting after the comment, when no statement spans the
// comment's line. A file ignore applies to every statement.
func (p *projector) attachIgnores() {
	fileChecks := map[string]bool{}
	var top []int // indexes of statements as written (not from bodies)
	for i, st := range p.f.Statements {
		if st.From == nil {
			top = append(top, i)
		}
	}
	for k := range p.f.Ignores {
		ig := &p.f.Ignores[k]
		if ig.File {
			for _, c := range ig.Checks {
				fileChecks[c] = true
			}
			continue
		}
		j := sort.Search(len(top), func(n int) bool { return p.f.Statements[top[n]].Line > ig.Line })
		if j == len(top) {
			continue
		}
		if j > 0 && p.f.Statements[top[j-1]].EndLine >= ig.Line {
			continue // inside or at the end of the previous statement
		}
		ig.Statement = top[j]
		st := &p.f.Statements[top[j]]
		st.Ignores = append(st.Ignores, *ig)
	}
	for c := range fileChecks {
		p.f.FileIgnores = append(p.f.FileIgnores, c)
	}
	sort.Strings(p.f.FileIgnores)
}
