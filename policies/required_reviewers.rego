# METADATA
# title: Required reviewers
# description: >-
#   A change needs approvals from people other than its author, from the right
#   people for the paths it touches, given on the code as it is now; a request
#   for changes blocks until it is resolved.
# custom:
#   severity: error
#   remedy: >-
#     Ask someone other than the author to review the current version and
#     approve; where a path needs a particular team, ask one of the people
#     named. If someone requested changes, address them and ask that reviewer
#     to look again.
#   config:
#     approvals:
#       description: Approvals needed from people other than the author.
#       default: 1
#       minimum: 0
#       maximum: 10
#       stricter: higher
#     invalidate_on_push:
#       description: >-
#         When a later push makes an approval stop counting: always, paths (when
#         files it covers changed after it), or never.
#       default: paths
#       enum: [always, paths, never]
#     stale_ignore_paths:
#       description: Files whose later change keeps approvals counting (paths mode).
#       default: ["**/*.md", "docs/**"]
#       stricter: fewer
#       items: {type: string, format: glob}
#     requirements:
#       description: >-
#         Extra approvals for paths: a list of {paths, teams, users, approvals,
#         distinct_teams}.
#       default: []
#       type: list
#       stricter: more
#       items:
#         type: object
#         required: [paths]
#         keys:
#           paths: {type: list, items: {type: string, format: glob}}
#           teams: {type: list, items: {type: string}}
#           users: {type: list, items: {type: string}}
#           approvals: {type: integer, minimum: 0, maximum: 10}
#           distinct_teams: {type: integer, minimum: 0, maximum: 10}
#     trusted_bots:
#       description: Bot accounts whose approvals count.
#       default: []
#       stricter: fewer
#     bot_authors:
#       description: Bot authors whose pull requests need bot_author_approvals instead of approvals.
#       default: []
#       stricter: fewer
#     bot_author_approvals:
#       description: Approvals needed on pull requests by bot_authors.
#       default: 1
#       minimum: 0
#       maximum: 10
#       stricter: higher
package mergeguard.rules.required_reviewers

import data.mergeguard.config
import data.mergeguard.lib

settings := config.rules.required_reviewers

author := lib.author

# The author's pull requests are judged by bot_author_approvals when the
# author is a configured bot.
needed := settings.bot_author_approvals if {
	lib.bot(author) in {lib.bot(b) | some b in settings.bot_authors}
} else := settings.approvals

# A review can count when its author is not the pull request's author and is
# a person or a trusted bot. Each reviewer appears once: their latest
# decisive review.
eligible contains review if {
	some review in input.reviews
	lower(review.author.login) != author
	trusted(review.author)
}

trusted(actor) if not lib.is_bot(actor)

trusted(actor) if lib.bot(actor.login) in {lib.bot(b) | some b in settings.trusted_bots}

approvals contains review if {
	some review in eligible
	review.state == "APPROVED"
}

# stale(review, changes) says why an approval stopped counting, given the
# files changed after it that the approval covered; undefined while it counts.
stale(review, _) := sprintf("given on %s, and the pull request changed since (invalidate_on_push: always)", [lib.short(review.commit_sha)]) if {
	settings.invalidate_on_push == "always"
	not review.on_head
}

stale(review, _) := sprintf("given on %s, and mergeguard cannot tell what changed since (a force-push, or more changes than GitHub compares)", [lib.short(review.commit_sha)]) if {
	settings.invalidate_on_push == "paths"
	not review.on_head
	not review.changes_since_known
}

stale(review, changes) := sprintf("given on %s, before %s changed", [lib.short(review.commit_sha), lib.file_list(changes)]) if {
	settings.invalidate_on_push == "paths"
	not review.on_head
	review.changes_since_known
	count(changes) > 0
}

# Changes after an approval that matter for the pull request as a whole.
# (Rules, unlike functions, are evaluated once per evaluation: the per-file
# work below is kept in rules so that a 3000-file pull request is walked once.)
general_changes[review.author.login] := {f | some f in review.files_changed_since; not lib.matches(settings.stale_ignore_paths, f)} if {
	some review in approvals
}

