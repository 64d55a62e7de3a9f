package mergeguard.rules.change_freeze_test

import data.mergeguard.rules.change_freeze as cf

# The configuration mergeguard passes when nothing is configured (the
# defaults in the rule's METADATA; a Go test keeps them equal).
defaults := {
	"timezone": "UTC",
	"windows": [],
	"dates": [],
	"branches": [],
	"repositories": [],
	"exclude_repositories": [],
	"exempt_paths": ["**/*.md", "docs/**"],
	"allow_reverts": true,
	"hotfix_label": "hotfix",
	"hotfix_teams": [],
	"incident_teams": [],
	"notice_hours": 4,
}

cfg(overrides) := {"rules": {"change_freeze": object.union(defaults, overrides)}}

weekend(tz) := cfg({"timezone": tz, "windows": [{"start": "Fri 15:00", "end": "Mon 08:00", "reason": "weekend freeze"}]})

ns(t) := time.parse_rfc3339_ns(t)

commit(msg) := {"sha": "c0ffee0000000000000000000000000000000000", "message": msg}

pr := {
	"author": {"login": "dev", "type": "User"}, "title": "Add refunds", "labels": [],
	"base": {"ref": "main"}, "commits": [commit("Add refunds")], "commit_count": 1,
}

# doc(at) is a pull request into main of acme/shop, evaluated at instant at.
doc(at) := {
	"time": {"ns": ns(at)},
	"pull_request": pr,
	"repository": {"owner": "acme", "name": "shop", "default_branch": "main"},
	"files": [{"path": "src/refunds.go"}],
	"reviews": [],
	"teams": {"oncall": {"found": true, "members": ["olga", "dev"]}},
	"freezes": [],
}

with_pr(at, fields) := object.union(doc(at), {"pull_request": object.union(pr, fields)})

frozen(at, config) if count(cf.deny) > 0 with input as doc(at) with data.mergeguard.config as config

open(at, config) if count(cf.deny) == 0 with input as doc(at) with data.mergeguard.config as config

# Weekly windows

test_no_windows_no_freeze if {
	open("2026-11-27T16:00:00Z", cfg({}))
	cf.skip == {"No freeze windows or dates are configured, and no incident freeze is in effect."} with input as doc("2026-11-27T16:00:00Z")
		with data.mergeguard.config as cfg({})
}

test_weekend_window_boundaries if {
	c := weekend("UTC")
	open("2026-11-27T14:59:59Z", c) # Friday
	frozen("2026-11-27T15:00:00Z", c)
	frozen("2026-11-29T12:00:00Z", c) # Sunday
	frozen("2026-11-30T07:59:59Z", c) # Monday
	open("2026-11-30T08:00:00Z", c)
	open("2026-12-02T12:00:00Z", c) # Wednesday
}

test_message_says_when_why_and_how_to_get_an_exception if {
	cf.deny == {"Merges into `main` are frozen until Mon 30 Nov 2026 08:00 CET (Europe/Berlin): weekend freeze (every Fri 15:00 → Mon 08:00). During the freeze, revert pull requests pass."} with input as doc("2026-11-27T20:00:00Z")
		with data.mergeguard.config as weekend("Europe/Berlin")
}

test_window_across_midnight if {
	c := cfg({"windows": [{"start": "Thu 22:00", "end": "Fri 06:00"}]})
	open("2026-11-26T21:59:00Z", c)
	frozen("2026-11-26T23:30:00Z", c)
	frozen("2026-11-27T05:59:59Z", c)
	open("2026-11-27T06:00:00Z", c)
}

test_window_across_sunday_to_monday if {
	c := cfg({"windows": [{"start": "Sun 20:00", "end": "Mon 08:00"}]})
	open("2026-11-29T19:59:00Z", c)
	frozen("2026-11-29T23:59:00Z", c)
	frozen("2026-11-30T00:00:00Z", c)
	open("2026-11-30T08:00:00Z", c)
}

test_window_with_equal_start_and_end_is_always_frozen if {
	c := cfg({"windows": [{"start": "Mon 00:00", "end": "Mon 00:00", "reason": "release branch cut"}]})
	frozen("2026-11-30T00:00:00Z", c)
	frozen("2026-12-02T12:00:00Z", c)
}

test_day_names_in_any_case_and_in_full if {
	c := cfg({"windows": [{"start": "friday 15:00", "end": "MON 8:00"}]})
	frozen("2026-11-28T12:00:00Z", c)
	open("2026-11-30T08:00:00Z", c)
}

