package decision

import "time"

// Override is a person's decision that one rule's failure does not block
// this pull request: who, when, why, and on which head commit.
type Override struct {
	Rule   string    `json:"rule"`
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	// HeadSHA is the commit it was given for. It applies to that commit
	// only, unless KeepOnPush says the configuration keeps it.
	HeadSHA    string `json:"head_sha"`
	KeepOnPush bool   `json:"keep_on_push,omitempty"`
}

// Hold is a person's request that the pull request not merge until it is
// released, whatever the rules say.
type Hold struct {
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// Interventions are what people decided about a pull request through
// mergeguard, applied on top of the rules' results.
type Interventions struct {
	Overrides []Override `json:"overrides,omitempty"`
	Holds     []Hold     `json:"holds,omitempty"`
}

// HoldRuleID names the result a hold adds, so that the check run lists
// it with the rules and the audit trail records it like one.
const HoldRuleID = "hold"

// Applicable keeps the overrides that apply at head: given for it, or
// kept across pushes.
func (iv Interventions) Applicable(head string) Interventions {
	out := Interventions{Holds: iv.Holds}
	for _, o := range iv.Overrides {
		if o.HeadSHA == head || o.KeepOnPush {
			out.Overrides = append(out.Overrides, o)
		}
	}
	return out
}

// DecideWith is Decide with people's interventions: a failing or erroring
// rule with an override stops blocking (its findings stay, so the reader
// sees what was let through), and each hold adds a failing result.
func DecideWith(mode Mode, results []RuleResult, iv Interventions) Verdict {
	byRule := map[string]Override{}
	for _, o := range iv.Overrides {
		byRule[o.Rule] = o
	}
	all := make([]RuleResult, 0, len(results)+1)
	for _, r := range results {
		r = r.Conclude()
		if o, ok := byRule[r.ID]; ok && r.Outcome.Blocks() {
			o := o
			r.Overridden = &o
		}
		all = append(all, r)
	}
	if len(iv.Holds) > 0 {
		hold := RuleResult{
			ID: HoldRuleID, Title: "Hold", Severity: SeverityError,
			Description: "Someone asked for this pull request not to merge yet.",
			Remedy:      "Whoever placed the hold, or anyone who may, releases it with `/guard unhold` once it is resolved.",
		}
		for _, h := range iv.Holds {
			hold.Denials = append(hold.Denials, Finding{Message: holdMessage(h)})
		}
		all = append(all, hold)
	}
	v := Decide(mode, all)
	v.Overrides = iv.Overrides
	v.Holds = iv.Holds
	return v
}

// holdMessage leaves the reason out: it is a person's free text, which the
// report shows escaped in its list of holds.
func holdMessage(h Hold) string {
	return "Held by @" + h.By + " since " + h.At.UTC().Format("2006-01-02 15:04 MST") + "."
}
