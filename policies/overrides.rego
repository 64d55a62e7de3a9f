# Who may override a rule on a pull request with /guard override. The
# organization's mergeguard/config.yaml says it per rule:
#
#   rules:
#     change_freeze:
#       override: {teams: [incident], users: [cto], author: false, keep_on_push: false}
#
# Nobody may override a rule the configuration names no one for. Checking
# that the person has write access to the repository happens before this
# policy runs.
package mergeguard.overrides

import data.mergeguard.config
import data.mergeguard.lib

setting := config.overrides[input.rule]

default keep_on_push := false

keep_on_push if setting.keep_on_push

actor := lower(input.actor)

allowed := {m | some t in setting.teams; some m in lib.members(t)} | {lib.login(u) | some u in setting.users}

refusals contains msg if {
	not setting
	msg := sprintf("Nobody may override %s: the organization's mergeguard/config.yaml does not name who may (rules.%s.override: {teams: [...], users: [...]}).", [input.rule, input.rule])
}

refusals contains msg if {
	setting
	actor == lib.author
	not setting.author
	msg := sprintf("Authors may not override rules on their own pull requests (rules.%s.override.author is false); ask one of the people who may.", [input.rule])
}

refusals contains msg if {
	setting
	not actor in allowed
	count(setting.teams) + count(setting.users) > 0
	msg := sprintf("Only %s may override %s.", [lib.who(setting.teams, setting.users), input.rule])
}

refusals contains msg if {
	setting
	not actor in allowed
	count(setting.teams) + count(setting.users) == 0
	msg := sprintf("Nobody may override %s yet: rules.%s.override names no teams or users. Add them to the organization's configuration to allow overrides.", [input.rule, input.rule])
}
