package migration

// modelTransactions walks the statements in order and records, for each,
// whether it runs in a transaction and which lock_timeout and
// statement_timeout are in force. Statements from function bodies take
// the state of the statement that holds them. Down migrations are not run
// by a deploy and do not change the state.
//
// The tool's implicit transaction is open from the start; a COMMIT or
// ROLLBACK ends it (PostgreSQL then runs what follows outside any
// transaction, each statement on its own), and a BEGIN opens one again.
// A BEGIN inside an open transaction is nested: PostgreSQL warns and
// ignores it. SET LOCAL lasts until the transaction ends; SET lasts for
// the session.
func (p *projector) modelTransactions() {
	inTx := p.f.Transaction.Implicit
	explicit := false
	beginLine := 0
	var sessionLock, sessionStmt, localLock, localStmt string
	var hasLocalLock, hasLocalStmt bool
	var outer *Statement
	for i := range p.f.Statements {
		st := &p.f.Statements[i]
		if st.From != nil && outer != nil {
			st.InTransaction = outer.InTransaction
			st.ExplicitTransaction = outer.ExplicitTransaction
			st.LockTimeout, st.StatementTimeout = outer.LockTimeout, outer.StatementTimeout
			continue
		}
		outer = st
		if st.Down {
			continue
		}
		endTx := func() {
			inTx, explicit, beginLine = false, false, 0
			hasLocalLock, hasLocalStmt = false, false
		}
		switch {
		case st.Transaction != nil:
			switch st.Transaction.Op {
			case "begin":
				st.Transaction.Nested = inTx
				if !inTx {
					beginLine = st.Line
				}
				inTx, explicit = true, true
			case "commit", "rollback", "prepare":
				st.Transaction.Outside = !inTx
				st.InTransaction, st.ExplicitTransaction = inTx, explicit
				endTx()
				st.LockTimeout = pick(hasLocalLock, localLock, sessionLock)
				st.StatementTimeout = pick(hasLocalStmt, localStmt, sessionStmt)
				continue
			}
		case st.Set != nil:
			apply := func(name string, val string, reset bool) {
				switch {
				case st.Set.Local && name == "lock_timeout":
					localLock, hasLocalLock = val, true
				case st.Set.Local && name == "statement_timeout":
					localStmt, hasLocalStmt = val, true
				case name == "lock_timeout":
					sessionLock, hasLocalLock = val, false
				case name == "statement_timeout":
					sessionStmt, hasLocalStmt = val, false
				}
			}
			switch st.Set.Name {
			case "lock_timeout", "statement_timeout":
				apply(st.Set.Name, st.Set.Value, st.Set.Reset)
			case "all":
				apply("lock_timeout", "", true)
				apply("statement_timeout", "", true)
			}
		}
		st.InTransaction, st.ExplicitTransaction = inTx, explicit
		st.LockTimeout = pick(hasLocalLock, localLock, sessionLock)
		st.StatementTimeout = pick(hasLocalStmt, localStmt, sessionStmt)
	}
	if explicit {
		p.f.UnclosedTransactionLine = beginLine
	}
}

func pick(useLocal bool, local, session string) string {
	if useLocal {
		return local
	}
	return session
}
