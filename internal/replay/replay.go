// Package replay answers "what would this policy change do to the pull
// requests we actually have?": it evaluates a policy on stored input
// documents, each at its own input.time, and compares the verdicts with
// those of another policy (or with the verdicts given then). It does no I/O
// of its own: the engines run the policy, in the sandbox of the policy
// workers when they were compiled with them.
package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// Engine evaluates a policy bound to its configuration (a *policy.Engine).
type Engine interface {
	Evaluate(ctx context.Context, input any, now time.Time, only ...string) ([]decision.RuleResult, error)
}

// Input is one pull request's input document, stored with an evaluation or
// built from an eval directory.
type Input struct {
	Repo    string // owner/name
	Number  int
	HeadSHA string
	// Document is the input document (JSON).
	Document json.RawMessage
	// Recorded are the rule outcomes given when the document was
	// evaluated, the old side of the comparison when no old policy is
	// given; nil when unknown.
	Recorded map[string]string
}

// Options say what to compare.
type Options struct {
	// New is the proposed policy.
	New Engine
	// Old is the policy in use; nil compares with the recorded outcomes.
	Old Engine
	// Reads reports whether the new policy reads an input field (a path
	// such as "pull_request.merge_group"); nil reads none.
	Reads func(field string) bool
	// Fields are the current input document's object paths
	// (facts.FieldPaths): a stored document lacking one the new policy
	// reads predates it.
	Fields []string
	// Parallel is how many inputs are evaluated at once (default 2; the
	// policy workers bound the real concurrency).
	Parallel int
}

// Change is one pull request whose verdict the policy change alters.
type Change struct {
	Repo    string `json:"repo"`
	Number  int    `json:"pr"`
	HeadSHA string `json:"head_sha"`
	// At is the input's own input.time, at which both policies judged it.
	At time.Time `json:"at"`
	// Rules are those whose blocking changed: newly blocking rules in
	// Blocking, newly passing ones in Passing.
	Blocking []string `json:"newly_blocking_rules,omitempty"`
	Passing  []string `json:"newly_passing_rules,omitempty"`
	// Messages are the new policy's findings of the newly blocking rules:
	// for operators only (they quote the pull request's content).
	Messages []string `json:"messages,omitempty"`
	// MissingFields are the fields the new policy reads that the input
	// predates (Predating changes only).
	MissingFields []string `json:"missing_fields,omitempty"`
}

// RuleCount is how many pull requests a rule newly blocks or lets through.
type RuleCount struct {
	Rule           string `json:"rule"`
	NewlyBlocking  int    `json:"newly_blocking"`
	NewlyPassing   int    `json:"newly_passing"`
	PredatingInput int    `json:"predating_inputs,omitempty"`
}

// RepoCount is how many pull requests of a repository change verdict.
type RepoCount struct {
	Repo           string `json:"repo"`
	NewlyBlocked   int    `json:"newly_blocked"`
	NewlyUnblocked int    `json:"newly_unblocked"`
}

// Failure is an input that could not be replayed.
type Failure struct {
	Repo   string `json:"repo"`
	Number int    `json:"pr"`
	Err    string `json:"error"`
}

// Report is the difference a policy change makes.
type Report struct {
	Inputs         int      `json:"inputs"`
	NewlyBlocked   []Change `json:"newly_blocked"`
	NewlyUnblocked []Change `json:"newly_unblocked"`
	// Predating are changed verdicts on inputs stored before a field the
	// new policy reads existed: not counted as blocked or unblocked.
	Predating []Change    `json:"predating_inputs"`
	Unchanged int         `json:"unchanged"`
	Rules     []RuleCount `json:"rules"`
	Repos     []RepoCount `json:"repositories"`
	Failures  []Failure   `json:"failures,omitempty"`
}

