//go:build linux

// The memory limit is the operating system's on Linux only; elsewhere these
// tests' policies would take the machine's memory.
package policy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// memoryBombs allocate without bound in the ways Rego allows: one huge
// builtin call, or many moderate allocations that together exceed any
// limit. Each must end its worker, fail its own rule, and leave the rest
// of the evaluation (and this process) alone.
var memoryBombs = map[string]string{
	// The report's example: 1 MB, 19 MB, then about 1 GB in one call.
	"concat": `a := sprintf("%1000000d", [1])
	b := concat(a, [a, a, a, a, a, a, a, a, a, a])
	c := concat(b, [b | some _ in numbers.range(1, 50)])
	count(c) > 0`,
	// Go's fmt refuses widths over a million, but not many arguments.
	"sprintf": `a := sprintf("%01000000d", [1])
	s := sprintf(concat("", ["%s" | some _ in numbers.range(1, 2000)]), [a | some _ in numbers.range(1, 2000)])
	count(s) > 0`,
	"strings_replace_n": `a := sprintf("%0100000d", [0])
	s := strings.replace_n({"0": a}, a)
	count(s) > 0`,
	"array_concat": `a := numbers.range(1, 100000)
	b := array.concat(a, a)
	c := array.concat(b, b)
	d := array.concat(c, c)
	e := array.concat(d, d)
	f := array.concat(e, e)
	g := array.concat(f, f)
	h := array.concat(g, g)
	i := array.concat(h, h)
	count(i) > 0`,
	// Many small allocations, none of them large: no size check on a
	// single builtin call would catch this.
	"comprehension": `xs := [sprintf("%0100000d", [i]) | some i in numbers.range(1, 10000)]
	count(xs) > 0`,
	// The value marshalled is small (one string, shared a thousand
	// times); its JSON text is not.
	"json_marshal": `s := sprintf("%01000000d", [1])
	j := json.marshal([s | some _ in numbers.range(1, 2000)])
	count(j) > 0`,
	"deep_objects": `o := {sprintf("k%d", [i]): {sprintf("k%d", [j]): {"i": i, "deep": {"j": j, "leaf": sprintf("%01000d", [j])}} | some j in numbers.range(1, 1000)} | some i in numbers.range(1, 100000)}
	count(o) > 0`,
}

// maxWorkerRSS bounds what a worker may have resident: its limit, the heap
// arena of headroom, and what the process has mapped before any policy
// runs (about 16 MiB for this test binary).
const maxWorkerRSS = testMemory + heapArena + 48<<20

