# METADATA
# title: Bake time
# description: >-
#   A version reaches production only after it has run in each pre-production
#   environment for the bake time, with no failed deployment there since, as
#   GitHub's deployment history shows. A rollback to a version that ran in
#   production before passes at once. Off until promotion paths are
#   configured.
# custom:
#   severity: error
#   remedy: >-
#     Deploy the version to the environments named above and let it run there:
#     this check turns green by itself when the bake time is over. To roll
#     back, promote a version that ran in production before.
#   config:
#     timezone:
#       description: The time zone in which the check shows times (an IANA name).
#       default: UTC
#       format: timezone
#     promotion_paths:
#       description: >-
#         Files whose change promotes a version to production (globs). Empty:
#         the rule is off.
#       default: []
#       stricter: more
#       items: {type: string, format: glob}
#     promotion_patterns:
#       description: >-
#         Regular expressions that read what is promoted from the added lines
#         of the promotion files, with a named group (?P<version>…) or
#         (?P<sha>…), e.g. "image: ghcr.io/acme/shop:(?P<version>\S+)".
#       default: []
#       type: list
#       items: {type: string, format: promotion_pattern}
#     environments:
#       description: Pre-production environments (GitHub deployment environments) a version must bake in.
#       default: [staging]
#       stricter: more
#       items: {type: string}
#     min_bake_hours:
#       description: Hours a version must run in each of the environments.
#       default: 24
#       minimum: 0
#       maximum: 720
#       stricter: higher
#     production_environment:
#       description: The deployment environment whose history tells rollbacks.
#       default: production
#     allow_rollbacks:
#       description: >-
#         A version that GitHub's deployment history shows ran in production
#         before passes without bake time.
#       default: true
#       stricter: false
package mergeguard.rules.bake_time

import data.mergeguard.config
import data.mergeguard.lib

settings := config.rules.bake_time

tz := settings.timezone

now := input.time.ns

hour_ns := 3600000000000

min_bake_ns := settings.min_bake_hours * hour_ns

# What the pull request promotes. The promotion files are recognised here,
# from the configuration; mergeguard reads the version from their added
# lines (input.promotion) with the same configuration.

configured if count(settings.promotion_paths) > 0

promotion_files := lib.changed(settings.promotion_paths) if configured

else := set()

promotes if count(promotion_files) > 0

promotion := object.get(input, "promotion", {})

version := object.get(promotion, "version", "")

sha := lower(object.get(promotion, "sha", ""))

problems := object.get(promotion, "problems", [])

# target names what is promoted in messages.
target := version if version != ""

else := lib.short(sha) if sha != ""

known_target if target

skip contains "No promotion paths are configured (rules.bake_time.promotion_paths): bake time is not checked." if not configured

skip contains "Not a promotion: no file under the promotion paths changed." if {
	configured
	not promotes
}

skip contains sprintf("%s changed, but no added line names a version to promote (only removals).", [lib.file_list(promotion_files)]) if {
	promotes
	input.promotion
	count(problems) == 0
	not known_target
}

deny contains "What this pull request promotes was not read (input.promotion is missing), so its bake time cannot be checked." if {
	promotes
	not input.promotion
}

# A promotion whose version cannot be told is blocked with the reason, on
# the line it concerns.
deny contains finding if {
	promotes
	some p in problems
	finding := problem_finding(p)
}

problem_finding(p) := {"msg": p.message, "path": p.path, "line": p.line} if {
	p.path
	p.line > 0
} else := lib.located(p.message, p.path) if {
	p.path
} else := p.message

checkable if {
	promotes
	count(problems) == 0
	known_target
}

# The deployment history. mergeguard fetches it with the installation's
# Deployments: read permission; without the permission, or when GitHub did
# not answer, the rule cannot tell and fails.

deployments := object.get(input, "deployments", {})

fetched := object.get(deployments, "status", "") == "ok"

deny contains msg if {
	checkable
	deployments.status == "permission_missing"
	msg := sprintf("mergeguard cannot read the deployments of %s/%s, so it cannot tell whether %s has baked: the GitHub App lacks the Deployments: read permission. The App's owner adds it in the App's settings (Permissions & events → Repository permissions → Deployments: Read-only), and an organization owner accepts it under the organization's Settings → GitHub Apps → mergeguard → Review request.", [input.repository.owner, input.repository.name, target])
}

deny contains msg if {
	checkable
	deployments.status == "error"
	msg := sprintf("The deployments of %s could not be read (%s), so whether it has baked cannot be told; the check runs again when GitHub answers.", [target, object.get(deployments, "error", "no reason given")])
}

# That promise is kept by asking for a re-evaluation a few minutes on: a
# GitHub that failed once usually answers the next time.
retry_ns := 5 * lib.minute_ns

recheck_at contains now + retry_ns if {
	checkable
	deployments.status == "error"
}

deny contains msg if {
	checkable
	not deployments.status
	msg := sprintf("The deployments of %s were not fetched, so whether it has baked cannot be told.", [target])
}

environments := object.get(deployments, "environments", {})

