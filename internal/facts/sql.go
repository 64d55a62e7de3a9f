package facts

import (
	"strings"

	"github.com/mergeguard/mergeguard/internal/sqlsplit"
)

// isSQL says whether a file's added lines are read as SQL statements. Every
// .sql file is: which of them are migrations is the policy's to decide
// (its globs), so the same facts serve an organization's own layout.
func isSQL(path string) bool {
	return strings.HasSuffix(strings.ToLower(path), ".sql")
}

// sqlFacts splits each run of consecutive added lines into statements.
func sqlFacts(added []Line) *SQL {
	out := &SQL{Statements: []SQLStatement{}}
	for start := 0; start < len(added); {
		end := start + 1
		for end < len(added) && added[end].Line == added[end-1].Line+1 {
			end++
		}
		run := added[start:end]
		start = end

		var b strings.Builder
		for i, l := range run {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(l.Text)
		}
		res := sqlsplit.SplitFile(b.String(), run[0].Line)
		out.Truncated = out.Truncated || res.Truncated
		for _, st := range res.Statements {
			if len(out.Statements) >= sqlsplit.MaxStatements {
				out.Truncated = true
				return out
			}
			out.Statements = append(out.Statements, sqlStatement(st, run))
		}
	}
	return out
}

func sqlStatement(st sqlsplit.Statement, run []Line) SQLStatement {
	s := SQLStatement{
		Text: st.Text, Code: st.Code, Line: st.Line, EndLine: st.EndLine,
		Ignores: []SQLIgnore{}, Incomplete: st.Incomplete, Down: st.Down,
	}
	for _, ig := range st.Ignores {
		s.Ignores = append(s.Ignores, SQLIgnore{Rule: ig.Rule, Reason: ig.Reason, Line: ig.Line})
	}
	// A line cut at MaxLineBytes may have lost the rest of the statement.
	first := run[0].Line
	for n := st.Line; n <= st.EndLine && n-first < len(run); n++ {
		if n >= first && run[n-first].Truncated {
			s.Incomplete = true
			break
		}
	}
	return s
}
