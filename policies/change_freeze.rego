# METADATA
# title: Change freeze
# description: >-
#   No merges into frozen branches during the windows the organization sets
#   (weekends, holidays) or during an incident. Reverts pass, and an urgent
#   fix passes with the hotfix label and the on-call team's approval.
# custom:
#   severity: error
#   remedy: >-
#     Wait until the freeze ends: this check turns green by itself then. To
#     merge during the freeze, use one of the exceptions named above.
#   config:
#     timezone:
#       description: The time zone of the windows and dates (an IANA name).
#       default: UTC
#       format: timezone
#     windows:
#       description: >-
#         Weekly freezes: a list of {start, end, reason}, with start and end a
#         day and time such as "Fri 15:00" and "Mon 08:00".
#       default: []
#       type: list
#       stricter: more
#       items:
#         type: object
#         required: [start, end]
#         keys:
#           start: {type: string, format: weekly_time}
#           end: {type: string, format: weekly_time}
#           reason: {type: string}
#     dates:
#       description: >-
#         Freezes on dates (holidays): a list of {start, end, reason}, each a date
#         ("2026-12-21", the whole day) or a date and time ("2026-12-21 18:00").
#       default: []
#       type: list
#       stricter: more
#       items:
#         type: object
#         required: [start, end]
#         keys:
#           start: {type: string, format: date_time}
#           end: {type: string, format: date_time}
#           reason: {type: string}
#         span: {start: start, end: end, timezone: timezone}
#     branches:
#       description: Base branches that freeze (globs); empty means the repository's default branch.
#       default: []
#       type: list
#       items: {type: string, format: glob}
#     repositories:
#       description: Repositories that freeze (globs on the name); empty means all.
#       default: []
#       type: list
#       items: {type: string, format: glob}
#     exclude_repositories:
#       description: Repositories that never freeze (globs on the name).
#       default: []
#       type: list
#       stricter: fewer
#       items: {type: string, format: glob}
#     exempt_paths:
#       description: A pull request that changes only these files is not frozen.
#       default: ["**/*.md", "docs/**"]
#       stricter: fewer
#       items: {type: string, format: glob}
#     allow_reverts:
#       description: Pull requests that only revert earlier commits pass a freeze.
#       default: true
#       stricter: false
#     hotfix_label:
#       description: The label that marks an urgent fix.
#       default: hotfix
#     hotfix_teams:
#       description: >-
#         Teams one of whose members (not the author) must approve a hotfix for
#         it to pass a freeze. Empty: the hotfix label is no exception.
#       default: []
#       type: list
#     incident_teams:
#       description: >-
#         Teams whose members may start and end incident freezes with /guard
#         freeze and /guard unfreeze in the policy repository.
#       default: []
#       type: list
#     notice_hours:
#       description: Hours before a freeze starts that open pull requests get a heads-up.
#       default: 4
#       minimum: 0
#       maximum: 72
package mergeguard.rules.change_freeze

import data.mergeguard.config
import data.mergeguard.lib

settings := config.rules.change_freeze

tz := settings.timezone

now := input.time.ns

base := input.pull_request.base.ref

notice_ns := settings.notice_hours * 3600000000000

# Where the freeze applies.

branch_frozen if {
	count(settings.branches) == 0
	base == input.repository.default_branch
}

branch_frozen if lib.matches(settings.branches, base)

repository_frozen if {
	count(settings.repositories) == 0
	not lib.matches(settings.exclude_repositories, input.repository.name)
}

repository_frozen if {
	lib.matches(settings.repositories, input.repository.name)
	not lib.matches(settings.exclude_repositories, input.repository.name)
}

only_exempt_files if {
	not input.files_truncated
	count(input.files) > 0
	every f in input.files {
		lib.matches(settings.exempt_paths, f.path)
		lib.matches(settings.exempt_paths, object.get(f, "previous_path", f.path))
	}
}

skip contains sprintf("`%s` is not a frozen branch.", [base]) if not branch_frozen

skip contains sprintf("%s is not among the repositories that freeze.", [input.repository.name]) if {
	branch_frozen
	not repository_frozen
}

skip contains "Only documentation changes: freezes do not apply to them." if {
	branch_frozen
	repository_frozen
	only_exempt_files
}

applies if {
	branch_frozen
	repository_frozen
	not only_exempt_files
}

skip contains "No freeze windows or dates are configured, and no incident freeze is in effect." if {
	applies
	count(settings.windows) + count(settings.dates) == 0
	count(active) == 0
}

# The freeze periods near now, as {start, end, reason, what}: a period
# without an end lasts until someone ends it, and one with neither start
# nor end always.

