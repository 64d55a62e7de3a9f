package command

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/text"
)

// MaxFreeze bounds a freeze given as a duration; longer ones name an end
// with "until", so a typo cannot freeze an organization for a year.
const MaxFreeze = 31 * 24 * time.Hour

func (p parser) freeze(args []string) Parsed {
	usage := p.fix("Write `/guard freeze <how long> <reason>`, e.g. `/guard freeze 2h checkout errors, INC-42`, or `/guard freeze until Mon 08:00 <reason>`, or `/guard freeze indefinitely <reason>`.")
	if len(args) == 0 {
		return reply(p.fix("`/guard freeze` needs how long and why. ") + usage)
	}
	c := &Command{Kind: Freeze}
	switch strings.ToLower(args[0]) {
	case "until":
		n := untilLength(args[1:])
		if n == 0 {
			return reply("`until` needs a time such as `18:00`, `Mon 08:00`, `2026-11-23 08:00` or `2026-11-23T08:00:00+01:00`. " + usage)
		}
		c.Until, args = strings.Join(args[1:1+n], " "), args[1+n:]
	case "indefinitely":
		c.Indefinite, args = true, args[1:]
	default:
		d, err := ParseDuration(args[0])
		if err != nil {
			return reply(fmt.Sprintf("%s is not a duration. %s", Code(text.ClipRunes(args[0], 40)), usage))
		}
		if d > MaxFreeze {
			return reply(fmt.Sprintf("%s is longer than %d days; for a longer freeze name its end with `until`, or use `indefinitely`.", Code(text.ClipRunes(args[0], 40)), int(MaxFreeze.Hours()/24)))
		}
		c.For, args = d, args[1:]
	}
	for len(args) > 0 && strings.HasPrefix(strings.ToLower(args[0]), "repo:") {
		name := args[0][len("repo:"):]
		if !repoName.MatchString(name) {
			return reply(fmt.Sprintf("%s does not name a repository; write `repo:NAME` with the repository's name, e.g. `repo:shop`.", Code(text.ClipRunes(args[0], 60))))
		}
		c.Repos = append(c.Repos, name)
		args = args[1:]
	}
	c.Reason = strings.TrimSpace(strings.Join(args, " "))
	if c.Reason == "" {
		return reply("A freeze needs a reason: everyone whose merge it blocks reads it. " + usage)
	}
	if n := utf8.RuneCountInString(c.Reason); n > MaxReason {
		return reply(tooLong(n))
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

func (p parser) unfreeze(args []string) Parsed {
	usage := p.fix("Write `/guard unfreeze` to end every freeze in effect, or `/guard unfreeze 7` to end freeze 7.")
	c := &Command{Kind: Unfreeze}
	switch len(args) {
	case 0:
	case 1:
		id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
		if err != nil || id <= 0 {
			return reply(fmt.Sprintf("%s is not a freeze number. %s", Code(text.ClipRunes(args[0], 40)), usage))
		}
		c.ID = id
	default:
		return reply(usage)
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
// time as written. Its errors are written for a reply.
func ResolveUntil(spec string, now time.Time, loc *time.Location) (time.Time, error) {
	local := now.In(loc)
	fields := strings.Fields(spec)
	notATime := func() error {
		return fmt.Errorf("%s is not a time such as `18:00`, `Mon 08:00`, `2026-11-23 08:00` or `2026-11-23T08:00:00+01:00`", Code(text.ClipRunes(spec, 60)))
	}
	var t time.Time
	switch {
	case len(fields) == 1 && isClock(fields[0]):
		c, _ := time.Parse("15:04", fields[0])
		t = decision.WallInstant(time.Date(local.Year(), local.Month(), local.Day(), c.Hour(), c.Minute(), 0, 0, time.UTC), loc)
		if !t.After(now) {
			t = decision.WallInstant(time.Date(local.Year(), local.Month(), local.Day()+1, c.Hour(), c.Minute(), 0, 0, time.UTC), loc)
		}
	case len(fields) == 2 && isDay(fields[0]) && isClock(fields[1]):
		day, _ := weekday(fields[0])
		c, _ := time.Parse("15:04", fields[1])
		ahead := (int(day) - int(local.Weekday()) + 7) % 7
		t = decision.WallInstant(time.Date(local.Year(), local.Month(), local.Day()+ahead, c.Hour(), c.Minute(), 0, 0, time.UTC), loc)
		if !t.After(now) {
			t = decision.WallInstant(time.Date(local.Year(), local.Month(), local.Day()+ahead+7, c.Hour(), c.Minute(), 0, 0, time.UTC), loc)
		}
	case len(fields) == 2 && isDate(fields[0]) && isClock(fields[1]):
		var err error
		if t, err = time.Parse("2006-01-02 15:04", spec); err != nil {
			return time.Time{}, notATime()
		}
		t = decision.WallInstant(t, loc)
	case len(fields) == 1:
		var err error
		if t, err = time.Parse(time.RFC3339, fields[0]); err != nil {
			if t, err = time.Parse("2006-01-02T15:04Z07:00", fields[0]); err != nil {
				return time.Time{}, notATime()
			}
		}
	default:
		return time.Time{}, notATime()
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
