// Package command reads /guard commands from pull request and issue
// comments. Parsing is pure: a comment becomes a command, a reply (the
// command was malformed; the reply says how to write it), or nothing (the
// comment holds no command). Whether the commenter may run the command is
// decided elsewhere.
package command

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kind is a command's name.
type Kind string

// The commands.
const (
	Freeze   Kind = "freeze"
	Unfreeze Kind = "unfreeze"
	Help     Kind = "help"
)

// Command is a parsed /guard command.
type Command struct {
	Kind Kind
	// Freeze: how long (For), until when (Until, as written; see
	// ResolveUntil), or until someone ends it (Indefinite); exactly one is
	// set. Repos limits it to some repositories; Reason says why.
	For        time.Duration
	Until      string
	Indefinite bool
	Repos      []string
	Reason     string
	// Unfreeze: which freeze, or 0 for every freeze in effect.
	ID int64
}

// Parsed is what a comment says: a command, or a reply to post instead.
// Both are empty when the comment holds no command.
type Parsed struct {
	Command *Command
	Reply   string
}

// Ignore reports whether the comment holds no command at all.
func (p Parsed) Ignore() bool { return p.Command == nil && p.Reply == "" }

// MaxFreeze bounds a freeze given as a duration; longer ones name an end
// with "until", so a typo cannot freeze an organization for a year.
const MaxFreeze = 31 * 24 * time.Hour

// maxLine bounds the command line considered.
const maxLine = 2000

// Usage is the help text.
const Usage = "mergeguard commands (comment on an issue or pull request in the organization's policy repository):\n\n" +
	"- `/guard freeze 2h <reason>`: freeze merges in every repository for two hours (also `90m`, `1d12h`)\n" +
	"- `/guard freeze until 2026-11-23 08:00 <reason>`: until a time, in the freeze rule's time zone (also `until 18:00`, `until Mon 08:00`, `until 2026-11-23T08:00:00+01:00`)\n" +
	"- `/guard freeze indefinitely <reason>`: until someone runs `/guard unfreeze`\n" +
	"- `/guard freeze 2h repo:shop repo:payments <reason>`: only in those repositories\n" +
	"- `/guard unfreeze`: end every freeze in effect; `/guard unfreeze 7`: end freeze 7\n" +
	"- `/guard help`: this list"

// Parse reads the first /guard command in a comment. Lines in quotes
// (> …) and code blocks are not commands: quoting someone's command must
// not run it again.
func Parse(body string) Parsed {
	line, ok := commandLine(body)
	if !ok {
		return Parsed{}
	}
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return Parsed{Reply: "`/guard` needs a command.\n\n" + Usage}
	}
	name, args := strings.ToLower(fields[1]), fields[2:]
	switch Kind(name) {
	case Freeze:
		return parseFreeze(args)
	case Unfreeze:
		return parseUnfreeze(args)
	case Help:
		return Parsed{Command: &Command{Kind: Help}}
	}
	return Parsed{Reply: fmt.Sprintf("`/guard %s` is not a command.\n\n%s", quote(fields[1], 40), Usage)}
}

// commandLine finds the first line that starts with /guard outside quotes
// and fenced code blocks.
func commandLine(body string) (string, bool) {
	fenced := false
	for _, raw := range strings.Split(body, "\n") {
		l := strings.TrimSpace(raw)
		if strings.HasPrefix(l, "```") || strings.HasPrefix(l, "~~~") {
			fenced = !fenced
			continue
		}
		if fenced || strings.HasPrefix(l, ">") {
			continue
		}
		if l == "/guard" || strings.HasPrefix(l, "/guard ") || strings.HasPrefix(l, "/guard\t") {
			return clip(l, maxLine), true
		}
	}
	return "", false
}

func parseFreeze(args []string) Parsed {
	const usage = "Write `/guard freeze <how long> <reason>`, e.g. `/guard freeze 2h checkout errors, INC-42`, or `/guard freeze until Mon 08:00 <reason>`, or `/guard freeze indefinitely <reason>`."
	if len(args) == 0 {
		return Parsed{Reply: "`/guard freeze` needs how long and why. " + usage}
	}
	c := &Command{Kind: Freeze}
	switch strings.ToLower(args[0]) {
	case "until":
		n := untilLength(args[1:])
		if n == 0 {
			return Parsed{Reply: "`until` needs a time such as `18:00`, `Mon 08:00`, `2026-11-23 08:00` or `2026-11-23T08:00:00+01:00`. " + usage}
		}
		c.Until, args = strings.Join(args[1:1+n], " "), args[1+n:]
	case "indefinitely":
		c.Indefinite, args = true, args[1:]
	default:
		d, err := ParseDuration(args[0])
		if err != nil {
			return Parsed{Reply: fmt.Sprintf("`%s` is not a duration. %s", quote(args[0], 40), usage)}
		}
		if d > MaxFreeze {
			return Parsed{Reply: fmt.Sprintf("`%s` is longer than %d days; for a longer freeze name its end with `until`, or use `indefinitely`.", quote(args[0], 40), int(MaxFreeze.Hours()/24))}
		}
		c.For, args = d, args[1:]
	}
	for len(args) > 0 && strings.HasPrefix(strings.ToLower(args[0]), "repo:") {
		name := args[0][len("repo:"):]
		if !repoName.MatchString(name) {
			return Parsed{Reply: fmt.Sprintf("`%s` does not name a repository; write `repo:NAME` with the repository's name, e.g. `repo:shop`.", quote(args[0], 60))}
		}
		c.Repos = append(c.Repos, name)
		args = args[1:]
	}
	c.Reason = strings.TrimSpace(strings.Join(args, " "))
	if c.Reason == "" {
		return Parsed{Reply: "A freeze needs a reason: everyone whose merge it blocks reads it. " + usage}
	}
	return Parsed{Command: c}
}

