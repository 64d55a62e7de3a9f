package prcommand

import (
	"context"
	"fmt"
	"strings"

	"github.com/mergeguard/mergeguard/internal/command"
	"github.com/mergeguard/mergeguard/internal/decision"
)

// maxExplainBytes keeps a reply under GitHub's comment limit.
const maxExplainBytes = 60000

// explain replies with a rule's full reasoning for this pull request: what
// it checks, what it found (every finding, with its place), and what to do.
// Without a rule it explains every rule that does not pass.
func (h *Handler) explain(ctx context.Context, cm Comment, rule string) (string, error) {
	v, err := h.Evaluations.Verdict(ctx, cm.PR)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	found := false
	for _, r := range v.Rules {
		if rule != "" && r.ID != rule || rule == "" && (r.Outcome == decision.Pass || r.Outcome == decision.Skip) {
			continue
		}
		found = true
		writeRule(&b, r)
	}
	switch {
	case !found && rule != "":
		ids := make([]string, len(v.Rules))
		for i, r := range v.Rules {
			ids[i] = r.ID
		}
		return fmt.Sprintf("There is no rule %s here. The rules are %s.", command.Code(rule), strings.Join(ids, ", ")), nil
	case !found:
		return "Every rule passes or does not apply to this pull request. `/guard explain <rule>` explains one of them.", nil
	}
	out := b.String()
	if len(out) > maxExplainBytes {
		cut := maxExplainBytes
		for cut > 0 && out[cut]&0xC0 == 0x80 {
			cut--
		}
		out = out[:cut] + "\n\n_The rest was cut at GitHub's comment size limit; the check run lists every finding._"
	}
	return out, nil
}

func writeRule(b *strings.Builder, r decision.RuleResult) {
	fmt.Fprintf(b, "**%s** (`%s`): %s\n\n", oneLine(r.Title), r.ID, r.Outcome)
	if r.Description != "" {
		fmt.Fprintf(b, "%s\n\n", oneLine(r.Description))
	}
	if o := r.Overridden; o != nil {
		fmt.Fprintf(b, "Overridden by @%s: %s\n\n", o.By, command.Code(o.Reason))
	}
	if r.Err != "" {
		fmt.Fprintf(b, "It could not be evaluated: %s\n\n", oneLine(r.Err))
	}
	for _, f := range r.Denials {
		fmt.Fprintf(b, "- ❌ %s%s\n", oneLine(f.Message), where(f.Location))
	}
	for _, f := range r.Warnings {
		fmt.Fprintf(b, "- ⚠️ %s%s\n", oneLine(f.Message), where(f.Location))
	}
	for _, s := range r.SkipReasons {
		fmt.Fprintf(b, "- skipped: %s\n", oneLine(s))
	}
	if r.Remedy != "" && (r.Outcome.Blocks() || r.ShowsRemedy()) {
		fmt.Fprintf(b, "\n**Next step:** %s\n", oneLine(r.Remedy))
	}
	b.WriteString("\n")
}

func where(l *decision.Location) string {
	switch {
	case l == nil:
		return ""
	case l.StartLine == 0:
		return " — " + command.Code(l.Path)
	case l.EndLine > l.StartLine:
		return fmt.Sprintf(" — %s lines %d–%d", command.Code(l.Path), l.StartLine, l.EndLine)
	}
	return fmt.Sprintf(" — %s line %d", command.Code(l.Path), l.StartLine)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
