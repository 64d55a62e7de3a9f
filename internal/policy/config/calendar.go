package config

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// FreezeCalendar is the change freeze the configuration schedules
// (rules.change_freeze: timezone, windows and dates), read with the same
// parsers and wall-time rules the configuration is validated with, so a
// calendar shows what the rule enforces. Incident freezes are not
// configuration and are not in it.
type FreezeCalendar struct {
	Location *time.Location
	Weekly   []WeeklyFreeze
	Dates    []DateFreeze
}

// WeeklyFreeze is one of rules.change_freeze.windows: every week from
// Start to End ("Fri 15:00" to "Mon 08:00").
type WeeklyFreeze struct {
	Start, End, Reason string
	day, minute        int
	// length is in minutes of wall time; a whole week when the end equals
	// the start.
	length int
}

// DateFreeze is one of rules.change_freeze.dates: a date ("2026-12-24",
// the whole day) or a date and time to another.
type DateFreeze struct {
	Start, End, Reason string
}

// FreezeOccurrence is one stretch of a configured freeze.
type FreezeOccurrence struct {
	Start, End time.Time
	// Weekly is true for a weekly window, false for a date span.
	Weekly bool
	Reason string
}

const minutesPerWeek = 7 * 24 * 60

// ChangeFreezeCalendar reads the change_freeze rule's resolved values
// (Config.Rules["change_freeze"].Values). The values have been validated
// when the configuration was resolved; one that still does not read is an
// error, not a freeze silently left out.
func ChangeFreezeCalendar(values map[string]any) (FreezeCalendar, error) {
	c := FreezeCalendar{Location: time.UTC}
	if tz, _ := values["timezone"].(string); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return c, fmt.Errorf("rules.change_freeze.timezone %q: %w", tz, err)
		}
		c.Location = loc
	}
	windows, err := objects(values["windows"], "windows")
	if err != nil {
		return c, err
	}
	for i, w := range windows {
		f := WeeklyFreeze{Reason: w["reason"]}
		f.Start, f.End = w["start"], w["end"]
		day, minute, ok1 := ParseWeeklyTime(f.Start)
		endDay, endMinute, ok2 := ParseWeeklyTime(f.End)
		if !ok1 || !ok2 {
			return c, fmt.Errorf("rules.change_freeze.windows item %d: %q → %q is not a weekly window (such as Fri 15:00 → Mon 08:00)", i+1, f.Start, f.End)
		}
		f.day, f.minute = day, minute
		// An end before the start wraps into the next week; an end equal
		// to it is the whole week.
		f.length = ((endDay*1440 + endMinute) - (day*1440 + minute) + minutesPerWeek) % minutesPerWeek
		if f.length == 0 {
			f.length = minutesPerWeek
		}
		c.Weekly = append(c.Weekly, f)
	}
	dates, err := objects(values["dates"], "dates")
	if err != nil {
		return c, err
	}
	for i, d := range dates {
		f := DateFreeze{Start: d["start"], End: d["end"], Reason: d["reason"]}
		if _, ok := spanWall(f.Start, false); !ok {
			return c, fmt.Errorf("rules.change_freeze.dates item %d: start %q is not a date or a date and time", i+1, f.Start)
		}
		if _, ok := spanWall(f.End, true); !ok {
			return c, fmt.Errorf("rules.change_freeze.dates item %d: end %q is not a date or a date and time", i+1, f.End)
		}
		c.Dates = append(c.Dates, f)
	}
	return c, nil
}

// objects reads a list of objects of strings.
func objects(v any, key string) ([]map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("rules.change_freeze.%s is not a list", key)
	}
	out := make([]map[string]string, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("rules.change_freeze.%s item %d is not an object", key, i+1)
		}
		s := map[string]string{}
		for k, x := range m {
			if str, ok := x.(string); ok {
				s[k] = str
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// maxOccurrences bounds what Between returns, whatever the range asked.
const maxOccurrences = 5000

// ErrTooManyOccurrences: the range holds more occurrences than are
// returned.
var ErrTooManyOccurrences = errors.New("too many freeze occurrences in the range")

// Between returns each occurrence of a weekly window and each date span
// that overlaps [from, to), in start order. Wall times become instants as
// the rule reads them: a time the clocks skip counts from the same
// distance after the skip, and a time that occurs twice is its first
// occurrence.
func (c FreezeCalendar) Between(from, to time.Time) ([]FreezeOccurrence, error) {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	var out []FreezeOccurrence
	keep := func(o FreezeOccurrence) {
		if o.End.After(from) && o.Start.Before(to) {
			out = append(out, o)
		}
	}
	if len(c.Weekly) > 0 {
		// Walk the wall dates from a week before from (a window that
		// started then may still run) to the day after to.
		y, m, d := from.In(loc).Date()
		first := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -7)
		y, m, d = to.In(loc).Date()
		last := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
		if last.Sub(first) > maxOccurrences*24*time.Hour {
			return nil, ErrTooManyOccurrences
		}
		for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
			for _, w := range c.Weekly {
				if int(day.Weekday()) != w.day {
					continue
				}
				start := day.Add(time.Duration(w.minute) * time.Minute)
				end := start.Add(time.Duration(w.length) * time.Minute)
				keep(FreezeOccurrence{Start: decision.WallInstant(start, loc), End: decision.WallInstant(end, loc), Weekly: true, Reason: w.Reason})
			}
		}
	}
	for _, d := range c.Dates {
		s, _ := spanWall(d.Start, false)
		e, _ := spanWall(d.End, true)
		keep(FreezeOccurrence{Start: decision.WallInstant(s, loc), End: decision.WallInstant(e, loc), Reason: d.Reason})
	}
	if len(out) > maxOccurrences {
		return nil, ErrTooManyOccurrences
	}
	slices.SortStableFunc(out, func(a, b FreezeOccurrence) int { return a.Start.Compare(b.Start) })
	return out, nil
}
