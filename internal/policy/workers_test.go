package policy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// testMemory is the workers' memory limit in these tests: small, so that
// each runaway policy fails fast and the test run stays far from the
// machine's memory.
const testMemory = 64 << 20

// newTestWorkers starts policy workers from this test binary (TestMain
// serves as one) with a memory limit that keeps a runaway policy small.
func newTestWorkers(t *testing.T, memory int64, size int) (*Workers, *stops) {
	t.Helper()
	st := &stops{}
	ws, err := NewWorkers(WorkerConfig{Size: size, Memory: memory, OnStop: st.add})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws, st
}

type stops struct {
	mu   sync.Mutex
	list []WorkerStop
}

func (s *stops) add(st WorkerStop) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, st)
}

func (s *stops) all() []WorkerStop {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WorkerStop(nil), s.list...)
}

func bundledModules(t testing.TB) []Module {
	t.Helper()
	mods, err := LoadFS(os.DirFS("../../policies"), ".")
	if err != nil {
		t.Fatal(err)
	}
	for i := range mods {
		mods[i].Bundled = true
	}
	return mods
}

func TestWorkersDecideAsThisProcessDoes(t *testing.T) {
	ctx := context.Background()
	ws, _ := newTestWorkers(t, 256<<20, 1)
	mods := bundledModules(t)
	here, err := Compile(ctx, mods, Options{})
	if err != nil {
		t.Fatal(err)
	}
	there, err := Compile(ctx, mods, Options{Workers: ws})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(here.Rules(), there.Rules()) || !reflect.DeepEqual(here.Schema(), there.Schema()) || here.Digest() != there.Digest() {
		t.Fatalf("the worker's compiled rules differ:\nhere  %+v\nthere %+v", here.Rules(), there.Rules())
	}
	eh, err := here.DefaultEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	et, err := there.DefaultEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	input := map[string]any{
		"time":         map[string]any{"rfc3339": now.Format(time.RFC3339), "ns": now.UnixNano()},
		"pull_request": map[string]any{"author": map[string]any{"login": "dev"}, "base": map[string]any{"ref": "main"}},
		"files":        []any{map[string]any{"path": "deploy/prod/app.yaml", "status": "modified", "additions": 3}},
		"reviews":      []any{},
	}
	rh, err := eh.Evaluate(ctx, input, now)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := et.Evaluate(ctx, input, now)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rh, rt) {
		t.Fatalf("results differ:\nhere  %+v\nthere %+v", rh, rt)
	}
	var req OverrideRequest
	req.Rule, req.Actor = "required_reviewers", "lead"
	ah, err := eh.AuthorizeOverride(ctx, req, now)
	if err != nil {
		t.Fatal(err)
	}
	at, err := et.AuthorizeOverride(ctx, req, now)
	if err != nil || !reflect.DeepEqual(ah, at) {
		t.Fatalf("authorization here %+v, there %+v (%v)", ah, at, err)
	}
	th, err := RunTests(ctx, mods, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tt, err := RunTests(ctx, mods, Options{Workers: ws})
	if err != nil {
		t.Fatal(err)
	}
	if len(th) == 0 || len(th) != len(tt) {
		t.Fatalf("%d tests here, %d there", len(th), len(tt))
	}
	for i := range th {
		th[i].Duration, tt[i].Duration = 0, 0
		if th[i] != tt[i] {
			t.Fatalf("test %d: here %+v, there %+v", i, th[i], tt[i])
		}
	}
	for _, r := range rt {
		if r.Err != "" {
			t.Errorf("rule %s: %s", r.ID, r.Err)
		}
	}
	if !strings.Contains(decision.Decide(decision.Enforce, rt).Rules[0].ID, "_") && len(rt) < 3 {
		t.Fatalf("too few rules: %+v", rt)
	}
}

func bombModule(name, body string) Module {
	return Module{Path: name + ".rego", Source: []byte(fmt.Sprintf(`# METADATA
# title: %[1]s
# custom:
#   remedy: Allocate less.
package mergeguard.rules.%[1]s

deny contains "allocated" if {
	%[2]s
}
`, name, body))}
}

