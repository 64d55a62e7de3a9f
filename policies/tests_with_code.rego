# METADATA
# title: Tests with code
# description: >-
#   A change to source code comes with a change to tests, so that new
#   behaviour is pinned down where the next change can break it.
# custom:
#   severity: warning
#   remedy: >-
#     Add or update tests for the change. If none are needed (a refactoring
#     the existing tests cover, a comment), label the pull request as the
#     message says.
#   config:
#     source_paths:
#       description: Source files (globs).
#       default:
#         - "**/*.go"
#         - "**/*.py"
#         - "**/*.{js,jsx,ts,tsx,mjs,cjs}"
#         - "**/*.{java,kt,scala}"
#         - "**/*.rb"
#         - "**/*.rs"
#         - "**/*.cs"
#         - "**/*.php"
#         - "**/*.swift"
#         - "**/*.{c,cc,cpp,h,hpp}"
#       stricter: more
#       items: {type: string, format: glob}
#     test_paths:
#       description: Test files (globs); a change to any of them counts as changing tests.
#       default:
#         - "**/*_test.go"
#         - "**/test_*.py"
#         - "**/*_test.py"
#         - "**/*.{test,spec}.{js,jsx,ts,tsx,mjs,cjs}"
#         - "**/__tests__/**"
#         - "**/src/test/**"
#         - "**/*{Test,Tests,Spec}.{java,kt,scala}"
#         - "**/*_spec.rb"
#         - "**/spec/**"
#         - "**/tests/**"
#         - "**/test/**"
#         - "**/*Tests.cs"
#         - "**/*Test.php"
#         - "**/*Tests.swift"
#         - "**/testdata/**"
#       stricter: fewer
#       items: {type: string, format: glob}
#     exempt_paths:
#       description: Source files that need no tests (generated or vendored code).
#       default:
#         - "vendor/**"
#         - "third_party/**"
#         - "**/*.pb.go"
#         - "**/*_generated.*"
#         - "**/*.gen.*"
#         - "**/generated/**"
#         - "**/node_modules/**"
#       stricter: fewer
#       items: {type: string, format: glob}
#     exempt_labels:
#       description: Labels that say no tests are needed.
#       default: ["no-tests-needed"]
#       stricter: fewer
package mergeguard.rules.tests_with_code

import data.mergeguard.config
import data.mergeguard.lib

settings := config.rules.tests_with_code

# Source files the pull request adds or changes; deleting code needs no
# test.
source_changes contains f.path if {
	some f in input.files
	f.status != "removed"
	glob.match(source_glob, ["/"], f.path)
	not glob.match(tests_glob, ["/"], f.path)
	not glob.match(exempt_glob, ["/"], f.path)
}

# Each list's globs, combined once for every file.
source_glob := lib.any_of(settings.source_paths)

tests_glob := lib.any_of(settings.test_paths)

exempt_glob := lib.any_of(settings.exempt_paths)

changed_tests contains p if some p in lib.changed(settings.test_paths)

exempt_label contains l if {
	some l in input.pull_request.labels
	l in settings.exempt_labels
}

skip contains sprintf("Labelled `%s`: no tests needed.", [l]) if some l in exempt_label

skip contains "No source files changed." if {
	count(source_changes) == 0
	not input.files_truncated
}

deny contains lib.located(msg, sort(source_changes)[0]) if {
	count(source_changes) > 0
	count(changed_tests) == 0
	count(exempt_label) == 0
	not input.files_truncated
	msg := sprintf("Changes %s without changing any test.%s", [lib.file_list(source_changes), label_hint])
}

label_hint := sprintf(" If no test is needed, label the pull request `%s`.", [settings.exempt_labels[0]]) if {
	count(settings.exempt_labels) > 0
} else := ""

# Too many files to tell which are tests: say so rather than guess.
warn contains "This pull request changes more files than GitHub lists (3000), so mergeguard cannot tell whether it changes tests." if {
	input.files_truncated
	count(exempt_label) == 0
}