# Daylight saving time

test_berlin_spring_forward_inside_a_window if {
	# Fri 27 Mar 15:00 CET (14:00Z) to Mon 30 Mar 08:00 CEST (06:00Z): the
	# clocks go forward on Sunday, so the window is an hour shorter in UTC.
	c := weekend("Europe/Berlin")
	open("2026-03-27T13:59:59Z", c)
	frozen("2026-03-27T14:00:00Z", c)
	frozen("2026-03-30T05:59:59Z", c)
	open("2026-03-30T06:00:00Z", c)
	open("2026-03-30T06:30:00Z", c) # still frozen if CET were assumed
}

test_berlin_fall_back_inside_a_window if {
	# Fri 23 Oct 15:00 CEST (13:00Z) to Mon 26 Oct 08:00 CET (07:00Z).
	c := weekend("Europe/Berlin")
	open("2026-10-23T12:59:59Z", c)
	frozen("2026-10-23T13:00:00Z", c)
	frozen("2026-10-26T06:30:00Z", c) # open if CEST were assumed
	open("2026-10-26T07:00:00Z", c)
}

test_new_york_spring_forward if {
	# Sat 7 Mar 01:30 EST (06:30Z) to Sun 8 Mar 03:30 EDT (07:30Z).
	c := cfg({"timezone": "America/New_York", "windows": [{"start": "Sat 01:30", "end": "Sun 03:30"}]})
	open("2026-03-07T06:29:00Z", c)
	frozen("2026-03-07T06:30:00Z", c)
	frozen("2026-03-08T07:29:59Z", c)
	open("2026-03-08T07:30:00Z", c)
}

test_new_york_window_starting_in_the_skipped_hour if {
	# 02:30 does not exist on 8 Mar; the window starts at 03:30 EDT (07:30Z).
	c := cfg({"timezone": "America/New_York", "windows": [{"start": "Sun 02:30", "end": "Sun 04:00"}]})
	open("2026-03-08T07:15:00Z", c) # 03:15 EDT
	frozen("2026-03-08T07:45:00Z", c)
	open("2026-03-08T08:00:00Z", c) # 04:00 EDT
}

test_new_york_fall_back if {
	# 01:30 happens twice on 1 Nov; the window starts at the first (05:30Z,
	# EDT) and ends at 03:00 EST (08:00Z).
	c := cfg({"timezone": "America/New_York", "windows": [{"start": "Sun 01:30", "end": "Sun 03:00"}]})
	open("2026-11-01T05:29:00Z", c)
	frozen("2026-11-01T05:31:00Z", c)
	frozen("2026-11-01T07:59:59Z", c)
	open("2026-11-01T08:00:00Z", c)
}

# Dates

holidays := {"start": "2026-12-21", "end": "2027-01-04", "reason": "holiday freeze"}

test_holiday_dates_include_the_last_day if {
	c := cfg({"timezone": "Europe/Berlin", "dates": [holidays]})
	open("2026-12-20T22:59:59Z", c)
	frozen("2026-12-20T23:00:00Z", c) # 21 Dec 00:00 CET
	frozen("2027-01-04T22:59:59Z", c)
	open("2027-01-04T23:00:00Z", c) # 5 Jan 00:00 CET
}

test_dates_with_times if {
	c := cfg({"dates": [{"start": "2026-12-01 18:00", "end": "2026-12-02 06:00", "reason": "datacenter move"}]})
	open("2026-12-01T17:59:00Z", c)
	frozen("2026-12-01T18:00:00Z", c)
	open("2026-12-02T06:00:00Z", c)
}

test_overlapping_windows_report_when_merges_really_reopen if {
	# The weekend runs into the holidays: merges reopen on 5 January.
	c := cfg({
		"timezone": "Europe/Berlin",
		"windows": [{"start": "Fri 15:00", "end": "Mon 08:00", "reason": "weekend freeze"}],
		"dates": [holidays],
	})
	denials := cf.deny with input as doc("2026-12-18T16:00:00Z") with data.mergeguard.config as c
	denials == {"Merges into `main` are frozen until Tue 5 Jan 2027 00:00 CET (Europe/Berlin): weekend freeze (every Fri 15:00 → Mon 08:00). During the freeze, revert pull requests pass."}
	count(cf.deny) == 2 with input as doc("2026-12-26T12:00:00Z") with data.mergeguard.config as c
}

