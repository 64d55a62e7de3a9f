package report

import (
	"fmt"
	"strings"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/text"
)

// interventions lists the overrides and holds in effect: who, when and why,
// so that the check run itself is the record a reader needs.
func interventions(b *strings.Builder, v decision.Verdict) {
	if len(v.Overrides) == 0 && len(v.Holds) == 0 {
		return
	}
	b.WriteString("### Overrides and holds\n\n")
	for _, o := range v.Overrides {
		kept := ""
		if o.KeepOnPush {
			kept = ", kept across pushes"
		}
		fmt.Fprintf(b, "- **Override** of `%s` by @%s on %s (for %s%s): %s\n",
			code(o.Rule), login(o.By), o.At.UTC().Format("2006-01-02 15:04 MST"), decision.ShortSHA(o.HeadSHA), kept, codeSpan(o.Reason))
	}
	for _, h := range v.Holds {
		reason := "no reason given"
		if h.Reason != "" {
			reason = codeSpan(h.Reason)
		}
		fmt.Fprintf(b, "- **Hold** by @%s since %s: %s. `/guard unhold` releases it.\n", login(h.By), h.At.UTC().Format("2006-01-02 15:04 MST"), reason)
	}
	b.WriteString("\n")
}

// codeSpan shows a person's free text as an inline code span: no markdown,
// no links or images, no mentions. The fence is one backtick longer than
// the longest run inside, as CommonMark requires.
func codeSpan(s string) string {
	s = line(s)
	s = text.Clip(s, 500)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
}

// login keeps a GitHub login to the characters GitHub allows, so that a
// stored value cannot carry markdown.
func login(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '[' || r == ']' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, s)
}
