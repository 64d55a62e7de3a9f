package mergeguard.rules.required_reviewers_test

import data.mergeguard.rules.required_reviewers as rr

# The configuration mergeguard passes when nothing is configured (the
# defaults in the rule's METADATA).
defaults := {
	"approvals": 1,
	"invalidate_on_push": "paths",
	"stale_ignore_paths": ["**/*.md", "docs/**"],
	"requirements": [],
	"trusted_bots": [],
	"bot_authors": [],
	"bot_author_approvals": 1,
}

cfg(overrides) := {"rules": {"required_reviewers": object.union(defaults, overrides)}}

pr := {"author": {"login": "dev", "type": "User"}}

head := "c0ffee0000000000000000000000000000000000"

old := "0ld5ha0000000000000000000000000000000000"

# review(login, state) is a review on the head.
review(login, state) := {
	"author": {"login": login, "type": "User"}, "state": state, "commit_sha": head, "on_head": true,
	"changes_since_known": true, "files_changed_since": [],
}

# earlier(login, changed) is an approval on an older commit, with the files
# changed since.
earlier(login, changed) := {
	"author": {"login": login, "type": "User"}, "state": "APPROVED", "commit_sha": old, "on_head": false,
	"changes_since_known": true, "files_changed_since": changed,
}

files(paths) := [{"path": p, "status": "modified"} | some p in paths]

doc(reviews, paths) := {
	"pull_request": pr, "reviews": reviews, "files": files(paths),
	"repository": {"owner": "acme"},
	"teams": {
		"dba": {"found": true, "members": ["dora", "dan", "dev"]},
		"payments-core": {"found": true, "members": ["pia", "pete", "paul"]},
		"sre": {"found": true, "members": ["sam", "pia"]},
		"dbas": {"found": false, "members": [], "error": "team acme/dbas does not exist, or the App cannot see it"},
	},
}

# General approvals

test_no_reviews_is_denied if {
	rr.deny == {"Needs 1 more approval from someone other than the author (@dev)."} with input as doc([], ["a.go"])
		with data.mergeguard.config as cfg({})
}

test_approval_from_a_teammate_passes if {
	count(rr.deny) == 0 with input as doc([review("alice", "APPROVED")], ["a.go"])
		with data.mergeguard.config as cfg({})
}

test_self_approval_does_not_count if {
	count(rr.deny) == 1 with input as doc([review("DEV", "APPROVED")], ["a.go"])
		with data.mergeguard.config as cfg({})
}

test_configured_approvals_are_required if {
	rr.deny == {"Needs 1 more approval from someone other than the author (@dev)."} with input as doc([review("alice", "APPROVED")], ["a.go"])
		with data.mergeguard.config as cfg({"approvals": 2})
}

test_dismissed_approval_does_not_count if {
	count(rr.deny) == 1 with input as doc([review("alice", "DISMISSED")], ["a.go"])
		with data.mergeguard.config as cfg({})
}

test_changes_requested_blocks_despite_an_approval if {
	rr.deny == {"@bob requested changes; that review blocks the merge until @bob approves or it is dismissed."} with input as doc(
		[review("alice", "APPROVED"), review("bob", "CHANGES_REQUESTED")],
		["a.go"],
	)
		with data.mergeguard.config as cfg({})
}

# Bots

bot_review := {"author": {"login": "helper[bot]", "type": "Bot"}, "state": "APPROVED", "commit_sha": head, "on_head": true, "changes_since_known": true, "files_changed_since": []}

test_bot_approval_does_not_count if {
	count(rr.deny) == 1 with input as doc([bot_review], ["a.go"])
		with data.mergeguard.config as cfg({})
}

test_trusted_bot_approval_counts if {
	count(rr.deny) == 0 with input as doc([bot_review], ["a.go"])
		with data.mergeguard.config as cfg({"trusted_bots": ["helper[bot]"]})
}

test_bot_author_has_its_own_requirement if {
	bot_pr := object.union(doc([], ["go.mod"]), {"pull_request": {"author": {"login": "dependabot[bot]", "type": "Bot"}}})
	count(rr.deny) == 0 with input as bot_pr
		with data.mergeguard.config as cfg({"bot_authors": ["dependabot[bot]"], "bot_author_approvals": 0})
}