# When merges really reopen

weekend_and(tz, dates) := cfg({
	"timezone": tz,
	"windows": [{"start": "Fri 15:00", "end": "Mon 08:00", "reason": "weekend freeze"}],
	"dates": dates,
})

long_holidays := {"start": "2026-12-19", "end": "2027-01-09", "reason": "holiday freeze"}

test_a_date_window_ending_inside_a_later_weekend_reopens_after_that_weekend if {
	# The holidays end at Sun 10 Jan 00:00, inside the weekend that began on
	# Fri 8 Jan: merges reopen on Monday morning, three weeks after now.
	c := weekend_and("Europe/Berlin", [long_holidays])
	cf.deny == {
		"Merges into `main` are frozen until Mon 11 Jan 2027 08:00 CET (Europe/Berlin): weekend freeze (every Fri 15:00 → Mon 08:00). During the freeze, revert pull requests pass.",
		"Merges into `main` are frozen until Mon 11 Jan 2027 08:00 CET (Europe/Berlin): holiday freeze (2026-12-19 → 2027-01-09). During the freeze, revert pull requests pass.",
	} with input as doc("2026-12-19T11:00:00Z")
		with data.mergeguard.config as c
	cf.deny == {"Merges into `main` are frozen until Mon 11 Jan 2027 08:00 CET (Europe/Berlin): holiday freeze (2026-12-19 → 2027-01-09). During the freeze, revert pull requests pass."} with input as doc("2026-12-23T11:00:00Z")
		with data.mergeguard.config as c
	frozen("2027-01-10T12:00:00Z", c)
	frozen("2027-01-11T06:59:59Z", c)
	open("2027-01-11T07:00:00Z", c)
}

test_the_reopening_is_a_recheck_time if {
	c := weekend_and("Europe/Berlin", [long_holidays])
	ns("2027-01-11T07:00:00Z") in cf.recheck_at with input as doc("2026-12-19T11:00:00Z") with data.mergeguard.config as c
	min(cf.recheck_at) == ns("2027-01-11T07:00:00Z") with input as doc("2027-01-09T23:00:00Z") with data.mergeguard.config as c
}

test_a_chain_of_dates_and_weekends if {
	# Holidays into a weekend, the weekend into a release on Monday 07:00:
	# merges reopen when the release ends.
	c := weekend_and("Europe/Berlin", [long_holidays, {"start": "2027-01-11 07:00", "end": "2027-01-12 18:00", "reason": "release"}])
	some d in cf.deny with input as doc("2026-12-19T11:00:00Z") with data.mergeguard.config as c
	startswith(d, "Merges into `main` are frozen until Tue 12 Jan 2027 18:00 CET (Europe/Berlin): ")
	open("2027-01-12T17:00:00Z", c)
}

test_an_incident_freeze_that_ends_inside_a_weekend_reopens_after_it if {
	f := object.union(incident([], ns("2026-11-27T16:00:00Z")), {"starts_ns": ns("2026-11-27T09:00:00Z")})
	x := object.union(doc("2026-11-27T10:00:00Z"), {"freezes": [f]})
	cf.deny == {"Merges into `main` are frozen until Mon 30 Nov 2026 08:00 UTC (UTC): checkout errors, INC-42 (incident freeze started by @ic at Fri 27 Nov 2026 09:00 UTC). During the freeze, revert pull requests pass."} with input as x
		with data.mergeguard.config as weekend("UTC")
}

test_windows_that_follow_each_other_reopen_at_the_last_end if {
	c := cfg({"windows": [
		{"start": "Fri 15:00", "end": "Sat 00:00", "reason": "friday"},
		{"start": "Sat 00:00", "end": "Mon 08:00", "reason": "weekend"},
	]})
	some d in cf.deny with input as doc("2026-11-27T16:00:00Z") with data.mergeguard.config as c
	startswith(d, "Merges into `main` are frozen until Mon 30 Nov 2026 08:00 UTC (UTC): friday")
}

# A freeze with no end

release_cut := cfg({"windows": [{"start": "Mon 00:00", "end": "Mon 00:00", "reason": "release branch cut"}]})

whole_week_denial := "Merges into `main` are frozen until the configuration changes (the weekly windows in rules.change_freeze.windows leave no time in the week open, so this freeze has no end): release branch cut (every Mon 00:00 → Mon 00:00). During the freeze, revert pull requests pass."

