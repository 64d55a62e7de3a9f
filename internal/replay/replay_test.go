package replay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/policy"
	"github.com/mergeguard/mergeguard/internal/replay"
)

// TestMain lets the test binary serve as a policy worker, so that replay
// is tested in the sandbox evaluation uses.
func TestMain(m *testing.M) {
	policy.RunAsWorker()
	os.Exit(m.Run())
}

func rule(id, body string) policy.Module {
	return policy.Module{Path: id + ".rego", Source: []byte(fmt.Sprintf(`# METADATA
# title: %s
# custom:
#   remedy: Fix it.
package mergeguard.rules.%s

%s
`, id, id, body))}
}

func engine(t *testing.T, ws *policy.Workers, mods ...policy.Module) replay.Engine {
	t.Helper()
	p, err := policy.Compile(context.Background(), mods, policy.Options{Workers: ws})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.DefaultEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// doc is an input document with files and an input.time.
func doc(version, files int, at time.Time) json.RawMessage {
	fs := make([]map[string]any, files)
	for i := range fs {
		fs[i] = map[string]any{"path": fmt.Sprintf("f%d.go", i)}
	}
	b, _ := json.Marshal(map[string]any{"version": version, "files": fs, "time": map[string]any{"ns": at.UnixNano(), "rfc3339": at.Format(time.RFC3339)}})
	return b
}

var (
	monday = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	// cutoff is when the time rule starts blocking: inputs must be judged
	// at their own time, not at the time of the replay.
	cutoff   = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	oldSize  = rule("size", `deny contains "more than 5 files" if count(input.files) > 5`)
	newSize  = rule("size", `deny contains sprintf("%d files, more than 2", [count(input.files)]) if count(input.files) > 2`)
	deadline = rule("deadline", fmt.Sprintf(`deny contains "past the deadline" if input.time.ns > %d`, cutoff.UnixNano()))
	mergeQ   = rule("queue", `deny contains "not from the merge queue" if not input.pull_request.merge_group.head_sha`)
)

func TestReplayComparesVerdictsPerPullRequestRuleAndRepository(t *testing.T) {
	for _, isolated := range []bool{false, true} {
		t.Run(fmt.Sprintf("isolated=%v", isolated), func(t *testing.T) {
			var ws *policy.Workers
			if isolated {
				var err error
				if ws, err = policy.NewWorkers(policy.WorkerConfig{Size: 2, Memory: 128 << 20}); err != nil {
					t.Fatal(err)
				}
				defer ws.Close()
			}
			inputs := []replay.Input{
				{Repo: "acme/shop", Number: 1, HeadSHA: "a1", Document: doc(1, 3, monday)},               // newly blocked by size
				{Repo: "acme/shop", Number: 2, HeadSHA: "a2", Document: doc(1, 1, monday)},               // passes both
				{Repo: "acme/web", Number: 3, HeadSHA: "a3", Document: doc(1, 10, monday)},               // blocked by both
				{Repo: "acme/web", Number: 4, HeadSHA: "a4", Document: doc(1, 1, cutoff.Add(time.Hour))}, // newly unblocked: deadline removed
				{Repo: "acme/web", Number: 5, HeadSHA: "a5", Document: doc(1, 4, cutoff.Add(time.Hour))}, // deadline → size: still blocked
				{Repo: "acme/web", Number: 6, HeadSHA: "a6", Document: json.RawMessage(`{"version": 1`)}, // unreadable
			}
			rep, err := replay.Run(context.Background(), inputs, replay.Options{
				Old: engine(t, ws, oldSize, deadline),
				New: engine(t, ws, newSize),
			})
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(rep)
			want := `inputs 6, unchanged 3
blocked acme/shop#1 +size [size: 3 files, more than 2]
unblocked acme/web#4 -deadline
rule deadline +0 -2
rule size +2 -0
repo acme/shop +1 -0
repo acme/web +0 -1
failure acme/web#6`
			if got != want {
				t.Errorf("report:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// Without an old policy, the verdicts recorded then are the old side, and
// an override recorded on the commit still holds.
func TestReplayAgainstRecordedVerdicts(t *testing.T) {
	inputs := []replay.Input{
		{Repo: "acme/shop", Number: 1, Document: doc(1, 3, monday), Recorded: map[string]string{"size": "pass"}},
		{Repo: "acme/shop", Number: 2, Document: doc(1, 3, monday), Recorded: map[string]string{"size": "overridden"}},
		{Repo: "acme/shop", Number: 3, Document: doc(1, 1, monday), Recorded: map[string]string{"size": "fail"}},
	}
	rep, err := replay.Run(context.Background(), inputs, replay.Options{New: engine(t, nil, newSize)})
	if err != nil {
		t.Fatal(err)
	}
	want := `inputs 3, unchanged 1
blocked acme/shop#1 +size [size: 3 files, more than 2]
unblocked acme/shop#3 -size
rule size +1 -1
repo acme/shop +1 -1`
	if got := summarize(rep); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
}

// An input stored before a field the new policy reads existed is reported
// apart, not as newly blocked; a field present but null is not missing.
func TestInputsPredatingAFieldAreReportedApart(t *testing.T) {
	withField := func(doc json.RawMessage, mergeGroup any) json.RawMessage {
		var m map[string]any
		_ = json.Unmarshal(doc, &m)
		m["pull_request"] = map[string]any{"merge_group": mergeGroup}
		b, _ := json.Marshal(m)
		return b
	}
	inputs := []replay.Input{
		{Repo: "acme/shop", Number: 1, Document: doc(1, 1, monday)},                 // stored before merge_group existed
		{Repo: "acme/shop", Number: 2, Document: withField(doc(1, 1, monday), nil)}, // has it, null
		{Repo: "acme/shop", Number: 3, Document: withField(doc(1, 1, monday), map[string]any{"head_sha": "x"})},
	}
	rep, err := replay.Run(context.Background(), inputs, replay.Options{
		Old: engine(t, nil, oldSize), New: engine(t, nil, oldSize, mergeQ),
		Fields: []string{"files", "pull_request", "pull_request.merge_group", "pull_request.unrelated", "time"},
		Reads:  replay.ReadsIn([][]byte{mergeQ.Source}),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `inputs 3, unchanged 1
blocked acme/shop#2 +queue [queue: not from the merge queue]
predating acme/shop#1 [pull_request, pull_request.merge_group]
rule queue +1 -0 predating 1
repo acme/shop +1 -0`
	if got := summarize(rep); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
}

// FieldPaths lists the current document's object fields, which replay
// checks stored documents against.
func TestTheDocumentsFieldPaths(t *testing.T) {
	paths := strings.Join(facts.FieldPaths(), " ")
	for _, want := range []string{"version", "pull_request", "pull_request.merge_group", "pull_request.base.ref", "coverage.status", "time.ns", "trigger.event"} {
		if !strings.Contains(" "+paths+" ", " "+want+" ") {
			t.Errorf("%s is not among the field paths: %s", want, paths)
		}
	}
}

func summarize(r replay.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "inputs %d, unchanged %d", r.Inputs, r.Unchanged)
	for _, c := range r.NewlyBlocked {
		fmt.Fprintf(&b, "\nblocked %s#%d +%s [%s]", c.Repo, c.Number, strings.Join(c.Blocking, ","), strings.Join(c.Messages, "; "))
	}
	for _, c := range r.NewlyUnblocked {
		fmt.Fprintf(&b, "\nunblocked %s#%d -%s", c.Repo, c.Number, strings.Join(c.Passing, ","))
	}
	for _, c := range r.Predating {
		fmt.Fprintf(&b, "\npredating %s#%d [%s]", c.Repo, c.Number, strings.Join(c.MissingFields, ", "))
	}
	for _, c := range r.Rules {
		fmt.Fprintf(&b, "\nrule %s +%d -%d", c.Rule, c.NewlyBlocking, c.NewlyPassing)
		if c.PredatingInput > 0 {
			fmt.Fprintf(&b, " predating %d", c.PredatingInput)
		}
	}
	for _, c := range r.Repos {
		fmt.Fprintf(&b, "\nrepo %s +%d -%d", c.Repo, c.NewlyBlocked, c.NewlyUnblocked)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "\nfailure %s#%d", f.Repo, f.Number)
	}
	return b.String()
}
