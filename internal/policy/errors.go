package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Problem is one thing wrong with a policy, at a place in a file when known.
type Problem struct {
	File    string
	Line    int
	Column  int
	Message string
}

func (p Problem) String() string {
	switch {
	case p.File != "" && p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	case p.File != "":
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	}
	return p.Message
}

// CompileError lists everything that stops a policy set from compiling.
type CompileError struct {
	Problems []Problem
}

func (e *CompileError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	if len(lines) == 1 {
		return "policy does not compile: " + lines[0]
	}
	return fmt.Sprintf("policy does not compile (%d problems):\n  %s", len(lines), strings.Join(lines, "\n  "))
}

func problemsFromAST(err error) []Problem {
	var errs ast.Errors
	if !errors.As(err, &errs) {
		var one *ast.Error
		if errors.As(err, &one) {
			errs = ast.Errors{one}
		} else {
			return []Problem{{Message: err.Error()}}
		}
	}
	out := make([]Problem, 0, len(errs))
	for _, e := range errs {
		msg := e.Message
		if e.Details != nil {
			// Type errors say what was given and what was expected.
			var lines []string
			for _, l := range e.Details.Lines() {
				if l = strings.TrimSpace(l); l != "" {
					lines = append(lines, l)
				}
			}
			if len(lines) > 0 {
				msg += " (" + strings.Join(lines, "; ") + ")"
			}
		}
		p := Problem{Message: explainForbidden(msg)}
		if e.Location != nil {
			p.File, p.Line, p.Column = e.Location.File, e.Location.Row, e.Location.Col
		}
		out = append(out, p)
	}
	return out
}

func problemAt(loc *ast.Location, msg string) Problem {
	p := Problem{Message: msg}
	if loc != nil {
		p.File, p.Line, p.Column = loc.File, loc.Row, loc.Col
	}
	return p
}
