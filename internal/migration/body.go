package migration

import (
	"encoding/json"
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// maxBodyDepth bounds how deep EXECUTE 'DO ...' inside a body is
// followed.
const maxBodyDepth = 3

// projectBody parses the PL/pgSQL body of the DO block or function at
// statement idx and adds the SQL statements it runs, each marked with
// where it came from. stmtText is the statement as written.
func (p *projector) projectBody(idx int, node *pg.Node, stmtText string, depth int) {
	outer := &p.f.Statements[idx]
	origin := Origin{Kind: "function_body", Line: outer.Line, Function: outer.Function.Name}
	var src, body string
	switch x := node.GetNode().(type) {
	case *pg.Node_DoStmt:
		origin.Kind = "do_block"
		for _, a := range x.DoStmt.GetArgs() {
			if d := a.GetDefElem(); d != nil && d.GetDefname() == "as" {
				body = d.GetArg().GetString_().GetSval()
			}
		}
		// The PL/pgSQL parser takes a CREATE FUNCTION; wrap the block
		// in one, with a dollar tag the body does not contain.
		tag := "$mg$"
		for i := 0; strings.Contains(body, tag); i++ {
			tag = "$mg" + strings.Repeat("x", i+1) + "$"
		}
		src = "CREATE FUNCTION mergeguard_do() RETURNS void LANGUAGE plpgsql AS " + tag + body + tag
	case *pg.Node_CreateFunctionStmt:
		for _, o := range x.CreateFunctionStmt.GetOptions() {
			if d := o.GetDefElem(); d != nil && d.GetDefname() == "as" {
				if l := d.GetArg().GetList(); l != nil && len(l.GetItems()) > 0 {
					body = l.GetItems()[0].GetString_().GetSval()
				}
			}
		}
		src = stmtText
	default:
		return
	}
	// The body's first line in the file: where its text sits in the
	// statement (dollar-quoted bodies appear verbatim); the statement's
	// line when it cannot be found (a quoted body with doubled quotes).
	bodyLine := outer.Line
	if k := strings.Index(stmtText, body); k >= 0 && body != "" {
		bodyLine += strings.Count(stmtText[:k], "\n")
	}
	out, err := parsePlpgsql(src)
	if err != nil {
		outer.Function.BodyError = err.Error()
		return
	}
	var tree any
	if err := json.Unmarshal([]byte(out), &tree); err != nil {
		outer.Function.BodyError = "reading the PL/pgSQL parse tree: " + err.Error()
		return
	}
	outer.Function.BodyParsed = true
	outerEnd := outer.EndLine
	var found []bodySQL
	collectSQL(tree, &found, 0)
	for _, q := range found {
		if q.dynamic && !q.constant {
			p.f.Statements[idx].Function.DynamicSQL = true
			continue
		}
		o := origin
		o.Dynamic = q.dynamic
		p.projectInner(q.sql, bodyLine+max(q.lineno, 1)-1, outerEnd, o, depth)
	}
}

// bodySQL is a statement a PL/pgSQL body runs.
type bodySQL struct {
	sql      string
	lineno   int
	dynamic  bool // EXECUTE
	constant bool // EXECUTE of a constant string
}

// collectSQL walks libpg_query's PL/pgSQL JSON for the SQL statements
// (PLpgSQL_stmt_execsql) and EXECUTEs (PLpgSQL_stmt_dynexecute) of a
// body, in order.
func collectSQL(v any, out *[]bodySQL, depth int) {
	if depth > 200 {
		return
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			collectSQL(e, out, depth+1)
		}
	case map[string]any:
		if s, ok := x["PLpgSQL_stmt_execsql"].(map[string]any); ok {
			*out = append(*out, bodySQL{sql: exprQuery(s["sqlstmt"]), lineno: intOf(s["lineno"])})
			return
		}
		if s, ok := x["PLpgSQL_stmt_dynexecute"].(map[string]any); ok {
			q := exprQuery(s["query"])
			lit, isConst := sqlLiteral(q)
			*out = append(*out, bodySQL{sql: lit, lineno: intOf(s["lineno"]), dynamic: true, constant: isConst})
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// Statement order is list order; map keys of one object hold
		// different parts (condition, body, else), visited in a fixed
		// order for stable output.
		sort.Strings(keys)
		for _, k := range keys {
			collectSQL(x[k], out, depth+1)
		}
	}
}

func exprQuery(v any) string {
	m, _ := v.(map[string]any)
	e, _ := m["PLpgSQL_expr"].(map[string]any)
	q, _ := e["query"].(string)
	return q
}

func intOf(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// sqlLiteral returns the value of a single SQL string literal ('...' with
// doubled quotes, or $tag$...$tag$); ok is false for anything else.
func sqlLiteral(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		inner := s[1 : len(s)-1]
		if strings.Count(strings.ReplaceAll(inner, "''", ""), "'") == 0 {
			return strings.ReplaceAll(inner, "''", "'"), true
		}
		return "", false
	}
	if strings.HasPrefix(s, "$") {
		if end := strings.IndexByte(s[1:], '$'); end >= 0 {
			tag := s[:end+2]
			if len(s) >= 2*len(tag) && strings.HasSuffix(s, tag) {
				inner := s[len(tag) : len(s)-len(tag)]
				if !strings.Contains(inner, tag) {
					return inner, true
				}
			}
		}
	}
	return "", false
}

// projectInner parses SQL run by a body and adds its statements.
// Its lines are kept within the outer statement's (maxLine), whatever
// the body's line numbers say.
func (p *projector) projectInner(sql string, line, maxLine int, origin Origin, depth int) {
	line = min(line, maxLine)
	endLine := min(line+strings.Count(sql, "\n"), maxLine)
	res, err := parseSQL(sql)
	if err != nil {
		o := origin
		p.add(Statement{Kind: "parse_error", Line: line, EndLine: endLine, Text: cut(sql, maxTextBytes), From: &o,
			Error: &ParseError{Message: err.Error(), Line: line}})
		return
	}
	for _, rs := range res.GetStmts() {
		st := describe(rs.GetStmt())
		o := origin
		st.From = &o
		st.Line, st.EndLine, st.Text = line, endLine, cut(strings.TrimSpace(sql), maxTextBytes)
		idx := p.add(st)
		if st.Function != nil && strings.EqualFold(st.Function.Language, "plpgsql") && depth < maxBodyDepth {
			p.projectBody(idx, rs.GetStmt(), sql, depth+1)
		}
	}
}