periods := (always_periods | dated_periods) | weekly_periods

whole_week(w) if lib.weekly_time(w.start) == lib.weekly_time(w.end)

timed_windows := [w | some w in settings.windows; not whole_week(w)]

window_what(w) := sprintf("every %s → %s", [w.start, w.end])

# A weekly window whose end equals its start covers the whole week: one
# period, rather than occurrences that meet with nothing changing where
# they do.
always_periods contains {"reason": object.get(w, "reason", ""), "what": window_what(w)} if {
	some w in settings.windows
	whole_week(w)
}

# Date windows and incident freezes.

dated_periods contains {"start": s, "end": e, "reason": object.get(d, "reason", ""), "what": sprintf("%s → %s", [d.start, d.end])} if {
	some d in settings.dates
	s := lib.date_start(d.start, tz)
	e := lib.date_end(d.end, tz)
	e > s
}

dated_periods contains {"start": f.starts_ns, "end": f.ends_ns, "reason": f.reason, "what": incident_what(f), "incident": true} if {
	some f in input.freezes
	incident_scope(f)
	f.ends_ns > 0
}

dated_periods contains {"start": f.starts_ns, "reason": f.reason, "what": incident_what(f), "incident": true} if {
	some f in input.freezes
	incident_scope(f)
	f.ends_ns == 0
}

incident_scope(f) if count(f.repositories) == 0

incident_scope(f) if lower(input.repository.name) in {lower(r) | some r in f.repositories}

incident_what(f) := sprintf("incident freeze started by @%s at %s", [f.created_by, lib.when(f.starts_ns, tz)])

# weekly_around(a) are the occurrences of the weekly windows that begin in
# the week of instant a, the week before or the week after, as [start, end,
# window index]. (A start that the clocks skip can fall after the end that
# night: that occurrence freezes nothing.)
weekly_around(a) := {[s, e, i] |
	some i, w in timed_windows
	some [s, e] in lib.weekly_occurrences(w.start, w.end, tz, a)
	e > s
}

around_now := weekly_around(now)

weekly_periods contains {"start": s, "end": e, "reason": object.get(timed_windows[i], "reason", ""), "what": window_what(timed_windows[i])} if {
	some [s, e, i] in around_now
}

ends(p) if "end" in object.keys(p)

covers(p, t) if {
	object.get(p, "start", t) <= t
	t < p.end
}

covers(p, t) if {
	object.get(p, "start", t) <= t
	not ends(p)
}

active contains p if {
	some p in periods
	covers(p, now)
}

# When merges reopen: the first instant after now that no period covers.
# Frozen time is a union of [start, end) periods, so that instant is the end
# of one of them. The dated periods are few and known. Weekly periods
# repeat: while only they keep merges frozen, an end that nothing covers
# comes within a week, unless they cover the whole week. So the weekly
# occurrences are examined around now and around each end of a dated
# period that no other covers: a weekend that runs into the holidays
# reopens on the first Monday morning after them, however long they last.
# Only ends before the first stretch of nine days without dated periods
# matter: merges reopen within that stretch at the latest.

dated_ends := {p.end | some p in dated_periods; ends(p); p.end > now}

dated_frozen_at(t) if {
	some p in dated_periods
	covers(p, t)
}

dated_start_within_nine_days(t) if {
	some p in dated_periods
	p.start > t
	p.start <= t + nine_days_ns
}

long_gaps := {t |
	some t in ({now} | dated_ends)
	not dated_frozen_at(t)
	not dated_start_within_nine_days(t)
}

anchors := {now} | {t | some t in dated_ends; not dated_frozen_at(t); t <= min(long_gaps)} if {
	count(long_gaps) > 0
} else := {now} | {t | some t in dated_ends; not dated_frozen_at(t)}

# nearby are the weekly occurrences around each anchor, as [anchor, start,
# end].
nearby := {[now, s, e] | some [s, e, _] in around_now} | {[a, s, e] |
	some a in anchors
	a != now
	some [s, e, _] in weekly_around(a)
}

# Ends within eight days after their anchor: the occurrences around the
# anchor include every one that covers them.
weekly_ends := {e | some [a, _, e] in nearby; a < e; e <= a + eight_days_ns}

eight_days_ns := 8 * lib.day_ns

nine_days_ns := 9 * lib.day_ns

weekly_frozen_at(t) if {
	some [_, s, e] in nearby
	s <= t
	t < e
}

reopen := min(open_at) if {
	count(active) > 0
	not endless_weeks
	open_at := {t |
		some t in (weekly_ends | anchors)
		t > now
		not dated_frozen_at(t)
		not weekly_frozen_at(t)
	}
	count(open_at) > 0
}

