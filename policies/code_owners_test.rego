package mergeguard.rules.code_owners_test

import data.mergeguard.rules.code_owners as co

# The configuration mergeguard passes when nothing is configured (the
# defaults in the rule's METADATA).
defaults := {
	"enforce": false,
	"approvals": 1,
	"invalidate_on_push": "paths",
	"distinct_teams": [],
	"exempt_paths": [],
	"bot_authors": [],
	"bot_authors_need_owners": true,
	"request_reviews": false,
}

# cfg turns the rule on, as a repository using it would.
cfg(overrides) := {"rules": {"code_owners": object.union(object.union(defaults, {"enforce": true}), overrides)}}

head := "c0ffee0000000000000000000000000000000000"

old := "0ld5ha0000000000000000000000000000000000"

review(login) := {
	"author": {"login": login, "type": "User"}, "state": "APPROVED", "commit_sha": head, "on_head": true,
	"changes_since_known": true, "files_changed_since": [],
}

earlier(login, changed) := {
	"author": {"login": login, "type": "User"}, "state": "APPROVED", "commit_sha": old, "on_head": false,
	"changes_since_known": true, "files_changed_since": changed,
}

# The lines of the CODEOWNERS file the tests' files fall under.
payments := {"line": 3, "pattern": "payments/**", "owners": ["@acme/payments"]}

legacy := {"line": 7, "pattern": "/payments/legacy/", "owners": ["@lee"]}

shared := {"line": 9, "pattern": "shared/", "owners": ["@acme/payments", "@acme/sre"]}

unowned := {"line": 11, "pattern": "payments/generated/", "owners": []}

file(path, owners) := {"path": path, "status": "modified", "owners": owners}

# groups_of groups the files by owners as the facts do (input.pull_request
# .codeowners.groups), so that each test states only its files' owners.
owner_key(m) := concat(" ", sort({lower(o) | some o in m.owners}))

matches_of(files) := {[f.path, f.owners] | some f in files; is_object(f.owners); count(f.owners.owners) > 0} | {[f.previous_path, f.previous_owners] |
	some f in files
	is_object(f.previous_owners)
	count(f.previous_owners.owners) > 0
}

groups_of(files) := [{"key": k, "owners": split(k, " "), "lines": lines} |
	ms := matches_of(files)
	some k in {owner_key(m) | some [_, m] in ms}
	lines := [{"line": n, "pattern": p, "files": sort({path | some [path, m] in ms; m.line == n})} |
		some [n, p] in sort({[m.line, m.pattern] | some [_, m] in ms; owner_key(m) == k})
	]
]

doc(author, reviews, files) := {
	"pull_request": {
		"author": {"login": author, "type": "User"},
		"codeowners": {"path": ".github/CODEOWNERS", "problems": [], "groups": groups_of(files)},
	},
	"reviews": reviews, "files": files,
	"repository": {"owner": "acme"},
	"teams": {
		"payments": {"found": true, "members": ["ana", "bo", "chen", "pia"]},
		"sre": {"found": true, "members": ["sam", "pia"]},
		"big": {"found": true, "members": ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]},
		"ghost": {"found": false, "members": [], "error": "team acme/ghost does not exist, or the App cannot see it"},
	},
}

pay(path) := file(path, payments)

# Off by default

test_off_by_default_skips if {
	co.skip == {"Off: set rules.code_owners.enforce to true to require code owners' approvals."} with input as doc("dev", [], [pay("payments/a.go")])
		with data.mergeguard.config as {"rules": {"code_owners": defaults}}
	count(co.deny) == 0 with input as doc("dev", [], [pay("payments/a.go")])
		with data.mergeguard.config as {"rules": {"code_owners": defaults}}
}

# Owners' approvals

