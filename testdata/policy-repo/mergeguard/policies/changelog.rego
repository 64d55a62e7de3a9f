# METADATA
# title: Changelog entry
# description: >-
#   User-facing services keep a CHANGELOG.md; a change to one of them adds an
#   entry, so the release notes write themselves.
# custom:
#   severity: warning
#   remedy: Add a line to CHANGELOG.md describing the change for users, or label the pull request no-changelog.
#   config:
#     paths:
#       description: Paths (globs) whose changes need a changelog entry.
#       default: ["**"]
#       stricter: more
#     skip_label:
#       description: A label that says no entry is needed.
#       default: no-changelog
package mergeguard.rules.changelog

import data.mergeguard.config
import data.mergeguard.lib

settings := config.rules.changelog

changed_code contains f.path if {
	some f in input.files
	lib.matches(settings.paths, f.path)
	f.path != "CHANGELOG.md"
}

skip contains "labelled as needing no changelog entry" if settings.skip_label in input.pull_request.labels

skip contains "no matching paths changed" if count(changed_code) == 0

deny contains msg if {
	count(changed_code) > 0
	not settings.skip_label in input.pull_request.labels
	not "CHANGELOG.md" in {f.path | some f in input.files}
	msg := sprintf("%d changed %s under %s, but CHANGELOG.md is unchanged.", [
		count(changed_code),
		lib.plural(count(changed_code), "file", "files"),
		concat(", ", settings.paths),
	])
}
