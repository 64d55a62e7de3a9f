package policies_test

import (
	"fmt"
	"time"
)

// The reference calendar for TestChangeFreezeAgreesWithABruteForceCalendar,
// written with Go's time package and sharing no code with the rule: wall
// times become instants by walking the zone's transitions, and the freeze
// is followed forward from an instant, from the end of what covers it to
// the end of what covers that, until nothing does.

type refWindow struct {
	start, end  string
	day, minute int // of the start: 0 is Sunday
	length      int // minutes of wall time; 0 is the whole week
}

type refDate struct{ start, end string }

type refIncident struct {
	start time.Time
	end   time.Time // zero: until someone ends it
}

type freezeCase struct {
	zone      string
	loc       *time.Location
	windows   []refWindow
	dates     []refDate
	incidents []refIncident
	notice    time.Duration
}

// zonePeriod is a stretch of time with one UTC offset.
type zonePeriod struct {
	start, end time.Time // zero: unbounded
	offset     time.Duration
}

// periodsAround lists the zone's periods from 36 hours before to 36 hours
// after t, transition by transition.
func periodsAround(t time.Time, loc *time.Location) []zonePeriod {
	var out []zonePeriod
	at := t.Add(-36 * time.Hour)
	for {
		start, end := at.In(loc).ZoneBounds()
		_, off := at.In(loc).Zone()
		out = append(out, zonePeriod{start, end, time.Duration(off) * time.Second})
		if end.IsZero() || end.After(t.Add(36*time.Hour)) {
			return out
		}
		at = end
	}
}

// refInstant is the instant clocks in loc show wall (fields in UTC): the
// first of two, and for a skipped wall time the same distance after the
// skip as it is after the skip's start.
func refInstant(wall time.Time, loc *time.Location) time.Time {
	ps := periodsAround(wall, loc)
	var first time.Time
	for _, p := range ps {
		c := wall.Add(-p.offset)
		if (p.start.IsZero() || !c.Before(p.start)) && (p.end.IsZero() || c.Before(p.end)) && (first.IsZero() || c.Before(first)) {
			first = c
		}
	}
	if !first.IsZero() {
		return first
	}
	for i := 1; i < len(ps); i++ {
		jump := ps[i].start // the clocks go from jump+before to jump+after
		before, after := ps[i-1].offset, ps[i].offset
		if !wall.Before(jump.Add(before)) && wall.Before(jump.Add(after)) {
			return wall.Add(-before)
		}
	}
	panic(fmt.Sprintf("no instant for %s in %s", wall, loc))
}

func wallOf(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

type interval struct {
	start, end time.Time
	open       bool // no end
	incident   bool
}

func (iv interval) covers(t time.Time) bool {
	return !t.Before(iv.start) && (iv.open || t.Before(iv.end))
}

// occurrences are w's weekly occurrences that start on the local dates
// from back days before t to ahead days after it; empty ones are left out.
func (w refWindow) occurrences(t time.Time, loc *time.Location, back, ahead int) []interval {
	day := wallOf(t, loc).Truncate(24 * time.Hour)
	var out []interval
	for k := -back; k <= ahead; k++ {
		d := day.AddDate(0, 0, k)
		if int(d.Weekday()) != w.day {
			continue
		}
		startWall := d.Add(time.Duration(w.minute) * time.Minute)
		s := refInstant(startWall, loc)
		e := refInstant(startWall.Add(time.Duration(w.length)*time.Minute), loc)
		if e.After(s) {
			out = append(out, interval{start: s, end: e})
		}
	}
	return out
}

func (d refDate) interval(loc *time.Location) interval {
	return interval{start: refInstant(dateWall(d.start, false), loc), end: refInstant(dateWall(d.end, true), loc)}
}

func dateWall(s string, end bool) time.Time {
	if t, err := time.Parse(dateLayout, s); err == nil {
		if end {
			return t.AddDate(0, 0, 1)
		}
		return t
	}
	t, err := time.Parse(dateTimeLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// covering lists what freezes instant t.
func (c freezeCase) covering(t time.Time, onlyWindows bool) []interval {
	var out []interval
	for _, w := range c.windows {
		if w.length == 0 {
			out = append(out, interval{open: true})
			continue
		}
		for _, iv := range w.occurrences(t, c.loc, 16, 1) {
			if iv.covers(t) {
				out = append(out, iv)
			}
		}
	}
	if onlyWindows {
		return out
	}
	for _, d := range c.dates {
		if iv := d.interval(c.loc); iv.covers(t) {
			out = append(out, iv)
		}
	}
	for _, f := range c.incidents {
		if iv := f.interval(); iv.covers(t) {
			out = append(out, iv)
		}
	}
	return out
}

func (f refIncident) interval() interval {
	return interval{start: f.start, end: f.end, open: f.end.IsZero(), incident: true}
}

// reopen walks forward from now, each step to the latest end among the
// freezes covering the instant reached, until nothing covers it: that is
// when merges reopen. Two weeks after the last dated end only weekly
// windows and freezes with no end remain, and they repeat every week: a
// freeze still on then never ends.
func (c freezeCase) reopen(now time.Time, onlyWindows bool) (at time.Time, frozen, never bool) {
	horizon := now
	for _, d := range c.dates {
		horizon = later(horizon, d.interval(c.loc).end)
	}
	for _, f := range c.incidents {
		horizon = later(horizon, f.end)
	}
	horizon = horizon.Add(15 * 24 * time.Hour)
	t := now
	for {
		cov := c.covering(t, onlyWindows)
		if len(cov) == 0 {
			return t, t.After(now), false
		}
		next := t
		for _, iv := range cov {
			if iv.open {
				return time.Time{}, true, true
			}
			next = later(next, iv.end)
		}
		if next.After(horizon) {
			return time.Time{}, true, true
		}
		t = next
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// nextChange is the first instant after now at which something starts or
// ends, or a freeze is announced while merges are open; false when there
// is none (a freeze with no end, and nothing else).
func (c freezeCase) nextChange(now time.Time) (time.Time, bool) {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	var ivs []interval
	for _, w := range c.windows {
		if w.length > 0 {
			ivs = append(ivs, w.occurrences(now, c.loc, 8, 9)...)
		}
	}
	for _, d := range c.dates {
		if iv := d.interval(c.loc); iv.end.After(iv.start) {
			ivs = append(ivs, iv)
		}
	}
	for _, f := range c.incidents {
		ivs = append(ivs, f.interval())
	}
	for _, iv := range ivs {
		consider(iv.start)
		if !iv.open {
			consider(iv.end)
		}
		if heads := iv.start.Add(-c.notice); heads.After(now) && len(c.covering(heads, false)) == 0 {
			consider(heads)
		}
	}
	return next, !next.IsZero()
}