test_owned_file_without_approval_names_who_to_ask if {
	co.deny == {{"msg": "Needs an approval from @acme/payments for 1 file (`payments/**`): ask @ana, @bo, @chen, @pia.", "path": "payments/a.go"}} with input as doc("dev", [], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({})
}

test_files_with_the_same_owners_are_one_group if {
	co.deny == {{"msg": "Needs an approval from @acme/payments for 2 files (`payments/**`): ask @ana, @bo, @chen, @pia.", "path": "payments/a.go"}} with input as doc("dev", [], [pay("payments/b.go"), pay("payments/a.go")])
		with data.mergeguard.config as cfg({})
}

test_an_owners_approval_passes if {
	count(co.deny) == 0 with input as doc("dev", [review("bo")], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({})
}

test_a_non_owners_approval_does_not_count if {
	count(co.deny) == 1 with input as doc("dev", [review("sam")], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({})
}

test_more_than_five_owners_are_cut_short if {
	big := {"line": 4, "pattern": "big/", "owners": ["@acme/big"]}
	co.deny == {{"msg": "Needs an approval from @acme/big for 1 file (`big/`): ask @m1, @m2, @m3, @m4, @m5 and 2 more.", "path": "big/a"}} with input as doc("dev", [], [file("big/a", big)])
		with data.mergeguard.config as cfg({})
}

test_user_owner_approves if {
	count(co.deny) == 0 with input as doc("dev", [review("Lee")], [file("payments/legacy/a.go", legacy)])
		with data.mergeguard.config as cfg({})
}

# The last matching line wins: the input carries the line that decided, and
# the owners of an earlier line that also matches have no say.
test_last_matching_line_decides if {
	co.deny == {{"msg": "Needs an approval from @lee for 1 file (`/payments/legacy/`): ask @lee.", "path": "payments/legacy/a.go"}} with input as doc("dev", [review("ana")], [file("payments/legacy/a.go", legacy)])
		with data.mergeguard.config as cfg({})
}

test_line_without_owners_needs_nobody if {
	count(co.deny) == 0 with input as doc("dev", [], [file("payments/generated/x.go", unowned)])
		with data.mergeguard.config as cfg({})
}

test_file_no_line_matches_needs_nobody if {
	count(co.deny) == 0 with input as doc("dev", [], [file("README.md", null), {"path": "x", "status": "added"}])
		with data.mergeguard.config as cfg({})
}

test_exempt_paths_need_nobody if {
	count(co.deny) == 0 with input as doc("dev", [], [pay("payments/a_test.go")])
		with data.mergeguard.config as cfg({"exempt_paths": ["**/*_test.go"]})
}

test_renamed_file_needs_the_owners_of_its_old_path if {
	moved := {"path": "misc/a.go", "previous_path": "payments/legacy/a.go", "status": "renamed", "owners": null, "previous_owners": legacy}
	co.deny == {{"msg": "Needs an approval from @lee for 1 file (`/payments/legacy/`): ask @lee.", "path": "payments/legacy/a.go"}} with input as doc("dev", [], [moved])
		with data.mergeguard.config as cfg({})
}

test_each_group_needs_its_own_approval if {
	co.deny == {{"msg": "Needs an approval from @lee for 1 file (`/payments/legacy/`): ask @lee.", "path": "payments/legacy/a.go"}} with input as doc("dev", [review("ana")], [pay("payments/a.go"), file("payments/legacy/a.go", legacy)])
		with data.mergeguard.config as cfg({})
}

# The author

test_author_in_the_owning_team_cannot_approve_alone if {
	co.deny == {{"msg": "Needs an approval from @acme/payments for 1 file (`payments/**`): ask @bo, @chen, @pia.", "path": "payments/a.go"}} with input as doc("ana", [review("ana")], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({})
	count(co.deny) == 0 with input as doc("ana", [review("chen")], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({})
}

test_author_as_the_only_owner_is_told_to_add_one if {
	co.deny == {{"msg": "Needs an approval from @lee for 1 file (`/payments/legacy/`), and no one but the author can give it: name another owner in CODEOWNERS.", "path": "payments/legacy/a.go"}} with input as doc("Lee", [], [file("payments/legacy/a.go", legacy)])
		with data.mergeguard.config as cfg({})
}

# One person counts once, however many owning teams they are in.
test_a_person_in_two_owning_teams_counts_once if {
	co.deny == {{"msg": "Needs an approval from @acme/payments or @acme/sre for 1 file (`shared/`): ask @ana, @bo, @chen, @sam.", "path": "shared/x.go"}} with input as doc("dev", [review("pia")], [file("shared/x.go", shared)])
		with data.mergeguard.config as cfg({"approvals": 2})
	count(co.deny) == 0 with input as doc("dev", [review("pia"), review("sam")], [file("shared/x.go", shared)])
		with data.mergeguard.config as cfg({"approvals": 2})
}

test_more_approvals_are_counted_in_the_message if {
	co.deny == {{"msg": "Needs 2 more approvals from @acme/payments for 1 file (`payments/**`): ask @ana, @bo, @chen, @pia.", "path": "payments/a.go"}} with input as doc("dev", [], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({"approvals": 2})
}

# Distinct teams

distinct := {"distinct_teams": [{"paths": ["shared/**"], "teams": 2}]}

test_distinct_teams_need_different_people if {
	co.deny == {{"msg": "Needs approvals from 2 different owning teams (of @acme/payments, @acme/sre) for 1 file (`shared/`); the approvals so far represent 1.", "path": "shared/x.go"}} with input as doc("dev", [review("pia")], [file("shared/x.go", shared)])
		with data.mergeguard.config as cfg(distinct)

	# pia stands for one team, sam for the other.
	count(co.deny) == 0 with input as doc("dev", [review("pia"), review("sam")], [file("shared/x.go", shared)])
		with data.mergeguard.config as cfg(distinct)

	# sam and pia, and ana for payments: either way two teams.
	count(co.deny) == 0 with input as doc("dev", [review("sam"), review("ana")], [file("shared/x.go", shared)])
		with data.mergeguard.config as cfg(distinct)
}

test_distinct_teams_ignore_other_paths if {
	count(co.deny) == 0 with input as doc("dev", [review("pia")], [pay("payments/a.go")])
		with data.mergeguard.config as cfg(distinct)
}

test_distinct_teams_count_only_fresh_approvals if {
	count(co.deny) == 1 with input as doc("dev", [review("pia"), earlier("sam", ["shared/x.go"])], [file("shared/x.go", shared)])
		with data.mergeguard.config as cfg(distinct)
}

# Stale approvals

test_approval_before_a_change_to_the_owners_files_is_stale if {
	inp := doc("dev", [earlier("bo", ["payments/a.go"])], [pay("payments/a.go")])
	co.deny == {{"msg": "Needs an approval from @acme/payments for 1 file (`payments/**`): ask @ana, @bo, @chen, @pia.", "path": "payments/a.go"}} with input as inp
		with data.mergeguard.config as cfg({})
	co.warn == {"@bo's approval no longer counts for @acme/payments (`payments/**`): given on 0ld5ha0, before `payments/a.go` changed."} with input as inp
		with data.mergeguard.config as cfg({})
}

test_approval_stays_when_only_other_files_changed if {
	inp := doc("dev", [earlier("bo", ["README.md"])], [pay("payments/a.go"), file("README.md", null)])
	count(co.deny) == 0 with input as inp with data.mergeguard.config as cfg({})
	count(co.warn) == 0 with input as inp with data.mergeguard.config as cfg({})
}

test_invalidate_always_and_never if {
	inp := doc("dev", [earlier("bo", ["README.md"])], [pay("payments/a.go")])
	count(co.deny) == 1 with input as inp with data.mergeguard.config as cfg({"invalidate_on_push": "always"})
	co.warn == {"@bo's approval no longer counts for @acme/payments (`payments/**`): given on 0ld5ha0, and the pull request changed since (invalidate_on_push: always)."} with input as inp
		with data.mergeguard.config as cfg({"invalidate_on_push": "always"})
	count(co.deny) == 0 with input as doc("dev", [earlier("bo", ["payments/a.go"])], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({"invalidate_on_push": "never"})
}

test_approval_before_a_force_push_does_not_count if {
	lost := object.union(earlier("bo", []), {"changes_since_known": false})
	co.warn == {"@bo's approval no longer counts for @acme/payments (`payments/**`): given on 0ld5ha0, and mergeguard cannot tell what changed since (a force-push, or more changes than GitHub compares)."} with input as doc("dev", [lost], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({})
}

# Bots

test_bot_pull_requests_need_owners_by_default if {
	count(co.deny) == 1 with input as doc("dependabot[bot]", [], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({"bot_authors": ["dependabot"]})
}

test_bot_pull_requests_can_be_exempt if {
	inp := doc("dependabot[bot]", [], [pay("payments/a.go")])
	settings := {"bot_authors": ["dependabot"], "bot_authors_need_owners": false}
	count(co.deny) == 0 with input as inp with data.mergeguard.config as cfg(settings)
	co.skip == {"Pull requests by @dependabot[bot] do not need code owners' approvals (rules.code_owners.bot_authors_need_owners: false)."} with input as inp
		with data.mergeguard.config as cfg(settings)

	# Only the configured bots.
	count(co.deny) == 1 with input as doc("renovate[bot]", [], [pay("payments/a.go")])
		with data.mergeguard.config as cfg(settings)
}

test_bot_approval_does_not_count if {
	bot := {"author": {"login": "ana[bot]", "type": "Bot"}, "state": "APPROVED", "commit_sha": head, "on_head": true, "changes_since_known": true, "files_changed_since": []}
	count(co.deny) == 1 with input as doc("dev", [bot], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({})
}

# Owners and CODEOWNERS mergeguard cannot use

test_unknown_team_is_reported if {
	ghost := {"line": 5, "pattern": "ops/", "owners": ["@acme/ghost"]}
	inp := doc("dev", [], [file("ops/a", ghost)])
	co.warn == {"CODEOWNERS owner @acme/ghost of `ops/`: team acme/ghost does not exist, or the App cannot see it."} with input as inp
		with data.mergeguard.config as cfg({})
	co.deny == {{"msg": "Needs an approval from @acme/ghost for 1 file (`ops/`), and no one but the author can give it: name another owner in CODEOWNERS.", "path": "ops/a"}} with input as inp
		with data.mergeguard.config as cfg({})
}

test_email_owner_is_reported if {
	mail := {"line": 6, "pattern": "*.go", "owners": ["docs@example.com", "@lee"]}
	inp := doc("dev", [review("lee")], [file("a.go", mail)])
	count(co.deny) == 0 with input as inp with data.mergeguard.config as cfg({})
	co.warn == {"CODEOWNERS owner docs@example.com of `*.go` is an email address, which mergeguard cannot match to a reviewer; name the owner as @login."} with input as inp
		with data.mergeguard.config as cfg({})
}

test_base_file_problems_are_warnings if {
	inp := object.union(doc("dev", [review("bo")], [pay("payments/a.go")]), {"pull_request": {"codeowners": {"path": ".github/CODEOWNERS", "problems": [{"line": 4, "message": "pattern \"!x\": negation with ! does not work in CODEOWNERS"}]}}})
	count(co.deny) == 0 with input as inp with data.mergeguard.config as cfg({})
	co.warn == {"CODEOWNERS on the base branch: .github/CODEOWNERS:4: pattern \"!x\": negation with ! does not work in CODEOWNERS; GitHub skips this line."} with input as inp
		with data.mergeguard.config as cfg({})
}

test_changed_codeowners_must_stay_readable if {
	changed := {"path": ".github/CODEOWNERS", "problems": [{"line": 12, "message": "owner \"acme/api\" is not @user, @org/team or an email address"}]}
	inp := object.union(doc("dev", [review("bo")], [pay("payments/a.go"), file(".github/CODEOWNERS", null)]), {"pull_request": {"codeowners": {"path": ".github/CODEOWNERS", "problems": [{"line": 2, "message": "old"}], "head": changed}}})
	co.deny == {{"msg": "This pull request leaves a problem in CODEOWNERS: .github/CODEOWNERS:12: owner \"acme/api\" is not @user, @org/team or an email address; GitHub skips this line.", "path": ".github/CODEOWNERS", "line": 12}} with input as inp
		with data.mergeguard.config as cfg({})

	# The base file's problems are not repeated when the new file is checked.
	count(co.warn) == 0 with input as inp with data.mergeguard.config as cfg({})
}

test_problems_from_githubs_check_say_so if {
	unknown := {"line": 5, "message": "Unknown owner: make sure @acme/ghost exists and has write access to the repository", "github": true}
	base := object.union(doc("dev", [review("bo")], [pay("payments/a.go")]), {"pull_request": {"codeowners": {"path": "CODEOWNERS", "problems": [unknown]}}})
	co.warn == {"CODEOWNERS on the base branch: CODEOWNERS:5: Unknown owner: make sure @acme/ghost exists and has write access to the repository (GitHub's check of the file)."} with input as base
		with data.mergeguard.config as cfg({})

	# Added by the pull request, the owner GitHub does not know blocks it.
	changed := object.union(base, {"pull_request": {"codeowners": {"head": {"path": "CODEOWNERS", "problems": [unknown]}}}})
	co.deny == {{"msg": "This pull request leaves a problem in CODEOWNERS: CODEOWNERS:5: Unknown owner: make sure @acme/ghost exists and has write access to the repository (GitHub's check of the file).", "path": "CODEOWNERS", "line": 5}} with input as changed
		with data.mergeguard.config as cfg({})
}

test_oversized_new_file_blocks_without_a_line if {
	changed := {"path": "CODEOWNERS", "problems": [{"line": 0, "message": "too big"}]}
	inp := object.union(doc("dev", [review("bo")], [pay("payments/a.go")]), {"pull_request": {"codeowners": {"path": "", "problems": [], "head": changed}}})
	co.deny == {{"msg": "This pull request leaves a problem in CODEOWNERS: CODEOWNERS: too big.", "path": "CODEOWNERS"}} with input as inp
		with data.mergeguard.config as cfg({})
}

test_no_codeowners_file_skips if {
	inp := object.union(doc("dev", [], [file("a.go", null)]), {"files_truncated": true, "pull_request": {"codeowners": {"path": "", "problems": []}}})
	co.skip == {"The repository has no CODEOWNERS file on the base branch."} with input as inp
		with data.mergeguard.config as cfg({})
	count(co.deny) == 0 with input as inp with data.mergeguard.config as cfg({})

	# An input without the projection at all reads the same.
	co.skip == {"The repository has no CODEOWNERS file on the base branch."} with input as {"pull_request": {"author": {"login": "dev"}}, "files": [], "reviews": []}
		with data.mergeguard.config as cfg({})
}

test_truncated_pull_request_blocks if {
	inp := object.union(doc("dev", [review("bo")], [pay("payments/a.go")]), {"files_truncated": true})
	co.deny == {"This pull request changes more files than GitHub lists (3000), so mergeguard cannot tell which code owners must approve the files it hides; split it into smaller pull requests."} with input as inp
		with data.mergeguard.config as cfg({})
}

# Review requests

test_no_review_requests_by_default if {
	count(co.request_reviewers) == 0 with input as doc("dev", [], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({})
}

test_review_requests_name_the_owners_still_missing if {
	# shared/x.go has its approval (sam, of sre); payments/a.go's team and
	# the legacy file's user owner do not. Another organization's team
	# cannot be requested, nor the author.
	theirs := {"line": 12, "pattern": "vendor/", "owners": ["@other/team", "@dev"]}
	files := [pay("payments/a.go"), file("shared/x.go", shared), file("payments/legacy/l.go", legacy), file("vendor/v.go", theirs)]
	reqs := co.request_reviewers with input as doc("dev", [review("sam")], files)
		with data.mergeguard.config as cfg({"request_reviews": true})
	reqs == {"@acme/payments", "@lee"}
}

test_no_review_requests_once_approved if {
	count(co.request_reviewers) == 0 with input as doc("dev", [review("bo")], [pay("payments/a.go")])
		with data.mergeguard.config as cfg({"request_reviews": true})
}
