package mergeguard.overrides_test

import data.mergeguard.overrides

doc(actor, rule) := {
	"rule": rule, "actor": actor,
	"pull_request": {"author": {"login": "dev"}},
	"repository": {"owner": "acme"},
	"teams": {"incident": {"found": true, "members": ["olga", "dev"]}},
}

freeze_override(extra) := {"overrides": {"change_freeze": object.union({"teams": ["incident"], "users": ["@CTO"], "author": false, "keep_on_push": false}, extra)}}

test_a_team_member_may_override if {
	count(overrides.refusals) == 0 with input as doc("olga", "change_freeze") with data.mergeguard.config as freeze_override({})
}

test_a_named_user_may_override if {
	count(overrides.refusals) == 0 with input as doc("cto", "change_freeze") with data.mergeguard.config as freeze_override({})
}

test_someone_else_is_refused_and_told_who_may if {
	overrides.refusals == {"Only @acme/incident or @CTO may override change_freeze."} with input as doc("mallory", "change_freeze")
		with data.mergeguard.config as freeze_override({})
}

test_the_author_is_refused_unless_allowed if {
	r := overrides.refusals with input as doc("dev", "change_freeze") with data.mergeguard.config as freeze_override({})
	count(r) == 1
	some msg in r
	contains(msg, "Authors may not override")
	count(overrides.refusals) == 0 with input as doc("dev", "change_freeze") with data.mergeguard.config as freeze_override({"author": true})
}

test_a_rule_nobody_is_named_for_cannot_be_overridden if {
	r := overrides.refusals with input as doc("olga", "required_reviewers") with data.mergeguard.config as freeze_override({})
	count(r) == 1
	some msg in r
	contains(msg, "Nobody may override required_reviewers")
}

test_keep_on_push if {
	not overrides.keep_on_push with input as doc("olga", "change_freeze") with data.mergeguard.config as freeze_override({})
	overrides.keep_on_push with input as doc("olga", "change_freeze") with data.mergeguard.config as freeze_override({"keep_on_push": true})
}

test_an_override_setting_naming_nobody_says_what_to_add if {
	r := overrides.refusals with input as doc("olga", "change_freeze") with data.mergeguard.config as freeze_override({"teams": [], "users": []})
	r == {"Nobody may override change_freeze yet: rules.change_freeze.override names no teams or users. Add them to the organization's configuration to allow overrides."}
}
