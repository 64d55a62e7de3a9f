package migration

import (
	"fmt"
	"strings"
	"unicode"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// project adds the statement the parser read at raw, and the statements
// inside it when it is a DO block or a PL/pgSQL function.
func (p *projector) project(raw rawStmt) {
	text := p.src[raw.start:raw.end]
	st := describe(raw.node)
	st.Line = p.lines.line(raw.start)
	st.EndLine = p.lines.line(max(raw.start, raw.end-1))
	st.Text = cut(text, maxTextBytes)
	if st.Copy != nil && st.Copy.Stdin && st.Copy.From {
		for _, b := range p.copyBlocks {
			if b.stmtLine == st.EndLine {
				st.Copy.DataLines = b.dataLines
			}
		}
	}
	idx := p.add(st)
	if st.Function != nil && strings.EqualFold(st.Function.Language, "plpgsql") {
		p.projectBody(idx, raw.node, text, 0)
	}
}

// describe builds the kind-specific part of a statement from its node.
func describe(n *pg.Node) Statement {
	st := Statement{Kind: kindOf(n)}
	switch x := n.GetNode().(type) {
	case *pg.Node_AlterTableStmt:
		describeAlterTable(&st, x.AlterTableStmt)
	case *pg.Node_RenameStmt:
		describeRename(&st, x.RenameStmt)
	case *pg.Node_CreateStmt:
		describeCreateTable(&st, x.CreateStmt)
	case *pg.Node_CreateTableAsStmt:
		c := x.CreateTableAsStmt
		st.Relation = relation(c.GetInto().GetRel())
		st.CreateTable = &CreateTable{IfNotExists: c.GetIfNotExists(), AsSelect: true, Columns: []Column{}, Constraints: []Constraint{}}
		if c.GetObjtype() == pg.ObjectType_OBJECT_MATVIEW {
			st.Kind = "create_materialized_view"
		} else {
			st.Kind = "create_table"
		}
	case *pg.Node_IndexStmt:
		describeIndex(&st, x.IndexStmt)
	case *pg.Node_DropStmt:
		describeDrop(&st, x.DropStmt)
	case *pg.Node_ReindexStmt:
		r := x.ReindexStmt
		st.Relation = relation(r.GetRelation())
		st.Reindex = &Reindex{Target: strings.ToLower(strings.TrimPrefix(r.GetKind().String(), "REINDEX_OBJECT_")), Name: r.GetName()}
		if st.Relation != nil {
			st.Reindex.Name = st.Relation.Name
		}
		for _, o := range r.GetParams() {
			if d := o.GetDefElem(); d != nil && strings.EqualFold(d.GetDefname(), "concurrently") {
				st.Reindex.Concurrently = defBool(d)
			}
		}
	case *pg.Node_TruncateStmt:
		t := &Truncate{Relations: []Relation{}, Cascade: x.TruncateStmt.GetBehavior() == pg.DropBehavior_DROP_CASCADE}
		for _, r := range x.TruncateStmt.GetRelations() {
			if rel := relation(r.GetRangeVar()); rel != nil {
				t.Relations = append(t.Relations, *rel)
			}
		}
		if len(t.Relations) > 0 {
			st.Relation = &t.Relations[0]
		}
		st.Truncate = t
	case *pg.Node_DropdbStmt:
		st.Database = x.DropdbStmt.GetDbname()
	case *pg.Node_VacuumStmt:
		describeVacuum(&st, x.VacuumStmt)
	case *pg.Node_ClusterStmt:
		st.Relation = relation(x.ClusterStmt.GetRelation())
	case *pg.Node_AlterEnumStmt:
		e := x.AlterEnumStmt
		st.AlterEnum = &AlterEnum{Type: strings.Join(strs(e.GetTypeName()), "."), IfNotExists: e.GetSkipIfNewValExists()}
		if e.GetOldVal() != "" {
			st.AlterEnum.RenameValue, st.AlterEnum.NewName = e.GetOldVal(), e.GetNewVal()
		} else {
			st.AlterEnum.AddValue = e.GetNewVal()
			if e.GetNewValNeighbor() != "" {
				if e.GetNewValIsAfter() {
					st.AlterEnum.After = e.GetNewValNeighbor()
				} else {
					st.AlterEnum.Before = e.GetNewValNeighbor()
				}
			}
		}
	case *pg.Node_VariableSetStmt:
		describeSet(&st, x.VariableSetStmt)
	case *pg.Node_TransactionStmt:
		op := strings.ToLower(strings.TrimPrefix(x.TransactionStmt.GetKind().String(), "TRANS_STMT_"))
		if op == "start" {
			op = "begin"
		}
		st.Kind = op
		st.Transaction = &TransactionOp{Op: op}
	case *pg.Node_CopyStmt:
		c := x.CopyStmt
		st.Relation = relation(c.GetRelation())
		st.Copy = &Copy{From: c.GetIsFrom(), Stdin: c.GetFilename() == "" && !c.GetIsProgram(), Filename: c.GetFilename()}
	case *pg.Node_DoStmt:
		st.Function = &Function{Language: "plpgsql"}
		for _, a := range x.DoStmt.GetArgs() {
			if d := a.GetDefElem(); d != nil && d.GetDefname() == "language" {
				st.Function.Language = d.GetArg().GetString_().GetSval()
			}
		}
	case *pg.Node_CreateFunctionStmt:
		f := x.CreateFunctionStmt
		st.Function = &Function{Name: strings.Join(strs(f.GetFuncname()), ".")}
		if f.GetIsProcedure() {
			st.Kind = "create_procedure"
		}
		for _, o := range f.GetOptions() {
			if d := o.GetDefElem(); d != nil && d.GetDefname() == "language" {
				st.Function.Language = strings.ToLower(d.GetArg().GetString_().GetSval())
			}
		}
		if f.GetSqlBody() != nil && st.Function.Language == "" {
			st.Function.Language = "sql"
		}
	case *pg.Node_UpdateStmt:
		st.Relation = relation(x.UpdateStmt.GetRelation())
		has := x.UpdateStmt.GetWhereClause() != nil
		st.HasWhere = &has
	case *pg.Node_DeleteStmt:
		st.Relation = relation(x.DeleteStmt.GetRelation())
		has := x.DeleteStmt.GetWhereClause() != nil
		st.HasWhere = &has
	case *pg.Node_InsertStmt:
		st.Relation = relation(x.InsertStmt.GetRelation())
	}
	return st
}

// kindOf names a statement: its node type in snake case without "Stmt".
func kindOf(n *pg.Node) string {
	switch x := n.GetNode().(type) {
	case *pg.Node_IndexStmt:
		return "create_index"
	case *pg.Node_CreateStmt:
		return "create_table"
	case *pg.Node_DropStmt:
		return "drop_" + objectType(x.DropStmt.GetRemoveType())
	case *pg.Node_DropdbStmt:
		return "drop_database"
	case *pg.Node_SelectStmt:
		return "select"
	case *pg.Node_InsertStmt:
		return "insert"
	case *pg.Node_UpdateStmt:
		return "update"
	case *pg.Node_DeleteStmt:
		return "delete"
	case *pg.Node_VacuumStmt:
		if x.VacuumStmt.GetIsVacuumcmd() {
			return "vacuum"
		}
		return "analyze"
	case *pg.Node_VariableSetStmt:
		if k := x.VariableSetStmt.GetKind(); k == pg.VariableSetKind_VAR_RESET || k == pg.VariableSetKind_VAR_RESET_ALL {
			return "reset"
		}
		return "set"
	case *pg.Node_AlterEnumStmt:
		return "alter_enum"
	case *pg.Node_DoStmt:
		return "do"
	case *pg.Node_CreateFunctionStmt:
		return "create_function"
	case *pg.Node_AlterTableStmt:
		return "alter_" + objectType(x.AlterTableStmt.GetObjtype())
	case nil:
		return "empty"
	}
	name := fmt.Sprintf("%T", n.GetNode())
	name = strings.TrimPrefix(name[strings.LastIndexByte(name, '.')+1:], "Node_")
	return snake(strings.TrimSuffix(name, "Stmt"))
}

// snake turns CamelCase into snake_case.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// objectType names an object type: "table", "index", "materialized_view".
func objectType(t pg.ObjectType) string {
	s := strings.ToLower(strings.TrimPrefix(t.String(), "OBJECT_"))
	switch s {
	case "matview":
		return "materialized_view"
	case "tabconstraint":
		return "table_constraint"
	}
	return s
}

func relation(r *pg.RangeVar) *Relation {
	if r == nil {
		return nil
	}
	return &Relation{Schema: r.GetSchemaname(), Name: r.GetRelname()}
}

// strs returns the String values of a list of nodes.
func strs(list []*pg.Node) []string {
	out := make([]string, 0, len(list))
	for _, n := range list {
		if s := n.GetString_(); s != nil {
			out = append(out, s.GetSval())
		}
	}
	return out
}

// nameRelation turns a qualified name (["schema", "name"]) into a
// relation.
func nameRelation(parts []string) Relation {
	switch len(parts) {
	case 0:
		return Relation{}
	case 1:
		return Relation{Name: parts[0]}
	}
	return Relation{Schema: parts[len(parts)-2], Name: parts[len(parts)-1]}
}

// defBool reads a boolean option: no value is true; false, off, 0 and no
// are false.
func defBool(d *pg.DefElem) bool {
	a := d.GetArg()
	if a == nil {
		return true
	}
	switch v := a.GetNode().(type) {
	case *pg.Node_Boolean:
		return v.Boolean.GetBoolval()
	case *pg.Node_Integer:
		return v.Integer.GetIval() != 0
	case *pg.Node_String_:
		switch strings.ToLower(v.String_.GetSval()) {
		case "false", "off", "0", "no":
			return false
		}
	case *pg.Node_AConst:
		return constText(v.AConst) != "0" && !strings.EqualFold(constText(v.AConst), "false")
	}
	return true
}

// defValue renders an option's value.
func defValue(d *pg.DefElem) string {
	a := d.GetArg()
	if a == nil {
		return "true"
	}
	switch v := a.GetNode().(type) {
	case *pg.Node_Boolean:
		return fmt.Sprint(v.Boolean.GetBoolval())
	case *pg.Node_Integer:
		return fmt.Sprint(v.Integer.GetIval())
	case *pg.Node_String_:
		return v.String_.GetSval()
	case *pg.Node_Float:
		return v.Float.GetFval()
	case *pg.Node_AConst:
		return constText(v.AConst)
	}
	return ""
}

func constText(c *pg.A_Const) string {
	switch v := c.GetVal().(type) {
	case *pg.A_Const_Ival:
		return fmt.Sprint(v.Ival.GetIval())
	case *pg.A_Const_Fval:
		return v.Fval.GetFval()
	case *pg.A_Const_Sval:
		return v.Sval.GetSval()
	case *pg.A_Const_Boolval:
		return fmt.Sprint(v.Boolval.GetBoolval())
	case *pg.A_Const_Bsval:
		return v.Bsval.GetBsval()
	}
	return ""
}

func describeVacuum(st *Statement, v *pg.VacuumStmt) {
	out := &Vacuum{Relations: []Relation{}, Options: map[string]string{}}
	for _, o := range v.GetOptions() {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		name := strings.ToLower(d.GetDefname())
		out.Options[name] = defValue(d)
		switch name {
		case "full":
			out.Full = defBool(d)
		case "analyze":
			out.Analyze = defBool(d)
		}
	}
	if !v.GetIsVacuumcmd() {
		out.Analyze = true
	}
	for _, r := range v.GetRels() {
		if rel := relation(r.GetVacuumRelation().GetRelation()); rel != nil {
			out.Relations = append(out.Relations, *rel)
		}
	}
	if len(out.Relations) > 0 {
		st.Relation = &out.Relations[0]
	}
	st.Vacuum = out
}

func describeSet(st *Statement, v *pg.VariableSetStmt) {
	s := &Set{Name: strings.ToLower(v.GetName()), Local: v.GetIsLocal()}
	switch v.GetKind() {
	case pg.VariableSetKind_VAR_RESET, pg.VariableSetKind_VAR_SET_DEFAULT:
		s.Reset = true
	case pg.VariableSetKind_VAR_RESET_ALL:
		s.Reset, s.Name = true, "all"
	default:
		vals := make([]string, 0, len(v.GetArgs()))
		for _, a := range v.GetArgs() {
			if c := a.GetAConst(); c != nil {
				vals = append(vals, constText(c))
			} else if tc := a.GetTypeCast(); tc != nil && tc.GetArg().GetAConst() != nil {
				vals = append(vals, constText(tc.GetArg().GetAConst()))
			}
		}
		s.Value = strings.Join(vals, ", ")
	}
	st.Set = s
}

func describeIndex(st *Statement, ix *pg.IndexStmt) {
	st.Relation = relation(ix.GetRelation())
	out := &Index{Name: ix.GetIdxname(), Concurrently: ix.GetConcurrent(), Unique: ix.GetUnique(),
		IfNotExists: ix.GetIfNotExists(), Method: ix.GetAccessMethod(), Columns: []string{},
		Only: ix.GetRelation() != nil && !ix.GetRelation().GetInh()}
	for _, e := range ix.GetIndexParams() {
		if el := e.GetIndexElem(); el != nil {
			if el.GetName() != "" {
				out.Columns = append(out.Columns, el.GetName())
			} else {
				out.Columns = append(out.Columns, exprText(el.GetExpr()))
			}
		}
	}
	st.CreateIndex = out
}

func describeDrop(st *Statement, d *pg.DropStmt) {
	out := &Drop{ObjectType: objectType(d.GetRemoveType()), Objects: []Relation{}, IfExists: d.GetMissingOk(),
		Cascade: d.GetBehavior() == pg.DropBehavior_DROP_CASCADE, Concurrently: d.GetConcurrent()}
	for _, o := range d.GetObjects() {
		var parts []string
		switch {
		case o.GetList() != nil:
			parts = strs(o.GetList().GetItems())
		case o.GetString_() != nil:
			parts = []string{o.GetString_().GetSval()}
		case o.GetTypeName() != nil:
			parts = strs(o.GetTypeName().GetNames())
		}
		if len(parts) > 0 {
			out.Objects = append(out.Objects, nameRelation(parts))
		}
	}
	if len(out.Objects) > 0 {
		st.Relation = &out.Objects[0]
	}
	st.Drop = out
}

func describeRename(st *Statement, r *pg.RenameStmt) {
	st.Relation = relation(r.GetRelation())
	cmd := AlterCommand{Name: r.GetNewname(), IfExists: r.GetMissingOk()}
	switch r.GetRenameType() {
	case pg.ObjectType_OBJECT_TABLE:
		cmd.Action = "rename_table"
	case pg.ObjectType_OBJECT_COLUMN:
		cmd.Action, cmd.Column = "rename_column", r.GetSubname()
	case pg.ObjectType_OBJECT_TABCONSTRAINT:
		cmd.Action, cmd.Column = "rename_constraint", r.GetSubname()
	default:
		st.Kind = "rename_" + objectType(r.GetRenameType())
		return
	}
	if r.GetRelationType() != pg.ObjectType_OBJECT_TABLE && r.GetRenameType() != pg.ObjectType_OBJECT_TABLE {
		st.Kind = "rename_" + objectType(r.GetRenameType())
		return
	}
	st.Kind = "alter_table"
	st.AlterTable = &AlterTable{ObjectType: "table", IfExists: r.GetMissingOk(), Commands: []AlterCommand{cmd}}
}

func describeCreateTable(st *Statement, c *pg.CreateStmt) {
	st.Relation = relation(c.GetRelation())
	out := &CreateTable{IfNotExists: c.GetIfNotExists(), Columns: []Column{}, Constraints: []Constraint{},
		Temporary: c.GetRelation().GetRelpersistence() == "t", Unlogged: c.GetRelation().GetRelpersistence() == "u"}
	for _, e := range c.GetTableElts() {
		switch {
		case e.GetColumnDef() != nil:
			out.Columns = append(out.Columns, column(e.GetColumnDef()))
		case e.GetConstraint() != nil:
			out.Constraints = append(out.Constraints, constraint(e.GetConstraint()))
		}
	}
	if c.GetPartbound() != nil && len(c.GetInhRelations()) > 0 {
		out.PartitionOf = relation(c.GetInhRelations()[0].GetRangeVar())
	}
	st.CreateTable = out
}

func describeAlterTable(st *Statement, a *pg.AlterTableStmt) {
	st.Relation = relation(a.GetRelation())
	out := &AlterTable{ObjectType: objectType(a.GetObjtype()), IfExists: a.GetMissingOk(),
		Only: a.GetRelation() != nil && !a.GetRelation().GetInh(), Commands: []AlterCommand{}}
	for _, n := range a.GetCmds() {
		if c := n.GetAlterTableCmd(); c != nil {
			out.Commands = append(out.Commands, alterCommand(c))
		}
	}
	st.AlterTable = out
}

func alterCommand(c *pg.AlterTableCmd) AlterCommand {
	cmd := AlterCommand{Column: c.GetName(), IfExists: c.GetMissingOk(), Cascade: c.GetBehavior() == pg.DropBehavior_DROP_CASCADE}
	def := c.GetDef()
	switch c.GetSubtype() {
	case pg.AlterTableType_AT_AddColumn:
		cmd.Action = "add_column"
		if cd := def.GetColumnDef(); cd != nil {
			col := column(cd)
			cmd.ColumnDef, cmd.Column = &col, col.Name
		}
		cmd.IfNotExists = c.GetMissingOk()
		cmd.IfExists = false
	case pg.AlterTableType_AT_ColumnDefault:
		if def == nil {
			cmd.Action = "drop_default"
		} else {
			cmd.Action, cmd.Default = "set_default", expr(def)
		}
	case pg.AlterTableType_AT_AddConstraint:
		cmd.Action, cmd.Column = "add_constraint", ""
		if k := def.GetConstraint(); k != nil {
			con := constraint(k)
			cmd.Constraint, cmd.Name = &con, con.Name
		}
	case pg.AlterTableType_AT_ValidateConstraint:
		cmd.Action, cmd.Name, cmd.Column = "validate_constraint", c.GetName(), ""
	case pg.AlterTableType_AT_DropConstraint:
		cmd.Action, cmd.Name, cmd.Column = "drop_constraint", c.GetName(), ""
	case pg.AlterTableType_AT_AlterColumnType:
		cmd.Action = "alter_column_type"
		if cd := def.GetColumnDef(); cd != nil {
			cmd.Type = typeName(cd.GetTypeName())
			if cd.GetRawDefault() != nil {
				cmd.Using = exprText(cd.GetRawDefault())
			}
		}
	case pg.AlterTableType_AT_AttachPartition, pg.AlterTableType_AT_DetachPartition, pg.AlterTableType_AT_DetachPartitionFinalize:
		cmd.Action = map[pg.AlterTableType]string{
			pg.AlterTableType_AT_AttachPartition:         "attach_partition",
			pg.AlterTableType_AT_DetachPartition:         "detach_partition",
			pg.AlterTableType_AT_DetachPartitionFinalize: "detach_partition_finalize",
		}[c.GetSubtype()]
		if pc := def.GetPartitionCmd(); pc != nil {
			cmd.Partition, cmd.Concurrently = relation(pc.GetName()), pc.GetConcurrent()
		}
	case pg.AlterTableType_AT_AddIdentity:
		cmd.Action = "add_identity"
	case pg.AlterTableType_AT_SetTableSpace:
		cmd.Action, cmd.Name, cmd.Column = "set_tablespace", c.GetName(), ""
	case pg.AlterTableType_AT_SetUnLogged:
		cmd.Action = "set_unlogged"
	default:
		name := strings.TrimPrefix(c.GetSubtype().String(), "AT_")
		cmd.Action = snake(name)
	}
	return cmd
}

var serialTypes = map[string]bool{"serial": true, "serial4": true, "bigserial": true, "serial8": true, "smallserial": true, "serial2": true}

func column(cd *pg.ColumnDef) Column {
	col := Column{Name: cd.GetColname(), Type: typeName(cd.GetTypeName()), NotNull: cd.GetIsNotNull(), Constraints: []Constraint{}}
	if names := strs(cd.GetTypeName().GetNames()); len(names) == 1 && serialTypes[strings.ToLower(names[0])] {
		col.Serial, col.NeedsRewrite = true, true
	}
	if cd.GetRawDefault() != nil {
		col.Default = expr(cd.GetRawDefault())
	}
	for _, n := range cd.GetConstraints() {
		k := n.GetConstraint()
		if k == nil {
			continue
		}
		switch k.GetContype() {
		case pg.ConstrType_CONSTR_NOTNULL:
			col.NotNull = true
		case pg.ConstrType_CONSTR_NULL, pg.ConstrType_CONSTR_ATTR_DEFERRABLE, pg.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE,
			pg.ConstrType_CONSTR_ATTR_DEFERRED, pg.ConstrType_CONSTR_ATTR_IMMEDIATE:
		case pg.ConstrType_CONSTR_DEFAULT:
			col.Default = expr(k.GetRawExpr())
		case pg.ConstrType_CONSTR_IDENTITY:
			col.Identity = "by_default"
			if k.GetGeneratedWhen() == "a" {
				col.Identity = "always"
			}
			col.NeedsRewrite = true
		case pg.ConstrType_CONSTR_GENERATED:
			col.Generated = expr(k.GetRawExpr())
			col.NeedsRewrite = true
		default:
			col.Constraints = append(col.Constraints, constraint(k))
		}
	}
	if col.Default != nil && col.Default.Volatile {
		col.NeedsRewrite = true
	}
	return col
}

func constraint(k *pg.Constraint) Constraint {
	con := Constraint{Name: k.GetConname(), NotValid: k.GetSkipValidation(), Columns: strs(k.GetKeys()), UsingIndex: k.GetIndexname()}
	switch k.GetContype() {
	case pg.ConstrType_CONSTR_CHECK:
		con.Type, con.Expr = "check", exprText(k.GetRawExpr())
	case pg.ConstrType_CONSTR_FOREIGN:
		con.Type = "foreign_key"
		con.Columns = strs(k.GetFkAttrs())
		con.References = relation(k.GetPktable())
	case pg.ConstrType_CONSTR_UNIQUE:
		con.Type = "unique"
	case pg.ConstrType_CONSTR_PRIMARY:
		con.Type = "primary_key"
	case pg.ConstrType_CONSTR_EXCLUSION:
		con.Type = "exclusion"
	case pg.ConstrType_CONSTR_NOTNULL:
		con.Type = "not_null"
	default:
		con.Type = strings.ToLower(strings.TrimPrefix(k.GetContype().String(), "CONSTR_"))
	}
	return con
}

// builtinTypes are PostgreSQL's internal names of types whose SQL
// spelling differs, as the grammar produces them (pg_catalog.int4).
var builtinTypes = map[string]string{
	"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real", "float8": "double precision",
	"bool": "boolean", "varchar": "character varying", "bpchar": "character",
	"timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone",
	"timetz": "time with time zone", "time": "time without time zone",
}

// typeName renders a type as SQL spells it.
func typeName(t *pg.TypeName) string {
	if t == nil {
		return ""
	}
	names := strs(t.GetNames())
	if len(names) == 2 && names[0] == "pg_catalog" {
		names = names[1:]
	}
	if len(names) == 1 {
		if s, ok := builtinTypes[strings.ToLower(names[0])]; ok {
			names = []string{s}
		}
	}
	out := strings.Join(names, ".")
	if mods := t.GetTypmods(); len(mods) > 0 {
		ms := make([]string, 0, len(mods))
		for _, m := range mods {
			if c := m.GetAConst(); c != nil {
				ms = append(ms, constText(c))
			}
		}
		if len(ms) > 0 {
			out += "(" + strings.Join(ms, ",") + ")"
		}
	}
	for range t.GetArrayBounds() {
		out += "[]"
	}
	return out
}
