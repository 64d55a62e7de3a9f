// Package command reads /guard commands from pull request and issue
// comments. Parsing is pure: each command line becomes a command, a reply
// (the command was malformed; the reply says how to write it), or nothing
// (the comment holds no command). Whether the commenter may run a command,
// and whether it makes sense where it was written, is decided elsewhere.
package command

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mergeguard/mergeguard/internal/text"
)

// Kind is a command's name.
type Kind string

// The commands. Recheck, Explain, Override, Hold and Unhold act on a pull
// request; Freeze and Unfreeze are written in the organization's policy
// repository; Help works anywhere.
const (
	Recheck  Kind = "recheck"
	Explain  Kind = "explain"
	Override Kind = "override"
	Hold     Kind = "hold"
	Unhold   Kind = "unhold"
	Freeze   Kind = "freeze"
	Unfreeze Kind = "unfreeze"
	Help     Kind = "help"
)

// Command is a parsed /guard command.
type Command struct {
	Kind Kind
	// Rule names the rule an Override lifts (always set) or an Explain
	// explains (empty: every rule). It is a valid rule name (see
	// ValidRule), safe to print.
	Rule string
	// Reason is why: required for Override and Freeze, optional for Hold.
	// It is what the commenter wrote, at most MaxReason characters on one
	// line; quote it in replies only through Code.
	Reason string
	// Freeze: how long (For), until when (Until, as written; see
	// ResolveUntil), or until someone ends it (Indefinite); exactly one is
	// set. Repos limits it to some repositories.
	For        time.Duration
	Until      string
	Indefinite bool
	Repos      []string
	// Unfreeze: which freeze, or 0 for every freeze in effect.
	ID int64
}

// Parsed is what one command line says: a command, or a reply to post
// instead. Parse returns both empty when the comment holds no command.
type Parsed struct {
	Command *Command
	Reply   string
}

// Ignore reports whether the comment holds no command at all.
func (p Parsed) Ignore() bool { return p.Command == nil && p.Reply == "" }

func reply(s string) Parsed { return Parsed{Reply: s} }

// Limits on what one comment may ask.
const (
	// MaxCommands is how many commands one comment runs; a comment with
	// more gets one more Parsed, a reply saying so.
	MaxCommands = 10
	// MaxReason bounds a reason, in characters. Reasons are shown on
	// checks and kept in the audit trail; a longer one is refused rather
	// than cut, so nobody's reason is silently shortened.
	MaxReason = 500
	// maxLine bounds a command line, in characters, so an absurd line is
	// refused before any work is done on it.
	maxLine = 2000
	// maxRule bounds a rule name.
	maxRule = 64
)

// DefaultPrefix starts a command unless the configuration names another.
const DefaultPrefix = "/guard"

// Options are what a comment is read with.
type Options struct {
	// Prefix starts a command line, "/guard" when empty. It must satisfy
	// ValidPrefix; ParseAll finds no commands with an invalid one, so check
	// it when the configuration is loaded.
	Prefix string
}

func (o Options) prefix() string {
	if o.Prefix == "" {
		return DefaultPrefix
	}
	return o.Prefix
}

// Help returns a usage text (UsagePR or UsageFreeze) written with the
// configured prefix in place of /guard.
func (o Options) Help(usage string) string {
	if ValidPrefix(o.prefix()) != nil {
		return usage
	}
	return parser{o.prefix()}.fix(usage)
}

var prefixPattern = regexp.MustCompile(`^/[a-z][a-z0-9_-]{0,31}$`)

// ValidPrefix reports whether prefix can start commands: a slash and one
// lower-case word. Anything looser could collide with ordinary text, and
// the prefix is printed in replies, where it must need no escaping.
func ValidPrefix(prefix string) error {
	if !prefixPattern.MatchString(prefix) {
		return fmt.Errorf("command prefix %q is not valid: write a slash followed by one word of lower-case letters, digits, '-' or '_' (at most 32), such as %s", prefix, DefaultPrefix)
	}
	return nil
}

var rulePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ValidRule reports whether name can name a rule: a lower-case identifier
// of at most 64 characters, like the rules' package names.
func ValidRule(name string) bool { return len(name) <= maxRule && rulePattern.MatchString(name) }

// Parse reads the first command in a comment, with the default prefix.
func Parse(body string) Parsed {
	if all := ParseAll(body, Options{}); len(all) > 0 {
		return all[0]
	}
	return Parsed{}
}

// ParseAll reads every command in a comment, in order, one per line (see
// commandLines for which lines count). Each becomes a Parsed with a command
// or a reply; after MaxCommands, one more Parsed replies that the rest were
// not read. A comment without commands gives none.
func ParseAll(body string, opts Options) []Parsed {
	prefix := opts.prefix()
	if ValidPrefix(prefix) != nil {
		return nil
	}
	p := parser{prefix}
	lines := commandLines(body, prefix)
	var out []Parsed
	for i, l := range lines {
		if i == MaxCommands {
			out = append(out, reply(fmt.Sprintf("This comment holds %d commands; only the first %d were read. Write the others in another comment.", len(lines), MaxCommands)))
			break
		}
		out = append(out, p.line(l))
	}
	return out
}

// parser reads command lines written with one prefix.
type parser struct{ prefix string }

// fix writes fixed text (never text someone wrote: that goes through Code)
// with the configured prefix in place of /guard. The prefix is valid, so
// it needs no escaping.
func (p parser) fix(s string) string {
	if p.prefix == DefaultPrefix {
		return s
	}
	return strings.ReplaceAll(s, "`"+DefaultPrefix, "`"+p.prefix)
}

// line reads one command line: the prefix, a verb, and its arguments.
func (p parser) line(l string) Parsed {
	_, rest := cutWord(l)
	word, args := cutWord(rest)
	if n := utf8.RuneCountInString(l); n > maxLine {
		return reply(fmt.Sprintf("%s is too long (%d characters; a command line has at most %d). %s", Code(text.ClipRunes(p.prefix+" "+word, 40)), n, maxLine, p.synopsis()))
	}
	if word == "" {
		return reply(fmt.Sprintf("%s needs a command. %s", Code(p.prefix), p.synopsis()))
	}
	switch verb := Kind(lowerASCII(word)); verb {
	case Recheck, Unhold, Help:
		if args != "" {
			return reply(fmt.Sprintf("%s takes nothing after it; write it on a line of its own.", Code(p.prefix+" "+string(verb))))
		}
		return Parsed{Command: &Command{Kind: verb}}
	case Explain:
		return p.explain(args)
	case Override:
		return p.override(args)
	case Hold:
		return p.hold(args)
	case Freeze:
		return p.freeze(strings.Fields(args))
	case Unfreeze:
		return p.unfreeze(strings.Fields(args))
	}
	return reply(fmt.Sprintf("%s is not a command. %s", Code(text.ClipRunes(p.prefix+" "+word, 40)), p.synopsis()))
}

// synopsis lists the commands in a line, for replies to a command that is
// not one; the help command explains them at length.
func (p parser) synopsis() string {
	return p.fix("On a pull request write `/guard recheck`, `/guard explain [rule]`, `/guard override <rule> <reason>`, `/guard hold [reason]` or `/guard unhold`; in the policy repository `/guard freeze <how long> <reason>` or `/guard unfreeze [number]`. `/guard help` explains them.")
}

// cutWord splits s into its first word and the rest, both without the
// white space around them.
func cutWord(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// lowerASCII lower-cases a verb written in ASCII. Anything else is left as
// it is (and so is no verb): Unicode case folding would let look-alikes
// such as the Kelvin sign spell "recheck".
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return s
		}
	}
	return strings.ToLower(s)
}
