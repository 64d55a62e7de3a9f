package migration

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// renderExpr prints the common shapes of default and check expressions
// without a round trip through the parser's deparser (a call into the
// WebAssembly module each, which dominated the cost of large migrations).
// ok is false for any shape it does not know; exprText then deparses.
func renderExpr(n *pg.Node, depth int) (string, bool) {
	if n == nil || depth > 50 {
		return "", false
	}
	switch x := n.GetNode().(type) {
	case *pg.Node_AConst:
		c := x.AConst
		if c.GetIsnull() {
			return "NULL", true
		}
		if sv, ok := c.GetVal().(*pg.A_Const_Sval); ok {
			return "'" + strings.ReplaceAll(sv.Sval.GetSval(), "'", "''") + "'", true
		}
		if _, ok := c.GetVal().(*pg.A_Const_Bsval); ok {
			return "", false
		}
		return constText(c), true
	case *pg.Node_ColumnRef:
		var parts []string
		for _, f := range x.ColumnRef.GetFields() {
			switch {
			case f.GetString_() != nil:
				parts = append(parts, f.GetString_().GetSval())
			case f.GetAStar() != nil:
				parts = append(parts, "*")
			default:
				return "", false
			}
		}
		return strings.Join(parts, "."), true
	case *pg.Node_FuncCall:
		f := x.FuncCall
		if f.GetAggStar() || f.GetAggDistinct() || len(f.GetAggOrder()) > 0 || f.GetAggFilter() != nil || f.GetOver() != nil ||
			f.GetFuncVariadic() || f.GetFuncformat() != pg.CoercionForm_COERCE_EXPLICIT_CALL {
			return "", false
		}
		args := make([]string, 0, len(f.GetArgs()))
		for _, a := range f.GetArgs() {
			s, ok := renderExpr(a, depth+1)
			if !ok {
				return "", false
			}
			args = append(args, s)
		}
		return strings.Join(strs(f.GetFuncname()), ".") + "(" + strings.Join(args, ", ") + ")", true
	case *pg.Node_AExpr:
		e := x.AExpr
		name := strs(e.GetName())
		if e.GetKind() != pg.A_Expr_Kind_AEXPR_OP || len(name) != 1 {
			return "", false
		}
		r, ok := renderOperand(e.GetRexpr(), depth)
		if !ok {
			return "", false
		}
		if e.GetLexpr() == nil {
			return name[0] + " " + r, true
		}
		l, ok := renderOperand(e.GetLexpr(), depth)
		if !ok {
			return "", false
		}
		return l + " " + name[0] + " " + r, true
	case *pg.Node_TypeCast:
		if names := strs(x.TypeCast.GetTypeName().GetNames()); len(names) > 1 && names[0] == "pg_catalog" {
			return "", false // the deparser has its own spelling of these
		}
		a, ok := renderOperand(x.TypeCast.GetArg(), depth)
		if !ok {
			return "", false
		}
		return a + "::" + typeName(x.TypeCast.GetTypeName()), true
	case *pg.Node_BoolExpr:
		b := x.BoolExpr
		parts := make([]string, 0, len(b.GetArgs()))
		for _, a := range b.GetArgs() {
			s, ok := renderExpr(a, depth+1)
			if _, nested := a.GetNode().(*pg.Node_BoolExpr); nested {
				s = "(" + s + ")"
			}
			if !ok {
				return "", false
			}
			parts = append(parts, s)
		}
		switch b.GetBoolop() {
		case pg.BoolExprType_AND_EXPR:
			return strings.Join(parts, " AND "), true
		case pg.BoolExprType_OR_EXPR:
			return strings.Join(parts, " OR "), true
		case pg.BoolExprType_NOT_EXPR:
			if len(parts) == 1 {
				return "NOT " + parts[0], true
			}
		}
	case *pg.Node_NullTest:
		a, ok := renderExpr(x.NullTest.GetArg(), depth+1)
		if !ok {
			return "", false
		}
		if _, nested := x.NullTest.GetArg().GetNode().(*pg.Node_BoolExpr); nested {
			a = "(" + a + ")"
		}
		if x.NullTest.GetNulltesttype() == pg.NullTestType_IS_NOT_NULL {
			return a + " IS NOT NULL", true
		}
		return a + " IS NULL", true
	case *pg.Node_SqlvalueFunction:
		op := strings.TrimPrefix(x.SqlvalueFunction.GetOp().String(), "SVFOP_")
		if strings.HasSuffix(op, "_N") {
			return "", false
		}
		return strings.ToLower(op), true
	}
	return "", false
}

// renderOperand renders an operand of an operator, in parentheses when it
// is itself an operator expression.
func renderOperand(n *pg.Node, depth int) (string, bool) {
	s, ok := renderExpr(n, depth+1)
	if !ok {
		return "", false
	}
	switch n.GetNode().(type) {
	case *pg.Node_AExpr, *pg.Node_BoolExpr:
		return "(" + s + ")", true
	}
	return s, true
}
