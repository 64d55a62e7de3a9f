package mergeguard.rules.tests_with_code_test

import data.mergeguard.rules.tests_with_code as twc

# The configuration mergeguard passes when nothing is configured (the
# defaults in the rule's METADATA; a Go test keeps them equal).
defaults := {
	"source_paths": [
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
	"test_paths": [
		"**/*_test.go",
		"**/test_*.py",
		"**/*_test.py",
		"**/*.{test,spec}.{js,jsx,ts,tsx,mjs,cjs}",
		"**/__tests__/**",
		"**/src/test/**",
		"**/*{Test,Tests,Spec}.{java,kt,scala}",
		"**/*_spec.rb",
		"**/spec/**",
		"**/tests/**",
		"**/test/**",
		"**/*Tests.cs",
		"**/*Test.php",
		"**/*Tests.swift",
		"**/testdata/**",
	],
	"exempt_paths": [
		"vendor/**",
		"third_party/**",
		"**/*.pb.go",
		"**/*_generated.*",
		"**/*.gen.*",
		"**/generated/**",
		"**/node_modules/**",
	],
	"exempt_labels": ["no-tests-needed"],
}

cfg := {"rules": {"tests_with_code": defaults}}

doc(paths, labels) := {
	"files": [{"path": p, "status": "modified"} | some p in paths],
	"pull_request": {"labels": labels},
}

test_source_without_tests_is_flagged if {
	twc.deny == {{"msg": "Changes `shop/charge.go` without changing any test. If no test is needed, label the pull request `no-tests-needed`.", "path": "shop/charge.go"}} with input as doc(["shop/charge.go", "README.md"], [])
		with data.mergeguard.config as cfg
}

test_tests_in_each_language_count if {
	every pair in [
		["shop/charge.go", "shop/charge_test.go"],
		["app/views.py", "tests/test_views.py"],
		["app/views.py", "app/views_test.py"],
		["web/src/cart.ts", "web/src/cart.test.ts"],
		["web/src/cart.tsx", "web/src/__tests__/cart.tsx"],
		["src/main/java/com/acme/Charge.java", "src/test/java/com/acme/ChargeTest.java"],
		["app/models/user.rb", "spec/models/user_spec.rb"],
		["src/lib.rs", "tests/integration.rs"],
	] {
		count(twc.deny) == 0 with input as doc(pair, []) with data.mergeguard.config as cfg
	}
}

test_test_files_alone_are_not_source if {
	count(twc.deny) == 0 with input as doc(["shop/charge_test.go"], []) with data.mergeguard.config as cfg
}

test_generated_and_deleted_code_need_no_tests if {
	count(twc.deny) == 0 with input as doc(["api/v1/api.pb.go", "vendor/x/y.go"], []) with data.mergeguard.config as cfg
	deleted := {"files": [{"path": "shop/old.go", "status": "removed"}], "pull_request": {"labels": []}}
	count(twc.deny) == 0 with input as deleted with data.mergeguard.config as cfg
}

test_exempt_label if {
	count(twc.deny) == 0 with input as doc(["shop/charge.go"], ["no-tests-needed"]) with data.mergeguard.config as cfg
	twc.skip == {"Labelled `no-tests-needed`: no tests needed."} with input as doc(["shop/charge.go"], ["no-tests-needed"])
		with data.mergeguard.config as cfg
}

test_non_source_changes_are_skipped if {
	twc.skip == {"No source files changed."} with input as doc(["README.md", "deploy/prod/app.yaml"], []) with data.mergeguard.config as cfg
}
