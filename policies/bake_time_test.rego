package mergeguard.rules.bake_time_test

import data.mergeguard.rules.bake_time as bt

# The configuration mergeguard passes when nothing is configured (the
# defaults in the rule's METADATA; a Go test keeps them equal).
defaults := {
	"timezone": "UTC",
	"promotion_paths": [],
	"promotion_patterns": [],
	"environments": ["staging"],
	"min_bake_hours": 24,
	"production_environment": "production",
	"allow_rollbacks": true,
}

cfg(overrides) := {"rules": {"bake_time": object.union(defaults, overrides)}}

# on is the rule switched on for deploy/production/** in Berlin time.
on := cfg({
	"timezone": "Europe/Berlin",
	"promotion_paths": ["deploy/production/**"],
	"promotion_patterns": [`image: ghcr\.io/acme/shop:(?P<version>\S+)`],
})

ns(t) := time.parse_rfc3339_ns(t)

sha := "0123456789abcdef0123456789abcdef01234567"

old_sha := "fedcba9876543210fedcba9876543210fedcba98"

promotion_file := {"path": "deploy/production/shop.yaml", "added_lines": [{"line": 7, "text": "image: ghcr.io/acme/shop:v1.42.0"}]}

promotes_v142 := {"files": ["deploy/production/shop.yaml"], "version": "v1.42.0", "sha": "", "matches": [{"path": "deploy/production/shop.yaml", "line": 7, "version": "v1.42.0"}], "problems": []}

# deployment(id, ref, commit, statuses) is one deployment as GitHub lists
# it, with its statuses as [state, time].
deployment(id, ref, commit, sts) := {
	"id": id, "sha": commit, "ref": ref, "created_at": sts[0][1],
	"statuses": [{"state": s, "created_at": t} | some [s, t] in sts],
}

staging_success(at) := deployment(1, "v1.42.0", sha, [["success", at]])

# doc(at, envs) is a promotion of v1.42.0 evaluated at instant at, with
# the deployments of each environment.
doc(at, envs) := {
	"time": {"ns": ns(at)},
	"pull_request": {"title": "Promote shop v1.42.0", "labels": [], "author": {"login": "dev", "type": "User"}},
	"repository": {"owner": "acme", "name": "shop", "default_branch": "main"},
	"files": [promotion_file],
	"promotion": promotes_v142,
	"deployments": {"status": "ok", "environments": envs},
}

passes(at, envs, c) if {
	count(bt.deny) == 0 with input as doc(at, envs) with data.mergeguard.config as c
}

denials(at, envs, c) := d if {
	d := bt.deny with input as doc(at, envs) with data.mergeguard.config as c
}

# Off by default, and a pull request that is no promotion.

test_off_by_default if {
	bt.skip == {"No promotion paths are configured (rules.bake_time.promotion_paths): bake time is not checked."} with input as doc("2026-12-08T10:00:00Z", {})
		with data.mergeguard.config as cfg({})
	count(bt.deny) == 0 with input as doc("2026-12-08T10:00:00Z", {}) with data.mergeguard.config as cfg({})
}

test_not_a_promotion if {
	d := object.union(doc("2026-12-08T10:00:00Z", {}), {"files": [{"path": "src/main.go"}]})
	bt.skip == {"Not a promotion: no file under the promotion paths changed."} with input as d with data.mergeguard.config as on
	count(bt.deny) == 0 with input as d with data.mergeguard.config as on
}

# The bake arithmetic.

test_not_yet_baked_says_when_it_turns_green if {
	# Success on Monday 7 Dec at 13:00 UTC (14:00 in Berlin): 3 hours later,
	# 21 to go; green on Tuesday at 14:00 Berlin time.
	envs := {"staging": [staging_success("2026-12-07T13:00:00Z")]}
	denials("2026-12-07T16:00:00Z", envs, on) == {"v1.42.0 has baked in staging for 3 h of 24 h; this check turns green by itself at Tue 8 Dec 2026 14:00 CET (Europe/Berlin)."}
	bt.recheck_at == {ns("2026-12-08T13:00:00Z")} with input as doc("2026-12-07T16:00:00Z", envs) with data.mergeguard.config as on
}

test_under_an_hour_shows_minutes if {
	envs := {"staging": [staging_success("2026-12-07T13:00:00Z")]}
	denials("2026-12-07T13:40:00Z", envs, on) == {"v1.42.0 has baked in staging for 40 min of 24 h; this check turns green by itself at Tue 8 Dec 2026 14:00 CET (Europe/Berlin)."}
}

test_baked_at_exactly_the_bake_time if {
	envs := {"staging": [staging_success("2026-12-07T13:00:00Z")]}
	not passes("2026-12-08T12:59:59Z", envs, on)
	passes("2026-12-08T13:00:00Z", envs, on)
	count(bt.recheck_at) == 0 with input as doc("2026-12-08T13:00:00Z", envs) with data.mergeguard.config as on
}