var repoName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

// untilLength is how many of args make up the time after "until": a date
// and a time, a day and a time, or one token.
func untilLength(args []string) int {
	if len(args) == 0 {
		return 0
	}
	if len(args) >= 2 && (isDate(args[0]) || isDay(args[0])) && isClock(args[1]) {
		return 2
	}
	return 1
}

func isDate(s string) bool  { _, err := time.Parse("2006-01-02", s); return err == nil }
func isClock(s string) bool { _, err := time.Parse("15:04", s); return err == nil }
func isDay(s string) bool   { _, ok := weekday(s); return ok }

func parseUnfreeze(args []string) Parsed {
	c := &Command{Kind: Unfreeze}
	switch len(args) {
	case 0:
	case 1:
		id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
		if err != nil || id <= 0 {
			return Parsed{Reply: fmt.Sprintf("`%s` is not a freeze number. Write `/guard unfreeze` to end every freeze in effect, or `/guard unfreeze 7` to end freeze 7.", quote(args[0], 40))}
		}
		c.ID = id
	default:
		return Parsed{Reply: "Write `/guard unfreeze` to end every freeze in effect, or `/guard unfreeze 7` to end freeze 7."}
	}
	return Parsed{Command: c}
}

var durationPart = regexp.MustCompile(`^(\d+)([wdhm])`)

// ParseDuration reads durations people write: 2h, 90m, 1d12h, 1w.
func ParseDuration(s string) (time.Duration, error) {
	rest := strings.ToLower(s)
	if rest == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	unit := map[string]time.Duration{"w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}
	for rest != "" {
		m := durationPart.FindStringSubmatch(rest)
		if m == nil {
			return 0, fmt.Errorf("%q is not a duration such as 2h, 90m or 1d12h", s)
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100000 {
			return 0, fmt.Errorf("%q is too long", s)
		}
		total += time.Duration(n) * unit[m[2]]
		rest = rest[len(m[0]):]
	}
	if total <= 0 {
		return 0, fmt.Errorf("%q is no time at all", s)
	}
	return total, nil
}

// ResolveUntil turns the time after "until" into an instant after now, in
// loc for times without an offset: "18:00" is the next 18:00, "Mon 08:00"
// the next Monday at 08:00, "2026-11-23 08:00" that time, and an RFC 3339
// time as written.
func ResolveUntil(spec string, now time.Time, loc *time.Location) (time.Time, error) {
	local := now.In(loc)
	fields := strings.Fields(spec)
	var t time.Time
	switch {
	case len(fields) == 1 && isClock(fields[0]):
		c, _ := time.Parse("15:04", fields[0])
		t = time.Date(local.Year(), local.Month(), local.Day(), c.Hour(), c.Minute(), 0, 0, loc)
		if !t.After(now) {
			t = time.Date(local.Year(), local.Month(), local.Day()+1, c.Hour(), c.Minute(), 0, 0, loc)
		}
	case len(fields) == 2 && isDay(fields[0]) && isClock(fields[1]):
		day, _ := weekday(fields[0])
		c, _ := time.Parse("15:04", fields[1])
		ahead := (int(day) - int(local.Weekday()) + 7) % 7
		t = time.Date(local.Year(), local.Month(), local.Day()+ahead, c.Hour(), c.Minute(), 0, 0, loc)
		if !t.After(now) {
			t = time.Date(local.Year(), local.Month(), local.Day()+ahead+7, c.Hour(), c.Minute(), 0, 0, loc)
		}
	case len(fields) == 2 && isDate(fields[0]) && isClock(fields[1]):
		var err error
		if t, err = time.ParseInLocation("2006-01-02 15:04", spec, loc); err != nil {
			return time.Time{}, err
		}
	case len(fields) == 1:
		var err error
		if t, err = time.Parse(time.RFC3339, fields[0]); err != nil {
			if t, err = time.Parse("2006-01-02T15:04Z07:00", fields[0]); err != nil {
				return time.Time{}, fmt.Errorf("`%s` is not a time such as `18:00`, `Mon 08:00`, `2026-11-23 08:00` or `2026-11-23T08:00:00+01:00`", quote(spec, 60))
			}
		}
	default:
		return time.Time{}, fmt.Errorf("`%s` is not a time such as `18:00`, `Mon 08:00`, `2026-11-23 08:00` or `2026-11-23T08:00:00+01:00`", quote(spec, 60))
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%s is already past", t.In(loc).Format("Mon 2 Jan 2006 15:04 MST"))
	}
	if t.Sub(now) > 366*24*time.Hour {
		return time.Time{}, fmt.Errorf("%s is more than a year away; use `indefinitely` and end the freeze with `/guard unfreeze`", t.In(loc).Format("Mon 2 Jan 2006 15:04 MST"))
	}
	return t, nil
}

var weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

func weekday(s string) (time.Weekday, bool) {
	l := strings.ToLower(s)
	for i, d := range weekdays {
		if l == d || l == d[:3] {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// quote prepares text someone wrote for a reply in backticks: clipped, and
// without backticks that would end the code span early.
func quote(s string, n int) string { return strings.ReplaceAll(clip(s, n), "`", "'") }
