# METADATA
# title: Production access
# description: >-
#   No one changes production alone: a change to production paths needs a
#   fresh approval from a member of the production-access team other than the
#   author, and a change to the files that configure mergeguard and code
#   ownership needs one from the platform team.
# custom:
#   severity: error
#   locked: true
#   remedy: >-
#     Ask a member of the team named above (not the author, and not someone who
#     pushed commits to this pull request) to review the current version of
#     the files listed and approve. If the change does not need to touch them,
#     move it into a separate pull request.
#   config:
#     paths:
#       description: Production paths (globs).
#       default:
#         - "deploy/{prod,production}/**"
#         - "deploy/{prod,production}.*"
#         - "k8s/**/{prod,production}{,-*,_*}/**"
#         - "k8s/**/{prod,production}{,-*,_*}.{yaml,yml}"
#         - "helm/**/values-{prod,production}*.{yaml,yml}"
#         - "terraform/**/{prod,production}{,-*,_*}/**"
#         - "**/{prod,production}{,-*,_*}.tfvars"
#         - "**/{prod,production}{,-*,_*}/**/*.tfvars"
#         - ".github/workflows/*deploy*"
#       stricter: more
#       items: {type: string, format: glob}
#     teams:
#       description: >-
#         Teams whose members may approve production changes. Empty: anyone but
#         the author may, and the check warns until teams are configured.
#       default: []
#       type: list
#     approvals:
#       description: Approvals from those teams needed on production changes.
#       default: 1
#       minimum: 1
#       maximum: 10
#       stricter: higher
#     author_must_be_member:
#       description: Only members of the teams may author production changes.
#       default: false
#       stricter: true
#     guard_paths:
#       description: Files that decide who reviews and what is enforced (globs).
#       default:
#         - "CODEOWNERS"
#         - ".github/CODEOWNERS"
#         - "docs/CODEOWNERS"
#         - ".github/workflows/**"
#         - ".github/actions/**"
#         - ".github/mergeguard.yaml"
#       stricter: more
#       items: {type: string, format: glob}
#     guard_teams:
#       description: >-
#         Teams whose members may approve changes to guard_paths (the platform or
#         security team). Empty: anyone but the author may, with a warning.
#       default: []
#       type: list
#     guard_approvals:
#       description: Approvals from guard_teams needed on changes to guard_paths.
#       default: 1
#       minimum: 1
#       maximum: 10
#       stricter: higher
package mergeguard.rules.production_access

import data.mergeguard.config
import data.mergeguard.lib

settings := config.rules.production_access

# The two protections, as data: what they cover, who approves, how many.
protections := [
	{
		"name": "production paths",
		"setting": "teams",
		"files": lib.changed(settings.paths),
		"teams": settings.teams,
		"approvals": settings.approvals,
	},
	{
		"name": "files that control reviews and checks",
		"setting": "guard_teams",
		"files": lib.changed(settings.guard_paths),
		"teams": settings.guard_teams,
		"approvals": settings.guard_approvals,
	},
]

active contains p if {
	some p in protections
	count(p.files) > 0
}

skip contains "No production or protected configuration files changed." if {
	count(active) == 0
	not input.files_truncated
}

# approved_fresh(p) are the people, other than the author and never a bot,
# who approved a version after which none of p's files changed. An approval
# from before a force-push is not known to be fresh and does not count.
approved_fresh(p) := {login |
	some review in input.reviews
	review.state == "APPROVED"
	not lib.is_bot(review.author)
	login := lower(review.author.login)
	login != lib.author
	not login in pushers
	fresh(review, p.files)
}

# pushers are the people, other than the author, who authored or committed
# commits of this pull request. Their approval is not a second person's: they
# changed the code themselves.
pushers := {lower(name) |
	some c in input.pull_request.commits
	some name in [c.author, c.committer]
	name != ""
	lower(name) != lib.author
	lower(name) != "web-flow" # GitHub's committer for changes made in its web interface
}

fresh(review, _) if review.on_head

fresh(review, files) if {
	not review.on_head
	review.changes_since_known
	count({f | some f in review.files_changed_since; f in files}) == 0
}

# counted(p) are the fresh approvals that count for p: from members of its
# teams, or from anyone when it names none.
counted(p) := approved_fresh(p) if {
	count(p.teams) == 0
} else := approved_fresh(p) & lib.approvers(p.teams, [])

