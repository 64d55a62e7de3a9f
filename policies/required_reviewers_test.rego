package mergeguard.rules.required_reviewers_test

import data.mergeguard.rules.required_reviewers

pr := {"author": {"login": "dev", "type": "User"}}

review(login, state) := {"author": {"login": login, "type": "User"}, "state": state}

test_no_reviews_is_denied if {
	denials := required_reviewers.deny with input as {"pull_request": pr, "reviews": []}
	denials == {"Needs 1 more approval from someone other than the author (@dev)."}
}

test_approval_from_a_teammate_passes if {
	count(required_reviewers.deny) == 0 with input as {"pull_request": pr, "reviews": [review("alice", "APPROVED")]}
}

test_self_approval_does_not_count if {
	count(required_reviewers.deny) == 1 with input as {"pull_request": pr, "reviews": [review("DEV", "APPROVED")]}
}

test_bot_approval_does_not_count if {
	bot := {"author": {"login": "helper[bot]", "type": "Bot"}, "state": "APPROVED"}
	count(required_reviewers.deny) == 1 with input as {"pull_request": pr, "reviews": [bot]}
}

test_dismissed_approval_does_not_count if {
	count(required_reviewers.deny) == 1 with input as {"pull_request": pr, "reviews": [review("alice", "DISMISSED")]}
}

test_changes_requested_blocks_despite_an_approval if {
	denials := required_reviewers.deny with input as {"pull_request": pr, "reviews": [
		review("alice", "APPROVED"),
		review("bob", "CHANGES_REQUESTED"),
	]}
	denials == {"@bob requested changes; that review blocks the merge until @bob approves or it is dismissed."}
}