counted contains lower(review.author.login) if {
	some review in approvals
	not stale(review, general_changes[review.author.login])
}

deny contains msg if {
	missing := needed - count(counted)
	missing > 0
	msg := sprintf("Needs %d more %s from someone other than the author (@%s).", [
		missing, lib.plural(missing, "approval", "approvals"), input.pull_request.author.login,
	])
}

deny contains msg if {
	some review in eligible
	review.state == "CHANGES_REQUESTED"
	msg := sprintf("@%s requested changes; that review blocks the merge until @%s approves or it is dismissed.", [review.author.login, review.author.login])
}

warn contains msg if {
	some review in approvals
	reason := stale(review, general_changes[review.author.login])
	msg := sprintf("@%s's approval no longer counts: %s.", [review.author.login, reason])
}

# Per-path requirements.

# requirement_files[i] are the changed files requirement i covers.
requirement_files[i] := lib.changed(req.paths) if some i, req in valid_requirements

# requirement_changes[i][login] are the files requirement i covers that
# changed after login's approval.
requirement_changes[i][login] := {f | some f in review.files_changed_since; lib.matches(req.paths, f)} if {
	some i, req in valid_requirements
	some review in approvals
	login := lower(review.author.login)
	allowed(req, login)
}

# requirement_approvers[i] are the people whose approvals count for
# requirement i: allowed by its teams and users (anyone but the author when
# it names none), and still fresh for its paths.
requirement_approvers[i] := {login |
	some review in approvals
	login := lower(review.author.login)
	allowed(req, login)
	not stale(review, requirement_changes[i][login])
} if {
	some i, req in valid_requirements
}

allowed(req, _) if {
	count(object.get(req, "teams", [])) + count(object.get(req, "users", [])) == 0
}

allowed(req, login) if login in lib.approvers(object.get(req, "teams", []), object.get(req, "users", []))

from_whom(req) := " from someone other than the author" if {
	count(object.get(req, "teams", [])) + count(object.get(req, "users", [])) == 0
} else := sprintf(" from %s", [lib.who(object.get(req, "teams", []), object.get(req, "users", []))])

# can_approve(i, req) names people who could still give a missing approval.
can_approve(i, req) := "" if {
	count(still_can(i, req)) == 0
} else := sprintf(" (can approve: %s)", [lib.some_of(still_can(i, req))])

still_can(i, req) := lib.approvers(object.get(req, "teams", []), object.get(req, "users", [])) - requirement_approvers[i]

deny contains lib.located(msg, path) if {
	some i, req in valid_requirements
	files := requirement_files[i]
	count(files) > 0
	need := object.get(req, "approvals", 1)
	missing := need - count(requirement_approvers[i])
	missing > 0
	path := sort(files)[0]
	msg := sprintf("Needs %d more %s%s for %s%s.", [
		missing, lib.plural(missing, "approval", "approvals"), from_whom(req), lib.file_list(files), can_approve(i, req),
	])
}

deny contains lib.located(msg, path) if {
	some i, req in valid_requirements
	want := object.get(req, "distinct_teams", 0)
	want > 0
	files := requirement_files[i]
	count(files) > 0
	have := lib.distinct_teams(requirement_approvers[i], req.teams)
	have < want
	path := sort(files)[0]
	msg := sprintf("Needs approvals from %d different teams (of %s) for %s; the approvals so far represent %d%s.", [
		want, concat(", ", [lib.team_name(t) | some t in req.teams]), lib.file_list(files), have, can_approve(i, req),
	])
}

# An approval that still counts in general but no longer for a requirement
# says why, so that the missing approval is not a mystery.
warn contains msg if {
	some i, req in valid_requirements
	count(requirement_files[i]) > 0
	some review in approvals
	login := lower(review.author.login)
	not stale(review, general_changes[review.author.login])
	reason := stale(review, requirement_changes[i][login])
	msg := sprintf("@%s's approval no longer counts for %s: %s.", [review.author.login, concat(", ", [sprintf("`%s`", [p]) | some p in req.paths]), reason])
}