test_a_window_ending_where_it_starts_says_the_freeze_does_not_end if {
	cf.deny == {whole_week_denial} with input as doc("2026-06-17T12:00:00Z") with data.mergeguard.config as release_cut
	cf.deny == {whole_week_denial} with input as doc("2026-06-22T00:00:00Z") with data.mergeguard.config as release_cut
	count(cf.recheck_at) == 0 with input as doc("2026-06-17T12:00:00Z") with data.mergeguard.config as release_cut
}

test_windows_covering_the_week_together_say_the_freeze_does_not_end if {
	c := cfg({"timezone": "Europe/Berlin", "windows": [
		{"start": "Mon 00:00", "end": "Thu 00:00", "reason": "early week"},
		{"start": "Thu 00:00", "end": "Mon 00:00", "reason": "late week"},
	]})
	cf.deny == {"Merges into `main` are frozen until the configuration changes (the weekly windows in rules.change_freeze.windows leave no time in the week open, so this freeze has no end): early week (every Mon 00:00 → Thu 00:00). During the freeze, revert pull requests pass."} with input as doc("2026-03-25T12:00:00Z")
		with data.mergeguard.config as c

	# Only the reason changes, on Thursday; nothing is scheduled for the
	# end that never comes, even across the change to summer time.
	min(cf.recheck_at) == ns("2026-03-25T23:00:00Z") with input as doc("2026-03-25T12:00:00Z") with data.mergeguard.config as c
	min(cf.recheck_at) == ns("2026-03-29T22:00:00Z") with input as doc("2026-03-28T12:00:00Z") with data.mergeguard.config as c
	some d in cf.deny with input as doc("2026-03-29T12:00:00Z") with data.mergeguard.config as c
	contains(d, "so this freeze has no end): late week")
}

test_a_freeze_with_no_end_and_dates_in_it if {
	c := object.union(release_cut, {"rules": {"change_freeze": {"dates": [holidays]}}})
	denials := cf.deny with input as doc("2026-12-22T12:00:00Z") with data.mergeguard.config as c
	count(denials) == 2
	every d in denials {
		startswith(d, "Merges into `main` are frozen until the configuration changes")
	}
}

test_an_open_incident_freeze_within_a_freeze_with_no_end_names_both if {
	x := object.union(doc("2026-12-02T10:00:00Z"), {"freezes": [incident([], 0)]})
	some d in cf.deny with input as x with data.mergeguard.config as release_cut
	startswith(d, "Merges into `main` are frozen until someone runs `/guard unfreeze` in the policy repository and the configuration changes (the weekly windows in rules.change_freeze.windows leave no time in the week open, so this freeze has no end): ")
	count(cf.recheck_at) == 0 with input as x with data.mergeguard.config as release_cut
}

test_an_open_incident_freeze_across_weekends_ends_when_someone_ends_it if {
	f := object.union(incident([], 0), {"starts_ns": ns("2026-11-27T09:00:00Z")})
	x := object.union(doc("2026-11-28T10:00:00Z"), {"freezes": [f]})
	denials := cf.deny with input as x with data.mergeguard.config as weekend("UTC")
	count(denials) == 2
	every d in denials {
		startswith(d, "Merges into `main` are frozen until someone runs `/guard unfreeze` in the policy repository: ")
	}
}

# Windows that freeze nothing (refused when the configuration is loaded;
# policies_test.go checks that) are ignored by the rule all the same.

test_a_reversed_date_range_freezes_nothing if {
	c := cfg({"dates": [{"start": "2026-12-10", "end": "2026-12-05"}]})
	open("2026-12-07T12:00:00Z", c)
	open("2026-12-10T12:00:00Z", c)
	count(cf.recheck_at) == 0 with input as doc("2026-12-01T12:00:00Z") with data.mergeguard.config as c
}

test_a_date_window_whose_start_is_skipped_past_its_end_freezes_nothing if {
	# 02:30 does not exist in Berlin on 29 March; it counts as 03:30 CEST,
	# after the end at 03:10 CEST.
	c := cfg({"timezone": "Europe/Berlin", "dates": [{"start": "2026-03-29 02:30", "end": "2026-03-29 03:10"}]})
	open("2026-03-29T01:05:00Z", c)
	open("2026-03-29T01:20:00Z", c)
}

