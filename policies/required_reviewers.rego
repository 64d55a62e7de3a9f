# METADATA
# title: Required reviewers
# description: >-
#   A change needs an approval from someone other than its author, and no
#   reviewer may have outstanding requested changes.
# custom:
#   severity: error
#   remedy: >-
#     Ask a teammate who did not write this change to review and approve it. If
#     someone requested changes, address them and ask that reviewer to look again.
#   config:
#     approvals:
#       description: Approvals needed from people other than the author.
#       default: 1
#       minimum: 1
#       maximum: 10
#       stricter: higher
package mergeguard.rules.required_reviewers

import data.mergeguard.config

min_approvals := config.rules.required_reviewers.approvals

author := lower(input.pull_request.author.login)

# Approvals that count: the reviewer's latest decisive review approves, the
# reviewer is not the author, and is not a bot.
approvers contains review.author.login if {
	some review in input.reviews
	review.state == "APPROVED"
	lower(review.author.login) != author
	review.author.type != "Bot"
}

change_requesters contains review.author.login if {
	some review in input.reviews
	review.state == "CHANGES_REQUESTED"
	lower(review.author.login) != author
}

deny contains msg if {
	missing := min_approvals - count(approvers)
	missing > 0
	msg := sprintf("Needs %d more %s from someone other than the author (@%s).", [
		missing,
		plural(missing, "approval", "approvals"),
		input.pull_request.author.login,
	])
}

deny contains msg if {
	some login in change_requesters
	msg := sprintf("@%s requested changes; that review blocks the merge until @%s approves or it is dismissed.", [login, login])
}

plural(1, one, _) := one

plural(n, _, many) := many if n != 1
