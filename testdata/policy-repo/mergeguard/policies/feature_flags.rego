# METADATA
# title: Feature flag
# description: >-
#   New code on risky paths ships behind a feature flag, so that turning it
#   off is the first way to stop an incident: each risky file the pull
#   request adds code to calls the organization's flag check in its added
#   lines, or the pull request carries a label saying why it needs no flag.
# custom:
#   severity: error
#   remedy: >-
#     Put the new code behind the flag check (for example
#     `if flags.Enabled(ctx, "new-refunds") { … }`), or add a label that starts
#     with the prefix named above and says why no flag is needed
#     ("no-flag: copy change").
#   config:
#     paths:
#       description: >-
#         Risky paths (globs) whose new code needs a flag. Empty: the rule
#         is off.
#       default: []
#       stricter: more
#       items: {type: string, format: glob}
#     exclude_paths:
#       description: Files on those paths that need no flag (tests, fixtures).
#       default: ["**/*_test.go", "**/testdata/**"]
#       stricter: fewer
#       items: {type: string, format: glob}
#     flag_functions:
#       description: >-
#         What an added line calls to check a flag, as written in the code
#         (plain text, not a pattern), e.g. "flags.Enabled(".
#       default: ["flags.Enabled("]
#       items: {type: string}
#     reason_label_prefix:
#       description: >-
#         A label starting with this and giving a reason ("no-flag: copy
#         change") lets the pull request through without a flag.
#       default: "no-flag:"
package mergeguard.rules.feature_flags

import data.mergeguard.config
import data.mergeguard.lib

settings := config.rules.feature_flags

# Everything comes from the input document: the changed files with their
# added lines, and the pull request's labels.

# risky are the changed files on the risky paths that the pull request adds
# lines to: removing code needs no flag.
risky contains f if {
	count(settings.paths) > 0
	some f in input.files
	lib.matches(settings.paths, f.path)
	not lib.matches(settings.exclude_paths, f.path)
	f.additions > 0
}

# lines_unknown: GitHub sent no patch for the file and mergeguard could not
# diff it, so whether it calls the flag check cannot be told.
lines_unknown(f) if {
	f.patch_missing
	not f.contents_diffed
}

flag_checked(f) if {
	some l in f.added_lines
	some fn in settings.flag_functions
	contains(l.text, fn)
}

# A label explains the exception only if it says something after the prefix.
reason_labels := {l |
	some l in input.pull_request.labels
	startswith(l, settings.reason_label_prefix)
	trim_space(trim_prefix(l, settings.reason_label_prefix)) != ""
}

skip contains "No risky paths are configured (rules.feature_flags.paths)." if count(settings.paths) == 0

skip contains "No code added on the risky paths." if {
	count(settings.paths) > 0
	count(risky) == 0
}

functions := concat(", ", [sprintf("`%s`", [fn]) | some fn in settings.flag_functions])

deny contains lib.located(msg, f.path) if {
	count(reason_labels) == 0
	some f in risky
	not lines_unknown(f)
	not flag_checked(f)
	msg := sprintf("`%s` adds code on a risky path without a feature flag: none of its added lines calls %s. Put the new code behind a flag, or label the pull request `%s <why no flag is needed>`.", [f.path, functions, settings.reason_label_prefix])
}

deny contains lib.located(msg, f.path) if {
	count(reason_labels) == 0
	some f in risky
	lines_unknown(f)
	msg := sprintf("`%s` changed too much for GitHub to show its lines, so whether its new code is behind a feature flag cannot be told. Split the pull request, or label it `%s <why no flag is needed>`.", [f.path, settings.reason_label_prefix])
}

warn contains msg if {
	count(risky) > 0
	count(reason_labels) > 0
	msg := sprintf("New code on risky paths without a feature flag, as labelled: %s.", [concat(", ", [sprintf("`%s`", [l]) | some l in reason_labels])])
}
