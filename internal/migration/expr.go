package migration

import (
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// expr describes an expression: its text and the volatility of what it
// calls.
func expr(n *pg.Node) *Expr {
	if n == nil {
		return nil
	}
	e := &Expr{Text: exprText(n), Functions: []string{}}
	level := byte('i')
	seen := map[string]bool{}
	walk(n.ProtoReflect(), func(m protoreflect.Message) {
		switch x := m.Interface().(type) {
		case *pg.FuncCall:
			name := strings.ToLower(strings.Join(strs(x.GetFuncname()), "."))
			if !seen[name] {
				seen[name] = true
				e.Functions = append(e.Functions, name)
			}
			level = stricter(level, functionVolatility(strs(x.GetFuncname())))
		case *pg.SQLValueFunction:
			// CURRENT_TIMESTAMP, CURRENT_USER, ...: fixed within a
			// statement, so stable.
			level = stricter(level, 's')
		case *pg.SubLink:
			// Not allowed in a default, but a generated column or a
			// check must not hide one: treat as volatile.
			level = stricter(level, 'v')
		}
	})
	sort.Strings(e.Functions)
	e.Volatility = map[byte]string{'i': "immutable", 's': "stable", 'v': "volatile"}[level]
	e.Volatile = level == 'v'
	return e
}

// functionVolatility looks a function up in PostgreSQL's catalog. A
// function outside pg_catalog, or not in it, is user-defined: volatile
// unless known otherwise, which mergeguard cannot know.
func functionVolatility(name []string) byte {
	var fn string
	switch {
	case len(name) == 1:
		fn = strings.ToLower(name[0])
	case len(name) == 2 && strings.EqualFold(name[0], "pg_catalog"):
		fn = strings.ToLower(name[1])
	default:
		return 'v'
	}
	if v, ok := builtinVolatility[fn]; ok {
		return v
	}
	return 'v'
}

func stricter(a, b byte) byte {
	rank := map[byte]int{'i': 0, 's': 1, 'v': 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// walk calls fn on every message of the tree under m, m included.
func walk(m protoreflect.Message, fn func(protoreflect.Message)) {
	if !m.IsValid() {
		return
	}
	fn(m)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walk(l.Get(i).Message(), fn)
			}
		case fd.Message() != nil && !fd.IsMap():
			walk(v.Message(), fn)
		}
		return true
	})
}

// exprText prints an expression back as SQL, by deparsing "SELECT expr".
func exprText(n *pg.Node) string {
	if n == nil {
		return ""
	}
	if s, ok := renderExpr(n, 0); ok {
		return s
	}
	tree := &pg.ParseResult{Stmts: []*pg.RawStmt{{Stmt: &pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: &pg.SelectStmt{
		TargetList:  []*pg.Node{{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: n}}}},
		Op:          pg.SetOperation_SETOP_NONE,
		LimitOption: pg.LimitOption_LIMIT_OPTION_DEFAULT,
	}}}}}}
	out, err := deparse(tree)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(out, "SELECT ")
}
