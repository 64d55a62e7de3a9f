package decision

import "time"

// WallInstant is the instant at which clocks in loc show wall, a wall time
// given by its fields in UTC. A wall time that occurs twice, when the clocks
// go back, is its first occurrence; one that the clocks skip when they go
// forward counts from the same distance after the skip (02:30, on the night
// clocks jump from 02:00 to 03:00, is 03:30). These are the semantics of
// the bundled policies' lib.instant. (time.Date leaves the choice between
// the two occurrences open.) Freeze windows in the configuration and
// times people type in commands both go through it, so they agree.
func WallInstant(wall time.Time, loc *time.Location) time.Time {
	// No zone changes its offset twice within the 26 hours around a wall
	// time, so the offsets 14 hours before and 12 hours after give every
	// candidate.
	_, before := wall.Add(-14 * time.Hour).In(loc).Zone()
	_, after := wall.Add(12 * time.Hour).In(loc).Zone()
	var first time.Time
	for _, off := range []int{before, after} {
		t := wall.Add(-time.Duration(off) * time.Second)
		if showsWall(t.In(loc), wall) && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if !first.IsZero() {
		return first
	}
	return wall.Add(-time.Duration(min(before, after)) * time.Second)
}

func showsWall(t, wall time.Time) bool {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC).Equal(wall)
}