# A pull request larger than GitHub lists cannot be checked against the
# path requirements: the files it hides might need them.
deny contains msg if {
	input.files_truncated
	count(valid_requirements) > 0
	msg := "This pull request changes more files than GitHub lists (3000), so mergeguard cannot tell which of the path requirements (rules.required_reviewers.requirements) apply; split it into smaller pull requests."
}

# A team the App cannot see makes a requirement impossible to check: block
# when the requirement applies, warn otherwise, so the typo gets fixed.
deny contains msg if {
	some i, req in valid_requirements
	count(requirement_files[i]) > 0
	some team in object.get(req, "teams", [])
	reason := lib.team_unknown(team)
	msg := sprintf("Configuration: %s (rules.required_reviewers.requirements).", [reason])
}

warn contains msg if {
	some i, req in valid_requirements
	count(requirement_files[i]) == 0
	some team in object.get(req, "teams", [])
	reason := lib.team_unknown(team)
	msg := sprintf("Configuration: %s (rules.required_reviewers.requirements).", [reason])
}

# The shape of requirements is checked when the configuration is loaded;
# what a shape cannot say is checked here. A requirement with problems
# blocks with a message naming each, rather than being skipped.

valid_requirements[i] := req if {
	some i, req in settings.requirements
	count(requirement_problems[i]) == 0
}

requirement_problems[i] := {problem | some problem in problems_of(req)} if some i, req in settings.requirements

deny contains msg if {
	some i, problems in requirement_problems
	some problem in problems
	msg := sprintf("Configuration: rules.required_reviewers.requirements[%d] %s; fix it in mergeguard/config.yaml.", [i, problem])
}

problems_of(req) := {"must be a mapping with paths, and teams, users, approvals or distinct_teams"} if {
	not is_object(req)
} else := {problem |
	some check in shape_checks
	problem := check_requirement(check, req)
}

shape_checks := ["paths", "paths_empty", "teams", "users", "approvals", "distinct_teams", "too_many_teams", "unknown"]

check_requirement("paths", req) := "needs paths: a list of globs" if not strings_list(object.get(req, "paths", null))

check_requirement("paths_empty", req) := "paths must not be empty" if {
	strings_list(object.get(req, "paths", null))
	count(req.paths) == 0
}

check_requirement("teams", req) := "teams must be a list of names" if not strings_list(object.get(req, "teams", []))

check_requirement("users", req) := "users must be a list of names" if not strings_list(object.get(req, "users", []))

check_requirement("approvals", req) := "approvals must be a whole number from 0 to 10" if not small_count(object.get(req, "approvals", 0))

check_requirement("distinct_teams", req) := msg if {
	want := object.get(req, "distinct_teams", 0)
	not small_count(want)
	msg := "distinct_teams must be a whole number from 0 to 10"
} else := msg if {
	want := object.get(req, "distinct_teams", 0)
	strings_list(object.get(req, "teams", []))
	teams := {lib.team_slug(t) | some t in object.get(req, "teams", [])}
	want > count(teams)
	msg := sprintf("distinct_teams is %d, but it names %d different %s", [want, count(teams), lib.plural(count(teams), "team", "teams")])
}

check_requirement("too_many_teams", req) := "with distinct_teams, name at most 10 teams" if {
	object.get(req, "distinct_teams", 0) != 0
	strings_list(object.get(req, "teams", []))
	count({lib.team_slug(t) | some t in req.teams}) > 10
}

check_requirement("unknown", req) := sprintf("has unknown settings %v", [sort(unknown)]) if {
	unknown := object.keys(req) - {"paths", "teams", "users", "approvals", "distinct_teams"}
	count(unknown) > 0
}

strings_list(value) if {
	is_array(value)
	every v in value {
		is_string(v)
	}
}

small_count(n) if {
	is_number(n)
	n == floor(n)
	n >= 0
	n <= 10
}
