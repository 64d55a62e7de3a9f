package mergeguard.rules.diff_coverage_test

import data.mergeguard.rules.diff_coverage as dc

# The configuration mergeguard passes when nothing is configured (the
# defaults in the rule's METADATA; a Go test keeps them equal).
defaults := {
	"target": 80,
	"threshold": 0,
	"informational": false,
	"include": [
		"**/*.go",
		"**/*.py",
		"**/*.{js,jsx,ts,tsx,mjs,cjs}",
		"**/*.{java,kt,scala}",
		"**/*.rb",
		"**/*.rs",
		"**/*.cs",
		"**/*.php",
		"**/*.swift",
		"**/*.{c,cc,cpp,h,hpp}",
	],
	"exclude": [
		"**/*_test.go",
		"**/test_*.py",
		"**/*_test.py",
		"**/*.{test,spec}.{js,jsx,ts,tsx,mjs,cjs}",
		"**/__tests__/**",
		"**/src/test/**",
		"**/testdata/**",
		"**/*.pb.go",
	],
	"flags": [],
	"wait_minutes": 30,
	"on_timeout": "fail",
	"partial_lines": "covered",
	"on_unreadable": "fail",
}

cfg(overrides) := {"rules": {"diff_coverage": object.union(defaults, overrides)}}

minute := 60000000000

since := 1795791600000000000 # Fri 27 Nov 2026 15:00 UTC

doc(status, flags, files, minutes) := {
	"coverage": {
		"status": status, "sha": "abc1234def5678000000000000000000deadbeef", "flags": flags,
		"waiting_since_ns": since, "files": files,
	},
	"time": {"ns": since + (minutes * minute)},
}

file(measured, covered) := {"in_report": true, "measured": measured, "covered": covered}

# 5 of 8 measured lines covered: 62.5%.
partly := {
	"pay/charge.go": file([10, 11, 12, 13, 20, 21], [10, 11, 20, 21]),
	"pay/refund.go": file([5, 6], [5]),
	"pay/README.md": {"in_report": false, "measured": [], "covered": []},
	"pay/fees.go": {"in_report": false, "measured": [], "covered": []},
}

test_diff_coverage_below_target if {
	dc.deny == {"Diff coverage is 62.5% (5 of 8 measured added lines covered), below the 80% target. Least covered: `pay/charge.go` 4/6, `pay/refund.go` 1/2."} with input as doc("ready", [""], partly, 1)
		with data.mergeguard.config as cfg({})
}

test_diff_coverage_meeting_the_target_passes if {
	count(dc.deny) == 0 with input as doc("ready", [""], partly, 1) with data.mergeguard.config as cfg({"target": 60})
	count(dc.deny) == 0 with input as doc("ready", [""], partly, 1) with data.mergeguard.config as cfg({"target": 70, "threshold": 7.5})
	count(dc.deny) == 1 with input as doc("ready", [""], partly, 1) with data.mergeguard.config as cfg({"target": 70, "threshold": 7.4})
}

test_percentages_are_rounded_down if {
	# 2 of 3: 66.66…% is shown as 66.6%, and fails a 66.7% target.
	files := {"a.go": file([1, 2, 3], [1, 2])}
	some d in dc.deny with input as doc("ready", [""], files, 1) with data.mergeguard.config as cfg({"target": 66.7})
	startswith(d, "Diff coverage is 66.6% (2 of 3 ")
}

test_uncovered_lines_are_annotated_as_ranges if {
	warnings := dc.warn with input as doc("ready", [""], partly, 1) with data.mergeguard.config as cfg({})
	warnings == {
		{"msg": "Lines 12–13 are not covered by tests.", "path": "pay/charge.go", "line": 12, "end_line": 13},
		{"msg": "Line 6 is not covered by tests.", "path": "pay/refund.go", "line": 6, "end_line": 6},
		{"msg": "`pay/fees.go` is not in the coverage report, so its added lines are not measured; check that the tests load it.", "path": "pay/fees.go"},
	}
}

test_no_coverable_changes_pass if {
	files := {"docs/a.md": {"in_report": false, "measured": [], "covered": []}, "a.go": file([], [])}
	count(dc.deny) == 0 with input as doc("ready", [""], files, 1) with data.mergeguard.config as cfg({})
	some s in dc.skip with input as doc("ready", [""], files, 1) with data.mergeguard.config as cfg({})
	startswith(s, "No coverable changes")
}