test_unconfigured_bot_author_needs_approvals_like_anyone if {
	bot_pr := object.union(doc([], ["go.mod"]), {"pull_request": {"author": {"login": "dependabot[bot]", "type": "Bot"}}})
	count(rr.deny) == 1 with input as bot_pr
		with data.mergeguard.config as cfg({})
}

# Stale approvals

test_approval_before_a_code_change_is_stale if {
	rr.deny == {"Needs 1 more approval from someone other than the author (@dev)."} with input as doc([earlier("bob", ["payments/charge.go"])], ["payments/charge.go"])
		with data.mergeguard.config as cfg({})
	rr.warn == {"@bob's approval no longer counts: given on 0ld5ha0, before `payments/charge.go` changed."} with input as doc([earlier("bob", ["payments/charge.go"])], ["payments/charge.go"])
		with data.mergeguard.config as cfg({})
}

test_approval_before_a_docs_change_still_counts if {
	count(rr.deny) == 0 with input as doc([earlier("bob", ["README.md", "docs/setup.md"])], ["payments/charge.go", "README.md"])
		with data.mergeguard.config as cfg({})
}

test_approval_on_an_unchanged_older_commit_counts if {
	count(rr.deny) == 0 with input as doc([earlier("bob", [])], ["a.go"])
		with data.mergeguard.config as cfg({})
}

test_invalidate_always if {
	count(rr.deny) == 1 with input as doc([earlier("bob", [])], ["a.go"])
		with data.mergeguard.config as cfg({"invalidate_on_push": "always"})
}

test_invalidate_never if {
	count(rr.deny) == 0 with input as doc([earlier("bob", ["payments/charge.go"])], ["payments/charge.go"])
		with data.mergeguard.config as cfg({"invalidate_on_push": "never"})
}

test_force_pushed_approval_is_stale if {
	unknown := object.union(earlier("bob", []), {"changes_since_known": false})
	rr.warn == {"@bob's approval no longer counts: given on 0ld5ha0, and mergeguard cannot tell what changed since (a force-push, or more changes than GitHub compares)."} with input as doc([unknown], ["a.go"])
		with data.mergeguard.config as cfg({})
}

# Per-path requirements

dba := {"paths": ["db/migrations/**"], "teams": ["acme/dba"], "approvals": 1}

test_requirement_names_what_is_missing_and_who_can_approve if {
	denials := rr.deny with input as doc([review("alice", "APPROVED")], ["db/migrations/0042_add_index.sql"])
		with data.mergeguard.config as cfg({"requirements": [dba]})
	denials == {{"msg": "Needs 1 more approval from @acme/dba for `db/migrations/0042_add_index.sql` (can approve: @dan, @dora).", "path": "db/migrations/0042_add_index.sql"}}
}

test_requirement_met_by_a_team_member if {
	count(rr.deny) == 0 with input as doc([review("dora", "APPROVED")], ["db/migrations/0042_add_index.sql"])
		with data.mergeguard.config as cfg({"requirements": [dba]})
}

test_author_in_the_team_cannot_approve_their_own_change if {
	# dev is in dba but wrote the change; dev's approval never counts.
	count(rr.deny) == 2 with input as doc([review("dev", "APPROVED")], ["db/migrations/0042_add_index.sql"])
		with data.mergeguard.config as cfg({"requirements": [dba]})
}

test_requirement_ignores_other_paths if {
	count(rr.deny) == 0 with input as doc([review("alice", "APPROVED")], ["web/app.ts"])
		with data.mergeguard.config as cfg({"requirements": [dba]})
}

test_renaming_out_of_a_protected_folder_is_protected if {
	moved := object.union(doc([review("alice", "APPROVED")], []), {"files": [{"path": "archive/0042.sql", "previous_path": "db/migrations/0042.sql", "status": "renamed"}]})
	count(rr.deny) == 1 with input as moved
		with data.mergeguard.config as cfg({"requirements": [dba]})
}

test_requirement_with_users if {
	req := {"paths": ["infra/**"], "users": ["ops-lead"], "approvals": 1}
	rr.deny == {{"msg": "Needs 1 more approval from @ops-lead for `infra/main.tf` (can approve: @ops-lead).", "path": "infra/main.tf"}} with input as doc([review("alice", "APPROVED")], ["infra/main.tf"])
		with data.mergeguard.config as cfg({"requirements": [req]})
}

