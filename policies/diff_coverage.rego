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
#     partial_lines:
#       description: >-
#         How a partly covered line (it ran, but not every one of its branches
#         was taken) counts toward the percentage: covered (as 1 line, like
#         diff-cover), missed (as 0, like Codecov's percentage) or half (0.5).
#       default: covered
#       enum: [covered, missed, half]
#     on_unreadable:
#       description: >-
#         What happens when a counted file's added lines cannot be read at all
#         (GitHub sent no patch and the file could not be diffed either:
#         binary, or too large): fail or warn, saying why.
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
	not offline
}

# Offline (mergeguard eval DIR), the fix is a file next to the diff, not an
# upload from CI.
skip contains "No coverage report in the pull request's directory; add one as coverage.* (e.g. coverage.out from go test -coverprofile) to check diff coverage offline." if {
	cov.status == "not_uploaded"
	offline
}

offline if input.trigger.event == "eval"

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

# What a partly covered line is worth, by the partial_lines setting.
partial_weights := {"covered": 1, "missed": 0, "half": 0.5}

partial_weight := partial_weights[settings.partial_lines]

# A file's numbers: measured lines, lines that ran (covered, partly covered
# ones included), partly covered lines, and what the covered lines are
# worth: (covered - partial) + weight × partial.
file_partial(f) := object.get(f, "partial", [])

stats := {path: {"measured": m, "covered": c, "partial": p, "credited": (c - p) + (partial_weight * p)} |
	some path, f in counted
	m := count(f.measured)
	c := count(f.covered)
	p := count(file_partial(f))
}

measured := sum([st.measured | some st in stats])

covered := sum([st.covered | some st in stats])

partly_covered := sum([st.partial | some st in stats])

credited := sum([st.credited | some st in stats])

percent := (credited * 100) / measured if measured > 0

# Rounded down to one decimal, so 79.96% is never shown as passing 80%. The
# comparison with the target uses the exact value.
shown(p) := sprintf("%v%%", [floor(p * 10) / 10])

passing if percent >= settings.target - settings.threshold

skip contains sprintf("No coverable changes: the reports for %s measure none of the added lines.", [sha]) if {
	measuring
	measured == 0
}

partial_words := {"covered": "covered", "missed": "missed", "half": "half a line"}

counts_text := sprintf("%d of %d measured added lines covered", [covered, measured]) if {
	partly_covered == 0
} else := sprintf("%d of %d measured added lines covered, %d of them partly; a partly covered line counts as %s", [
	covered, measured, partly_covered, partial_words[settings.partial_lines],
])

verdict := sprintf("Diff coverage is %s (%s), below the %v%% target%s.%s", [
	shown(percent), counts_text, settings.target, threshold_text, worst_files,
]) if {
	measured > 0
	not passing
}

threshold_text := sprintf(" (and the %v points of threshold)", [settings.threshold]) if settings.threshold > 0

else := ""

# The files that lose the most coverage, for the message.
worst_files := sprintf(" Least covered: %s.", [concat(", ", [sprintf("`%s` %v/%d", [w[1], w[2], w[3]]) | some w in array.slice(sort(losses), 0, 3)])]) if {
	count(losses) > 0
} else := ""

losses := [[st.credited - st.measured, path, st.credited, st.measured] |
	some path, st in stats
	st.measured > st.credited
]

deny contains verdict if {
	verdict
	not settings.informational
}

warn contains verdict if {
	verdict
	settings.informational
}

# Annotations: uncovered added lines, merged into ranges, and partly
# covered lines one by one, for at most max_annotated_files files (the
# check run shows a limited number of annotations anyway; the summary says
# how many files were left out).

max_annotated_files := 100

missed_lines(f) := sort({l | some l in f.measured} - {c | some c in f.covered})

needs_annotation contains path if {
	some path, st in stats
	st.covered < st.measured
}

needs_annotation contains path if {
	some path, st in stats
	st.partial > 0
}

annotated := array.slice(sort(needs_annotation), 0, max_annotated_files)

warn contains {"msg": range_msg(r[0], r[1]), "path": path, "line": r[0], "end_line": r[1]} if {
	some path in annotated
	some r in ranges(missed_lines(counted[path]))
}

warn contains {"msg": partial_msg_of(b), "path": path, "line": b.line, "end_line": b.line} if {
	some path in annotated
	f := counted[path]
	partly := {l | some l in file_partial(f)}
	some b in object.get(f, "branches", [])
	partly[b.line]
}

partial_msg_of(b) := sprintf("Line %d is partly covered: %d of %d branches taken.", [b.line, b.taken, b.total])