test_include_and_exclude if {
	# Excluding refund.go: 4 of 6 = 66.6%.
	some d in dc.deny with input as doc("ready", [""], partly, 1) with data.mergeguard.config as cfg({"exclude": ["**/refund.go"]})
	startswith(d, "Diff coverage is 66.6% (4 of 6 ")
	count(dc.deny) == 0 with input as doc("ready", [""], partly, 1) with data.mergeguard.config as cfg({"include": ["pay/refund.go"], "target": 50})
}

test_informational_never_blocks if {
	count(dc.deny) == 0 with input as doc("ready", [""], partly, 1) with data.mergeguard.config as cfg({"informational": true})
	some w in dc.warn with input as doc("ready", [""], partly, 1) with data.mergeguard.config as cfg({"informational": true})
	w == "Diff coverage is 62.5% (5 of 8 measured added lines covered), below the 80% target. Least covered: `pay/charge.go` 4/6, `pay/refund.go` 1/2."
}

# Waiting

test_waiting_for_the_report_does_not_pass if {
	dc.deny == {"Waiting for coverage for abc1234: this check decides when CI uploads the report, or after 30 minutes without one."} with input as doc("waiting", [], {}, 5)
		with data.mergeguard.config as cfg({})
	dc.recheck_at == {since + (30 * minute)} with input as doc("waiting", [], {}, 5) with data.mergeguard.config as cfg({})
}

test_no_report_in_time_fails_or_warns if {
	some d in dc.deny with input as doc("waiting", [], {}, 30) with data.mergeguard.config as cfg({})
	startswith(d, "No coverage for abc1234 arrived within 30 minutes")
	count(dc.recheck_at) == 0 with input as doc("waiting", [], {}, 30) with data.mergeguard.config as cfg({})
	count(dc.deny) == 0 with input as doc("waiting", [], {}, 31) with data.mergeguard.config as cfg({"on_timeout": "warn"})
	count(dc.warn) == 1 with input as doc("waiting", [], {}, 31) with data.mergeguard.config as cfg({"on_timeout": "warn"})
}

test_waiting_for_every_expected_flag if {
	dc.deny == {"Waiting for coverage for abc1234 (still expected: integration): this check decides when CI uploads the report, or after 30 minutes without one."} with input as doc("ready", ["unit"], partly, 5)
		with data.mergeguard.config as cfg({"flags": ["unit", "integration"]})
	count(dc.deny) == 0 with input as doc("ready", ["integration", "unit"], partly, 5)
		with data.mergeguard.config as cfg({"flags": ["unit", "integration"], "target": 50})

	# After the wait, what arrived decides, with a warning.
	count(dc.deny) == 0 with input as doc("ready", ["unit"], partly, 40)
		with data.mergeguard.config as cfg({"flags": ["unit", "integration"], "target": 50})
	some w in dc.warn with input as doc("ready", ["unit"], partly, 40)
		with data.mergeguard.config as cfg({"flags": ["unit", "integration"], "target": 50})
	startswith(w, "The coverage for abc1234 lacks the flag integration after 30 minutes")
}

test_a_repository_without_uploads_is_skipped if {
	count(dc.deny) == 0 with input as doc("not_uploaded", [], {}, 100) with data.mergeguard.config as cfg({})
	count(dc.skip) == 1 with input as doc("not_uploaded", [], {}, 100) with data.mergeguard.config as cfg({})
}

test_offline_without_a_report_says_to_add_a_file if {
	offline := object.union(doc("not_uploaded", [], {}, 100), {"trigger": {"event": "eval"}})
	skips := dc.skip with input as offline with data.mergeguard.config as cfg({})
	count(skips) == 1
	some msg in skips
	contains(msg, "add one as coverage.*")
}

# Files whose added lines cannot be read

unreadable_msg(path, why) := sprintf("The added lines of `%s` cannot be read (%s), so diff coverage cannot measure them. Exclude the file if it is generated (exclude), or make the change smaller.", [path, why])

with_files(input_files) := object.union(doc("ready", [""], {}, 1), {"files": input_files})

test_an_unreadable_patch_fails if {
	x := with_files([{"path": "pay/x.go", "status": "modified", "parse_error": "hunk 1 is truncated"}])
	dc.deny == {{"msg": unreadable_msg("pay/x.go", "its patch cannot be read: hunk 1 is truncated"), "path": "pay/x.go"}} with input as x
		with data.mergeguard.config as cfg({})
}

