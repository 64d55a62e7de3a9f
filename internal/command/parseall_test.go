package command

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// want is one expected Parsed: a command, or a reply holding a text.
type want struct {
	cmd   *Command
	reply string
}

func run(k Kind) want         { return want{cmd: &Command{Kind: k}} }
func cmd(c Command) want      { return want{cmd: &c} }
func replies(s string) want   { return want{reply: s} }
func (w want) String() string { return fmt.Sprintf("%+v / %q", w.cmd, w.reply) }
func wants(ws ...want) []want { return ws }
func override(rule, reason string) want {
	return cmd(Command{Kind: Override, Rule: rule, Reason: reason})
}
func hold(reason string) want               { return cmd(Command{Kind: Hold, Reason: reason}) }
func explain(rule string) want              { return cmd(Command{Kind: Explain, Rule: rule}) }
func freeze(d time.Duration, r string) want { return cmd(Command{Kind: Freeze, For: d, Reason: r}) }

func TestParseAll(t *testing.T) {
	long := strings.Repeat("x", MaxReason)
	rule64 := "r" + strings.Repeat("a", 63)
	tests := []struct {
		name   string
		prefix string
		body   string
		want   []want
	}{
		// Each verb.
		{"recheck", "", "/guard recheck", wants(run(Recheck))},
		{"recheck with an argument", "", "/guard recheck now", wants(replies("`/guard recheck` takes nothing after it"))},
		{"unhold", "", "/guard unhold", wants(run(Unhold))},
		{"unhold with an argument", "", "/guard unhold please", wants(replies("`/guard unhold` takes nothing after it"))},
		{"help", "", "/guard help", wants(run(Help))},
		{"help with an argument", "", "/guard help override", wants(replies("`/guard help` takes nothing after it"))},
		{"explain every rule", "", "/guard explain", wants(explain(""))},
		{"explain a rule", "", "/guard explain tests_with_code", wants(explain("tests_with_code"))},
		{"explain an invalid rule", "", "/guard explain Tests-With-Code", wants(replies("`Tests-With-Code` is not a rule name"))},
		{"explain two rules", "", "/guard explain a b", wants(replies("`/guard explain` takes one rule at most"))},
		{"override", "", "/guard override tests_with_code generated client, tested upstream", wants(override("tests_with_code", "generated client, tested upstream"))},
		{"override keeps the reason's inner spacing", "", "/guard   override \t r2d2   a  b\t ", wants(override("r2d2", "a  b"))},
		{"override with a 64-character rule", "", "/guard override " + rule64 + " why", wants(override(rule64, "why"))},
		{"override with a 65-character rule", "", "/guard override " + rule64 + "a why", wants(replies("is not a rule name"))},
		{"override with a rule starting with a digit", "", "/guard override 2fa why", wants(replies("`2fa` is not a rule name"))},
		{"override with a hyphenated rule", "", "/guard override two-person because", wants(replies("`two-person` is not a rule name"))},
		{"override without anything", "", "/guard override", wants(replies("`/guard override` needs the rule to override and why"))},
		{"override without a reason", "", "/guard override tests_with_code   ", wants(replies("`/guard override tests_with_code` needs a reason"))},
		{"override reason at the limit", "", "/guard override r " + long, wants(override("r", long))},
		{"override reason too long", "", "/guard override r " + long + "y", wants(replies("too long (501 characters; at most 500)"))},
		{"override reason with backticks and mentions", "", "/guard override r ping @octocat `rm -rf` <b>", wants(override("r", "ping @octocat `rm -rf` <b>"))},
		{"override a mention", "", "/guard override @acme/admins now", wants(replies("`@acme/admins` is not a rule name"))},
		{"hold", "", "/guard hold", wants(hold(""))},
		{"hold with a reason", "", "/guard hold  waiting for QA ", wants(hold("waiting for QA"))},
		{"hold reason too long", "", "/guard hold " + long + "y", wants(replies("too long (501 characters"))},
		{"freeze", "", "/guard freeze 2h outage", wants(freeze(2*time.Hour, "outage"))},
		{"unfreeze", "", "/guard unfreeze 7", wants(cmd(Command{Kind: Unfreeze, ID: 7}))},

		// The command word.
		{"upper-case verb", "", "/guard RECHECK", wants(run(Recheck))},
		{"mixed-case verb", "", "/guard Override r why", wants(override("r", "why"))},
		{"a look-alike verb", "", "/guard rechec\u212a", wants(replies("is not a command"))},
		{"unknown verb", "", "/guard deploy", wants(replies("`/guard deploy` is not a command. On a pull request write `/guard recheck`"))},
		{"unknown verb that mentions", "", "/guard @everyone", wants(replies("`/guard @everyone` is not a command"))},
		{"prefix alone", "", "/guard", wants(replies("`/guard` needs a command"))},
		{"prefix alone with spaces", "", "  /guard \t ", wants(replies("`/guard` needs a command"))},
		{"a longer word", "", "/guardian recheck", nil},
		{"punctuation after the prefix", "", "/guard: recheck", nil},
		{"upper-case prefix", "", "/GUARD recheck", nil},
		{"not the first word", "", "please /guard recheck", nil},
		{"a list item", "", "- /guard recheck", nil},
		{"overlong line", "", "/guard hold " + strings.Repeat("y", maxLine), wants(replies("`/guard hold` is too long (2012 characters; a command line has at most 2000)"))},

		// White space and line endings.
		{"up to three spaces", "", "   /guard recheck   ", wants(run(Recheck))},
		{"tabs between words", "", "/guard\trecheck\t", wants(run(Recheck))},
		{"non-breaking space after the prefix", "", "/guard\u00a0recheck", wants(run(Recheck))},
		{"four spaces are code", "", "    /guard recheck", nil},
		{"a tab is code", "", "\t/guard recheck", nil},
		{"spaces and a tab are code", "", "  \t/guard recheck", nil},
		{"CRLF", "", "thanks\r\n/guard hold QA\r\n/guard recheck\r\n", wants(hold("QA"), run(Recheck))},
		{"lone CR", "", "/guard hold\r/guard recheck", wants(hold(""), run(Recheck))},

		// Several commands.
		{"several in order", "", "/guard hold QA\nsome text\n/guard override bad-rule x\n\n/guard recheck", wants(hold("QA"), replies("`bad-rule` is not a rule name"), run(Recheck))},
		{"the same twice", "", "/guard recheck\n/guard recheck", wants(run(Recheck), run(Recheck))},

		// Quotes.
		{"quoted", "", "> /guard hold", nil},
		{"quoted twice", "", ">> /guard hold", nil},
		{"quoted, nested with a space", "", "> > /guard hold", nil},
		{"quoted, indented", "", "  > /guard hold", nil},
		{"quoted without a space", "", ">/guard hold", nil},
		{"after a quote", "", "> can you hold this?\n/guard hold", wants(hold(""))},
		{"a reply quoting a command", "", "> /guard override r why\n\nDone, thanks.", nil},

		// Fenced code.
		{"backtick fence", "", "```\n/guard hold\n```\n/guard recheck", wants(run(Recheck))},
		{"tilde fence", "", "~~~\n/guard hold\n~~~\n/guard recheck", wants(run(Recheck))},
		{"fence with an info string", "", "```text\n/guard hold\n```\n/guard recheck", wants(run(Recheck))},
		{"longer fence", "", "````\n```\n/guard hold\n````\n/guard recheck", wants(run(Recheck))},
		{"a fence closes with as many or more", "", "```\n/guard hold\n`````\n/guard recheck", wants(run(Recheck))},
		{"a fence closes with the same character", "", "~~~\n```\n/guard hold\n~~~\n/guard recheck", wants(run(Recheck))},
		{"a closing fence has no info string", "", "```\n/guard hold\n``` go\n/guard unhold\n```\n/guard recheck", wants(run(Recheck))},
		{"unclosed fence", "", "/guard recheck\n```\n/guard hold\n/guard unhold", wants(run(Recheck))},
		{"indented fence, as in a list", "", "1. run this:\n   ```\n   /guard hold\n   ```\n/guard recheck", wants(run(Recheck))},
		{"inline code that looks like a fence", "", "``` `x` ```\n/guard hold", wants(hold(""))},
		{"two backticks are no fence", "", "``\n/guard hold", wants(hold(""))},
		{"a quoted fence does not fence", "", "> ```\n/guard hold\n> ```", wants(hold(""))},

		// Other code.
		{"inline code", "", "`/guard hold`", nil},
		{"inline code with text", "", "`/guard hold` blocks merging", nil},
		{"indented code block", "", "Write:\n\n    /guard hold\n\n/guard recheck", wants(run(Recheck))},

		// HTML comments.
		{"comment", "", "<!-- /guard hold -->\n/guard recheck", wants(run(Recheck))},
		{"multi-line comment", "", "<!--\n/guard hold\n-->\n/guard recheck", wants(run(Recheck))},
		{"the line closing a comment", "", "<!--\nx\n--> /guard hold\n/guard recheck", wants(run(Recheck))},
		{"comment opened in a paragraph", "", "text <!-- hidden\n/guard hold\n-->\n/guard recheck", wants(run(Recheck))},
		{"comment before the command", "", "<!-- note --> /guard recheck", wants(run(Recheck))},
		{"comment after the command", "", "/guard hold <!-- silently -->", wants(hold(""))},
		{"comment opened after the command", "", "/guard hold QA <!-- and\n/guard override r why\n-->", wants(hold("QA"))},
		{"short comments", "", "<!--> /guard hold\n<!---> /guard recheck", wants(hold(""), run(Recheck))},
		{"unclosed comment", "", "<!--\n/guard hold", nil},
		{"comment inside a fence is code", "", "```\n<!--\n```\n/guard recheck", wants(run(Recheck))},
		{"fence inside a comment is hidden", "", "<!--\n```\n-->\n/guard recheck", wants(run(Recheck))},

		// A configured prefix.
		{"custom prefix", "/mg", "/mg recheck\n/guard hold", wants(run(Recheck))},
		{"custom prefix, unknown verb", "/mg", "/mg deploy", wants(replies("`/mg deploy` is not a command. On a pull request write `/mg recheck`"))},
		{"custom prefix alone", "/mg", "/mg", wants(replies("`/mg` needs a command"))},
		{"custom prefix in a freeze reply", "/mg", "/mg unfreeze 1 2", wants(replies("Write `/mg unfreeze`"))},
		{"invalid prefix", "guard", "guard recheck\n/guard recheck", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseAll(tt.body, Options{Prefix: tt.prefix})
			if len(got) != len(tt.want) {
				t.Fatalf("%q: got %d results %s, want %v", tt.body, len(got), describe(got), tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				if w.cmd != nil {
					if g.Command == nil || !reflect.DeepEqual(*g.Command, *w.cmd) {
						t.Errorf("%q: result %d is %s, want %v", tt.body, i, describe(got[i:i+1]), w)
					}
					continue
				}
				if g.Command != nil || !strings.Contains(g.Reply, w.reply) {
					t.Errorf("%q: result %d is %s, want a reply with %q", tt.body, i, describe(got[i:i+1]), w.reply)
				}
				if tt.prefix != "" && strings.Contains(g.Reply, "`"+DefaultPrefix) {
					t.Errorf("%q: the reply names the default prefix: %q", tt.body, g.Reply)
				}
				if err := replySafe(g.Reply); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func describe(ps []Parsed) string {
	var b strings.Builder
	for _, p := range ps {
		if p.Command != nil {
			fmt.Fprintf(&b, "[%+v] ", *p.Command)
		} else {
			fmt.Fprintf(&b, "[reply %q] ", p.Reply)
		}
	}
	return b.String()
}

// replySafe checks that a reply cannot mention anyone or carry HTML: every
// "@" and "<" lies in a code span (the fixed texts hold neither outside
// one), and it is valid UTF-8.
func replySafe(reply string) error {
	_, outside := codeSpans(reply)
	if strings.ContainsAny(outside, "@<") || !utf8.ValidString(reply) {
		return fmt.Errorf("unsafe reply %q: outside code %q", reply, outside)
	}
	return nil
}

func TestParseAllCap(t *testing.T) {
	body := strings.Repeat("/guard recheck\n", MaxCommands+2)
	got := ParseAll(body, Options{})
	if len(got) != MaxCommands+1 {
		t.Fatalf("%d results, want %d", len(got), MaxCommands+1)
	}
	for _, p := range got[:MaxCommands] {
		if p.Command == nil || p.Command.Kind != Recheck {
			t.Fatalf("got %s", describe(got))
		}
	}
	if last := got[MaxCommands]; last.Command != nil || !strings.Contains(last.Reply, "holds 12 commands; only the first 10 were read") {
		t.Fatalf("last result %s", describe(got[MaxCommands:]))
	}
	if got := ParseAll(strings.Repeat("/guard recheck\n", MaxCommands), Options{}); len(got) != MaxCommands {
		t.Fatalf("%d results for exactly %d commands", len(got), MaxCommands)
	}
}

func TestParseIsTheFirst(t *testing.T) {
	for _, body := range []string{"", "thanks", "/guard recheck\n/guard hold", "> /guard hold\n/guard deploy\n/guard recheck"} {
		all, first := ParseAll(body, Options{}), Parse(body)
		if (len(all) == 0 && !first.Ignore()) || (len(all) > 0 && !reflect.DeepEqual(all[0], first)) {
			t.Errorf("%q: Parse %s, ParseAll %s", body, describe([]Parsed{first}), describe(all))
		}
	}
}

func TestValidPrefix(t *testing.T) {
	for _, p := range []string{"/guard", "/mg", "/merge-guard", "/g2", "/a_b"} {
		if err := ValidPrefix(p); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	for _, p := range []string{"", "/", "guard", "/Guard", "/two words", "/guard ", "//guard", "/2fa", "/g`", "/" + strings.Repeat("g", 33), "/gärd"} {
		if err := ValidPrefix(p); err == nil || !strings.Contains(err.Error(), "such as /guard") {
			t.Errorf("%q: %v, want an error", p, err)
		}
	}
}

func TestHelp(t *testing.T) {
	if got := (Options{}).Help(UsagePR); got != UsagePR {
		t.Errorf("default prefix changed the usage: %q", got)
	}
	for _, usage := range []string{UsagePR, UsageFreeze} {
		got := Options{Prefix: "/mg"}.Help(usage)
		if strings.Contains(got, "`/guard") || !strings.Contains(got, "`/mg help`") {
			t.Errorf("usage with /mg: %q", got)
		}
		if err := replySafe(got); err != nil {
			t.Error(err)
		}
	}
	if Usage != UsageFreeze || !strings.Contains(UsagePR, "`/guard override <rule> <reason>`") {
		t.Error("usage texts changed")
	}
}

func FuzzParseAll(f *testing.F) {
	for _, s := range []string{
		"/guard recheck", "/guard explain r", "/guard override tests_with_code ok", "/guard hold wait\r\n/guard unhold",
		"> /guard hold", "```\n/guard hold\n```", "~~~~ x\n/guard hold\n~~~", "    /guard hold", "<!--\n/guard hold\n-->",
		"/guard override r @octocat `x`", "/guard `@x`", "/guard freeze 2h repo:a y", "/guard\n/guard\n/guard",
		strings.Repeat("/guard help\n", 12),
	} {
		f.Add(s, "")
	}
	f.Add("/mg recheck", "/mg")
	f.Fuzz(func(t *testing.T, body, prefix string) {
		opts := Options{Prefix: prefix}
		got := ParseAll(body, opts)
		if len(got) > MaxCommands+1 {
			t.Fatalf("%d results", len(got))
		}
		if ValidPrefix(opts.prefix()) != nil && len(got) > 0 {
			t.Fatalf("commands with the invalid prefix %q", prefix)
		}
		for _, p := range got {
			if (p.Command == nil) == (p.Reply == "") {
				t.Fatalf("not exactly one of command and reply: %s", describe([]Parsed{p}))
			}
			if err := replySafe(p.Reply); err != nil {
				t.Fatal(err)
			}
			if c := p.Command; c != nil {
				if err := commandValid(*c); err != nil {
					t.Fatalf("%v: %+v", err, *c)
				}
			}
		}
		if prefix == "" {
			first := Parse(body)
			if (len(got) == 0 && !first.Ignore()) || (len(got) > 0 && !reflect.DeepEqual(got[0], first)) {
				t.Fatalf("Parse %s is not the first of %s", describe([]Parsed{first}), describe(got))
			}
		}
		// Quoting every line of a comment quotes every command in it.
		lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n"), "\n")
		if q := ParseAll("> "+strings.Join(lines, "\n> "), opts); len(q) != 0 {
			t.Fatalf("the quoted comment holds %s", describe(q))
		}
		// So does fencing it, if nothing in it closes the fence.
		if fence := "~~~~~~~~"; !strings.Contains(body, fence) {
			if q := ParseAll(fence+"\n"+body, opts); len(q) != 0 {
				t.Fatalf("the fenced comment holds %s", describe(q))
			}
		}
	})
}

// commandValid checks what a command promises its runner.
func commandValid(c Command) error {
	switch {
	case utf8.RuneCountInString(c.Reason) > MaxReason || strings.ContainsAny(c.Reason, "\r\n") || c.Reason != strings.TrimSpace(c.Reason):
		return fmt.Errorf("reason %q", c.Reason)
	case c.Rule != "" && !ValidRule(c.Rule):
		return fmt.Errorf("rule %q", c.Rule)
	}
	switch c.Kind {
	case Override:
		if c.Rule == "" || c.Reason == "" {
			return fmt.Errorf("override without a rule or reason")
		}
	case Explain, Hold, Recheck, Unhold, Help:
		if c.Kind != Explain && c.Rule != "" || c.Kind != Hold && c.Reason != "" {
			return fmt.Errorf("%s with arguments", c.Kind)
		}
	case Freeze:
		set := 0
		for _, b := range []bool{c.For > 0, c.Until != "", c.Indefinite} {
			if b {
				set++
			}
		}
		if set != 1 || c.Reason == "" || c.For > MaxFreeze {
			return fmt.Errorf("invalid freeze")
		}
		if c.Until != "" {
			ResolveUntil(c.Until, time.Now(), time.UTC) // must not panic
		}
	case Unfreeze:
		if c.ID < 0 {
			return fmt.Errorf("unfreeze %d", c.ID)
		}
	default:
		return fmt.Errorf("unknown kind %q", c.Kind)
	}
	return nil
}
