package migration

import (
	"bytes"
	"path"
	"regexp"
	"strings"
)

// commentLine is a line whose first non-blank characters are "--"; text
// is the rest, trimmed. Migration tools only honour their directives on
// such lines.
type commentLine struct {
	line int
	text string
}

// ToolDefault is one row of the table of migration tools: how a file is
// recognised and whether the tool runs it in a transaction by default.
// docs/migrations.md shows the same table.
type ToolDefault struct {
	Tool string
	// Recognised says how mergeguard tells the tool's files.
	Recognised string
	// Implicit is the tool's default: a transaction around each file.
	Implicit bool
	// OptOut is how a migration runs without that transaction.
	OptOut string
}

// ToolDefaults is the documented table, in the order the tools are tried.
var ToolDefaults = []ToolDefault{
	{"goose", `a "-- +goose Up" / "-- +goose Down" comment`, true, `"-- +goose NO TRANSACTION"`},
	{"dbmate", `a "-- migrate:up" comment`, true, `"-- migrate:up transaction:false"`},
	{"sql-migrate", `a "-- +migrate Up" comment`, true, `"-- +migrate Up notransaction"`},
	{"golang-migrate", `a file named NNN_title.up.sql or NNN_title.down.sql`, false, "(none needed)"},
	{"flyway", `a file named V<version>__<title>.sql, U<version>__... or R__<title>.sql`, true, `executeInTransaction=false in the script's .conf file`},
	{"sqitch", `a .sql file under a deploy/ (revert/, verify/) directory`, false, "(none needed; scripts write their own BEGIN/COMMIT)"},
	{"rails", `a file under db/migrate/`, true, "disable_ddl_transaction! in the Ruby migration class"},
	{"django", `a .py file under a migrations/ directory`, true, "atomic = False on the Migration class"},
}

var (
	golangMigrateName = regexp.MustCompile(`^\d+_[^/]*\.(up|down)\.sql$`)
	flywayName        = regexp.MustCompile(`^(?:[VU]\d[\d._]*|R)__[^/]*\.sql$`)
)

// toolOf decides the migration tool of a file and whether it runs in an
// implicit transaction. Directives in the file win over the path.
func toolOf(p string, comments []commentLine, opt Options) (string, TransactionMode) {
	tool := ""
	mode := TransactionMode{Reason: "tool_default"}
	for _, c := range comments {
		low := strings.ToLower(c.text)
		switch {
		case strings.HasPrefix(low, "+goose"):
			tool = firstNonEmpty(tool, "goose")
			if fields(low, 1) == "no transaction" {
				mode = TransactionMode{Reason: "directive", Directive: "--" + " " + c.text, DirectiveLine: c.line}
			}
		case strings.HasPrefix(low, "migrate:up") || strings.HasPrefix(low, "migrate:down"):
			tool = firstNonEmpty(tool, "dbmate")
			if strings.HasPrefix(low, "migrate:up") && strings.Contains(low, "transaction:false") {
				mode = TransactionMode{Reason: "directive", Directive: "-- " + c.text, DirectiveLine: c.line}
			}
		case strings.HasPrefix(low, "+migrate"):
			tool = firstNonEmpty(tool, "sql-migrate")
			if strings.HasPrefix(low, "+migrate up") && strings.Contains(low, "notransaction") {
				mode = TransactionMode{Reason: "directive", Directive: "-- " + c.text, DirectiveLine: c.line}
			}
		}
	}
	if tool == "" {
		tool = toolOfPath(p)
	}
	if opt.Tool != "" {
		tool = opt.Tool
		if tool == "none" {
			tool = ""
		}
	}
	if mode.Reason != "directive" {
		mode.Implicit = false
		mode.Reason = "unknown"
		for _, d := range ToolDefaults {
			if d.Tool == tool {
				mode.Implicit = d.Implicit
				mode.Reason = "tool_default"
			}
		}
	}
	if opt.Transaction != nil {
		mode = TransactionMode{Implicit: *opt.Transaction, Reason: "setting"}
	}
	return tool, mode
}

// toolOfPath recognises a tool by its file naming alone.
func toolOfPath(p string) string {
	base := path.Base(p)
	dirs := "/" + path.Dir(p) + "/"
	switch {
	case golangMigrateName.MatchString(base):
		return "golang-migrate"
	case flywayName.MatchString(base):
		return "flyway"
	case strings.HasSuffix(base, ".sql") && (strings.Contains(dirs, "/deploy/") || strings.Contains(dirs, "/revert/") || strings.Contains(dirs, "/verify/")):
		return "sqitch"
	case strings.Contains(dirs, "/db/migrate/"):
		return "rails"
	case strings.HasSuffix(base, ".py") && strings.Contains(dirs, "/migrations/"):
		return "django"
	}
	return ""
}

// isDownFile is true for a file a deploy does not run: golang-migrate's
// .down.sql, Flyway's undo (U...) scripts, sqitch's revert/ and verify/.
func isDownFile(p string) bool {
	base := path.Base(p)
	dirs := "/" + path.Dir(p) + "/"
	return strings.HasSuffix(base, ".down.sql") ||
		flywayName.MatchString(base) && strings.HasPrefix(base, "U") ||
		strings.Contains(dirs, "/revert/") || strings.Contains(dirs, "/verify/")
}

// fields returns the words of s from the n-th on, joined by one space.
func fields(s string, n int) string {
	f := strings.Fields(s)
	if len(f) <= n {
		return ""
	}
	return strings.Join(f[n:], " ")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// downSections finds the down migrations of a file from its directives:
// goose's "+goose Down", sql-migrate's "+migrate Down" and dbmate's
// "migrate:down" start one, the matching Up ends it.
func downSections(comments []commentLine, lines int) []lineRange {
	var out []lineRange
	start := 0
	for _, c := range comments {
		low := strings.ToLower(c.text)
		isDown := strings.HasPrefix(low, "+goose down") || strings.HasPrefix(low, "+migrate down") || strings.HasPrefix(low, "migrate:down")
		isUp := strings.HasPrefix(low, "+goose up") || strings.HasPrefix(low, "+migrate up") || strings.HasPrefix(low, "migrate:up")
		switch {
		case isDown && start == 0:
			start = c.line
		case isUp && start != 0:
			out = append(out, lineRange{start, c.line - 1})
			start = 0
		}
	}
	if start != 0 {
		out = append(out, lineRange{start, lines})
	}
	return out
}

// TransactionOf says, without parsing the SQL, which migration tool a
// file belongs to and whether that tool runs it inside a transaction, and
// why: a directive comment in content, the tool's default for such a path
// (the table in ToolDefaults), or a setting in opt. Project reports the
// same in File.Tool and File.Transaction.
func TransactionOf(p string, content []byte, opt Options) (string, TransactionMode) {
	var comments []commentLine
	line := 0
	for len(content) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			l, content = content[:i], content[i+1:]
		} else {
			l, content = content, nil
		}
		if t := bytes.TrimSpace(l); bytes.HasPrefix(t, []byte("--")) {
			comments = append(comments, commentLine{line: line, text: strings.TrimSpace(string(t[2:]))})
		}
	}
	return toolOf(p, comments, opt)
}
