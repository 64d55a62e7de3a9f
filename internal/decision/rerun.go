package decision

import (
	"fmt"
	"strings"
	"time"
)

// Rerun is a person's request to see a pull request's check again: GitHub's
// Re-run button on the check or its suite, or a recheck command. The check
// run is then written afresh even when the verdict did not change, so that
// whoever asked sees it was done.
type Rerun struct {
	// By is the login of who asked ("" when GitHub did not say).
	By string `json:"by,omitempty"`
	// Via says how they asked: "Re-run", "`/guard recheck`".
	Via string `json:"via,omitempty"`
	// At is when they asked.
	At time.Time `json:"at"`
}

// Note is the line a check run shows after the re-check at, asked for
// by r: when, by whom, how, and whether the verdict stayed the same.
func (r Rerun) Note(at time.Time, unchanged bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "_Re-checked at %s", at.UTC().Format("2006-01-02 15:04:05 UTC"))
	switch {
	case r.By != "" && r.Via != "":
		fmt.Fprintf(&b, ", as @%s asked (%s)", r.By, r.Via)
	case r.By != "":
		fmt.Fprintf(&b, ", as @%s asked", r.By)
	case r.Via != "":
		fmt.Fprintf(&b, " (%s)", r.Via)
	}
	if unchanged {
		b.WriteString(": the verdict is unchanged")
	}
	b.WriteString("._")
	return b.String()
}