// twoRules are a rule with body first, and one denying when input.ok.
func twoRules(first string) []Module {
	return []Module{bombModule("a_slow", first), bombModule("b_fine", `input.ok`)}
}

func TestABuiltinCallPastTheTimeLimitIsStopped(t *testing.T) {
	ctx := context.Background()
	ws, st := newTestWorkers(t, 256<<20, 1)
	ws.grace = 200 * time.Millisecond
	// Printing a 20-million-bit number takes seconds, in one builtin call
	// that never looks at the time limit.
	p, err := Compile(ctx, twoRules(`x := bits.lsh(1, 20000000)
	x > 0`), Options{Workers: ws, Timeout: 100 * time.Millisecond})
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
	if r := res[0]; !strings.Contains(r.Err, "a_slow.rego: rule a_slow: evaluation did not finish within the 100ms time limit") || !strings.Contains(r.Err, "stopped") {
		t.Errorf("slow rule: %q", r.Err)
	}
	if r := res[1]; r.Err != "" || len(r.Denials) != 1 {
		t.Errorf("the other rule: %+v", r)
	}
	if s := st.all(); len(s) != 1 || s[0].Reason != "time" || s[0].Name != "a_slow" {
		t.Errorf("stops %+v", s)
	}
}

func TestWorkersReportCompileProblemsAsThisProcessDoes(t *testing.T) {
	ws, _ := newTestWorkers(t, testMemory, 1)
	mods := []Module{{Path: "broken.rego", Source: []byte(header + "deny contains msg if {\n")}}
	_, here := Compile(context.Background(), mods, Options{})
	_, there := Compile(context.Background(), mods, Options{Workers: ws})
	if here == nil || there == nil || !reflect.DeepEqual(here, there) {
		t.Fatalf("here %#v\nthere %#v", here, there)
	}
}

func TestAWorkerThatDiesIdleIsReplacedWithoutBlame(t *testing.T) {
	ctx := context.Background()
	ws, st := newTestWorkers(t, testMemory, 1)
	p, err := Compile(ctx, twoRules(`input.ok`), Options{Workers: ws})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.DefaultEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws.mu.Lock()
	for _, w := range ws.idle {
		w.kill()
		<-w.exited
	}
	ws.mu.Unlock()
	res, err := e.Evaluate(ctx, map[string]any{"ok": true}, time.Now())
	if err != nil || res[0].Err != "" || res[1].Err != "" || len(res[0].Denials) != 1 {
		t.Fatalf("after the worker died: %+v %v", res, err)
	}
	if s := st.all(); len(s) != 0 {
		t.Errorf("an idle worker's death was blamed on a policy: %+v", s)
	}
}

