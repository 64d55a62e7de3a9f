# Calendar arithmetic in a time zone, for rules that depend on the time:
# instants are nanoseconds since the Unix epoch (input.time.ns), and a "wall"
# time is what a clock in the zone shows, written as the instant at which a
# UTC clock shows the same. Daylight saving time follows the zone's rules.
package mergeguard.lib

minute_ns := 60000000000

day_ns := 86400000000000

week_minutes := 10080

wall_layout := "2006-01-02T15:04:05"

# wall(ns, tz) is the wall time of instant ns in tz (to the second).
wall(ns, tz) := time.parse_ns(wall_layout, time.format([ns, tz, wall_layout]))

# utc_offset(ns, tz) is how far tz is ahead of UTC at instant ns.
utc_offset(ns, tz) := wall(ns, tz) - (ns - (ns % 1000000000))

# instant(w, tz) is the instant at which clocks in tz show wall time w. A
# time that occurs twice when clocks go back maps to its first occurrence; a
# time skipped when they go forward maps to the same distance after the gap
# (02:30 on the night clocks jump from 02:00 to 03:00 becomes 03:30).
#
# The instant lies within 14 hours before and 12 hours after w (the extreme
# offsets), and no zone changes its offset twice in that span: the offsets at
# both ends give every candidate.
instant(w, tz) := min(valid) if {
	valid := {c | some o in edge_offsets(w, tz); c := w - o; wall(c, tz) == w}
	count(valid) > 0
} else := w - min(edge_offsets(w, tz))

edge_offsets(w, tz) := {utc_offset(w - (14 * 3600000000000), tz), utc_offset(w + (12 * 3600000000000), tz)}

# local_date(ns, tz) is the wall time of the start of ns's day in tz.
local_date(ns, tz) := w - (w % day_ns) if w := wall(ns, tz)

weekday_number := {"Sunday": 0, "Monday": 1, "Tuesday": 2, "Wednesday": 3, "Thursday": 4, "Friday": 5, "Saturday": 6}

day_names := {
	"sun": 0, "sunday": 0, "mon": 1, "monday": 1, "tue": 2, "tuesday": 2, "wed": 3, "wednesday": 3,
	"thu": 4, "thursday": 4, "fri": 5, "friday": 5, "sat": 6, "saturday": 6,
}

# weekly_time("Fri 15:00") is [5, 900]: the day (0 is Sunday) and the minute
# of the day. The configuration is checked for this format when loaded.
weekly_time(s) := [day_names[lower(m[1])], (to_number(m[2]) * 60) + to_number(m[3])] if {
	m := regex.find_all_string_submatch_n(`^\s*([A-Za-z]+)\s+(\d{1,2}):(\d{2})\s*$`, s, 1)[0]
}

# weekly_occurrences(start, end, tz, around) are the [start, end) instants of
# a weekly window ("Fri 15:00" to "Mon 08:00") that begin in the week of
# instant around, the week before, or the week after. A window whose end is not after its start wraps
# into the next week; one whose end equals its start lasts the whole week.
weekly_occurrences(start, end, tz, around) := {[instant(s, tz), instant(s + (length * minute_ns), tz)] |
	[sd, sm] := weekly_time(start)
	[ed, em] := weekly_time(end)
	raw := (((ed - sd) * 1440) + em) - sm
	length := week_length(raw)
	d0 := local_date(around, tz)
	ahead := ((sd - weekday_number[time.weekday(d0)]) + 7) % 7
	some k in [ahead - 7, ahead, ahead + 7]
	s := (d0 + (k * day_ns)) + (sm * minute_ns)
}

week_length(raw) := week_minutes if {
	((raw % week_minutes) + week_minutes) % week_minutes == 0
} else := ((raw % week_minutes) + week_minutes) % week_minutes

# date_start("2026-12-21") is the instant the day starts in tz;
# date_start("2026-12-21 18:00") that time.
date_start(s, tz) := instant(time.parse_ns("2006-01-02", s), tz) if {
	count(s) == 10
} else := instant(time.parse_ns("2006-01-02 15:04", s), tz)

# date_end("2027-01-04") is the instant that day ends in tz (the day is
# included); date_end("2027-01-04 08:00") that time.
date_end(s, tz) := instant(time.parse_ns("2006-01-02", s) + day_ns, tz) if {
	count(s) == 10
} else := instant(time.parse_ns("2006-01-02 15:04", s), tz)

# when(ns, tz) shows an instant as people in tz read it:
# "Mon 23 Nov 2026 08:00 CET".
when(ns, tz) := time.format([ns, tz, "Mon 2 Jan 2006 15:04 MST"])