test_a_missing_patch_that_could_not_be_diffed_fails_saying_why if {
	x := with_files([
		{"path": "gen/big.go", "status": "modified", "patch_missing": true, "unreadable": "the file is larger than 4 MiB at the head"},
		{"path": "pay/y.go", "status": "modified", "patch_missing": true},
		# Diffed from the contents: measured like any other file.
		{"path": "pay/z.go", "status": "modified", "patch_missing": true, "contents_diffed": true},
		# Not counted: no source file, removed, excluded.
		{"path": "assets/logo.png", "status": "modified", "patch_missing": true, "unreadable": "the file is binary"},
		{"path": "pay/gone.go", "status": "removed", "patch_missing": true},
		{"path": "pay/y_test.go", "status": "modified", "patch_missing": true},
	])
	dc.deny == {
		{"msg": unreadable_msg("gen/big.go", "GitHub sent no patch, and the file is larger than 4 MiB at the head"), "path": "gen/big.go"},
		{"msg": unreadable_msg("pay/y.go", "GitHub sent no patch, and the file was not diffed at the base and the head"), "path": "pay/y.go"},
	} with input as x
		with data.mergeguard.config as cfg({})

	# Warned instead when so configured, or when the rule only informs;
	# the rule never passes silently.
	count(dc.deny) == 0 with input as x with data.mergeguard.config as cfg({"on_unreadable": "warn"})
	count(dc.warn) == 2 with input as x with data.mergeguard.config as cfg({"on_unreadable": "warn"})
	count(dc.deny) == 0 with input as x with data.mergeguard.config as cfg({"informational": true})
	count(dc.warn) == 2 with input as x with data.mergeguard.config as cfg({"informational": true})

	# Excluding the generated file settles it.
	count(dc.deny) == 1 with input as x with data.mergeguard.config as cfg({"exclude": ["gen/**", "**/*_test.go"]})
}

# Partly covered lines
#
# Worked out by hand:
#   pay/charge.go  measured 10-14, 20; ran 10, 11, 12, 20; of those, 11
#                  (1 of 2 branches) and 20 (1 of 4) only partly; 13-14 missed
#   pay/refund.go  measured 5, 6; both ran; 6 only partly (2 of 3)
#   pay/new.go     not in the report
# 8 measured, 6 ran, 3 of them partly, so 3 fully covered:
#   covered: 6/8 = 75%; missed: 3/8 = 37.5%; half: (3 + 1.5)/8 = 56.25%,
#   shown 56.2%.
branchy := {
	"pay/charge.go": {
		"in_report": true, "measured": [10, 11, 12, 13, 14, 20], "covered": [10, 11, 12, 20], "partial": [11, 20],
		"branches": [{"line": 10, "total": 2, "taken": 2}, {"line": 11, "total": 2, "taken": 1}, {"line": 13, "total": 2, "taken": 0}, {"line": 20, "total": 4, "taken": 1}],
	},
	"pay/refund.go": {"in_report": true, "measured": [5, 6], "covered": [5, 6], "partial": [6], "branches": [{"line": 6, "total": 3, "taken": 2}]},
	"pay/new.go": {"in_report": false, "measured": [], "covered": [], "partial": [], "branches": []},
}

test_partial_lines_count_as_configured if {
	dc.deny == {"Diff coverage is 75% (6 of 8 measured added lines covered, 3 of them partly; a partly covered line counts as covered), below the 80% target. Least covered: `pay/charge.go` 4/6."} with input as doc("ready", [""], branchy, 1)
		with data.mergeguard.config as cfg({})
	dc.deny == {"Diff coverage is 37.5% (6 of 8 measured added lines covered, 3 of them partly; a partly covered line counts as missed), below the 80% target. Least covered: `pay/charge.go` 2/6, `pay/refund.go` 1/2."} with input as doc("ready", [""], branchy, 1)
		with data.mergeguard.config as cfg({"partial_lines": "missed"})
	dc.deny == {"Diff coverage is 56.2% (6 of 8 measured added lines covered, 3 of them partly; a partly covered line counts as half a line), below the 80% target. Least covered: `pay/charge.go` 3/6, `pay/refund.go` 1.5/2."} with input as doc("ready", [""], branchy, 1)
		with data.mergeguard.config as cfg({"partial_lines": "half"})

	# The exact value is compared: 56.25% passes a 56.25% target.
	count(dc.deny) == 0 with input as doc("ready", [""], branchy, 1) with data.mergeguard.config as cfg({"partial_lines": "half", "target": 56.25})
	count(dc.deny) == 1 with input as doc("ready", [""], branchy, 1) with data.mergeguard.config as cfg({"partial_lines": "half", "target": 56.26})
	count(dc.deny) == 0 with input as doc("ready", [""], branchy, 1) with data.mergeguard.config as cfg({"partial_lines": "missed", "target": 37.5})
}

