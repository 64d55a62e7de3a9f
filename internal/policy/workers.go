package policy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// DefaultMemory is a policy worker's default memory limit: what one
// compilation, test run or evaluation of all rules may use.
const DefaultMemory = 256 << 20

const (
	// defaultGrace is how long past its time limit a rule or test may run
	// before the server stops its worker: long enough for the worker's own
	// limit to end it cleanly, short enough that a builtin call which does
	// not notice the limit (bits.lsh(1, 20000000) takes seconds to print)
	// cannot hold an evaluation.
	defaultGrace = 3 * time.Second
	// setupLimit bounds the stages without a time limit of their own:
	// starting a worker, compiling, reading the input.
	setupLimit = 2 * time.Minute
	// maxStderr is how much of a worker's error output is kept.
	maxStderr = 8 << 10
)

// WorkerConfig configures policy workers.
type WorkerConfig struct {
	// Command starts a worker: a program and its arguments, to which
	// "--memory BYTES" is added. The default is this executable with
	// WorkerSubcommand.
	Command []string
	// Size is how many workers may run policy code at once (default 1).
	Size int
	// Memory is each worker's memory limit in bytes, beyond what it has
	// mapped at start (default DefaultMemory).
	Memory int64
	Log    *slog.Logger
	// OnStop is told of every worker stopped while running policy code.
	OnStop func(WorkerStop)
}

// WorkerStop describes a worker stopped while running policy code.
type WorkerStop struct {
	// Reason is "memory" (it exceeded its memory limit), "killed" (the
	// system killed it: the container's memory ran out), "time" (a builtin
	// call ran past the time limit) or "crash".
	Reason string
	// Stage and Name say what it was doing: "rule" and a rule's id,
	// "test" and a test's name, "parse" and a file, "compile", "input",
	// "tests", "authorize".
	Stage, Name string
	// PeakRSS is the most memory it had resident, in bytes (Linux only).
	PeakRSS int64
	// Detail is the start of its error output.
	Detail string
}

// Workers compiles and runs policies in separate processes, each limited
// in memory by the operating system, so that a policy which allocates
// without bound ends its worker, not the server. A worker that dies is
// replaced on the next request; the rule or test it was running fails with
// a message that says so. Workers is safe for concurrent use: each worker
// runs one request at a time.
type Workers struct {
	cfg   WorkerConfig
	slots chan struct{}
	grace time.Duration
	// announced is set once the first worker has said how it is limited.
	announced atomic.Bool

	mu     sync.Mutex
	idle   []*worker
	closed bool
}

// NewWorkers prepares a pool of policy workers; they start when first
// needed.
func NewWorkers(cfg WorkerConfig) (*Workers, error) {
	if cfg.Size <= 0 {
		cfg.Size = 1
	}
	if cfg.Memory <= 0 {
		cfg.Memory = DefaultMemory
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the mergeguard executable to run policy workers: %w", err)
		}
		cfg.Command = []string{exe, WorkerSubcommand}
	}
	return &Workers{cfg: cfg, slots: make(chan struct{}, cfg.Size), grace: defaultGrace}, nil
}

// Memory is each worker's memory limit in bytes.
func (ws *Workers) Memory() int64 { return ws.cfg.Memory }

// Close stops the workers; the ones busy stop when their request ends.
func (ws *Workers) Close() error {
	ws.mu.Lock()
	idle := ws.idle
	ws.idle, ws.closed = nil, true
	ws.mu.Unlock()
	for _, w := range idle {
		w.stop()
	}
	return nil
}

// worker is one worker process.
type worker struct {
	cmd    *exec.Cmd
	in     *os.File
	inBuf  *bufio.Writer
	out    *os.File
	outBuf *bufio.Reader
	stderr *headBuffer
	exited chan struct{}
	// known are the policies the worker compiled, as far as the server
	// knows.
	known map[string]bool
	// broken workers are not reused.
	broken bool
}