test_stale_approval_for_a_requirement if {
	# dora approved before the migration changed: it no longer counts for the
	# migration requirement, though the change was to that very path.
	count(rr.deny) == 2 with input as doc([earlier("dora", ["db/migrations/0042.sql"])], ["db/migrations/0042.sql"])
		with data.mergeguard.config as cfg({"requirements": [dba]})
}

test_requirement_approval_survives_a_change_elsewhere_with_invalidate_never if {
	# With invalidate_on_push: never, dora's approval still counts for the
	# migration after an unrelated file changed...
	count(rr.deny) == 0 with input as doc([earlier("dora", ["src/a.go"])], ["db/migrations/0042.sql", "src/a.go"])
		with data.mergeguard.config as cfg({"requirements": [dba], "invalidate_on_push": "never"})

	# ...and, in the default paths mode, still counts for the migration
	# (only the general approval is stale, since src/a.go is code).
	denials := rr.deny with input as doc([earlier("dora", ["src/a.go"])], ["db/migrations/0042.sql", "src/a.go"])
		with data.mergeguard.config as cfg({"requirements": [dba]})
	denials == {"Needs 1 more approval from someone other than the author (@dev)."}
}

payments := {"paths": ["payments/**"], "teams": ["payments-core"], "approvals": 2}

test_two_approvals_from_distinct_members if {
	count(rr.deny) == 1 with input as doc([review("pia", "APPROVED")], ["payments/charge.go"])
		with data.mergeguard.config as cfg({"requirements": [payments]})
	count(rr.deny) == 0 with input as doc([review("pia", "APPROVED"), review("pete", "APPROVED")], ["payments/charge.go"])
		with data.mergeguard.config as cfg({"requirements": [payments]})
}

two_teams := {"paths": ["payments/**"], "teams": ["payments-core", "sre"], "approvals": 2, "distinct_teams": 2}

test_distinct_teams_one_person_counts_once if {
	# pia is in both teams: alone she represents one.
	denials := rr.deny with input as doc([review("pia", "APPROVED")], ["payments/charge.go"])
		with data.mergeguard.config as cfg({"requirements": [two_teams]})
	some d in denials
	contains(d.msg, "Needs approvals from 2 different teams (of @acme/payments-core, @acme/sre) for `payments/charge.go`")
	contains(d.msg, "represent 1")
}

test_distinct_teams_satisfied_by_a_matching if {
	# pia (both teams) and pete (payments-core): pia stands for sre.
	count(rr.deny) == 0 with input as doc([review("pia", "APPROVED"), review("pete", "APPROVED")], ["payments/charge.go"])
		with data.mergeguard.config as cfg({"requirements": [two_teams]})
}

test_distinct_teams_not_satisfied_by_one_team if {
	denials := rr.deny with input as doc([review("pete", "APPROVED"), review("paul", "APPROVED")], ["payments/charge.go"])
		with data.mergeguard.config as cfg({"requirements": [two_teams]})
	count(denials) == 1
}

# Configuration errors

test_unknown_team_blocks_when_its_requirement_applies if {
	req := {"paths": ["db/**"], "teams": ["dbas"], "approvals": 1}
	denials := rr.deny with input as doc([review("alice", "APPROVED")], ["db/x.sql"])
		with data.mergeguard.config as cfg({"requirements": [req]})
	"Configuration: team acme/dbas does not exist, or the App cannot see it (rules.required_reviewers.requirements)." in denials
}

test_unknown_team_warns_when_its_requirement_does_not_apply if {
	req := {"paths": ["db/**"], "teams": ["dbas"], "approvals": 1}
	count(rr.deny) == 0 with input as doc([review("alice", "APPROVED")], ["web/x.ts"])
		with data.mergeguard.config as cfg({"requirements": [req]})
	count(rr.warn) == 1 with input as doc([review("alice", "APPROVED")], ["web/x.ts"])
		with data.mergeguard.config as cfg({"requirements": [req]})
}

test_malformed_requirements_block_with_a_message if {
	bad := [
		{"teams": ["dba"]},
		{"paths": "db/**"},
		{"paths": ["db/**"], "approvals": "one"},
		{"paths": ["db/**"], "teams": ["dba"], "distinct_teams": 2},
		{"paths": ["db/**"], "reviewers": ["x"]},
	]
	denials := rr.deny with input as doc([review("alice", "APPROVED")], ["web/x.ts"])
		with data.mergeguard.config as cfg({"requirements": bad})
	count(denials) == 5
	every d in denials {
		startswith(d, "Configuration: rules.required_reviewers.requirements[")
	}
}

