package mergeguard.rules.changelog_test

import data.mergeguard.rules.changelog

cfg := {"rules": {"changelog": {"paths": ["services/**"], "skip_label": "no-changelog"}}}

pr(labels) := {"labels": labels}

test_service_change_without_changelog_is_flagged if {
	denials := changelog.deny with input as {"pull_request": pr([]), "files": [{"path": "services/api/main.go"}]}
		with data.mergeguard.config as cfg
	denials == {"1 changed file under services/**, but CHANGELOG.md is unchanged."}
}

test_changelog_entry_satisfies if {
	count(changelog.deny) == 0 with input as {"pull_request": pr([]), "files": [
		{"path": "services/api/main.go"},
		{"path": "CHANGELOG.md"},
	]}
		with data.mergeguard.config as cfg
}

test_label_skips if {
	changelog.skip == {"labelled as needing no changelog entry"} with input as {"pull_request": pr(["no-changelog"]), "files": [{"path": "services/api/main.go"}]}
		with data.mergeguard.config as cfg
}

test_other_paths_are_not_concerned if {
	changelog.skip == {"no matching paths changed"} with input as {"pull_request": pr([]), "files": [{"path": "docs/guide.md"}]}
		with data.mergeguard.config as cfg
}
