# METADATA
# title: Code owners
# description: >-
#   Every changed file that the repository's CODEOWNERS file gives owners
#   needs an approval from one of them, other than the author, given on a
#   version of those files that still counts.
# custom:
#   severity: error
#   remedy: >-
#     Ask one of the owners named for the files listed to review the current
#     version and approve. If the owners are wrong, fix CODEOWNERS on the base
#     branch first; if the pull request changes CODEOWNERS, fix the lines
#     marked in it.
#   config:
#     enforce:
#       description: >-
#         Off by default: true makes changed files with owners in CODEOWNERS
#         need their approval.
#       default: false
#       stricter: true
#     approvals:
#       description: >-
#         Approvals needed from the owners of each group of files with the
#         same owners (one person counts once, however many owning teams they
#         are in).
#       default: 1
#       minimum: 1
#       maximum: 10
#       stricter: higher
#     invalidate_on_push:
#       description: >-
#         When a later push makes an owner's approval stop counting: always,
#         paths (when files of the owners changed after it), or never.
#       default: paths
#       enum: [always, paths, never]
#     distinct_teams:
#       description: >-
#         Paths whose files need approvals from several different owning
#         teams: a list of {paths, teams}, teams being how many.
#       default: []
#       type: list
#       stricter: more
#       items:
#         type: object
#         required: [paths, teams]
#         keys:
#           paths: {type: list, items: {type: string, format: glob}}
#           teams: {type: integer, minimum: 1, maximum: 10}
#     exempt_paths:
#       description: Files that need no code owner's approval (globs).
#       default: []
#       stricter: fewer
#       items: {type: string, format: glob}
#     bot_authors:
#       description: >-
#         Bots (e.g. dependabot, renovate) whose pull requests are judged by
#         bot_authors_need_owners.
#       default: []
#       stricter: fewer
#     bot_authors_need_owners:
#       description: >-
#         Whether pull requests by bot_authors need the owners' approvals too
#         (false: they are exempt from this rule; required_reviewers still
#         applies).
#       default: true
#       stricter: true
#     request_reviews:
#       description: >-
#         Whether mergeguard requests reviews from the owning teams and
#         users whose approval is still missing, once per head commit
#         (never from the author, nor anyone already requested or who
#         approved). Off by default.
#       default: false
package mergeguard.rules.code_owners

import data.mergeguard.config
import data.mergeguard.lib

settings := config.rules.code_owners

codeowners := object.get(input.pull_request, "codeowners", null)

skip contains "Off: set rules.code_owners.enforce to true to require code owners' approvals." if not settings.enforce

skip contains "The repository has no CODEOWNERS file on the base branch." if {
	settings.enforce
	not has_file
}

# has_file: a CODEOWNERS file decides the owners, or this pull request adds
# or changes one.
has_file if object.get(codeowners, "path", "") != ""

has_file if head_file

skip contains sprintf("Pull requests by @%s do not need code owners' approvals (rules.code_owners.bot_authors_need_owners: false).", [input.pull_request.author.login]) if {
	settings.enforce
	bot_exempt
}

bot_exempt if {
	not settings.bot_authors_need_owners
	lib.bot(lib.author) in {lib.bot(b) | some b in settings.bot_authors}
}

# active: the rule is on, and applies to this pull request.
active if {
	settings.enforce
	has_file
	not bot_exempt
}

exempt := set() if {
	count(settings.exempt_paths) == 0
} else := lib.changed(settings.exempt_paths)

# groups[key]: the changed files that have the same owners, as the facts
# group them (input.pull_request.codeowners.groups; a renamed file is there
# under its old path too, so that moving a file out of an owned folder needs
# its owners), less the exempt files: one approval from the owners of a group
# covers all its files, whichever lines named them. The facts group in Go so
# that the rule works per group and per line of CODEOWNERS (a few hundred),
# not per file; tables built per file made up most of its time.
input_groups := codeowners.groups if is_array(codeowners.groups)

else := []

groups := {g.key: {"owners": g.owners, "files": files, "patterns": patterns, "lines": lines} |
	some g in input_groups
	lines := [{"line": l.line, "pattern": l.pattern, "files": {p | some p in l.files} - exempt} | some l in g.lines]
	files := union({l.files | some l in lines})
	count(files) > 0
	patterns := {l.pattern | some l in lines; count(l.files) > 0}
}