test_not_deployed if {
	denials("2026-12-08T10:00:00Z", {"staging": []}, on) == {"v1.42.0 has not been deployed to staging: it must run there for 24 h before it reaches production."}

	# Another version's deployment is no evidence.
	other := {"staging": [deployment(2, "v1.41.0", old_sha, [["success", "2026-12-01T10:00:00Z"]])]}
	denials("2026-12-08T10:00:00Z", other, on) == {"v1.42.0 has not been deployed to staging: it must run there for 24 h before it reaches production."}
	count(bt.recheck_at) == 0 with input as doc("2026-12-08T10:00:00Z", other) with data.mergeguard.config as on
}

test_being_deployed if {
	envs := {"staging": [deployment(1, "v1.42.0", sha, [["queued", "2026-12-07T10:00:00Z"], ["in_progress", "2026-12-07T10:01:00Z"]])]}
	denials("2026-12-07T10:05:00Z", envs, on) == {"v1.42.0 is being deployed to staging (in_progress): it must run there for 24 h before it reaches production."}
}

test_failure_after_success_restarts_the_clock if {
	failed := {"staging": [deployment(1, "v1.42.0", sha, [
		["success", "2026-12-05T10:00:00Z"],
		["failure", "2026-12-06T10:00:00Z"],
	])]}
	denials("2026-12-08T10:00:00Z", failed, on) == {"The latest deployment of v1.42.0 to staging ended in failure at Sun 6 Dec 2026 11:00 CET (Europe/Berlin): it must run there for 24 h before it reaches production, and the clock starts again when a deployment there succeeds."}

	# Deployed again successfully: the bake counts from the new success, not
	# from the first one three days ago.
	redeployed := {"staging": [
		deployment(1, "v1.42.0", sha, [["success", "2026-12-05T10:00:00Z"], ["error", "2026-12-06T10:00:00Z"]]),
		deployment(2, "v1.42.0", sha, [["success", "2026-12-07T22:00:00Z"]]),
	]}
	denials("2026-12-08T10:00:00Z", redeployed, on) == {"v1.42.0 has baked in staging for 12 h of 24 h; this check turns green by itself at Tue 8 Dec 2026 23:00 CET (Europe/Berlin)."}
	passes("2026-12-08T22:00:00Z", redeployed, on)
}

test_replaced_before_baking_does_not_flip if {
	envs := {"staging": [deployment(1, "v1.42.0", sha, [["success", "2026-12-07T10:00:00Z"], ["inactive", "2026-12-07T15:00:00Z"]])]}
	denials("2026-12-08T12:00:00Z", envs, on) == {"v1.42.0 ran in staging for 5 h of 24 h before a later deployment replaced it there at Mon 7 Dec 2026 16:00 CET (Europe/Berlin); deploy it there again and let it bake."}
	count(bt.recheck_at) == 0 with input as doc("2026-12-08T12:00:00Z", envs) with data.mergeguard.config as on
}

test_replaced_after_baking_stays_baked if {
	envs := {"staging": [deployment(1, "v1.42.0", sha, [["success", "2026-12-05T10:00:00Z"], ["inactive", "2026-12-07T15:00:00Z"]])]}
	passes("2026-12-08T12:00:00Z", envs, on)
}

test_matches_the_promoted_commit if {
	c := object.union(doc("2026-12-08T12:00:00Z", {}), {"promotion": object.union(promotes_v142, {"version": "", "sha": upper(sha)})})
	envs := {"staging": [deployment(1, "main", sha, [["success", "2026-12-07T10:00:00Z"]])]}
	count(bt.deny) == 0 with input as object.union(c, {"deployments": {"status": "ok", "environments": envs}})
		with data.mergeguard.config as on
	bt.deny == {"0123456 has not been deployed to staging: it must run there for 24 h before it reaches production."} with input as object.union(c, {"deployments": {"status": "ok", "environments": {}}})
		with data.mergeguard.config as on
}

test_several_environments_turn_green_at_the_last_flip if {
	c := object.union(on, {"rules": {"bake_time": {"environments": ["staging", "canary"], "min_bake_hours": 24}}})
	envs := {
		"staging": [staging_success("2026-12-07T10:00:00Z")],
		"canary": [deployment(5, "v1.42.0", sha, [["success", "2026-12-07T20:00:00Z"]])],
	}
	denials("2026-12-08T12:00:00Z", envs, c) == {"v1.42.0 has baked in canary for 16 h of 24 h; this check turns green by itself at Tue 8 Dec 2026 21:00 CET (Europe/Berlin)."}
	denials("2026-12-07T22:00:00Z", envs, c) == {
		"v1.42.0 has baked in staging for 12 h of 24 h; this check turns green by itself at Tue 8 Dec 2026 21:00 CET (Europe/Berlin).",
		"v1.42.0 has baked in canary for 2 h of 24 h; this check turns green by itself at Tue 8 Dec 2026 21:00 CET (Europe/Berlin).",
	}
	bt.recheck_at == {ns("2026-12-08T10:00:00Z"), ns("2026-12-08T20:00:00Z")} with input as doc("2026-12-07T22:00:00Z", envs) with data.mergeguard.config as c
	passes("2026-12-08T20:00:00Z", envs, c)

	# While one environment has not seen the version, nothing turns green
	# by itself.
	partial := {"staging": [staging_success("2026-12-07T10:00:00Z")]}
	denials("2026-12-07T22:00:00Z", partial, c) == {
		"v1.42.0 has baked in staging for 12 h of 24 h; it will have baked there at Tue 8 Dec 2026 11:00 CET (Europe/Berlin).",
		"v1.42.0 has not been deployed to canary: it must run there for 24 h before it reaches production.",
	}
}

