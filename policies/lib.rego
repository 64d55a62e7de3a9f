# Helpers shared by the bundled rules. Custom policies may import them
# (import data.mergeguard.lib) but cannot add to this package.
package mergeguard.lib

# matches(patterns, path) is true when path matches one of the globs: "*"
# stays within a folder, "**" spans folders, and "**/" also matches no
# folder at all, as in .gitignore, so "**/*.md" covers README.md and
# "prod/**/*.tfvars" covers prod/main.tfvars.
matches(patterns, path) if {
	some pattern in patterns
	glob.match(gitignore_style(pattern), ["/"], path)
}

# A rule matching many paths against the same patterns can build their
# combined glob once (a rule, not a function, is evaluated once) and match
# each path with glob.match(g, ["/"], path).

# gitignore_style rewrites each "**/" as "{**/,}" (some folders, or none),
# the form glob.match understands.
gitignore_style(pattern) := concat("", ["{**/,}", substring(inner, 3, -1)]) if {
	inner := replace(pattern, "/**/", "/{**/,}")
	startswith(inner, "**/")
} else := replace(pattern, "/**/", "/{**/,}")

# changed(patterns) is the set of changed paths matching the globs; a renamed
# file counts under its old path too, so moving a file out of a protected
# folder is protected.
changed(patterns) := matched if {
	g := any_of(patterns)
	matched := {path | some path in changed_paths; glob.match(g, ["/"], path)}
}

# any_of(patterns) is one glob matching what any of the patterns match: one
# match per path instead of one per pattern. A comma outside braces is
# escaped, so that it stays part of its pattern.
any_of(patterns) := concat("", ["{", concat(",", [escape_commas(gitignore_style(p)) | some p in patterns]), "}"])

escape_commas(p) := replace(p, ",", "\\,") if not contains(p, "{")

else := p

# changed_paths is every path the pull request touches, old paths of renames
# included. (A rule, so it is built once per evaluation.)
changed_paths := {f.path | some f in input.files} | {f.previous_path | some f in input.files; f.previous_path != ""}

# team_slug turns "@acme/dba", "acme/dba" or "dba" into "dba".
team_slug(team) := slug if {
	parts := split(trim_prefix(team, "@"), "/")
	slug := parts[count(parts) - 1]
}

# team_name shows a team as GitHub does: @acme/dba.
team_name(team) := sprintf("@%s/%s", [input.repository.owner, team_slug(team)])

# members(team) is the team's logins, lower-cased; empty when unknown or
# when the team belongs to another organization.
members(team) := set() if {
	foreign(team)
} else := {lower(m) | some m in input.teams[team_slug(team)].members}

# foreign(team) is true for "other-org/team": only the repository's own
# organization's teams can approve, whatever a same-named team contains.
foreign(team) if {
	parts := split(trim_prefix(team, "@"), "/")
	count(parts) == 2
	lower(parts[0]) != lower(input.repository.owner)
}

# team_unknown(team) is the reason a configured team cannot be used.
team_unknown(team) := sprintf("team %s is not a team of %s; only the organization's own teams can approve its pull requests", [team, input.repository.owner]) if {
	foreign(team)
} else := input.teams[team_slug(team)].error if {
	not input.teams[team_slug(team)].found
	input.teams[team_slug(team)]
} else := sprintf("team %s was not fetched; it must be named in a teams setting", [team_name(team)]) if {
	not input.teams[team_slug(team)]
}

author := lower(input.pull_request.author.login)

# is_bot(actor) recognises bot accounts by type and by GitHub's [bot] suffix.
is_bot(actor) if actor.type == "Bot"

is_bot(actor) if endswith(actor.login, "[bot]")

# approvers(teams, users) is who may give an approval: members of the teams
# and the named users, never the author.
approvers(teams, users) := ({m | some t in teams; some m in members(t)} | {login(u) | some u in users}) - {author}

# login("@Ada") is "ada": configured names may carry GitHub's @.
login(name) := lower(trim_prefix(name, "@"))

# bot(name) is a bot's name without GitHub's [bot] suffix, so that
# "dependabot" and "dependabot[bot]" name the same account.
bot(name) := trim_suffix(login(name), "[bot]")

# who(teams, users) names the teams and users that can approve, for messages.
who(teams, users) := concat(" or ", array.concat([team_name(t) | some t in teams], [sprintf("@%s", [trim_prefix(u, "@")]) | some u in users]))

# some_of(logins) lists up to 5 logins, and how many more there are.
some_of(logins) := listed if {
	sorted := sort(logins)
	count(sorted) <= 5
	listed := concat(", ", [sprintf("@%s", [l]) | some l in sorted])
}

some_of(logins) := listed if {
	sorted := sort(logins)
	count(sorted) > 5
	listed := sprintf("%s and %d more", [concat(", ", [sprintf("@%s", [l]) | some l in array.slice(sorted, 0, 5)]), count(sorted) - 5])
}

# file_list names up to 3 files in backticks.
file_list(paths) := listed if {
	sorted := sort(paths)
	count(sorted) <= 3
	listed := concat(", ", [sprintf("`%s`", [p]) | some p in sorted])
}

file_list(paths) := listed if {
	sorted := sort(paths)
	count(sorted) > 3
	more := count(sorted) - 3
	listed := sprintf("%s and %d more %s", [concat(", ", [sprintf("`%s`", [p]) | some p in array.slice(sorted, 0, 3)]), more, plural(more, "file", "files")])
}

short(sha) := substring(sha, 0, 7)

# distinct_teams(people, teams) is the largest number of the teams that the
# people can represent, each person standing for one team only: a maximum
# matching, computed with the deficiency form of Hall's theorem (teams minus
# the largest shortfall of any subset of teams). Enumerating subsets is
# exact, and cheap for the few teams one requirement may name (at most 10,
# which the rule checks).
distinct_teams(_, teams) := 0 if count(teams) == 0

distinct_teams(people, teams) := count(slugs) - max(shortfalls) if {
	count(teams) > 0
	slugs := [s | some s in {team_slug(t) | some t in teams}]

	# Who of the people each team has, computed once.
	have := [{p | some p in people; p in members(s)} | some s in slugs]
	shortfalls := {shortfall |
		some mask in numbers.range(0, bits.lsh(1, count(slugs)) - 1)
		subset := {j | some j in numbers.range(0, count(slugs) - 1); bits.and(mask, bits.lsh(1, j)) != 0}
		covered := {p | some j in subset; some p in have[j]}
		shortfall := count(subset) - count(covered)
	}
}

# plural picks the word for a count.
plural(1, one, _) := one

plural(n, _, many) := many if n != 1

# located(msg, path) is a finding on path, at its first changed line when
# the diff has one, so that the check run can annotate it in the diff.
located(msg, path) := {"msg": msg, "path": path, "line": first_line(path)} if {
	first_line(path)
} else := {"msg": msg, "path": path}

first_line(path) := min(lines) if {
	lines := {l.line | some f in input.files; f.path == path; some l in f.added_lines}
	count(lines) > 0
} else := min(starts) if {
	starts := {h.new_start | some f in input.files; f.path == path; some h in f.hunks; h.new_start > 0}
	count(starts) > 0
}