team_owner(o) if contains(o, "/")

email_owner(o) if {
	not startswith(o, "@")
	contains(o, "@")
}

user_owner(o) if {
	startswith(o, "@")
	not contains(o, "/")
}

# can_approve[key]: who may give the group's approvals — the owning users
# and the members of the owning teams, never the author. An email address
# cannot be matched to a reviewer.
can_approve := {key: owners_who_can(g) | some key, g in groups}

owners_who_can(g) := ({lib.login(o) | some o in g.owners; user_owner(o)} | {m | some o in g.owners; team_owner(o); some m in lib.members(o)}) - {lib.author}

# Reviews that can count: not the author's, not a bot's; each reviewer's
# latest decisive review, as the input gives them.
approvals contains review if {
	some review in input.reviews
	review.state == "APPROVED"
	lower(review.author.login) != lib.author
	not lib.is_bot(review.author)
}

# approval_of[login] is login's approval, and changed_since[login] the
# files changed after it, as a set: built once per approval, so that each
# group only intersects sets.
approval_of := {lower(review.author.login): review | some review in approvals}

changed_since := {login: {f | some f in review.files_changed_since} | some login, review in approval_of}

# stale(review, changes) says why an approval stopped counting for files,
# given those of them changed after it; undefined while it counts (the
# semantics of required_reviewers).
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

approvers := object.keys(approval_of)

# stale_for[key][login]: why login's approval no longer counts for the
# group, for the owners who approved.
stale_for[key][login] := reason if {
	some key, g in groups
	some login in (can_approve[key] & approvers)
	reason := stale(approval_of[login], changed_since[login] & g.files)
}

# counted[key]: the owners whose approvals count for the group.
counted := {key: {login | some login in (can_approve[key] & approvers); not stale_for[key][login]} | some key, _ in groups}

# located is lib.located with the files looked up in an object built once:
# lib.located walks every file for each finding, and this rule can have a
# finding for each of hundreds of owner groups.
files_by_path := {f.path: f | some f in input.files}

located(msg, path) := {"msg": msg, "path": path, "line": min(lines)} if {
	lines := {l.line | some l in object.get(files_by_path, [path, "added_lines"], [])}
	count(lines) > 0
} else := {"msg": msg, "path": path, "line": min(starts)} if {
	starts := {h.new_start | some h in object.get(files_by_path, [path, "hunks"], []); h.new_start > 0}
	count(starts) > 0
} else := {"msg": msg, "path": path}

owners_text(owners) := concat(" or ", owners)

patterns_text(patterns) := concat(", ", [sprintf("`%s`", [p]) | some p in sort(patterns)])

files_text(files) := sprintf("%d %s", [count(files), lib.plural(count(files), "file", "files")])

ask(key) := sprintf(": ask %s", [lib.some_of(still)]) if {
	still := can_approve[key] - counted[key]
	count(still) > 0
} else := ", and no one but the author can give it: name another owner in CODEOWNERS" if {
	count(can_approve[key]) == 0
} else := ", and everyone who can has approved"

deny contains located(msg, sort(g.files)[0]) if {
	active
	some key, g in groups
	missing := settings.approvals - count(counted[key])
	missing > 0
	what := lib.plural(missing, "an approval", sprintf("%d more approvals", [missing]))
	msg := sprintf("Needs %s from %s for %s (%s)%s.", [what, owners_text(g.owners), files_text(g.files), patterns_text(g.patterns), ask(key)])
}

warn contains msg if {
	active
	some key, g in groups
	some login, reason in stale_for[key]
	msg := sprintf("@%s's approval no longer counts for %s (%s): %s.", [approval_of[login].author.login, owners_text(g.owners), patterns_text(g.patterns), reason])
}

# request_reviewers: the owners of the groups still missing approvals,
# for mergeguard to request reviews from (request_reviews: true). Other
# organizations' teams cannot be requested here; the evaluator leaves out
# the author and whoever is already requested or approved.
request_reviewers contains o if {
	active
	settings.request_reviews
	some key, g in groups
	settings.approvals > count(counted[key])
	some o in g.owners
	requestable(o)
}

