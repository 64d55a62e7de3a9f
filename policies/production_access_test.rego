package mergeguard.rules.production_access_test

import data.mergeguard.rules.production_access as pa

# The configuration mergeguard passes when nothing is configured (the
# defaults in the rule's METADATA; a Go test keeps them equal).
defaults := {
	"paths": [
		"deploy/{prod,production}/**",
		"deploy/{prod,production}.*",
		"k8s/**/{prod,production}{,-*,_*}/**",
		"k8s/**/{prod,production}{,-*,_*}.{yaml,yml}",
		"helm/**/values-{prod,production}*.{yaml,yml}",
		"terraform/**/{prod,production}{,-*,_*}/**",
		"**/{prod,production}{,-*,_*}.tfvars",
		"**/{prod,production}{,-*,_*}/**/*.tfvars",
		".github/workflows/*deploy*",
	],
	"teams": [],
	"approvals": 1,
	"author_must_be_member": false,
	"guard_paths": [
		"CODEOWNERS",
		".github/CODEOWNERS",
		"docs/CODEOWNERS",
		".github/workflows/**",
		".github/actions/**",
		".github/mergeguard.yaml",
	],
	"guard_teams": [],
	"guard_approvals": 1,
}

cfg(overrides) := {"rules": {"production_access": object.union(defaults, overrides)}}

configured := cfg({"teams": ["prod-access"], "guard_teams": ["@acme/platform"]})

head := "c0ffee0000000000000000000000000000000000"

old := "0ld5ha0000000000000000000000000000000000"

review(login, state) := {
	"author": {"login": login, "type": "User"}, "state": state, "commit_sha": head, "on_head": true,
	"changes_since_known": true, "files_changed_since": [],
}

earlier(login, changed) := {
	"author": {"login": login, "type": "User"}, "state": "APPROVED", "commit_sha": old, "on_head": false,
	"changes_since_known": true, "files_changed_since": changed,
}

doc_by(author, reviews, paths) := {
	"pull_request": {"author": {"login": author, "type": "User"}},
	"reviews": reviews,
	"files": [{"path": p, "status": "modified"} | some p in paths],
	"repository": {"owner": "acme"},
	"teams": {
		"prod-access": {"found": true, "members": ["Olga", "omar", "dev"]},
		"platform": {"found": true, "members": ["pat"]},
		"ghost": {"found": false, "members": [], "error": "team acme/ghost does not exist, or the App cannot see it"},
	},
}

doc(reviews, paths) := doc_by("dev", reviews, paths)

prod := "deploy/prod/app.yaml"

test_unrelated_change_is_skipped if {
	count(pa.deny) == 0 with input as doc([], ["src/main.go"]) with data.mergeguard.config as configured
	pa.skip == {"No production or protected configuration files changed."} with input as doc([], ["src/main.go"])
		with data.mergeguard.config as configured
}

test_production_change_needs_a_team_approval if {
	pa.deny == {{
		"msg": "Changes production paths (`deploy/prod/app.yaml`) and needs 1 more approval from @acme/prod-access, other than the author (can approve: @olga, @omar). The author's own membership does not count: production needs a second person.",
		"path": prod,
	}} with input as doc([review("alice", "APPROVED")], [prod])
		with data.mergeguard.config as configured
}

test_team_member_approval_passes if {
	count(pa.deny) == 0 with input as doc([review("OLGA", "APPROVED")], [prod]) with data.mergeguard.config as configured
}

test_author_in_the_team_still_needs_a_second_person if {
	# dev is in prod-access and approved their own pull request.
	count(pa.deny) == 1 with input as doc([review("dev", "APPROVED")], [prod]) with data.mergeguard.config as configured
}

test_changes_requested_by_the_approver_withdraws_the_approval if {
	# The facts hold each reviewer's latest decisive review.
	count(pa.deny) == 1 with input as doc([review("olga", "CHANGES_REQUESTED")], [prod])
		with data.mergeguard.config as configured
}

test_bot_approval_never_counts if {
	bot := object.union(review("deploy-bot[bot]", "APPROVED"), {"author": {"login": "deploy-bot[bot]", "type": "Bot"}})
	count(pa.deny) == 1 with input as doc([bot], [prod]) with data.mergeguard.config as cfg({})
}

test_bot_author_needs_a_person if {
	count(pa.deny) == 1 with input as doc_by("dependabot[bot]", [], ["terraform/envs/prod/main.tf"])
		with data.mergeguard.config as configured
	count(pa.deny) == 0 with input as doc_by("dependabot[bot]", [review("omar", "APPROVED")], ["terraform/envs/prod/main.tf"])
		with data.mergeguard.config as configured
}

