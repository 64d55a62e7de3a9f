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

# utc_offset(ns, tz) is how far tz is ahead of UTC at instant ns. This runs
# for every instant computed: the offsets in use today, whole quarter hours,
# come from a table; others (local mean time, long ago) are worked out.
utc_offset(ns, tz) := o if {
	o := quarter_hour_offsets[time.format([ns, tz, "-070000"])]
} else := wall(ns, tz) - (ns - (ns % 1000000000))

quarter_hour_offsets := {
	"-120000": -43200000000000, "-114500": -42300000000000, "-113000": -41400000000000, "-111500": -40500000000000,
	"-110000": -39600000000000, "-104500": -38700000000000, "-103000": -37800000000000, "-101500": -36900000000000,
	"-100000": -36000000000000, "-094500": -35100000000000, "-093000": -34200000000000, "-091500": -33300000000000,
	"-090000": -32400000000000, "-084500": -31500000000000, "-083000": -30600000000000, "-081500": -29700000000000,
	"-080000": -28800000000000, "-074500": -27900000000000, "-073000": -27000000000000, "-071500": -26100000000000,
	"-070000": -25200000000000, "-064500": -24300000000000, "-063000": -23400000000000, "-061500": -22500000000000,
	"-060000": -21600000000000, "-054500": -20700000000000, "-053000": -19800000000000, "-051500": -18900000000000,
	"-050000": -18000000000000, "-044500": -17100000000000, "-043000": -16200000000000, "-041500": -15300000000000,
	"-040000": -14400000000000, "-034500": -13500000000000, "-033000": -12600000000000, "-031500": -11700000000000,
	"-030000": -10800000000000, "-024500": -9900000000000, "-023000": -9000000000000, "-021500": -8100000000000,
	"-020000": -7200000000000, "-014500": -6300000000000, "-013000": -5400000000000, "-011500": -4500000000000,
	"-010000": -3600000000000, "-004500": -2700000000000, "-003000": -1800000000000, "-001500": -900000000000,
	"+000000": 0, "+001500": 900000000000, "+003000": 1800000000000, "+004500": 2700000000000,
	"+010000": 3600000000000, "+011500": 4500000000000, "+013000": 5400000000000, "+014500": 6300000000000,
	"+020000": 7200000000000, "+021500": 8100000000000, "+023000": 9000000000000, "+024500": 9900000000000,
	"+030000": 10800000000000, "+031500": 11700000000000, "+033000": 12600000000000, "+034500": 13500000000000,
	"+040000": 14400000000000, "+041500": 15300000000000, "+043000": 16200000000000, "+044500": 17100000000000,
	"+050000": 18000000000000, "+051500": 18900000000000, "+053000": 19800000000000, "+054500": 20700000000000,
	"+060000": 21600000000000, "+061500": 22500000000000, "+063000": 23400000000000, "+064500": 24300000000000,
	"+070000": 25200000000000, "+071500": 26100000000000, "+073000": 27000000000000, "+074500": 27900000000000,
	"+080000": 28800000000000, "+081500": 29700000000000, "+083000": 30600000000000, "+084500": 31500000000000,
	"+090000": 32400000000000, "+091500": 33300000000000, "+093000": 34200000000000, "+094500": 35100000000000,
	"+100000": 36000000000000, "+101500": 36900000000000, "+103000": 37800000000000, "+104500": 38700000000000,
	"+110000": 39600000000000, "+111500": 40500000000000, "+113000": 41400000000000, "+114500": 42300000000000,
	"+120000": 43200000000000, "+121500": 44100000000000, "+123000": 45000000000000, "+124500": 45900000000000,
	"+130000": 46800000000000, "+131500": 47700000000000, "+133000": 48600000000000, "+134500": 49500000000000,
	"+140000": 50400000000000,
}

# instant(w, tz) is the instant at which clocks in tz show wall time w. A
# time that occurs twice when clocks go back maps to its first occurrence; a
# time skipped when they go forward maps to the same distance after the gap
# (02:30 on the night clocks jump from 02:00 to 03:00 becomes 03:30).
#
# The instant lies within 14 hours before and 12 hours after w (the extreme
# offsets), and no zone changes its offset twice in that span: the offsets at
# both ends give every candidate, and when they are the same, the offset
# does not change in between.
instant(w, tz) := w - o if {
	o := utc_offset(w - offset_before_ns, tz)
	o == utc_offset(w + offset_after_ns, tz)
} else := min(valid) if {
	valid := {c | some o in edge_offsets(w, tz); c := w - o; wall(c, tz) == w}
	count(valid) > 0
} else := w - min(edge_offsets(w, tz))

edge_offsets(w, tz) := {utc_offset(w - offset_before_ns, tz), utc_offset(w + offset_after_ns, tz)}

offset_before_ns := 14 * 3600000000000

offset_after_ns := 12 * 3600000000000

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
# instant around, the week before, or the week after. A window whose end is
# not after its start wraps into the next week; one whose end equals its
# start lasts the whole week. On the night the clocks skip its start, an
# occurrence can end before it starts (Sun 02:30 to Sun 03:10 in Berlin on
# 29 March 2026: 03:30 to 03:10), and freezes nothing.
weekly_occurrences(start, end, tz, around) := {[instant(s, tz), instant(s + length_ns, tz)] |
	[sd, sm] := weekly_time(start)
	[ed, em] := weekly_time(end)
	length_ns := week_length((((ed - sd) * 1440) + em) - sm) * minute_ns
	d0 := local_date(around, tz)
	ahead := ((sd - weekday_number[time.weekday(d0)]) + 7) % 7
	first := (d0 + ((ahead - 7) * day_ns)) + (sm * minute_ns)
	some s in [first, first + week_ns, first + two_weeks_ns]
}

week_ns := 7 * day_ns

two_weeks_ns := 14 * day_ns

week_length(raw) := m if {
	m := ((raw % week_minutes) + week_minutes) % week_minutes
	m != 0
} else := week_minutes

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
