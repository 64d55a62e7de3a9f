package mergeguard.rules.feature_flags_test

import data.mergeguard.rules.feature_flags as ff

# The rule's defaults, with payments/** as the risky path.
cfg := {"rules": {"feature_flags": {
	"paths": ["payments/**"],
	"exclude_paths": ["**/*_test.go", "**/testdata/**"],
	"flag_functions": ["flags.Enabled("],
	"reason_label_prefix": "no-flag:",
}}}

# file(path, lines) is a changed file whose added lines are lines.
file(path, lines) := {
	"path": path, "additions": count(lines),
	"added_lines": [{"line": i + 10, "text": t} | some i, t in lines],
}

refund := file("payments/refund.go", ["func Refund(ctx context.Context) error {", "\treturn issue(ctx)", "}"])

flagged := file("payments/refund.go", ["\tif flags.Enabled(ctx, \"instant-refunds\") {", "\t\treturn issue(ctx)", "\t}"])

doc(files, labels) := {"pull_request": {"labels": labels}, "files": files}

test_unflagged_code_on_a_risky_path_is_denied_at_the_file if {
	ff.deny == {{
		"msg": "`payments/refund.go` adds code on a risky path without a feature flag: none of its added lines calls `flags.Enabled(`. Put the new code behind a flag, or label the pull request `no-flag: <why no flag is needed>`.",
		"path": "payments/refund.go", "line": 10,
	}} with input as doc([refund], []) with data.mergeguard.config as cfg
}

test_code_behind_the_flag_check_passes if {
	count(ff.deny) == 0 with input as doc([flagged], []) with data.mergeguard.config as cfg
}

test_each_risky_file_needs_its_own_check if {
	other := file("payments/ledger.go", ["func Post() {}"])
	{d.path | some d in ff.deny} == {"payments/ledger.go"} with input as doc([flagged, other], [])
		with data.mergeguard.config as cfg
}

test_a_label_with_a_reason_lets_it_through_and_says_so if {
	count(ff.deny) == 0 with input as doc([refund], ["no-flag: copy change"]) with data.mergeguard.config as cfg
	ff.warn == {"New code on risky paths without a feature flag, as labelled: `no-flag: copy change`."} with input as doc([refund], ["no-flag: copy change"])
		with data.mergeguard.config as cfg
}

test_a_label_without_a_reason_does_not if {
	count(ff.deny) == 1 with input as doc([refund], ["no-flag:  "]) with data.mergeguard.config as cfg
}

test_tests_removals_and_other_paths_need_no_flag if {
	files := [
		file("payments/refund_test.go", ["func TestRefund(t *testing.T) {}"]),
		{"path": "payments/old.go", "additions": 0, "added_lines": []},
		file("web/page.go", ["func Page() {}"]),
	]
	ff.skip == {"No code added on the risky paths."} with input as doc(files, []) with data.mergeguard.config as cfg
	count(ff.deny) == 0 with input as doc(files, []) with data.mergeguard.config as cfg
}

test_unknown_lines_are_not_a_pass if {
	huge := {"path": "payments/generated.go", "additions": 9000, "added_lines": [], "patch_missing": true}
	ff.deny == {{
		"msg": "`payments/generated.go` changed too much for GitHub to show its lines, so whether its new code is behind a feature flag cannot be told. Split the pull request, or label it `no-flag: <why no flag is needed>`.",
		"path": "payments/generated.go",
	}} with input as doc([huge], []) with data.mergeguard.config as cfg
}

test_off_until_paths_are_configured if {
	c := {"rules": {"feature_flags": object.union(cfg.rules.feature_flags, {"paths": []})}}
	ff.skip == {"No risky paths are configured (rules.feature_flags.paths)."} with input as doc([refund], []) with data.mergeguard.config as c
	count(ff.deny) == 0 with input as doc([refund], []) with data.mergeguard.config as c
}