// Run replays the inputs. Each is judged by both sides at its own
// input.time, so that time-dependent rules (freezes) decide as they did.
// An input that cannot be read or evaluated is a Failure, not an error;
// the error is for a cancelled ctx.
func Run(ctx context.Context, inputs []Input, opts Options) (Report, error) {
	if opts.New == nil {
		return Report{}, errors.New("replay: no policy to replay")
	}
	n := opts.Parallel
	if n <= 0 {
		n = 2
	}
	type outcome struct {
		change  *Change
		kind    int // 0 unchanged, 1 newly blocked, 2 newly unblocked, 3 predating, 4 failure
		failure Failure
	}
	results := make([]outcome, len(inputs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, max(len(inputs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, kind, err := replayOne(ctx, inputs[i], opts)
				if err != nil {
					results[i] = outcome{kind: 4, failure: Failure{Repo: inputs[i].Repo, Number: inputs[i].Number, Err: err.Error()}}
					continue
				}
				results[i] = outcome{change: c, kind: kind}
			}
		}()
	}
	for i := range inputs {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("replay: %w", err)
	}

	rep := Report{Inputs: len(inputs)}
	rules := map[string]*RuleCount{}
	repos := map[string]*RepoCount{}
	rule := func(id string) *RuleCount {
		if rules[id] == nil {
			rules[id] = &RuleCount{Rule: id}
		}
		return rules[id]
	}
	repo := func(name string) *RepoCount {
		if repos[name] == nil {
			repos[name] = &RepoCount{Repo: name}
		}
		return repos[name]
	}
	for _, r := range results {
		switch r.kind {
		case 0:
			rep.Unchanged++
		case 4:
			rep.Failures = append(rep.Failures, r.failure)
		case 3:
			rep.Predating = append(rep.Predating, *r.change)
			for _, id := range append(slices.Clone(r.change.Blocking), r.change.Passing...) {
				rule(id).PredatingInput++
			}
		default:
			c := *r.change
			if r.kind == 1 {
				rep.NewlyBlocked = append(rep.NewlyBlocked, c)
				repo(c.Repo).NewlyBlocked++
			} else {
				rep.NewlyUnblocked = append(rep.NewlyUnblocked, c)
				repo(c.Repo).NewlyUnblocked++
			}
		}
		// Per rule, every input counts, also those whose overall verdict
		// another rule kept the same.
		if r.change != nil && r.kind != 3 {
			for _, id := range r.change.Blocking {
				rule(id).NewlyBlocking++
			}
			for _, id := range r.change.Passing {
				rule(id).NewlyPassing++
			}
		}
	}
	for _, c := range rules {
		rep.Rules = append(rep.Rules, *c)
	}
	slices.SortFunc(rep.Rules, func(a, b RuleCount) int { return strings.Compare(a.Rule, b.Rule) })
	for _, c := range repos {
		rep.Repos = append(rep.Repos, *c)
	}
	slices.SortFunc(rep.Repos, func(a, b RepoCount) int { return strings.Compare(a.Repo, b.Repo) })
	return rep, nil
}

// header is what replay reads of a document itself.
type header struct {
	Time struct {
		NS int64 `json:"ns"`
	} `json:"time"`
}

// replayOne judges one input by both sides. kind: 0 no change at all, 1
// newly blocked, 2 newly unblocked, 3 changed but predating a field the new
// policy reads; a change of rules alone (the verdict unchanged) is kind 0
// with a Change carrying the rules.
func replayOne(ctx context.Context, in Input, opts Options) (*Change, int, error) {
	var h header
	if err := json.Unmarshal(in.Document, &h); err != nil {
		return nil, 0, fmt.Errorf("the input document is not valid JSON: %w", err)
	}
	if h.Time.NS == 0 {
		return nil, 0, errors.New("the input document has no time.ns")
	}
	at := time.Unix(0, h.Time.NS).UTC()
	newResults, err := opts.New.Evaluate(ctx, in.Document, at)
	if err != nil {
		return nil, 0, fmt.Errorf("new policy: %w", err)
	}
	newBlocks := blocking(newResults)
	var oldBlocks map[string]bool
	switch {
	case opts.Old != nil:
		oldResults, err := opts.Old.Evaluate(ctx, in.Document, at)
		if err != nil {
			return nil, 0, fmt.Errorf("old policy: %w", err)
		}
		oldBlocks = blocking(oldResults)
	case in.Recorded != nil:
		oldBlocks = map[string]bool{}
		for id, o := range in.Recorded {
			switch decision.Outcome(o) {
			case decision.Fail, decision.Error:
				oldBlocks[id] = true
			case decision.Overridden:
				// An override of the rule on this commit still applies.
				delete(newBlocks, id)
			}
		}
	default:
		return nil, 0, errors.New("nothing to compare with: no old policy and no recorded verdict")
	}
	c := &Change{Repo: in.Repo, Number: in.Number, HeadSHA: in.HeadSHA, At: at}
	for id := range newBlocks {
		if !oldBlocks[id] {
			c.Blocking = append(c.Blocking, id)
		}
	}
	for id := range oldBlocks {
		if !newBlocks[id] {
			c.Passing = append(c.Passing, id)
		}
	}
	slices.Sort(c.Blocking)
	slices.Sort(c.Passing)
	for _, r := range newResults {
		if slices.Contains(c.Blocking, r.ID) {
			for _, f := range r.Denials {
				c.Messages = append(c.Messages, r.ID+": "+f.Message)
			}
			if r.Err != "" {
				c.Messages = append(c.Messages, r.ID+": "+r.Err)
			}
		}
	}
	wasBlocked, isBlocked := len(oldBlocks) > 0, len(newBlocks) > 0
	if len(c.Blocking) == 0 && len(c.Passing) == 0 {
		return nil, 0, nil
	}
	if c.MissingFields = missingFields(in.Document, opts); len(c.MissingFields) > 0 {
		return c, 3, nil
	}
	switch {
	case !wasBlocked && isBlocked:
		return c, 1, nil
	case wasBlocked && !isBlocked:
		return c, 2, nil
	}
	return c, 0, nil
}

// blocking is the set of rules whose outcome blocks a merge when enforced.
func blocking(results []decision.RuleResult) map[string]bool {
	out := map[string]bool{}
	for _, r := range decision.Decide(decision.Enforce, results).Rules {
		if r.Outcome.Blocks() {
			out[r.ID] = true
		}
	}
	return out
}

// missingFields are the fields the new policy reads that the document
// lacks: it was stored before they existed.
func missingFields(doc json.RawMessage, opts Options) []string {
	if opts.Reads == nil || len(opts.Fields) == 0 {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(doc, &m) != nil {
		return nil
	}
	var out []string
	for _, field := range opts.Fields {
		if !has(m, field) && opts.Reads(field) {
			out = append(out, field)
		}
	}
	slices.Sort(out)
	return out
}

// has reports whether an object path is present (null counts as present:
// the document had the field, without a value).
func has(m map[string]any, field string) bool {
	var cur any = m
	for _, k := range strings.Split(field, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			// Under a null or non-object parent: the parent was there.
			return true
		}
		if cur, ok = obj[k]; !ok {
			return false
		}
	}
	return true
}

// ReadsIn reports whether Rego sources mention an input field, as
// input.a.b or input["a"]["b"] would: a textual check that errs towards
// "reads", which only sets an input apart rather than hiding it.
func ReadsIn(sources [][]byte) func(field string) bool {
	return func(field string) bool {
		last := field[strings.LastIndex(field, ".")+1:]
		re := regexp.MustCompile(`\b` + regexp.QuoteMeta(last) + `\b`)
		for _, s := range sources {
			if re.Match(s) {
				return true
			}
		}
		return false
	}
}