func (ws *Workers) start() (*worker, error) {
	args := append(slices.Clone(ws.cfg.Command[1:]), "--memory", strconv.FormatInt(ws.cfg.Memory, 10))
	cmd := exec.Command(ws.cfg.Command[0], args...)
	// A worker outlives the server only until it next reads its input:
	// the pipe closes with the server.
	cmd.Env = workerEnv(os.Environ())
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	w := &worker{cmd: cmd, in: inW, inBuf: bufio.NewWriter(inW), out: outR, outBuf: bufio.NewReader(outR),
		stderr: &headBuffer{}, exited: make(chan struct{}), known: map[string]bool{}}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, w.stderr
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("start a policy worker (%s): %w", ws.cfg.Command[0], err)
	}
	go func() {
		_ = cmd.Wait()
		close(w.exited)
	}()
	// The first reply says the worker is ready and how it is limited.
	var ready reply
	timer := time.AfterFunc(setupLimit, w.kill)
	err = readFrame(w.outBuf, maxReply, &ready)
	timer.Stop()
	if err != nil || ready.Ready == nil {
		w.stop()
		detail := firstLine(w.stderr.String())
		if detail == "" && err != nil {
			detail = err.Error()
		}
		return nil, fmt.Errorf("start a policy worker (%s): it did not get ready: %s", strings.Join(ws.cfg.Command, " "), detail)
	}
	if !ws.announced.Swap(true) {
		if ready.Ready.HardLimit {
			ws.cfg.Log.Info("policy workers run with an address-space limit", "memory_limit_mib", ws.cfg.Memory>>20, "workers", ws.cfg.Size)
		} else {
			ws.cfg.Log.Warn("policy workers run without an address-space limit on this system: a policy that allocates without bound can exhaust the machine's memory", "soft_limit_mib", ws.cfg.Memory>>20)
		}
	}
	return w, nil
}

// workerEnv is the environment a worker gets: the Go runtime's settings
// and nothing else, so that policy code never shares a process with the
// server's secrets. The worker sets its own memory limit. In a binary built
// with cgo, the C library would reserve 64 MiB of address space for each
// thread that allocates (its malloc arenas), which a small limit cannot
// afford: one arena is plenty for the little C code Go runs.
func workerEnv(env []string) []string {
	out := []string{"MALLOC_ARENA_MAX=1"}
	for _, kv := range env {
		if strings.HasPrefix(kv, "GO") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			out = append(out, kv)
		}
	}
	return out
}

func (w *worker) kill() { _ = w.cmd.Process.Kill() }

// stop ends the worker and waits for it.
func (w *worker) stop() {
	w.in.Close()
	w.kill()
	<-w.exited
	w.out.Close()
}