requestable(o) if {
	team_owner(o)
	startswith(o, "@")
	not lib.foreign(o)
}

requestable(o) if {
	user_owner(o)
	lib.login(o) != lib.author
}

# distinct_teams: files under the configured paths need approvals that
# represent that many of their owning teams, each person standing for one
# team, from people whose approval still counts for all of those files.

distinct_files := {i: {path | some g in groups; some path in g.files; glob.match(pat, ["/"], path)} |
	some i, req in settings.distinct_teams
	pat := lib.any_of(req.paths)
}

distinct_owning_teams := {i: {o |
	some g in groups
	count(g.files & files) > 0
	some o in g.owners
	team_owner(o)
	not lib.foreign(o)
} |
	some i, files in distinct_files
}

# distinct_patterns(files): the patterns of the lines that own files.
distinct_patterns(files) := {l.pattern | some g in groups; some l in g.lines; count(l.files & files) > 0}

distinct_fresh := {i: {login |
	some login, review in approval_of
	not stale(review, changed_since[login] & files)
} |
	some i, files in distinct_files
}

deny contains located(msg, sort(files)[0]) if {
	active
	some i, req in settings.distinct_teams
	files := distinct_files[i]
	count(files) > 0
	teams := distinct_owning_teams[i]
	count(teams) <= 10
	have := lib.distinct_teams(distinct_fresh[i] - {lib.author}, teams)
	have < req.teams
	msg := sprintf("Needs approvals from %d different owning teams (of %s) for %s (%s); the approvals so far represent %d.", [
		req.teams, concat(", ", sort(teams)), files_text(files), patterns_text(distinct_patterns(files)), have,
	])
}

deny contains msg if {
	active
	some i, req in settings.distinct_teams
	count(distinct_owning_teams[i]) > 10
	msg := sprintf("Configuration: rules.code_owners.distinct_teams[%d] covers files owned by %d teams; mergeguard counts distinct teams among at most 10, so narrow its paths.", [i, count(distinct_owning_teams[i])])
}

# Owners mergeguard cannot check, for files that need them.
warn contains msg if {
	active
	some g in groups
	some o in g.owners
	team_owner(o)
	reason := lib.team_unknown(o)
	msg := sprintf("CODEOWNERS owner %s of %s: %s.", [o, patterns_text(g.patterns), reason])
}

warn contains msg if {
	active
	some g in groups
	some o in g.owners
	email_owner(o)
	msg := sprintf("CODEOWNERS owner %s of %s is an email address, which mergeguard cannot match to a reviewer; name the owner as @login.", [o, patterns_text(g.patterns)])
}

deny contains "This pull request changes more files than GitHub lists (3000), so mergeguard cannot tell which code owners must approve the files it hides; split it into smaller pull requests." if {
	active
	input.files_truncated
}

# CODEOWNERS problems. A line GitHub cannot read is skipped, and its files
# fall to an earlier line: the base branch's problems are warnings (they are
# not this pull request's doing); a pull request that changes CODEOWNERS
# must leave it readable, so the new file's problems block, on their line.

head_file := input.pull_request.codeowners.head if is_object(input.pull_request.codeowners.head)

# A problem GitHub's own check of the file reported (github: true; an owner
# that does not exist or may not own files) is said to come from there;
# GitHub's documentation does not say it skips such a line.
problem_text(path, p) := sprintf("%s:%d: %s (GitHub's check of the file)", [path, p.line, p.message]) if {
	p.line > 0
	p.github
} else := sprintf("%s:%d: %s; GitHub skips this line", [path, p.line, p.message]) if p.line > 0

else := sprintf("%s: %s", [path, p.message])

warn contains msg if {
	active
	not head_file
	some p in codeowners.problems
	msg := sprintf("CODEOWNERS on the base branch: %s.", [problem_text(codeowners.path, p)])
}

deny contains finding if {
	active
	some p in head_file.problems
	msg := sprintf("This pull request leaves a problem in CODEOWNERS: %s.", [problem_text(head_file.path, p)])
	finding := head_finding(msg, p)
}

head_finding(msg, p) := {"msg": msg, "path": head_file.path, "line": p.line} if p.line > 0

else := {"msg": msg, "path": head_file.path}