# Rollbacks.

production_before := [deployment(9, "v1.42.0", sha, [["success", "2026-11-20T10:00:00Z"], ["inactive", "2026-11-25T10:00:00Z"]])]

test_rollback_passes_and_says_so if {
	envs := {"staging": [], "production": production_before}
	passes("2026-12-08T12:00:00Z", envs, on)
	bt.warn == {"v1.42.0 ran in production before (deployment 9, Fri 20 Nov 2026 11:00 CET (Europe/Berlin)): a rollback passes without bake time."} with input as doc("2026-12-08T12:00:00Z", envs)
		with data.mergeguard.config as on
}

test_rollbacks_can_be_refused if {
	envs := {"staging": [], "production": production_before}
	not passes("2026-12-08T12:00:00Z", envs, object.union(on, {"rules": {"bake_time": {"allow_rollbacks": false}}}))
}

test_a_failed_production_deployment_is_no_rollback if {
	envs := {"staging": [], "production": [deployment(9, "v1.42.0", sha, [["failure", "2026-11-20T10:00:00Z"]])]}
	not passes("2026-12-08T12:00:00Z", envs, on)
}

# A title or commit message saying "revert" or "rollback" is no evidence:
# anyone can write one.
test_a_revert_title_is_no_rollback if {
	d := object.union(doc("2026-12-08T12:00:00Z", {"staging": []}), {"pull_request": {
		"title": `Revert "Promote shop v1.43.0"`,
		"commits": [{"sha": old_sha, "message": "Rollback: This reverts commit fedcba9876543210fedcba9876543210fedcba98."}],
	}})
	bt.deny == {"v1.42.0 has not been deployed to staging: it must run there for 24 h before it reaches production."} with input as d
		with data.mergeguard.config as on
}

# What cannot be told is no pass.

test_regex_matching_nothing_is_a_clear_finding if {
	problem := {"kind": "no_match", "path": "deploy/production/shop.yaml", "line": 7, "message": "`deploy/production/shop.yaml` is a promotion file, but none of its added lines matches a promotion pattern (`image: ghcr\\.io/acme/shop:(?P<version>\\S+)`), so what it promotes cannot be told. Fix the patterns in rules.bake_time.promotion_patterns, or the file."}
	d := object.union(doc("2026-12-08T12:00:00Z", {}), {"promotion": {"files": ["deploy/production/shop.yaml"], "version": "", "sha": "", "matches": [], "problems": [problem]}})
	bt.deny == {{"msg": problem.message, "path": "deploy/production/shop.yaml", "line": 7}} with input as d
		with data.mergeguard.config as on
}

test_promotion_not_read if {
	d := json.remove(doc("2026-12-08T12:00:00Z", {}), ["promotion"])
	bt.deny == {"What this pull request promotes was not read (input.promotion is missing), so its bake time cannot be checked."} with input as d
		with data.mergeguard.config as on
}

test_only_removals_promote_nothing if {
	d := object.union(doc("2026-12-08T12:00:00Z", {}), {"promotion": {"files": ["deploy/production/shop.yaml"], "version": "", "sha": "", "matches": [], "problems": []}})
	count(bt.deny) == 0 with input as d with data.mergeguard.config as on
	bt.skip == {"`deploy/production/shop.yaml` changed, but no added line names a version to promote (only removals)."} with input as d
		with data.mergeguard.config as on
}

test_permission_missing_fails_with_what_to_grant if {
	d := object.union(doc("2026-12-08T12:00:00Z", {}), {"deployments": {"status": "permission_missing"}})
	bt.deny == {"mergeguard cannot read the deployments of acme/shop, so it cannot tell whether v1.42.0 has baked: the GitHub App lacks the Deployments: read permission. The App's owner adds it in the App's settings (Permissions & events → Repository permissions → Deployments: Read-only), and an organization owner accepts it under the organization's Settings → GitHub Apps → mergeguard → Review request."} with input as d
		with data.mergeguard.config as on
}

test_deployments_unreadable_or_missing_fail if {
	d := object.union(doc("2026-12-08T12:00:00Z", {}), {"deployments": {"status": "error", "error": "GitHub answered 502"}})
	bt.deny == {"The deployments of v1.42.0 could not be read (GitHub answered 502), so whether it has baked cannot be told; the check runs again when GitHub answers."} with input as d
		with data.mergeguard.config as on
	bt.recheck_at == {ns("2026-12-08T12:05:00Z")} with input as d
		with data.mergeguard.config as on
	count(bt.recheck_at) == 0 with input as json.remove(d, ["deployments"])
		with data.mergeguard.config as on
	bt.deny == {"The deployments of v1.42.0 were not fetched, so whether it has baked cannot be told."} with input as json.remove(d, ["deployments"])
		with data.mergeguard.config as on
}
