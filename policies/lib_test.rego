package mergeguard.lib_test

import data.mergeguard.lib

test_globs if {
	every c in [
		["**/*.md", "README.md", true],
		["**/*.md", "docs/a/b.md", true],
		["**/*.md", "docs/a/bmd", false],
		["docs/**", "docs/setup/a.md", true],
		["docs/**", "docsx/a.md", false],
		["*.go", "a/b.go", false],
		["*.go", "b.go", true],
		["prod/**/*.tfvars", "prod/main.tfvars", true],
		["prod/**/*.tfvars", "prod/eu/west/main.tfvars", true],
		["**/prod*/**/*.tfvars", "infra/production/main.tfvars", true],
		["**/prod*/**/*.tfvars", "infra/nonprod/main.tfvars", false],
		["k8s/**/prod*/**", "k8s/prod/deploy.yaml", true],
		["k8s/**/prod*/**", "k8s/apps/prod-eu/deploy.yaml", true],
		[".github/workflows/*deploy*", ".github/workflows/deploy-prod.yml", true],
	] {
		matched(c[0], c[1]) == c[2]
	}
}

matched(pattern, path) if lib.matches([pattern], path)

else := false

test_renamed_file_counts_under_its_old_path if {
	lib.changed(["prod/**"]) == {"prod/app.yaml"} with input as {"files": [{"path": "staging/app.yaml", "previous_path": "prod/app.yaml"}]}
}

teams := {"a": {"found": true, "members": ["x", "y"]}, "b": {"found": true, "members": ["x"]}, "c": {"found": true, "members": ["z"]}}

test_distinct_teams_counts_each_person_once if {
	# x can stand for a or b, not both; y only for a: two teams.
	lib.distinct_teams({"x", "y"}, ["a", "b"]) == 2 with input.teams as teams
	lib.distinct_teams({"x"}, ["a", "b"]) == 1 with input.teams as teams
	lib.distinct_teams({"x", "y"}, ["a", "b", "c"]) == 2 with input.teams as teams
	lib.distinct_teams(set(), ["a"]) == 0 with input.teams as teams
	lib.distinct_teams({"x"}, []) == 0 with input.teams as teams
}

test_some_of_names_five_and_counts_the_rest if {
	lib.some_of({"a", "b"}) == "@a, @b"
	lib.some_of({"g", "f", "e", "d", "c", "b", "a"}) == "@a, @b, @c, @d, @e and 2 more"
}

test_file_list if {
	lib.file_list(["b", "a"]) == "`a`, `b`"
	lib.file_list(["d", "c", "b", "a"]) == "`a`, `b`, `c` and 1 more file"
}

test_team_names if {
	lib.team_slug("@acme/dba") == "dba"
	lib.team_slug("dba") == "dba"
	lib.team_name("dba") == "@acme/dba" with input.repository.owner as "acme"
}

test_located_points_at_the_first_changed_line if {
	files := [
		{"path": "a.sql", "hunks": [{"new_start": 3}], "added_lines": [{"line": 5}, {"line": 4}]},
		{"path": "b.sql", "hunks": [{"new_start": 7}, {"new_start": 2}], "added_lines": []},
		{"path": "gone.sql", "hunks": [{"new_start": 0}], "added_lines": []},
	]
	lib.located("m", "a.sql") == {"msg": "m", "path": "a.sql", "line": 4} with input.files as files
	lib.located("m", "b.sql") == {"msg": "m", "path": "b.sql", "line": 2} with input.files as files
	lib.located("m", "gone.sql") == {"msg": "m", "path": "gone.sql"} with input.files as files
}

test_changed_matches_any_of_the_globs if {
	files := [
		{"path": "README.md"}, {"path": "docs/a/b.md"}, {"path": "deploy/prod/x.yaml"},
		{"path": "src/a.go"}, {"path": "src/a_test.go"}, {"path": "new/place.txt", "previous_path": "deploy/prod/old.txt"},
	]
	lib.changed(["**/*.md", "deploy/prod/**", "src/{a,b}_test.go"]) == {"README.md", "docs/a/b.md", "deploy/prod/x.yaml", "src/a_test.go", "deploy/prod/old.txt"} with input.files as files
	lib.changed([]) == set() with input.files as files
	lib.changed(["src/*.go"]) == {"src/a.go", "src/a_test.go"} with input.files as files
}

test_a_team_of_another_organization_is_unknown if {
	doc := {"repository": {"owner": "acme"}, "teams": {"dba": {"found": true, "members": ["Dora"]}}}
	lib.members("globex/dba") == set() with input as doc
	lib.team_unknown("@globex/dba") == "team @globex/dba is not a team of acme; only the organization's own teams can approve its pull requests" with input as doc
	lib.members("ACME/dba") == {"dora"} with input as doc
	not lib.team_unknown("acme/dba") with input as doc
	lib.team_unknown("ops") == "team @acme/ops was not fetched; it must be named in a teams setting" with input as doc
}

test_a_comma_is_part_of_its_pattern if {
	files := [{"path": "a,b/x"}, {"path": "a"}, {"path": "b/x"}, {"path": "c.go"}]
	lib.changed(["a,b/**"]) == {"a,b/x"} with input.files as files
	lib.changed(["{a,c.go}"]) == {"a", "c.go"} with input.files as files
}

# lib.instant reads wall times as the author's guide says: a skipped time
# counts from the same distance after the skip, a repeated one is the first.
# (The same cases check the Go side that refuses date windows when the
# configuration is loaded.)
test_instant_in_a_zone if {
	every c in [
		["Europe/Berlin", "2026-07-01T12:00:00Z", "2026-07-01T10:00:00Z"],
		["Europe/Berlin", "2026-03-29T02:30:00Z", "2026-03-29T01:30:00Z"], # skipped: 03:30 CEST
		["Europe/Berlin", "2026-10-25T02:30:00Z", "2026-10-25T00:30:00Z"], # twice: the first, CEST
		["America/New_York", "2026-11-01T01:30:00Z", "2026-11-01T05:30:00Z"], # twice: the first, EDT
		["America/New_York", "2026-03-08T02:30:00Z", "2026-03-08T07:30:00Z"], # skipped: 03:30 EDT
		["Australia/Sydney", "2026-04-05T02:30:00Z", "2026-04-04T15:30:00Z"], # twice: the first, AEDT
		["Australia/Sydney", "2026-10-04T02:30:00Z", "2026-10-03T16:30:00Z"], # skipped: 03:30 AEDT
		["Pacific/Chatham", "2026-09-27T03:00:00Z", "2026-09-26T14:15:00Z"], # skipped (02:45 to 03:45): 04:00
		["America/St_Johns", "2026-11-01T01:30:00Z", "2026-11-01T04:00:00Z"], # twice: the first, NDT
		["Asia/Kolkata", "2026-03-29T02:30:00Z", "2026-03-28T21:00:00Z"],
		["Africa/Monrovia", "1971-06-01T12:00:00Z", "1971-06-01T12:44:30Z"], # -00:44:30, not a quarter hour
	] {
		lib.instant(time.parse_rfc3339_ns(c[1]), c[0]) == time.parse_rfc3339_ns(c[2])
	}
}
