# METADATA
# title: Diff coverage
# description: >-
#   The lines a pull request adds are covered by tests: of the added lines the
#   uploaded coverage reports can measure, at least the target share ran.
# custom:
#   severity: error
#   remedy: >-
#     Add or extend tests that run the uncovered lines annotated in the diff,
#     then push; the check updates when CI uploads the new report.
#   config:
#     target:
#       description: Percentage of measured added lines that must be covered.
#       default: 80
#       type: number
#       minimum: 0
#       maximum: 100
#       stricter: higher
#     threshold:
#       description: How many percentage points below the target still pass.
#       default: 0
#       type: number
#       minimum: 0
#       maximum: 100
#       stricter: lower
#     informational:
#       description: Report diff coverage without ever blocking.
#       default: false
#       stricter: false
#     include:
#       description: >-
#         Files whose added lines count (globs): source files, so that a README
#         is not reported as missing from the coverage report.
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
#       items: {type: string, format: glob}
#     exclude:
#       description: >-
#         Files whose added lines never count (globs): tests themselves, test data
#         and generated code.
#       default:
#         - "**/*_test.go"
#         - "**/test_*.py"
#         - "**/*_test.py"
#         - "**/*.{test,spec}.{js,jsx,ts,tsx,mjs,cjs}"
#         - "**/__tests__/**"
#         - "**/src/test/**"
#         - "**/testdata/**"
#         - "**/*.pb.go"
#       stricter: fewer
#       items: {type: string, format: glob}
#     flags:
#       description: >-
#         Flags whose reports must all be in before the check decides (e.g. unit,
#         integration); empty: the first report decides.
#       default: []
#       stricter: more
#     wait_minutes:
#       description: How long to wait for the head commit's report.
#       default: 30
#       minimum: 1
#       maximum: 1440
#     on_timeout:
#       description: What happens when no report arrives in time (fail or warn).
#       default: fail
#       enum: [fail, warn]
package mergeguard.rules.diff_coverage

import data.mergeguard.config
import data.mergeguard.lib

settings := config.rules.diff_coverage

cov := input.coverage

sha := lib.short(cov.sha)

minute_ns := 60000000000

skip contains "No coverage report has been uploaded for this repository in the last 30 days; upload one from CI (mergeguard coverage upload) to check diff coverage." if {
	cov.status == "not_uploaded"
}

# Waiting for the report.

missing_flags := {f | some f in settings.flags} - {f | some f in cov.flags}

no_report if cov.status == "waiting"

partial if {
	cov.status == "ready"
	count(missing_flags) > 0
}

waiting if no_report

waiting if partial

deadline := cov.waiting_since_ns + (settings.wait_minutes * minute_ns)

timed_out if {
	waiting
	input.time.ns >= deadline
}

waiting_for := sprintf(" (still expected: %s)", [concat(", ", sort(missing_flags))]) if {
	count(missing_flags) > 0
} else := ""

waiting_msg := sprintf("Waiting for coverage for %s%s: this check decides when CI uploads the report, or after %d minutes without one.", [sha, waiting_for, settings.wait_minutes])

timeout_msg := sprintf("No coverage for %s arrived within %d minutes, so diff coverage is unknown. Check that CI uploads it (mergeguard coverage upload), then push or re-run the job.", [sha, settings.wait_minutes])

partial_msg := sprintf("The coverage for %s lacks the %s %s after %d minutes; diff coverage is measured with what arrived (%s).", [
	sha, lib.plural(count(missing_flags), "flag", "flags"), concat(", ", sort(missing_flags)), settings.wait_minutes, concat(", ", sort(cov.flags)),
])

# Waiting does not pass, unless the rule is informational.
deny contains waiting_msg if {
	waiting
	not timed_out
	not settings.informational
}

warn contains waiting_msg if {
	waiting
	not timed_out
	settings.informational
}

deny contains timeout_msg if {
	no_report
	timed_out
	settings.on_timeout == "fail"
	not settings.informational
}

warn contains timeout_msg if {
	no_report
	timed_out
	settings.on_timeout == "warn"
}

warn contains timeout_msg if {
	no_report
	timed_out
	settings.informational
}

warn contains partial_msg if {
	partial
	timed_out
}

# Decide again when the wait runs out, with no event.
recheck_at contains deadline if {
	waiting
	not timed_out
}