test_approval_before_a_production_change_is_stale if {
	pa.warn == {"@olga's approval does not count for production paths: given on 0ld5ha0, before `deploy/prod/app.yaml` changed."} with input as doc([earlier("olga", [prod])], [prod, "src/a.go"])
		with data.mergeguard.config as configured
	count(pa.deny) == 1 with input as doc([earlier("olga", [prod])], [prod, "src/a.go"])
		with data.mergeguard.config as configured
}

test_approval_before_an_unrelated_change_still_counts if {
	count(pa.deny) == 0 with input as doc([earlier("olga", ["src/a.go"])], [prod, "src/a.go"])
		with data.mergeguard.config as configured
	count(pa.warn) == 0 with input as doc([earlier("olga", ["src/a.go"])], [prod, "src/a.go"])
		with data.mergeguard.config as configured
}

test_approval_before_a_force_push_is_stale if {
	unknown := object.union(earlier("olga", []), {"changes_since_known": false})
	pa.warn == {"@olga's approval does not count for production paths: given on 0ld5ha0, and mergeguard cannot tell what changed since (a force-push, or more changes than GitHub compares)."} with input as doc([unknown], [prod])
		with data.mergeguard.config as configured
}

test_more_approvals if {
	count(pa.deny) == 1 with input as doc([review("olga", "APPROVED")], [prod])
		with data.mergeguard.config as cfg({"teams": ["prod-access"], "approvals": 2})
	count(pa.deny) == 0 with input as doc([review("olga", "APPROVED"), review("omar", "APPROVED")], [prod])
		with data.mergeguard.config as cfg({"teams": ["prod-access"], "approvals": 2})
}

test_default_paths if {
	every p in [
		"deploy/prod/app.yaml",
		"deploy/production/values.yaml",
		"deploy/prod.yaml",
		"k8s/apps/prod/deployment.yaml",
		"k8s/apps/prod-eu/deployment.yaml",
		"k8s/overlays/prod.yaml",
		"k8s/overlays/production_us.yml",
		"helm/api/values-prod.yaml",
		"terraform/aws/prod/main.tf",
		"terraform/prod.tfvars",
		"terraform/envs/production.tfvars",
		"infra/prod/main.tfvars",
		"infra/production/eu/main.tfvars",
	] {
		count(pa.deny) == 1 with input as doc([], [p]) with data.mergeguard.config as configured
	}
	every p in [
		"deploy/staging/app.yaml",
		"k8s/apps/staging/deployment.yaml",
		"k8s/products/catalog.yaml",
		"infra/nonprod/main.tfvars",
		"terraform/products.tfvars",
		"src/prod.go",
	] {
		count(pa.skip) == 1 with input as doc([], [p]) with data.mergeguard.config as configured
	}
}

test_composite_actions_are_guarded if {
	count(pa.deny) == 1 with input as doc([], [".github/actions/setup/action.yml"]) with data.mergeguard.config as configured
}

test_someone_who_pushed_commits_is_not_the_second_person if {
	# Olga (prod-access) pushed a commit to the production file on dev's
	# branch, then approved: no second person has seen her change.
	pushed := object.union(doc([review("olga", "APPROVED")], [prod]), {"pull_request": {
		"author": {"login": "dev", "type": "User"},
		"commits": [
			{"sha": "a", "message": "More replicas", "author": "dev", "committer": "web-flow"},
			{"sha": "b", "message": "Fix the replica count", "author": "Olga", "committer": "Olga"},
		],
	}})
	count(pa.deny) == 1 with input as pushed with data.mergeguard.config as configured
	pa.warn == {"@olga's approval does not count for production paths: @olga pushed commits to this pull request, so it needs another person's approval."} with input as pushed
		with data.mergeguard.config as configured
	count(pa.deny) == 0 with input as object.union(pushed, {"reviews": [review("olga", "APPROVED"), review("omar", "APPROVED")]})
		with data.mergeguard.config as configured
}

test_a_pull_request_beyond_githubs_file_list_is_blocked if {
	truncated := object.union(doc([review("olga", "APPROVED")], ["src/a.go"]), {"files_truncated": true})
	some d in pa.deny with input as truncated with data.mergeguard.config as configured
	contains(d, "cannot tell whether it touches production paths")
}

