package command

// The help texts, written with the default prefix; Options.Help writes
// them with a configured one. They mention nobody: replies must not notify
// people the commenter did not.

// UsagePR is the help on a pull request.
const UsagePR = "mergeguard commands (comment on the pull request, one command per line):\n\n" +
	"- `/guard recheck`: check the pull request again now\n" +
	"- `/guard explain`: explain every rule's verdict on this pull request; `/guard explain <rule>`: just that rule's\n" +
	"- `/guard override <rule> <reason>`: let this pull request pass a rule it fails, e.g. `/guard override tests_with_code generated client, tested upstream`; the reason is shown on the check and kept in the audit trail\n" +
	"- `/guard hold [reason]`: block merging until someone writes `/guard unhold`\n" +
	"- `/guard unhold`: release the hold\n" +
	"- `/guard help`: this list"

// UsageFreeze is the help in the organization's policy repository.
const UsageFreeze = "mergeguard commands (comment on an issue or pull request in the organization's policy repository):\n\n" +
	"- `/guard freeze 2h <reason>`: freeze merges in every repository for two hours (also `90m`, `1d12h`)\n" +
	"- `/guard freeze until 2026-11-23 08:00 <reason>`: until a time, in the freeze rule's time zone (also `until 18:00`, `until Mon 08:00`, `until 2026-11-23T08:00:00+01:00`)\n" +
	"- `/guard freeze indefinitely <reason>`: until someone runs `/guard unfreeze`\n" +
	"- `/guard freeze 2h repo:shop repo:payments <reason>`: only in those repositories\n" +
	"- `/guard unfreeze`: end every freeze in effect; `/guard unfreeze 7`: end freeze 7\n" +
	"- `/guard help`: this list"

// Usage is the policy repository's help, UsageFreeze.
const Usage = UsageFreeze