# promoted(d) says that deployment d deployed what is promoted: the same
# commit, or the version as its ref.
promoted(d) if {
	sha != ""
	lower(d.sha) == sha
}

promoted(d) if {
	version != ""
	d.ref == version
}

ns(t) := time.parse_rfc3339_ns(t)

# Rollbacks: the production history shows the version ran there before.
# Only GitHub's deployment history counts, never a title or a commit
# message, which anyone can write.

earlier_production contains [ns(s.created_at), d.id] if {
	checkable
	fetched
	settings.allow_rollbacks
	some d in object.get(environments, settings.production_environment, [])
	promoted(d)
	some s in d.statuses
	s.state == "success"
	ns(s.created_at) <= now
}

rollback if count(earlier_production) > 0

warn contains msg if {
	rollback
	[first, id] := min(earlier_production)
	msg := sprintf("%s ran in %s before (deployment %d, %s): a rollback passes without bake time.", [target, settings.production_environment, id, shown(first)])
}

# The bake in each environment, from the statuses of the deployments of
# what is promoted there, oldest first as [instant, state].

statuses(env) := sort([[ns(s.created_at), s.state] |
	some d in object.get(environments, env, [])
	promoted(d)
	some s in d.statuses
])

bad_states := {"failure", "error"}

failed_after(env, t) if {
	some [t2, state] in statuses(env)
	t2 > t
	state in bad_states
}

# The bake starts at the last success with no failure or error after it:
# a failed deployment restarts the clock.
bake_start(env) := max(starts) if {
	starts := {t | some [t, "success"] in statuses(env); not failed_after(env, t)}
	count(starts) > 0
}

# A later deployment marks this one inactive: the version stopped running
# there, and its bake stops at that moment.
replaced_at(env, start) := min(ends) if {
	ends := {t | some [t, "inactive"] in statuses(env); t > start}
	count(ends) > 0
}

latest(env) := s[count(s) - 1] if {
	s := statuses(env)
	count(s) > 0
}

bake(env) := {"state": "missing"} if {
	not latest(env)
} else := {"state": "failed", "at": at, "how": how} if {
	not bake_start(env)
	[at, how] := latest(env)
	how in bad_states
} else := {"state": "pending", "how": how} if {
	not bake_start(env)
	[_, how] := latest(env)
} else := {"state": "replaced", "start": s, "end": e} if {
	s := bake_start(env)
	e := replaced_at(env, s)
	e - s < min_bake_ns
} else := {"state": "baked"} if {
	s := bake_start(env)
	replaced_at(env, s)
} else := {"state": "baked"} if {
	bake_start(env) + min_bake_ns <= now
} else := {"state": "baking", "start": s, "flip": s + min_bake_ns} if {
	s := bake_start(env)
}

bakes := {env: bake(env) | some env in settings.environments}

applies if {
	checkable
	fetched
	not rollback
}

unbaked := {env | some env, b in bakes; b.state != "baked"}

# The check turns green by itself when every environment not yet baked is
# baking: at the last of their flips.
green_at := max({bakes[env].flip | some env in unbaked}) if {
	count(unbaked) > 0
	every env in unbaked {
		bakes[env].state == "baking"
	}
}

needs := sprintf("it must run there for %s before it reaches production", [duration(min_bake_ns)])

deny contains msg if {
	applies
	some env in unbaked
	msg := message(env, bakes[env])
}

message(env, b) := sprintf("%s has not been deployed to %s: %s.", [target, env, needs]) if {
	b.state == "missing"
} else := sprintf("The latest deployment of %s to %s ended in %s at %s: %s, and the clock starts again when a deployment there succeeds.", [target, env, b.how, shown(b.at), needs]) if {
	b.state == "failed"
} else := sprintf("%s is being deployed to %s (%s): %s.", [target, env, b.how, needs]) if {
	b.state == "pending"
} else := sprintf("%s ran in %s for %s of %s before a later deployment replaced it there at %s; deploy it there again and let it bake.", [target, env, duration(b.end - b.start), duration(min_bake_ns), shown(b.end)]) if {
	b.state == "replaced"
} else := sprintf("%s has baked in %s for %s of %s; this check turns green by itself at %s.", [target, env, duration(max([now - b.start, 0])), duration(min_bake_ns), shown(green_at)]) if {
	green_at
} else := sprintf("%s has baked in %s for %s of %s; it will have baked there at %s.", [target, env, duration(max([now - b.start, 0])), duration(min_bake_ns), shown(b.flip)])

# When the verdict changes without an event: a bake completing. A
# deployment status changing is an event (deployment_status).
recheck_at contains b.flip if {
	applies
	some env in unbaked
	b := bakes[env]
	b.state == "baking"
	b.flip > now
}

shown(t) := sprintf("%s (%s)", [lib.when(t, tz), tz])

# duration shows whole hours, or minutes under an hour.
duration(d) := sprintf("%d h", [floor(d / hour_ns)]) if {
	d >= hour_ns
} else := sprintf("%d min", [floor(d / lib.minute_ns)])