test_a_requirement_with_several_mistakes_reports_each if {
	# The likeliest typo: singular keys. Each problem is reported; the rule
	# does not fail on conflicting messages.
	denials := rr.deny with input as doc([review("alice", "APPROVED")], ["web/x.ts"])
		with data.mergeguard.config as cfg({"requirements": [{"path": ["db/**"], "team": ["dba"]}, {"paths": ["db/**"], "teams": "dba", "users": "bob"}]})
	denials == {
		"Configuration: rules.required_reviewers.requirements[0] needs paths: a list of globs; fix it in mergeguard/config.yaml.",
		"Configuration: rules.required_reviewers.requirements[0] has unknown settings [\"path\", \"team\"]; fix it in mergeguard/config.yaml.",
		"Configuration: rules.required_reviewers.requirements[1] teams must be a list of names; fix it in mergeguard/config.yaml.",
		"Configuration: rules.required_reviewers.requirements[1] users must be a list of names; fix it in mergeguard/config.yaml.",
	}
}

test_distinct_teams_counts_distinct_team_names_and_at_most_ten if {
	dup := {"paths": ["db/**"], "teams": ["dba", "@acme/dba"], "distinct_teams": 2}
	denials := rr.deny with input as doc([], ["web/x.ts"]) with data.mergeguard.config as cfg({"requirements": [dup]})
	"Configuration: rules.required_reviewers.requirements[0] distinct_teams is 2, but it names 1 different team; fix it in mergeguard/config.yaml." in denials
	many := {"paths": ["db/**"], "teams": [sprintf("t%d", [n]) | some n in numbers.range(1, 11)], "distinct_teams": 2}
	"Configuration: rules.required_reviewers.requirements[0] with distinct_teams, name at most 10 teams; fix it in mergeguard/config.yaml." in rr.deny with input as doc([], ["web/x.ts"])
		with data.mergeguard.config as cfg({"requirements": [many]})
}

test_a_pull_request_beyond_githubs_file_list_cannot_pass_path_requirements if {
	truncated := object.union(doc([review("dora", "APPROVED")], ["src/a.go"]), {"files_truncated": true})
	some d in rr.deny with input as truncated with data.mergeguard.config as cfg({"requirements": [dba]})
	contains(d, "cannot tell which of the path requirements")
	count(rr.deny) == 0 with input as truncated with data.mergeguard.config as cfg({})
}

test_approval_stale_for_a_requirement_only_says_why if {
	# Pia approved; then only payments/README.md changed: general approvals
	# ignore documentation, the payments requirement does not.
	req := {"paths": ["payments/**"], "teams": ["payments-core"], "approvals": 1}
	in_doc := doc([earlier("pia", ["payments/README.md"])], ["payments/charge.go", "payments/README.md"])
	rr.warn == {"@pia's approval no longer counts for `payments/**`: given on 0ld5ha0, before `payments/README.md` changed."} with input as in_doc
		with data.mergeguard.config as cfg({"requirements": [req]})
}

test_can_approve_lists_only_people_whose_approval_would_add if {
	denials := rr.deny with input as doc([review("pia", "APPROVED")], ["payments/charge.go"])
		with data.mergeguard.config as cfg({"requirements": [payments]})
	denials == {{"msg": "Needs 1 more approval from @acme/payments-core for `payments/charge.go` (can approve: @paul, @pete).", "path": "payments/charge.go"}}
}

test_names_with_at_and_bots_with_or_without_the_suffix if {
	count(rr.deny) == 0 with input as doc([review("bob", "APPROVED")], ["db/x.sql"])
		with data.mergeguard.config as cfg({"requirements": [{"paths": ["db/**"], "users": ["@Bob"]}]})
	bot_pr := object.union(doc([], ["go.sum"]), {"pull_request": {"author": {"login": "dependabot[bot]", "type": "Bot"}}})
	count(rr.deny) == 0 with input as bot_pr with data.mergeguard.config as cfg({"bot_authors": ["dependabot"], "bot_author_approvals": 0})
	bot_review := object.union(review("renovate[bot]", "APPROVED"), {"author": {"login": "renovate[bot]", "type": "Bot"}})
	count(rr.deny) == 0 with input as doc([bot_review], ["a.go"]) with data.mergeguard.config as cfg({"trusted_bots": ["@renovate"]})
}