// acquire takes an idle worker, preferring one that compiled the policy
// key, or starts one, waiting while Size workers are busy.
func (ws *Workers) acquire(ctx context.Context, key string) (*worker, error) {
	select {
	case ws.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ws.mu.Lock()
	if ws.closed {
		ws.mu.Unlock()
		<-ws.slots
		return nil, errors.New("the policy workers are closed: the server is shutting down")
	}
	var w *worker
	for len(ws.idle) > 0 && w == nil {
		i := slices.IndexFunc(ws.idle, func(w *worker) bool { return w.known[key] })
		if i < 0 {
			i = len(ws.idle) - 1
		}
		w = ws.idle[i]
		ws.idle = slices.Delete(ws.idle, i, i+1)
		select {
		case <-w.exited: // it died while idle: not this request's doing
			go w.stop()
			w = nil
		default:
		}
	}
	ws.mu.Unlock()
	if w != nil {
		return w, nil
	}
	w, err := ws.start()
	if err != nil {
		<-ws.slots
		return nil, err
	}
	return w, nil
}

func (ws *Workers) release(w *worker) {
	ws.mu.Lock()
	keep := !w.broken && !ws.closed
	if keep {
		ws.idle = append(ws.idle, w)
	}
	ws.mu.Unlock()
	if !keep {
		w.stop()
	}
	<-ws.slots
}

// stopped is a worker that died, or was stopped, while running a request.
type stopped struct {
	WorkerStop
	memory int64
}

func (s *stopped) Error() string {
	doing := s.doing()
	switch s.Reason {
	case "memory":
		return fmt.Sprintf("the policy worker exceeded its %d MiB memory limit while %s", s.memory>>20, doing)
	case "killed":
		return fmt.Sprintf("the policy worker was killed by the system while %s, most likely because the container reached its memory limit", doing)
	case "time":
		return fmt.Sprintf("the policy worker was stopped because it ran past its time limit while %s", doing)
	}
	return fmt.Sprintf("the policy worker stopped unexpectedly while %s: %s", doing, s.Detail)
}

func (s *stopped) doing() string {
	switch s.Stage {
	case stageParse:
		return "parsing " + s.Name
	case stageCompile:
		return "compiling the policy"
	case stageInput:
		return "reading the input document"
	case stageRule:
		return "evaluating rule " + s.Name
	case stageAuthorize:
		return "evaluating the override policy"
	case stageTests:
		return "compiling the policy with its tests"
	case stageTest:
		return "running test " + s.Name
	}
	return "starting its work"
}

// exchange sends req and hands each reply to handle until handle says the
// request is done. A worker that dies, or stays silent past its time limit
// (ruleLimit in a rule or test, setupLimit otherwise), or whose request ctx
// gives up on, is stopped; the error is then *stopped, or ctx's error.
func (ws *Workers) exchange(ctx context.Context, w *worker, req request, ruleLimit time.Duration, handle func(reply) (bool, error)) error {
	var timedOut, cancelled atomic.Bool
	timer := time.AfterFunc(setupLimit, func() { timedOut.Store(true); w.kill() })
	defer timer.Stop()
	stopWatch := context.AfterFunc(ctx, func() { cancelled.Store(true); w.kill() })
	defer stopWatch()
	var stage, name string
	fail := func(err error) error {
		w.broken = true
		w.kill()
		<-w.exited
		if cancelled.Load() {
			return ctx.Err()
		}
		return ws.stopped(w, err, timedOut.Load(), stage, name)
	}
	if err := writeFrame(w.inBuf, req); err != nil {
		return fail(err)
	}
	for {
		var rep reply
		if err := readFrame(w.outBuf, maxReply, &rep); err != nil {
			return fail(err)
		}
		limit := setupLimit
		switch {
		case rep.Stage != "":
			stage, name = rep.Stage, rep.Name
			if stage == stageRule || stage == stageTest || stage == stageAuthorize {
				limit = ruleLimit
			}
		case rep.Rule != nil || rep.Test != nil:
			stage, name = "", "" // between two rules or tests
		}
		timer.Reset(limit)
		done, err := handle(rep)
		if err != nil || done {
			return err
		}
	}
}

func (ws *Workers) stopped(w *worker, err error, timedOut bool, stage, name string) *stopped {
	state := w.cmd.ProcessState
	st := &stopped{WorkerStop: WorkerStop{Stage: stage, Name: name, PeakRSS: peakRSS(state)}, memory: ws.cfg.Memory}
	out := w.stderr.String()
	switch {
	case timedOut:
		st.Reason = "time"
	case outOfMemory(out):
		st.Reason, st.Detail = "memory", firstLine(out)
	case killedBySystem(state):
		st.Reason = "killed"
	default:
		st.Reason, st.Detail = "crash", firstLine(out)
		if st.Detail == "" {
			st.Detail = fmt.Sprintf("%v (%v)", err, state)
		}
	}
	ws.cfg.Log.Warn("a policy worker was stopped", "reason", st.Reason, "stage", stage, "name", name,
		"peak_rss_mib", st.PeakRSS>>20, "memory_limit_mib", ws.cfg.Memory>>20, "detail", st.Detail)
	if ws.cfg.OnStop != nil {
		ws.cfg.OnStop(st.WorkerStop)
	}
	return st
}

// call runs one request about compiled policy p on a worker, sending p's
// modules when the worker has not compiled it (or no longer has it).
func (ws *Workers) call(ctx context.Context, p *Policy, req request, handle func(reply) (bool, error)) error {
	w, err := ws.acquire(ctx, p.key)
	if err != nil {
		return err
	}
	defer ws.release(w)
	send := func(modules bool) (unknown bool, err error) {
		req.Policy = &policyRef{Key: p.key, Timeout: p.timeout, Budget: p.total}
		if modules {
			req.Policy.Modules = p.sources
		}
		err = ws.exchange(ctx, w, req, p.timeout+ws.grace, func(rep reply) (bool, error) {
			if rep.Unknown {
				unknown = true
				return true, nil
			}
			if rep.Done && len(rep.Problems) == 0 && rep.Error == "" {
				w.known[p.key] = true
			}
			return handle(rep)
		})
		return unknown, err
	}
	unknown, err := send(!w.known[p.key])
	if err == nil && unknown {
		// The worker dropped the policy from its cache.
		if unknown, err = send(true); err == nil && unknown {
			err = errors.New("the policy worker asked twice for the policy's modules")
		}
	}
	return err
}

// compile compiles sources in a worker, which keeps the compiled policy for
// what follows; the server keeps only what the rules say about themselves.
func (ws *Workers) compile(ctx context.Context, sources []Module, opts Options) (*Policy, error) {
	p := &Policy{digest: Digest(sources), timeout: opts.Timeout, total: opts.Budget, workers: ws, sources: sources, engines: map[string]*Engine{}}
	p.key = fmt.Sprintf("%s/%s/%s", p.digest, p.timeout, p.total)
	var metas []Meta
	err := ws.call(ctx, p, request{Op: opCompile}, func(rep reply) (bool, error) {
		if !rep.Done {
			return false, nil
		}
		if err := replyError(rep); err != nil {
			return true, err
		}
		metas = rep.Rules
		return true, nil
	})
	var st *stopped
	if errors.As(err, &st) {
		return nil, &CompileError{Problems: []Problem{st.problem()}}
	}
	if err != nil {
		return nil, err
	}
	for _, m := range metas {
		p.rules = append(p.rules, ruleMeta{meta: m})
	}
	return p, nil
}

// problem states a worker stopped while compiling as a policy problem.
func (s *stopped) problem() Problem {
	pr := Problem{Message: s.Error()}
	if s.Stage == stageParse {
		pr.File = s.Name
	}
	if s.Reason == "memory" || s.Reason == "killed" {
		pr.Message += "; a policy must compile within the memory limit for policies (MERGEGUARD_POLICY_MEMORY)"
	}
	return pr
}

// replyError is the failure a final reply reports, if any.
func replyError(rep reply) error {
	switch {
	case len(rep.Problems) > 0:
		return &CompileError{Problems: rep.Problems}
	case rep.Error != "":
		return errors.New(rep.Error)
	}
	return nil
}

// bind prepares the policy's configuration in a worker, which reports a
// rule that cannot be prepared.
func (ws *Workers) bind(ctx context.Context, p *Policy, b binding, key string, raw []byte) (*Engine, error) {
	err := ws.call(ctx, p, request{Op: opBind, Binding: raw, BindingKey: key}, func(rep reply) (bool, error) {
		if !rep.Done {
			return false, nil
		}
		return true, replyError(rep)
	})
	if err != nil {
		return nil, fmt.Errorf("bind the policy's configuration: %w", err)
	}
	return &Engine{policy: p, debug: b.Debug, rules: p.bindRules(b)}, nil
}

// evaluate evaluates the rules in workers. When a worker dies in a rule,
// that rule fails saying why, and the rules after it are evaluated by a
// fresh worker.
func (ws *Workers) evaluate(ctx context.Context, e *Engine, input any, now time.Time, only []string) ([]decision.RuleResult, error) {
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("convert policy input: %w", err)
	}
	p := e.policy
	deadline := time.Now().Add(p.budget())
	var want []string
	for _, r := range e.rules {
		if len(only) == 0 || slices.Contains(only, r.meta.ID) {
			want = append(want, r.meta.ID)
		}
	}
	got := map[string]decision.RuleResult{}
	for {
		var pending []string
		for _, id := range want {
			if _, ok := got[id]; !ok {
				pending = append(pending, id)
			}
		}
		if len(pending) == 0 {
			break
		}
		req := request{Op: opEvaluate, Binding: e.raw, BindingKey: e.key, Input: raw, Now: now, Only: pending, Budget: max(time.Until(deadline), 0)}
		err := ws.call(ctx, p, req, func(rep reply) (bool, error) {
			if rep.Rule != nil {
				got[rep.Rule.ID] = *rep.Rule
			}
			if rep.Done {
				return true, replyError(rep)
			}
			return false, nil
		})
		var st *stopped
		if !errors.As(err, &st) {
			if err != nil {
				return nil, err
			}
			for _, id := range pending {
				if _, ok := got[id]; !ok {
					res := e.stoppedIn(id, &stopped{WorkerStop: WorkerStop{Reason: "crash", Detail: "it did not report this rule"}})
					got[id] = res
				}
			}
			continue
		}
		if st.Stage == stageRule && slices.Contains(pending, st.Name) {
			got[st.Name] = e.stoppedIn(st.Name, st)
			continue
		}
		// It died outside any rule: no rule can be blamed, and a fresh
		// worker would likely die the same way.
		for _, id := range pending {
			got[id] = e.stoppedIn(id, st)
		}
	}
	results := make([]decision.RuleResult, 0, len(want))
	for _, id := range want {
		results = append(results, got[id])
	}
	return results, nil
}

