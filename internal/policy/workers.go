package policy

import (
	"bufio"
	"bytes"
	"context"
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
	cfg WorkerConfig
	// command starts a worker: this executable with WorkerSubcommand.
	command []string
	slots   chan struct{}
	grace   time.Duration
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
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the mergeguard executable to run policy workers: %w", err)
	}
	return &Workers{cfg: cfg, command: []string{exe, WorkerSubcommand}, slots: make(chan struct{}, cfg.Size), grace: defaultGrace}, nil
}

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

func (ws *Workers) start(ctx context.Context) (*worker, error) {
	cmd := exec.Command(ws.command[0], ws.command[1], "--memory", strconv.FormatInt(ws.cfg.Memory, 10))
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
		return nil, fmt.Errorf("start a policy worker (%s): %w", ws.command[0], err)
	}
	go func() {
		_ = cmd.Wait()
		close(w.exited)
	}()
	// The first reply says the worker is ready and how it is limited.
	var ready reply
	timer := time.AfterFunc(setupLimit, w.kill)
	stopWatch := context.AfterFunc(ctx, w.kill)
	err = readFrame(w.outBuf, maxReply, &ready)
	timer.Stop()
	stopWatch()
	if err != nil || ready.Ready == nil {
		w.stop()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		detail := firstLine(w.stderr.String())
		if detail == "" && err != nil {
			detail = err.Error()
		}
		return nil, fmt.Errorf("start a policy worker (%s): it did not get ready: %s", strings.Join(ws.command, " "), detail)
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
	w, err := ws.start(ctx)
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
	// silent says it ended before answering anything.
	silent bool
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
	case stageBind:
		return "preparing the policy's configuration"
	}
	return "receiving its work"
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
	answered := false
	fail := func(err error) error {
		w.broken = true
		w.kill()
		<-w.exited
		if cancelled.Load() {
			return ctx.Err()
		}
		st := ws.stopped(w, err, timedOut.Load(), stage, name)
		st.silent = !answered
		return st
	}
	if err := writeRequest(w.inBuf, req); err != nil {
		return fail(err)
	}
	for {
		var rep reply
		if err := readFrame(w.outBuf, maxReply, &rep); err != nil {
			return fail(err)
		}
		answered = true
		if len(rep.Results) > 0 || rep.Test != nil {
			stage, name = "", "" // between two rules or tests
		}
		if rep.Stage != "" {
			stage, name = rep.Stage, rep.Name
		}
		limit := setupLimit
		if stage == stageRule || stage == stageTest || stage == stageAuthorize {
			limit = ruleLimit
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
	return st
}

// on runs fn with a worker, preferring one that compiled the policy key. A
// worker that ends before it answers anything most likely ended of
// something else (it died while idle, or was killed meanwhile): fn runs
// once more, with another worker, before the request is blamed.
func (ws *Workers) on(ctx context.Context, key string, fn func(*worker) error) error {
	for attempt := 0; ; attempt++ {
		w, err := ws.acquire(ctx, key)
		if err != nil {
			return err
		}
		err = fn(w)
		ws.release(w)
		var st *stopped
		if !errors.As(err, &st) {
			return err
		}
		if st.silent && attempt == 0 {
			ws.cfg.Log.Info("a policy worker ended before it answered; trying another", "reason", st.Reason, "detail", st.Detail)
			continue
		}
		ws.cfg.Log.Warn("a policy worker was stopped", "reason", st.Reason, "stage", st.Stage, "name", st.Name,
			"peak_rss_mib", st.PeakRSS>>20, "memory_limit_mib", ws.cfg.Memory>>20, "detail", st.Detail)
		if ws.cfg.OnStop != nil {
			ws.cfg.OnStop(st.WorkerStop)
		}
		return err
	}
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