test_guard_second_person_wording if {
	in_team := doc_by("pat", [], [".github/CODEOWNERS"])
	some d in pa.deny with input as in_team with data.mergeguard.config as configured
	endswith(d.msg, "The author's own membership does not count: these files need a second person.")
}

test_moving_a_file_out_of_production_is_a_production_change if {
	moved := {
		"pull_request": {"author": {"login": "dev", "type": "User"}}, "reviews": [], "repository": {"owner": "acme"},
		"teams": {}, "files": [{"path": "deploy/old/app.yaml", "previous_path": prod, "status": "renamed"}],
	}
	count(pa.deny) == 1 with input as moved with data.mergeguard.config as cfg({})
}

test_without_teams_any_other_person_counts_and_it_warns if {
	pa.deny == {{
		"msg": "Changes production paths (`deploy/prod/app.yaml`) and needs 1 more approval from someone other than the author.",
		"path": prod,
	}} with input as doc([], [prod])
		with data.mergeguard.config as cfg({})
	count(pa.deny) == 0 with input as doc([review("alice", "APPROVED")], [prod]) with data.mergeguard.config as cfg({})
	pa.warn == {"Configuration: no team is set for production paths, so any approval but the author's counts; name the team in rules.production_access.teams."} with input as doc([review("alice", "APPROVED")], [prod])
		with data.mergeguard.config as cfg({})
}

test_author_must_be_member if {
	strict := cfg({"teams": ["prod-access"], "author_must_be_member": true})
	pa.deny == {{
		"msg": "Changes production paths (`deploy/prod/app.yaml`), which only members of @acme/prod-access may author (author_must_be_member); @alice is not a member.",
		"path": prod,
	}} with input as doc_by("alice", [review("olga", "APPROVED")], [prod])
		with data.mergeguard.config as strict
	count(pa.deny) == 0 with input as doc_by("omar", [review("olga", "APPROVED")], [prod])
		with data.mergeguard.config as strict
}

test_author_must_be_member_needs_teams if {
	count(pa.deny) == 1 with input as doc([], ["src/a.go"]) with data.mergeguard.config as cfg({"author_must_be_member": true})
}

test_unknown_team_blocks_when_it_applies if {
	pa.deny == {"Configuration: team acme/ghost does not exist, or the App cannot see it (rules.production_access.teams)."} with input as doc([review("olga", "APPROVED")], [prod])
		with data.mergeguard.config as cfg({"teams": ["prod-access", "ghost"]})
}

test_unknown_team_warns_when_it_does_not_apply if {
	count(pa.deny) == 0 with input as doc([], ["src/a.go"]) with data.mergeguard.config as cfg({"teams": ["ghost"]})
	pa.warn == {"Configuration: team acme/ghost does not exist, or the App cannot see it (rules.production_access.teams)."} with input as doc([], ["src/a.go"])
		with data.mergeguard.config as cfg({"teams": ["ghost"]})
}

test_team_missing_from_the_facts_is_reported if {
	count(pa.deny) == 1 with input as doc([review("olga", "APPROVED")], [prod])
		with data.mergeguard.config as cfg({"teams": ["prod-access", "never-fetched"]})
}

# The guard protects itself.

test_codeowners_change_needs_the_platform_team if {
	pa.deny == {{
		"msg": "Changes files that control reviews and checks (`.github/CODEOWNERS`) and needs 1 more approval from @acme/platform, other than the author (can approve: @pat).",
		"path": ".github/CODEOWNERS",
	}} with input as doc([review("olga", "APPROVED")], [".github/CODEOWNERS"])
		with data.mergeguard.config as configured
	count(pa.deny) == 0 with input as doc([review("pat", "APPROVED")], [".github/CODEOWNERS"])
		with data.mergeguard.config as configured
}

test_workflow_and_repo_config_are_guarded if {
	every p in [".github/workflows/ci.yml", ".github/mergeguard.yaml", "CODEOWNERS"] {
		count(pa.deny) == 1 with input as doc([], [p]) with data.mergeguard.config as configured
	}
}

test_a_deploy_workflow_needs_both_teams if {
	count(pa.deny) == 2 with input as doc([], [".github/workflows/deploy.yml"]) with data.mergeguard.config as configured
	count(pa.deny) == 1 with input as doc([review("pat", "APPROVED")], [".github/workflows/deploy.yml"])
		with data.mergeguard.config as configured
	count(pa.deny) == 0 with input as doc([review("pat", "APPROVED"), review("omar", "APPROVED")], [".github/workflows/deploy.yml"])
		with data.mergeguard.config as configured
}
