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

test_an_unreadable_patch_is_reported if {
	x := object.union(doc("ready", [""], {}, 1), {"files": [{"path": "pay/x.go", "parse_error": "hunk 1 is truncated"}]})
	dc.warn == {{"msg": "The patch of `pay/x.go` cannot be read (hunk 1 is truncated), so its added lines are not measured.", "path": "pay/x.go"}} with input as x
		with data.mergeguard.config as cfg({})
}