// stoppedIn is the result of rule id when its worker was stopped.
func (e *Engine) stoppedIn(id string, st *stopped) decision.RuleResult {
	i := slices.IndexFunc(e.rules, func(r rule) bool { return r.meta.ID == id })
	r := e.rules[i]
	res := ruleResult(r)
	var why string
	switch {
	case st.Stage != stageRule:
		why = fmt.Sprintf("not evaluated: %s", st.Error())
	case st.Reason == "memory" || st.Reason == "killed":
		why = fmt.Sprintf("rule %s: %s. Look for a rule that builds very large strings, arrays or objects; the memory limit for policies is set by MERGEGUARD_POLICY_MEMORY", id, st.Error())
	case st.Reason == "time":
		why = fmt.Sprintf("rule %s: evaluation did not finish within the %s time limit, and a single builtin call ran on past it, so %s. Look for builtins called on huge values in this rule", id, e.policy.timeout, strings.Replace(st.Error(), "because it ran past its time limit ", "", 1))
	default:
		why = fmt.Sprintf("rule %s: %s", id, st.Error())
	}
	res.Err = fmt.Sprintf("%s: %s", r.meta.File, why)
	return res
}

// authorize evaluates the override policy in a worker.
func (ws *Workers) authorize(ctx context.Context, e *Engine, req OverrideRequest, now time.Time) (Authorization, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return Authorization{}, fmt.Errorf("convert override input: %w", err)
	}
	var out Authorization
	err = ws.call(ctx, e.policy, request{Op: opAuthorize, Binding: e.raw, BindingKey: e.key, Input: raw, Now: now}, func(rep reply) (bool, error) {
		if !rep.Done {
			return false, nil
		}
		if rep.Auth != nil {
			out = *rep.Auth
		}
		return true, replyError(rep)
	})
	if err != nil {
		return Authorization{}, fmt.Errorf("evaluate the override policy: %w", err)
	}
	return out, nil
}