# The weekly windows alone never leave merges open.
endless_weeks if count(always_periods) > 0

endless_weeks if {
	ends_ahead := {e | some [_, e, _] in around_now; e > now; e <= now + eight_days_ns}
	count(ends_ahead) > 0
	every e in ends_ahead {
		some [s2, e2, _] in around_now
		s2 <= e
		e < e2
	}
}

endless_incident if {
	some p in active
	p.incident
	not ends(p)
}

windows_without_end := "the configuration changes (the weekly windows in rules.change_freeze.windows leave no time in the week open, so this freeze has no end)"

unfreeze := "someone runs `/guard unfreeze` in the policy repository"

# shown_until says when merges reopen, or what ends a freeze with no end.
shown_until := sprintf("%s (%s)", [lib.when(reopen, tz), tz]) if {
	reopen
} else := unfreeze if {
	not endless_weeks
} else := sprintf("%s and %s", [unfreeze, windows_without_end]) if {
	endless_incident
} else := windows_without_end

reason_text(p) := sprintf("%s (%s)", [p.reason, p.what]) if p.reason != ""

else := p.what

# Exceptions.

revert if {
	settings.allow_reverts
	regex.match(`^Revert ".+"$`, input.pull_request.title)
	count(input.pull_request.commits) > 0
	count(input.pull_request.commits) == input.pull_request.commit_count
	every c in input.pull_request.commits {
		regex.match(`This reverts commit [0-9a-f]{7,40}`, c.message)
	}
}

labelled_hotfix if settings.hotfix_label in input.pull_request.labels

hotfix_approvers := {login |
	some r in input.reviews
	r.state == "APPROVED"
	not lib.is_bot(r.author)
	login := lower(r.author.login)
	login in lib.approvers(settings.hotfix_teams, [])
	fresh(r)
}

fresh(r) if r.on_head

fresh(r) if {
	r.changes_since_known
	count(r.files_changed_since) == 0
}

hotfix if {
	labelled_hotfix
	count(settings.hotfix_teams) > 0
	count(hotfix_approvers) > 0
}

exempt if revert

exempt if hotfix

exceptions := concat("; ", [e | some e in exception_list]) if count(exception_list) > 0

else := "there are no exceptions"

exception_list := array.concat(revert_exception, hotfix_exception)

revert_exception := ["revert pull requests pass"] if settings.allow_reverts

else := []

hotfix_exception := [sprintf("an urgent fix passes with the `%s` label and an approval from %s", [settings.hotfix_label, lib.who(settings.hotfix_teams, [])])] if {
	count(settings.hotfix_teams) > 0
} else := []

hotfix_state := sprintf(" It is labelled `%s`; it passes once someone in %s other than the author approves it.", [settings.hotfix_label, lib.who(settings.hotfix_teams, [])]) if {
	labelled_hotfix
	count(settings.hotfix_teams) > 0
} else := sprintf(" It is labelled `%s`, but no hotfix team is configured (rules.change_freeze.hotfix_teams), so the label is no exception.", [settings.hotfix_label]) if {
	labelled_hotfix
} else := ""

# Findings.

deny contains msg if {
	applies
	not exempt
	some p in active
	msg := sprintf("Merges into `%s` are frozen until %s: %s. During the freeze, %s.%s", [
		base, shown_until, reason_text(p), exceptions, hotfix_state,
	])
}

warn contains msg if {
	applies
	revert
	count(active) > 0
	msg := "Passes the freeze as a revert: rolling back stays fast."
}

warn contains msg if {
	applies
	not revert
	hotfix
	count(active) > 0
	msg := sprintf("Passes the freeze as a hotfix approved by %s.", [lib.some_of(hotfix_approvers)])
}

# A heads-up before a freeze starts.
warn contains msg if {
	applies
	count(active) == 0
	some p in periods
	p.start > now
	p.start - now <= notice_ns
	msg := sprintf("Heads-up: merges into `%s` freeze at %s (%s): %s.", [base, lib.when(p.start, tz), tz, reason_text(p)])
}

# When the verdict can change without an event: a freeze starting or
# ending, merges reopening, and the heads-up before a freeze (unless
# merges are frozen then anyway). mergeguard re-evaluates open pull
# requests then. A freeze with no end adds nothing.
recheck_at contains t if {
	applies
	some t in changes
	t > now
}

changes contains p.start if some p in periods

changes contains p.end if some p in periods

changes contains reopen

changes contains t if {
	some p in periods
	t := p.start - notice_ns
	t > now
	not frozen_near_now(t)
}

frozen_near_now(t) if {
	some p in periods
	covers(p, t)
}
