package command

import (
	"fmt"
	"unicode/utf8"

	"github.com/mergeguard/mergeguard/internal/text"
)

// The pull request commands are read strictly: a merge gate should not
// guess what someone meant, so anything that does not fit a command's form
// is answered with the form rather than run.

func (p parser) explain(args string) Parsed {
	usage := p.fix("Write `/guard explain` for every rule, or `/guard explain <rule>` for one, e.g. `/guard explain tests_with_code`.")
	rule, extra := cutWord(args)
	switch {
	case rule == "":
		return Parsed{Command: &Command{Kind: Explain}}
	case !ValidRule(rule):
		return reply(notARule(rule) + " " + usage)
	case extra != "":
		return reply(p.fix("`/guard explain` takes one rule at most. ") + usage)
	}
	return Parsed{Command: &Command{Kind: Explain, Rule: rule}}
}

func (p parser) override(args string) Parsed {
	usage := p.fix("Write `/guard override <rule> <reason>`, e.g. `/guard override tests_with_code generated client, tested upstream`.")
	rule, reason := cutWord(args)
	switch {
	case rule == "":
		return reply(p.fix("`/guard override` needs the rule to override and why. ") + usage)
	case !ValidRule(rule):
		return reply(notARule(rule) + " " + usage)
	case reason == "":
		return reply(fmt.Sprintf("%s needs a reason: it is shown on the check and kept in the audit trail. %s", Code(p.prefix+" override "+rule), usage))
	}
	if n := utf8.RuneCountInString(reason); n > MaxReason {
		return reply(tooLong(n))
	}
	return Parsed{Command: &Command{Kind: Override, Rule: rule, Reason: reason}}
}

func (p parser) hold(args string) Parsed {
	if n := utf8.RuneCountInString(args); n > MaxReason {
		return reply(tooLong(n))
	}
	return Parsed{Command: &Command{Kind: Hold, Reason: args}}
}

func notARule(name string) string {
	return fmt.Sprintf("%s is not a rule name: rule names are lower-case letters, digits and underscores, starting with a letter, as the check lists them (e.g. `tests_with_code`).", Code(text.ClipRunes(name, maxRule)))
}

func tooLong(n int) string {
	return fmt.Sprintf("The reason is too long (%d characters; at most %d). Say it briefly and link to where it is written in full.", n, MaxReason)
}