func TestMemoryBombsFailOnlyTheirOwnRule(t *testing.T) {
	ctx := context.Background()
	ws, st := newTestWorkers(t, testMemory, 1)
	names := slices.Sorted(maps.Keys(memoryBombs))
	mods := []Module{bombModule("zz_fine", `input.ok`)}
	for _, name := range names {
		mods = append(mods, bombModule(name, memoryBombs[name]))
	}
	// Time enough for any bomb to reach the memory limit first, even on a
	// slow machine: this test is about memory.
	p, err := Compile(ctx, mods, Options{Workers: ws, Timeout: 20 * time.Second, Budget: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.DefaultEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Evaluate(ctx, map[string]any{"ok": true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(names)+1 {
		t.Fatalf("%d results for %d rules", len(res), len(names)+1)
	}
	for i, name := range names {
		r := res[i]
		want := []string{name + ".rego: ", "rule " + name, "memory limit", "MERGEGUARD_POLICY_MEMORY"}
		for _, w := range want {
			if r.ID != name || !strings.Contains(r.Err, w) {
				t.Errorf("%s: result %s %q does not say %q", name, r.ID, r.Err, w)
			}
		}
	}
	// The rule after all of them was evaluated by a fresh worker.
	if fine := res[len(names)]; fine.ID != "zz_fine" || fine.Err != "" || len(fine.Denials) != 1 {
		t.Errorf("the other rule: %+v", fine)
	}
	stopped := st.all()
	if len(stopped) != len(names) {
		t.Fatalf("%d workers stopped, want one per bomb: %+v", len(stopped), stopped)
	}
	for i, s := range stopped {
		if s.Reason != "memory" || s.Stage != stageRule || s.Name != names[i] {
			t.Errorf("stop %d: %+v, want the memory limit in rule %s", i, s, names[i])
		}
		if s.PeakRSS > maxWorkerRSS {
			t.Errorf("rule %s: the worker had %d MiB resident, more than the %d MiB it may", s.Name, s.PeakRSS>>20, maxWorkerRSS>>20)
		}
	}
}

func TestTestsRunInWorkers(t *testing.T) {
	ctx := context.Background()
	ws, st := newTestWorkers(t, testMemory, 1)
	rule := bombModule("sized", `count(input.files) > 2`)
	tests := Module{Path: "sized_test.rego", Source: []byte(`package mergeguard.rules.sized_test

import data.mergeguard.rules.sized

test_small if count(sized.deny) == 0 with input as {"files": [1]}

test_huge if {
	` + memoryBombs["concat"] + `
}

test_large if count(sized.deny) == 1 with input as {"files": [1, 2, 3]}
`)}
	results, err := RunTests(ctx, []Module{rule, tests}, Options{Workers: ws, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("%d results: %+v", len(results), results)
	}
	if r := results[0]; r.Name != "test_small" || !r.Passed {
		t.Errorf("first test %+v", r)
	}
	if r := results[1]; r.Name != "test_huge" || r.Passed || r.File != "sized_test.rego" || r.Line != 7 ||
		!strings.Contains(r.Err, "memory limit while running test data.mergeguard.rules.sized_test.test_huge") {
		t.Errorf("the test that exhausts memory: %+v", r)
	}
	// The test after it ran in a fresh worker.
	if r := results[2]; r.Name != "test_large" || !r.Passed {
		t.Errorf("last test %+v", r)
	}
	if s := st.all(); len(s) != 1 || s[0].Stage != stageTest || s[0].Reason != "memory" {
		t.Errorf("stops %+v", s)
	}
}

func TestAPolicyThatCannotCompileWithinTheLimitIsBroken(t *testing.T) {
	ws, st := newTestWorkers(t, testMemory, 1)
	// A megabyte of literal numbers is a few hundred megabytes of syntax
	// tree.
	var mods []Module
	for i := range 4 {
		src := fmt.Sprintf("package acme.data%d\n\nnumbers := [%s1]\n", i, strings.Repeat("1,", 500000))
		mods = append(mods, Module{Path: fmt.Sprintf("data%d.rego", i), Source: []byte(src)})
	}
	_, err := Compile(context.Background(), mods, Options{Workers: ws})
	var ce *CompileError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "exceeded its 64 MiB memory limit while") || !strings.Contains(err.Error(), "MERGEGUARD_POLICY_MEMORY") {
		t.Fatalf("want a compile problem naming the memory limit, got %v", err)
	}
	if s := st.all(); len(s) != 1 || s[0].Reason != "memory" {
		t.Errorf("stops %+v", s)
	}
}

func TestAnInputTooLargeForTheLimitFailsEveryRuleSayingSo(t *testing.T) {
	ctx := context.Background()
	// A 32 MiB limit leaves at most 96 MiB of heap; the 100 MiB document
	// cannot even be received.
	ws, st := newTestWorkers(t, 32<<20, 1)
	p, err := Compile(ctx, twoRules(`input.ok`), Options{Workers: ws})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.DefaultEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Evaluate(ctx, map[string]any{"ok": true, "huge": strings.Repeat("x", 100<<20)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !strings.Contains(r.Err, "not evaluated: the policy worker exceeded its 32 MiB memory limit while receiving its work; the pull request's input document is 100 MiB") {
			t.Errorf("rule %s: %q", r.ID, r.Err)
		}
	}
	// The first worker to die silently was given the benefit of the doubt:
	// only the second is counted.
	if s := st.all(); len(s) != 1 || s[0].Reason != "memory" || s[0].Stage != "" {
		t.Errorf("stops %+v", s)
	}
}