# ranges merges sorted line numbers into [start, end] runs.
ranges(lines) := [[start, end] |
	n := count(lines)
	some i, start in lines
	range_start(lines, i)
	end := lines[min({j | some j in numbers.range(i, n - 1); range_end(lines, j, n)})]
]

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
	left := count(needs_annotation) - count(annotated)
	left > 0
	msg := sprintf("%d more %s with uncovered added lines are not annotated.", [left, lib.plural(left, "file", "files")])
}

range_msg(start, start) := sprintf("Line %d is not covered by tests.", [start])

range_msg(start, end) := sprintf("Lines %d–%d are not covered by tests.", [start, end]) if end != start

# A counted file whose added lines are unknown cannot be measured, and its
# lines must not pass unseen: the rule fails (or warns, as on_unreadable
# says) and says why. GitHub sends no patch for very large diffs; mergeguard
# then diffs the file at the base and the head itself, and only a file it
# could not diff either (binary, too large; see unreadable) stays unknown.
unreadable_why(f) := sprintf("its patch cannot be read: %s", [f.parse_error]) if {
	f.parse_error
} else := sprintf("GitHub sent no patch, and %s", [f.unreadable]) if {
	f.patch_missing
	not f.contents_diffed
	f.unreadable
} else := "GitHub sent no patch, and the file was not diffed at the base and the head" if {
	f.patch_missing
	not f.contents_diffed
}

unreadable_files := {f.path: why |
	some f in input.files
	object.get(f, "status", "") != "removed"
	glob.match(include_glob, ["/"], f.path)
	not glob.match(exclude_glob, ["/"], f.path)
	why := unreadable_why(f)
}

unreadable_msg(path, why) := sprintf("The added lines of `%s` cannot be read (%s), so diff coverage cannot measure them. Exclude the file if it is generated (exclude), or make the change smaller.", [path, why])

unreadable_fails if {
	settings.on_unreadable == "fail"
	not settings.informational
}

deny contains {"msg": unreadable_msg(path, why), "path": path} if {
	measuring
	unreadable_fails
	some path, why in unreadable_files
}

warn contains {"msg": unreadable_msg(path, why), "path": path} if {
	measuring
	not unreadable_fails
	some path, why in unreadable_files
}

# The per-file table in the check's details: every counted file, least
# covered first, at most max_table_files of them.

max_table_files := 100

max_table_ranges := 10

details contains {
	"title": "Diff coverage by file",
	"columns": ["File", "Covered", "%", "Not covered", "Partly covered"],
	"rows": [table_row(r[2]) | some r in array.slice(table_order, 0, max_table_files)],
	"note": table_note,
} if {
	measuring
	count(counted) > 0
}

# Files with measured lines by percentage, then the rest, each by path.
table_order := sort(array.concat(
	[[0, st.credited / st.measured, path] | some path, st in stats; st.measured > 0],
	[[1, 0, path] | some path, st in stats; st.measured == 0],
))

table_row(path) := [sprintf("`%s`", [path]), covered_cell(st), shown((st.credited * 100) / st.measured), ranges_text(missed_lines(f)), ranges_text(sort(file_partial(f)))] if {
	st := stats[path]
	st.measured > 0
	f := counted[path]
} else := [sprintf("`%s`", [path]), "no coverable added lines", "—", "", ""] if {
	counted[path].in_report
} else := [sprintf("`%s`", [path]), "not in the report", "—", "", ""]

covered_cell(st) := sprintf("%d of %d", [st.covered, st.measured]) if {
	st.partial == 0
} else := sprintf("%d of %d (%d partly)", [st.covered, st.measured, st.partial])

ranges_text(lines) := concat(", ", [range_text(r) | some r in rs]) if {
	rs := ranges(lines)
	count(rs) <= max_table_ranges
} else := sprintf("%s, … (%d ranges)", [concat(", ", [range_text(r) | some r in array.slice(rs, 0, max_table_ranges)]), count(rs)]) if {
	rs := ranges(lines)
}

range_text(r) := sprintf("%d", [r[0]]) if r[0] == r[1]

else := sprintf("%d–%d", r)

table_note := trim_space(concat(" ", [formula_note, left_note]))

formula_note := sprintf("Covered: the measured added lines that ran. A partly covered line ran, but not every one of its branches was taken; it counts as %s (partial_lines).", [partial_words[settings.partial_lines]])

left_note := sprintf("%d more %s not shown.", [left, lib.plural(left, "file is", "files are")]) if {
	left := count(counted) - max_table_files
	left > 0
} else := ""

# A file the reports do not have is not silently counted as covered.
warn contains {"msg": msg, "path": path} if {
	some path, f in counted
	not f.in_report
	msg := sprintf("`%s` is not in the coverage report, so its added lines are not measured; check that the tests load it.", [path])
}