test_no_heads_up_recheck_while_frozen_anyway if {
	# The heads-up for Monday's 10:00 window is due at 06:00, during the
	# weekend freeze: no warning could appear then.
	c := cfg({"notice_hours": 4, "windows": [
		{"start": "Fri 15:00", "end": "Mon 08:00", "reason": "weekend"},
		{"start": "Mon 10:00", "end": "Mon 12:00", "reason": "release"},
	]})
	r := cf.recheck_at with input as doc("2026-11-29T12:00:00Z") with data.mergeguard.config as c
	not ns("2026-11-30T06:00:00Z") in r
	min(r) == ns("2026-11-30T08:00:00Z")
	ns("2026-11-30T10:00:00Z") in r
}

# Scope

test_other_branches_are_not_frozen if {
	x := object.union(doc("2026-11-28T12:00:00Z"), {"pull_request": object.union(pr, {"base": {"ref": "feature/x"}})})
	count(cf.deny) == 0 with input as x with data.mergeguard.config as weekend("UTC")
	cf.skip == {"`feature/x` is not a frozen branch."} with input as x with data.mergeguard.config as weekend("UTC")
	count(cf.deny) == 1 with input as x
		with data.mergeguard.config as cfg({"windows": [{"start": "Fri 15:00", "end": "Mon 08:00"}], "branches": ["main", "feature/*"]})
}

test_repositories_included_and_excluded if {
	c := {"windows": [{"start": "Fri 15:00", "end": "Mon 08:00"}]}
	frozen("2026-11-28T12:00:00Z", cfg(object.union(c, {"repositories": ["sh*"]})))
	open("2026-11-28T12:00:00Z", cfg(object.union(c, {"repositories": ["api"]})))
	open("2026-11-28T12:00:00Z", cfg(object.union(c, {"exclude_repositories": ["shop"]})))
}

test_documentation_only_changes_are_not_frozen if {
	x := object.union(doc("2026-11-28T12:00:00Z"), {"files": [{"path": "README.md"}, {"path": "docs/setup.md"}]})
	count(cf.deny) == 0 with input as x with data.mergeguard.config as weekend("UTC")
	cf.skip == {"Only documentation changes: freezes do not apply to them."} with input as x with data.mergeguard.config as weekend("UTC")
}

# Exceptions

revert_pr := {
	"title": "Revert \"Add refunds\"",
	"commits": [commit("Revert \"Add refunds\"\n\nThis reverts commit 3f2a1c09b1.")],
	"commit_count": 1,
}

test_a_revert_passes_the_freeze if {
	x := with_pr("2026-11-28T12:00:00Z", revert_pr)
	count(cf.deny) == 0 with input as x with data.mergeguard.config as weekend("UTC")
	cf.warn == {"Passes the freeze as a revert: rolling back stays fast."} with input as x with data.mergeguard.config as weekend("UTC")
}

test_a_revert_needs_revert_commits_not_just_the_title if {
	x := with_pr("2026-11-28T12:00:00Z", {"title": "Revert \"Add refunds\"", "commits": [commit("Revert \"Add refunds\"\n\nThis reverts commit 3f2a1c09b1."), commit("and a new feature")], "commit_count": 2})
	count(cf.deny) == 1 with input as x with data.mergeguard.config as weekend("UTC")
}

test_reverts_can_be_frozen_too if {
	x := with_pr("2026-11-28T12:00:00Z", revert_pr)
	count(cf.deny) == 1 with input as x
		with data.mergeguard.config as cfg({"windows": [{"start": "Fri 15:00", "end": "Mon 08:00"}], "allow_reverts": false})
}

hotfix_config := cfg({"windows": [{"start": "Fri 15:00", "end": "Mon 08:00"}], "hotfix_teams": ["oncall"]})

approval(login) := {"author": {"login": login, "type": "User"}, "state": "APPROVED", "on_head": true, "changes_since_known": true, "files_changed_since": []}

test_hotfix_with_an_on_call_approval_passes if {
	x := object.union(with_pr("2026-11-28T12:00:00Z", {"labels": ["hotfix"]}), {"reviews": [approval("olga")]})
	count(cf.deny) == 0 with input as x with data.mergeguard.config as hotfix_config
	cf.warn == {"Passes the freeze as a hotfix approved by @olga."} with input as x with data.mergeguard.config as hotfix_config
}