test_partial_lines_are_annotated_whatever_they_count_as if {
	every setting in ["covered", "missed", "half"] {
		warnings := dc.warn with input as doc("ready", [""], branchy, 1) with data.mergeguard.config as cfg({"partial_lines": setting})
		warnings == {
			{"msg": "Lines 13–14 are not covered by tests.", "path": "pay/charge.go", "line": 13, "end_line": 14},
			{"msg": "Line 11 is partly covered: 1 of 2 branches taken.", "path": "pay/charge.go", "line": 11, "end_line": 11},
			{"msg": "Line 20 is partly covered: 1 of 4 branches taken.", "path": "pay/charge.go", "line": 20, "end_line": 20},
			{"msg": "Line 6 is partly covered: 2 of 3 branches taken.", "path": "pay/refund.go", "line": 6, "end_line": 6},
			{"msg": "`pay/new.go` is not in the coverage report, so its added lines are not measured; check that the tests load it.", "path": "pay/new.go"},
		}
	}
}

# The per-file table

note(setting) := sprintf("Covered: the measured added lines that ran. A partly covered line ran, but not every one of its branches was taken; it counts as %s (partial_lines).", [setting])

test_the_table_lists_each_file_least_covered_first if {
	dc.details == {{
		"title": "Diff coverage by file",
		"columns": ["File", "Covered", "%", "Not covered", "Partly covered"],
		"rows": [
			["`pay/charge.go`", "4 of 6 (2 partly)", "66.6%", "13–14", "11, 20"],
			["`pay/refund.go`", "2 of 2 (1 partly)", "100%", "", "6"],
			["`pay/new.go`", "not in the report", "—", "", ""],
		],
		"note": note("covered"),
	}} with input as doc("ready", [""], branchy, 1)
		with data.mergeguard.config as cfg({})

	# Counted as missed, the percentages follow.
	some t in dc.details with input as doc("ready", [""], branchy, 1) with data.mergeguard.config as cfg({"partial_lines": "missed"})
	t.rows[0] == ["`pay/charge.go`", "4 of 6 (2 partly)", "33.3%", "13–14", "11, 20"]
	t.rows[1] == ["`pay/refund.go`", "2 of 2 (1 partly)", "50%", "", "6"]
	t.note == note("missed")

	# Plain line coverage, a file the report has without coverable lines.
	some u in dc.details with input as doc("ready", [""], object.union(partly, {"pay/doc.go": file([], [])}), 1) with data.mergeguard.config as cfg({})
	u.rows == [
		["`pay/refund.go`", "1 of 2", "50%", "6", ""],
		["`pay/charge.go`", "4 of 6", "66.6%", "12–13", ""],
		["`pay/doc.go`", "no coverable added lines", "—", "", ""],
		["`pay/fees.go`", "not in the report", "—", "", ""],
	]
}

test_the_table_is_capped if {
	many := {sprintf("f/%03d.go", [i]): file([1, 2], [1]) | some i in numbers.range(1, 101)}
	some t in dc.details with input as doc("ready", [""], many, 1) with data.mergeguard.config as cfg({})
	count(t.rows) == 100
	t.rows[0] == ["`f/001.go`", "1 of 2", "50%", "2", ""]
	t.note == concat(" ", [note("covered"), "1 more file is not shown."])

	# A file's ranges are capped too.
	scattered := {"a.go": file([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23], [])}
	some s in dc.details with input as doc("ready", [""], scattered, 1) with data.mergeguard.config as cfg({})
	s.rows[0][3] == "1, 3, 5, 7, 9, 11, 13, 15, 17, 19, … (12 ranges)"
}

test_no_table_before_the_report_is_in if {
	count(dc.details) == 0 with input as doc("waiting", [], {}, 5) with data.mergeguard.config as cfg({})
	count(dc.details) == 0 with input as doc("not_uploaded", [], {}, 5) with data.mergeguard.config as cfg({})
}