# Measuring.

# What is measured: the reports for the head, once every expected flag is
# in or the wait is over.
measuring if {
	cov.status == "ready"
	not waiting
}

measuring if {
	partial
	timed_out
}

# The include and exclude globs, combined once for every file.
include_glob := lib.any_of(settings.include)

exclude_glob := lib.any_of(settings.exclude)

# The files that count, by path. An object comprehension rather than a
# partial object rule (counted[path] := file if ...): OPA checks each key a
# partial rule adds against every earlier one, quadratic in the files.
default counted := {}

counted := {path: file |
	some path, file in cov.files
	glob.match(include_glob, ["/"], path)
	not glob.match(exclude_glob, ["/"], path)
} if {
	measuring
}

measured := sum([count(f.measured) | some f in counted])

covered := sum([count(f.covered) | some f in counted])

percent := (covered * 100) / measured if measured > 0

# Rounded down to one decimal, so 79.96% is never shown as passing 80%.
shown(p) := sprintf("%v%%", [floor(p * 10) / 10])

passing if percent >= settings.target - settings.threshold

skip contains sprintf("No coverable changes: the reports for %s measure none of the added lines.", [sha]) if {
	measuring
	measured == 0
}

verdict := sprintf("Diff coverage is %s (%d of %d measured added lines covered), below the %v%% target%s.%s", [
	shown(percent), covered, measured, settings.target, threshold_text, worst_files,
]) if {
	measured > 0
	not passing
}

threshold_text := sprintf(" (and the %v points of threshold)", [settings.threshold]) if settings.threshold > 0 else := ""

# The files that lose the most coverage, for the message.
worst_files := sprintf(" Least covered: %s.", [concat(", ", [sprintf("`%s` %d/%d", [w[1], w[2], w[3]]) | some w in array.slice(sort(losses), 0, 3)])]) if {
	count(losses) > 0
} else := ""

losses := [[covered_minus_measured, path, count(f.covered), count(f.measured)] |
	some path, f in counted
	count(f.measured) > count(f.covered)
	covered_minus_measured := count(f.covered) - count(f.measured)
]

deny contains verdict if {
	verdict
	not settings.informational
}

warn contains verdict if {
	verdict
	settings.informational
}

# Annotations: uncovered added lines, merged into ranges, for at most
# max_annotated_files files (the check run shows a limited number of
# annotations anyway; the summary says how many files were left out).

max_annotated_files := 100

uncovered contains path if {
	some path, f in counted
	count(f.covered) < count(f.measured)
}

annotated := array.slice(sort(uncovered), 0, max_annotated_files)

warn contains {"msg": range_msg(start, end), "path": path, "line": start, "end_line": end} if {
	some path in annotated
	f := counted[path]
	lines := sort({l | some l in f.measured} - {c | some c in f.covered})
	n := count(lines)
	some i, start in lines
	range_start(lines, i)
	end := lines[min({j | some j in numbers.range(i, n - 1); range_end(lines, j, n)})]
}

range_start(_, 0)

range_start(lines, i) if {
	i > 0
	lines[i - 1] != lines[i] - 1
}

range_end(_, j, n) if j == n - 1

range_end(lines, j, n) if {
	j < n - 1
	lines[j + 1] != lines[j] + 1
}

warn contains msg if {
	left := count(uncovered) - count(annotated)
	left > 0
	msg := sprintf("%d more %s with uncovered added lines are not annotated.", [left, lib.plural(left, "file", "files")])
}

range_msg(start, start) := sprintf("Line %d is not covered by tests.", [start])

range_msg(start, end) := sprintf("Lines %d–%d are not covered by tests.", [start, end]) if end != start

# A patch mergeguard cannot read hides its added lines: say so.
warn contains {"msg": msg, "path": f.path} if {
	measuring
	some f in input.files
	f.parse_error
	glob.match(include_glob, ["/"], f.path)
	not glob.match(exclude_glob, ["/"], f.path)
	msg := sprintf("The patch of `%s` cannot be read (%s), so its added lines are not measured.", [f.path, f.parse_error])
}

# A file the reports do not have is not silently counted as covered.
warn contains {"msg": msg, "path": path} if {
	some path, f in counted
	not f.in_report
	msg := sprintf("`%s` is not in the coverage report, so its added lines are not measured; check that the tests load it.", [path])
}