// runTests runs the tests in workers. When a worker dies in a test, that
// test fails saying why, and the tests after it run in a fresh worker.
func (ws *Workers) runTests(ctx context.Context, modules []Module, timeout time.Duration) ([]TestResult, error) {
	if timeout <= 0 {
		timeout = 5 * time.Second // the tester's own default
	}
	var out []TestResult
	var done []string
	for {
		w, err := ws.acquire(ctx, "")
		if err != nil {
			return nil, err
		}
		var current *testCase
		err = ws.exchange(ctx, w, request{Op: opTest, Modules: modules, Timeout: timeout, Skip: done}, timeout+ws.grace, func(rep reply) (bool, error) {
			switch {
			case rep.Case != nil:
				current = &testCase{name: rep.Name, id: *rep.Case}
			case rep.Test != nil:
				out = append(out, *rep.Test)
				if current != nil {
					done = append(done, current.name)
					current = nil
				}
			case rep.Done:
				return true, replyError(rep)
			}
			return false, nil
		})
		ws.release(w)
		var st *stopped
		if !errors.As(err, &st) {
			if err != nil {
				return nil, err
			}
			break
		}
		if st.Stage != stageTest || current == nil {
			return nil, &CompileError{Problems: []Problem{st.problem()}}
		}
		failed := current.id
		failed.Err = st.Error()
		if st.Reason == "memory" || st.Reason == "killed" {
			failed.Err += "; the memory limit for policies is set by MERGEGUARD_POLICY_MEMORY"
		}
		out = append(out, failed)
		done = append(done, current.name)
	}
	sortTests(out)
	return out, nil
}

// headBuffer keeps the start of a worker's error output, where the Go
// runtime writes why it died.
type headBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := maxStderr - h.buf.Len(); room > 0 {
		h.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (h *headBuffer) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.buf.String()
}

// outOfMemory reads a worker's error output for the ways the Go runtime
// dies when the address-space limit refuses it memory (for its heap, its
// own bookkeeping, or a new thread; the race detector's runtime, in tests,
// says "failed to allocate").
func outOfMemory(stderr string) bool {
	for _, sign := range []string{"out of memory", "cannot allocate memory", "failed to create new OS thread", "failed to allocate"} {
		if strings.Contains(stderr, sign) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