deny contains lib.located(msg, sort(p.files)[0]) if {
	some p in active
	missing := p.approvals - count(counted(p))
	missing > 0
	msg := sprintf("Changes %s (%s) and needs %d more %s from %s%s.%s", [
		p.name, lib.file_list(p.files), missing, lib.plural(missing, "approval", "approvals"),
		approver_phrase(p), can_approve(p), own_membership(p),
	])
}

approver_phrase(p) := "someone other than the author" if {
	count(p.teams) == 0
} else := sprintf("%s, other than the author", [lib.who(p.teams, [])])

can_approve(p) := "" if {
	count(p.teams) == 0
} else := "" if {
	count(lib.approvers(p.teams, [])) == 0
} else := sprintf(" (can approve: %s)", [lib.some_of(lib.approvers(p.teams, []))])

# The two-person rule, said plainly when the author might expect their own
# membership to be enough.
own_membership(p) := sprintf(" The author's own membership does not count: %s.", [second_person[p.setting]]) if {
	count(p.teams) > 0
	some t in p.teams
	lib.author in lib.members(t)
} else := ""

second_person := {"teams": "production needs a second person", "guard_teams": "these files need a second person"}

# Approvals that would count but for a later change to the protected files.
warn contains msg if {
	some p in active
	some review in input.reviews
	review.state == "APPROVED"
	not lib.is_bot(review.author)
	login := lower(review.author.login)
	login != lib.author
	not fresh(review, p.files)
	not login in pushers
	may_approve(p, login)
	msg := sprintf("@%s's approval does not count for %s: %s.", [review.author.login, p.name, staleness(review, p.files)])
}

warn contains msg if {
	some p in active
	some review in input.reviews
	review.state == "APPROVED"
	login := lower(review.author.login)
	login in pushers
	may_approve(p, login)
	msg := sprintf("@%s's approval does not count for %s: @%s pushed commits to this pull request, so it needs another person's approval.", [review.author.login, p.name, review.author.login])
}

# A pull request larger than GitHub lists might hide a production file.
deny contains msg if {
	input.files_truncated
	msg := "This pull request changes more files than GitHub lists (3000), so mergeguard cannot tell whether it touches production paths or guarded files; split it into smaller pull requests."
}

may_approve(p, _) if count(p.teams) == 0

may_approve(p, login) if login in lib.approvers(p.teams, [])

staleness(review, files) := sprintf("given on %s, and mergeguard cannot tell what changed since (a force-push, or more changes than GitHub compares)", [lib.short(review.commit_sha)]) if {
	not review.changes_since_known
} else := sprintf("given on %s, before %s changed", [
	lib.short(review.commit_sha),
	lib.file_list({f | some f in review.files_changed_since; f in files}),
])

# Optionally only team members may author production changes.
deny contains lib.located(msg, sort(p.files)[0]) if {
	settings.author_must_be_member
	some p in active
	p.setting == "teams"
	count(p.teams) > 0
	every t in p.teams {
		not lib.author in lib.members(t)
	}
	msg := sprintf("Changes production paths (%s), which only members of %s may author (author_must_be_member); @%s is not a member.", [
		lib.file_list(p.files), lib.who(p.teams, []), input.pull_request.author.login,
	])
}

deny contains msg if {
	settings.author_must_be_member
	count(settings.teams) == 0
	msg := "Configuration: rules.production_access.author_must_be_member needs teams; set rules.production_access.teams in mergeguard/config.yaml."
}

# A team the App cannot see makes the protection impossible to check: block
# when it applies, warn otherwise so the typo is found before it matters.
deny contains msg if {
	some p in active
	some team in p.teams
	reason := lib.team_unknown(team)
	msg := sprintf("Configuration: %s (rules.production_access.%s).", [reason, p.setting])
}

warn contains msg if {
	some p in protections
	count(p.files) == 0
	some team in p.teams
	reason := lib.team_unknown(team)
	msg := sprintf("Configuration: %s (rules.production_access.%s).", [reason, p.setting])
}

warn contains msg if {
	some p in active
	count(p.teams) == 0
	msg := sprintf("Configuration: no team is set for %s, so any approval but the author's counts; name the team in rules.production_access.%s.", [p.name, p.setting])
}