test_hotfix_without_an_on_call_approval_is_frozen_and_says_what_is_missing if {
	x := object.union(with_pr("2026-11-28T12:00:00Z", {"labels": ["hotfix"]}), {"reviews": [approval("alice"), approval("dev")]})
	denials := cf.deny with input as x with data.mergeguard.config as hotfix_config
	count(denials) == 1
	some d in denials
	contains(d, "an urgent fix passes with the `hotfix` label and an approval from @acme/oncall")
	contains(d, "It is labelled `hotfix`; it passes once someone in @acme/oncall other than the author approves it.")
}

test_hotfix_label_without_a_team_is_no_exception if {
	x := object.union(with_pr("2026-11-28T12:00:00Z", {"labels": ["hotfix"]}), {"reviews": [approval("olga")]})
	denials := cf.deny with input as x with data.mergeguard.config as weekend("UTC")
	some d in denials
	contains(d, "no hotfix team is configured")
}

test_stale_on_call_approval_is_no_exception if {
	stale := object.union(approval("olga"), {"on_head": false, "files_changed_since": ["src/refunds.go"]})
	x := object.union(with_pr("2026-11-28T12:00:00Z", {"labels": ["hotfix"]}), {"reviews": [stale]})
	count(cf.deny) == 1 with input as x with data.mergeguard.config as hotfix_config
}

# Incident freezes

incident(repos, ends) := {
	"id": 7, "reason": "checkout errors, INC-42", "created_by": "ic", "repositories": repos,
	"starts_ns": ns("2026-12-02T09:00:00Z"), "ends_ns": ends,
}

test_incident_freeze_blocks_until_it_ends if {
	x := object.union(doc("2026-12-02T10:00:00Z"), {"freezes": [incident([], ns("2026-12-02T12:00:00Z"))]})
	cf.deny == {"Merges into `main` are frozen until Wed 2 Dec 2026 12:00 UTC (UTC): checkout errors, INC-42 (incident freeze started by @ic at Wed 2 Dec 2026 09:00 UTC). During the freeze, revert pull requests pass."} with input as x
		with data.mergeguard.config as cfg({})
	count(cf.deny) == 0 with input as object.union(x, {"time": {"ns": ns("2026-12-02T12:00:00Z")}}) with data.mergeguard.config as cfg({})
}

test_open_ended_incident_freeze if {
	x := object.union(doc("2026-12-02T10:00:00Z"), {"freezes": [incident([], 0)]})
	some d in cf.deny with input as x with data.mergeguard.config as cfg({})
	startswith(d, "Merges into `main` are frozen until someone runs `/guard unfreeze` in the policy repository: checkout errors")
}

test_incident_freeze_naming_repositories if {
	x := object.union(doc("2026-12-02T10:00:00Z"), {"freezes": [incident(["api", "Shop"], 0)]})
	count(cf.deny) == 1 with input as x with data.mergeguard.config as cfg({})
	count(cf.deny) == 0 with input as object.union(x, {"freezes": [incident(["api"], 0)]}) with data.mergeguard.config as cfg({})
}

# Re-evaluation times and the heads-up

test_recheck_at_the_next_change if {
	# Friday 10:00 UTC: the heads-up is due at 11:00, the freeze at 15:00.
	min(cf.recheck_at) == ns("2026-11-27T11:00:00Z") with input as doc("2026-11-27T10:00:00Z") with data.mergeguard.config as weekend("UTC")
	min(cf.recheck_at) == ns("2026-11-27T15:00:00Z") with input as doc("2026-11-27T12:00:00Z") with data.mergeguard.config as weekend("UTC")
	min(cf.recheck_at) == ns("2026-11-30T08:00:00Z") with input as doc("2026-11-28T12:00:00Z") with data.mergeguard.config as weekend("UTC")
	count(cf.recheck_at) == 0 with input as doc("2026-11-27T10:00:00Z") with data.mergeguard.config as cfg({})
}

test_heads_up_before_a_freeze if {
	cf.warn == {"Heads-up: merges into `main` freeze at Fri 27 Nov 2026 15:00 UTC (UTC): weekend freeze (every Fri 15:00 → Mon 08:00)."} with input as doc("2026-11-27T12:00:00Z")
		with data.mergeguard.config as weekend("UTC")
	count(cf.warn) == 0 with input as doc("2026-11-27T10:00:00Z") with data.mergeguard.config as weekend("UTC")
}
