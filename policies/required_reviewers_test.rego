package mergeguard.rules.required_reviewers_test

import data.mergeguard.rules.required_reviewers

pr := {"author": {"login": "dev", "type": "User"}}

# The configuration mergeguard passes when nothing is configured.
defaults := {"rules": {"required_reviewers": {"approvals": 1}}}

two := {"rules": {"required_reviewers": {"approvals": 2}}}

review(login, state) := {"author": {"login": login, "type": "User"}, "state": state}

test_no_reviews_is_denied if {
	denials := required_reviewers.deny with input as {"pull_request": pr, "reviews": []}
		with data.mergeguard.config as defaults
	denials == {"Needs 1 more approval from someone other than the author (@dev)."}
}

test_approval_from_a_teammate_passes if {
	count(required_reviewers.deny) == 0 with input as {"pull_request": pr, "reviews": [review("alice", "APPROVED")]}
		with data.mergeguard.config as defaults
}

test_self_approval_does_not_count if {
	count(required_reviewers.deny) == 1 with input as {"pull_request": pr, "reviews": [review("DEV", "APPROVED")]}
		with data.mergeguard.config as defaults
}

test_bot_approval_does_not_count if {
	bot := {"author": {"login": "helper[bot]", "type": "Bot"}, "state": "APPROVED"}
	count(required_reviewers.deny) == 1 with input as {"pull_request": pr, "reviews": [bot]}
		with data.mergeguard.config as defaults
}

test_dismissed_approval_does_not_count if {
	count(required_reviewers.deny) == 1 with input as {"pull_request": pr, "reviews": [review("alice", "DISMISSED")]}
		with data.mergeguard.config as defaults
}

test_changes_requested_blocks_despite_an_approval if {
	denials := required_reviewers.deny with input as {"pull_request": pr, "reviews": [
		review("alice", "APPROVED"),
		review("bob", "CHANGES_REQUESTED"),
	]}
		with data.mergeguard.config as defaults
	denials == {"@bob requested changes; that review blocks the merge until @bob approves or it is dismissed."}
}

test_configured_approvals_are_required if {
	denials := required_reviewers.deny with input as {"pull_request": pr, "reviews": [review("alice", "APPROVED")]}
		with data.mergeguard.config as two
	denials == {"Needs 1 more approval from someone other than the author (@dev)."}
}

test_two_approvals_satisfy_two if {
	count(required_reviewers.deny) == 0 with input as {"pull_request": pr, "reviews": [review("alice", "APPROVED"), review("bob", "APPROVED")]}
		with data.mergeguard.config as two
}