func TestAWorkerThatForgotThePolicyIsSentItAgain(t *testing.T) {
	ctx := context.Background()
	ws, _ := newTestWorkers(t, testMemory, 1)
	var engines []*Engine
	for i := range maxWorkerPolicies + 2 {
		p, err := Compile(ctx, []Module{bombModule(fmt.Sprintf("rule%d", i), `input.ok`)}, Options{Workers: ws})
		if err != nil {
			t.Fatal(err)
		}
		e, err := p.DefaultEngine(ctx)
		if err != nil {
			t.Fatal(err)
		}
		engines = append(engines, e)
	}
	// The first policy is long gone from the worker's cache.
	res, err := engines[0].Evaluate(ctx, map[string]any{"ok": true}, time.Now())
	if err != nil || res[0].ID != "rule0" || res[0].Err != "" || len(res[0].Denials) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestEvaluationsShareTheWorkers(t *testing.T) {
	ctx := context.Background()
	ws, _ := newTestWorkers(t, testMemory, 2)
	p, err := Compile(ctx, twoRules(`input.ok`), Options{Workers: ws})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.DefaultEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			res, err := e.Evaluate(ctx, map[string]any{"ok": i%2 == 0}, time.Now())
			switch {
			case err != nil:
				errs <- err
			case len(res[1].Denials) != 1-i%2:
				errs <- fmt.Errorf("evaluation %d: %+v", i, res)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if len(ws.idle) > 2 {
		t.Errorf("%d workers for a pool of 2", len(ws.idle))
	}
}

func TestAnEvaluationGivenUpOnStopsItsWorker(t *testing.T) {
	ws, _ := newTestWorkers(t, 256<<20, 1)
	p, err := Compile(context.Background(), twoRules(`x := bits.lsh(1, 20000000)
	x > 0`), Options{Workers: ws, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.DefaultEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := e.Evaluate(ctx, map[string]any{}, time.Now()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the context's error, got %v", err)
	}
	// The pool is usable again at once: the worker was stopped, not waited for.
	res, err := e.Evaluate(context.Background(), map[string]any{"ok": true}, time.Now(), "b_fine")
	if err != nil || len(res) != 1 || len(res[0].Denials) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestAResultTooLargeForTheServerFailsItsRule(t *testing.T) {
	ctx := context.Background()
	ws, _ := newTestWorkers(t, 256<<20, 1)
	p, err := Compile(ctx, []Module{{Path: "loud.rego", Source: []byte(strings.Replace(header, "example", "loud", 1) + `
deny contains sprintf("%0100000d", [i]) if some i in numbers.range(1, 400)
`)}}, Options{Workers: ws})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.DefaultEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Evaluate(ctx, map[string]any{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; len(r.Denials) != 0 || !strings.Contains(r.Err, "rule loud produced 38 MiB of findings") {
		t.Fatalf("%.300v", r)
	}
}

func TestWorkersGetNoSecrets(t *testing.T) {
	env := workerEnv([]string{"MERGEGUARD_PRIVATE_KEY=secret", "MERGEGUARD_WEBHOOK_SECRET=s", "HOME=/root", "GODEBUG=x=1", "GOMEMLIMIT=192MiB", "PATH=/bin"})
	if !reflect.DeepEqual(env, []string{"MALLOC_ARENA_MAX=1", "GODEBUG=x=1"}) {
		t.Fatalf("worker environment %q", env)
	}
}

func TestAWorkerForgetsOtherPoliciesWhenTheyCrowdItsMemory(t *testing.T) {
	mods := bundledModules(t)
	p1, err := Compile(context.Background(), mods, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// This process holds far more than a quarter of a 1 MiB limit.
	s := &workerServer{policies: map[string]*cachedPolicy{"a": {policy: p1}, "b": {policy: p1}, "c": {policy: p1}}, memory: 1 << 20}
	runtime.GC()
	s.trim("b")
	if len(s.policies) != 1 || s.policies["b"] == nil {
		t.Fatalf("kept %v", slices.Collect(maps.Keys(s.policies)))
	}
	// With room to spare, nothing is forgotten.
	s = &workerServer{policies: map[string]*cachedPolicy{"a": {policy: p1}, "b": {policy: p1}}, memory: 64 << 30}
	s.trim("b")
	if len(s.policies) != 2 {
		t.Fatalf("kept %v", slices.Collect(maps.Keys(s.policies)))
	}
}

// Workers serve every organization: a policy must not be taken for
// another that shares its short digest, nor custom modules for
// mergeguard's own.
func TestWorkerKeysNameAPolicyExactly(t *testing.T) {
	mod := Module{Path: "lib.rego", Source: []byte("package mergeguard.lib\n")}
	own := mod
	own.Bundled = true
	opts := Options{}.withDefaults()
	a, b := workerKey([]Module{mod}, opts), workerKey([]Module{own}, opts)
	if a == b || Digest([]Module{mod}) != Digest([]Module{own}) || len(strings.Split(a, "/")[0]) != 64 {
		t.Fatalf("keys %s and %s", a, b)
	}
	if workerKey([]Module{mod}, Options{Timeout: time.Second, Budget: time.Minute}) == a {
		t.Fatal("the key must include the time limits the worker applies")
	}
}
