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

# Far enough in the future to stand for "until someone ends it".
open_end := now + (3650 * lib.day_ns)

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

# The freeze periods near now, as {start, end, reason, what}.

periods contains {"start": s, "end": e, "reason": object.get(w, "reason", ""), "what": sprintf("every %s → %s", [w.start, w.end])} if {
	some w in settings.windows
	some [s, e] in lib.weekly_occurrences(w.start, w.end, tz, now)
}

periods contains {"start": s, "end": e, "reason": object.get(d, "reason", ""), "what": sprintf("%s → %s", [d.start, d.end])} if {
	some d in settings.dates
	s := lib.date_start(d.start, tz)
	e := lib.date_end(d.end, tz)
	e > s
}

periods contains {"start": f.starts_ns, "end": incident_end(f), "reason": f.reason, "what": incident_what(f), "incident": true} if {
	some f in input.freezes
	incident_scope(f)
}

incident_end(f) := f.ends_ns if f.ends_ns > 0

incident_end(f) := open_end if f.ends_ns == 0

incident_scope(f) if count(f.repositories) == 0

incident_scope(f) if lower(input.repository.name) in {lower(r) | some r in f.repositories}

incident_what(f) := sprintf("incident freeze started by @%s at %s", [f.created_by, lib.when(f.starts_ns, tz)])

active contains p if {
	some p in periods
	p.start <= now
	now < p.end
}

# until(p) is when merges reopen: p's end, extended by periods that overlap
# or follow it without a gap (a weekend that runs into a holiday).
until(p) := extend(extend(extend(extend(p.end))))

extend(t) := max({t} | {q.end | some q in periods; q.start <= t; q.end > t})

shown_until(p) := "someone runs `/guard unfreeze` in the policy repository" if {
	until(p) >= open_end
} else := sprintf("%s (%s)", [lib.when(until(p), tz), tz])

reason_text(p) := sprintf("%s (%s)", [p.reason, p.what]) if p.reason != "" else := p.what

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

exceptions := concat("; ", [e | some e in exception_list]) if count(exception_list) > 0 else := "there are no exceptions"

exception_list := array.concat(revert_exception, hotfix_exception)

revert_exception := ["revert pull requests pass"] if settings.allow_reverts else := []

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
		base, shown_until(p), reason_text(p), exceptions, hotfix_state,
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
	p.start - now <= settings.notice_hours * 3600000000000
	msg := sprintf("Heads-up: merges into `%s` freeze at %s (%s): %s.", [base, lib.when(p.start, tz), tz, reason_text(p)])
}

# When the verdict can change without an event: a freeze starting or ending,
# and the heads-up before one. mergeguard re-evaluates open pull requests
# then.
recheck_at contains t if {
	applies
	some p in periods
	some t in [p.start, p.end, p.start - (settings.notice_hours * 3600000000000)]
	t > now
	t < open_end
}
