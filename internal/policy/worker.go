package policy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"syscall"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// WorkerSubcommand is the hidden subcommand of the mergeguard binary that
// runs a policy worker.
const WorkerSubcommand = "policy-worker"

// maxWorkerPolicies bounds the compiled policies one worker keeps; the
// least recently used goes first.
const maxWorkerPolicies = 16

// RunAsWorker serves as a policy worker, then exits, when the process was
// started as one (os.Args[1] is WorkerSubcommand). Test binaries whose
// tests start policy workers call it first in TestMain; the mergeguard
// binary has the hidden subcommand instead.
func RunAsWorker() {
	if len(os.Args) < 2 || os.Args[1] != WorkerSubcommand {
		return
	}
	if err := ServeWorker(os.Args[2:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "policy worker: %v\n", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// ServeWorker is a policy worker: it limits its own memory (args:
// --memory BYTES), then compiles and runs the policies it is sent on in,
// answering on out, until in closes. Policy code runs nowhere else, so a
// policy that exhausts the limit takes down only the worker.
func ServeWorker(args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet(WorkerSubcommand, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	memory := fs.Int64("memory", DefaultMemory, "memory limit in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Ctrl-C in a terminal reaches the whole process group: the server
	// decides when its workers end (it closes their input), so that the
	// evaluations it lets finish on shutdown still have them.
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	hard, err := limitMemory(*memory)
	if err != nil {
		return fmt.Errorf("limit the worker's memory: %w", err)
	}
	// A time zone named "Local" is UTC in every policy, wherever it runs:
	// a verdict must not depend on the server's zone.
	time.Local = time.UTC
	s := &workerServer{out: bufio.NewWriter(out), policies: map[string]*cachedPolicy{}, memory: *memory}
	if err := s.send(reply{Ready: &readiness{HardLimit: hard}}); err != nil {
		return err
	}
	r := bufio.NewReader(in)
	for {
		var req request
		if err := readRequest(r, &req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil // the server is done with this worker
			}
			return fmt.Errorf("read a request: %w", err)
		}
		if err := s.serve(req); err != nil {
			return err
		}
	}
}

type workerServer struct {
	out      *bufio.Writer
	policies map[string]*cachedPolicy
	uses     int
	// memory is the worker's memory limit; the compiled policies it keeps
	// may take a quarter of it.
	memory int64
}

type cachedPolicy struct {
	policy *Policy
	used   int
}

func (s *workerServer) send(r reply) error {
	if err := writeFrame(s.out, r); err != nil {
		return fmt.Errorf("write a reply: %w", err)
	}
	return nil
}

func (s *workerServer) stage(stage, name string) error {
	return s.send(reply{Stage: stage, Name: name})
}

// serve answers one request. Only a failure to write ends the worker; a
// request that fails is answered with the failure.
func (s *workerServer) serve(req request) (err error) {
	ctx := context.Background()
	var r reply
	func() {
		defer func() {
			if v := recover(); v != nil {
				r = reply{Error: fmt.Sprintf("internal error in the policy worker: %v\n%s", v, debug.Stack())}
			}
		}()
		r, err = s.handle(ctx, req)
	}()
	if err != nil {
		return err
	}
	r.Done = true
	return s.send(r)
}

func (s *workerServer) handle(ctx context.Context, req request) (reply, error) {
	if req.Op == opTest {
		return s.test(ctx, req)
	}
	if req.Policy == nil {
		return reply{Error: fmt.Sprintf("request %q names no policy", req.Op)}, nil
	}
	p, r, err := s.policy(req.Policy)
	if p == nil || err != nil || req.Op == opCompile {
		return r, err
	}
	e, r, err := s.engine(ctx, p, req)
	if e == nil || err != nil || req.Op == opBind {
		return r, err
	}
	if err := s.stage(stageInput, ""); err != nil {
		return reply{}, err
	}
	value, err := valueFromJSON(req.Input)
	if err != nil {
		return reply{Error: fmt.Sprintf("read the policy input: %v", err)}, nil
	}
	switch req.Op {
	case opEvaluate:
		stream := &ruleStream{s: s}
		_, err := e.evaluate(ctx, value, req.Now, time.Now().Add(req.Budget), req.Only, stream)
		return reply{Results: stream.pending}, err
	case opAuthorize:
		if err := s.stage(stageAuthorize, ""); err != nil {
			return reply{}, err
		}
		auth, err := e.authorize(ctx, value, req.Now)
		if err != nil {
			return reply{Error: err.Error()}, nil
		}
		return reply{Auth: &auth}, nil
	}
	return reply{Error: fmt.Sprintf("unknown request %q", req.Op)}, nil
}

// policy finds or compiles the policy a request names. A reply with
// Unknown set asks for its modules.
func (s *workerServer) policy(ref *policyRef) (*Policy, reply, error) {
	s.uses++
	s.trim(ref.Key)
	if c, ok := s.policies[ref.Key]; ok {
		c.used = s.uses
		return c.policy, reply{Rules: c.policy.Rules(), Notices: c.policy.notices}, nil
	}
	if ref.Modules == nil {
		return nil, reply{Unknown: true}, nil
	}
	var sendErr error
	progress := func(stage, name string) error {
		sendErr = s.stage(stage, name)
		return sendErr
	}
	p, err := compileLocal(ref.Modules, Options{Timeout: ref.Timeout, Budget: ref.Budget}.withDefaults(), progress)
	if sendErr != nil {
		return nil, reply{}, sendErr
	}
	var ce *CompileError
	if errors.As(err, &ce) {
		return nil, reply{Problems: ce.Problems}, nil
	}
	if err != nil {
		return nil, reply{Error: err.Error()}, nil
	}
	if len(s.policies) >= maxWorkerPolicies {
		s.evict()
	}
	s.policies[ref.Key] = &cachedPolicy{policy: p, used: s.uses}
	return p, reply{Rules: p.Rules(), Notices: p.notices}, nil
}

// trim forgets every compiled policy but keep when the heap the last
// collection left is over a quarter of the memory limit, so that what the
// worker keeps between requests cannot leave a request too little: one
// organization's evaluation must not fail for the policies of others.
func (s *workerServer) trim(keep string) {
	if len(s.policies) <= 1 || liveHeap() <= s.memory/4 {
		return
	}
	for k := range s.policies {
		if k != keep {
			delete(s.policies, k)
		}
	}
	runtime.GC()
}

// liveHeap is the heap the last garbage collection found in use.
func liveHeap() int64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(sample[0].Value.Uint64())
}

func (s *workerServer) evict() {
	oldest := ""
	for k, c := range s.policies {
		if oldest == "" || c.used < s.policies[oldest].used {
			oldest = k
		}
	}
	delete(s.policies, oldest)
}

// engine binds the policy to the request's configuration.
func (s *workerServer) engine(ctx context.Context, p *Policy, req request) (*Engine, reply, error) {
	if e := p.cachedEngine(req.BindingKey); e != nil {
		return e, reply{}, nil
	}
	if err := s.stage(stageBind, ""); err != nil {
		return nil, reply{}, err
	}
	var b binding
	d := json.NewDecoder(bytes.NewReader(req.Binding))
	d.UseNumber()
	if err := d.Decode(&b); err != nil {
		return nil, reply{Error: fmt.Sprintf("read the configuration: %v", err)}, nil
	}
	e, err := p.prepare(ctx, b)
	var ce *CompileError
	if errors.As(err, &ce) {
		return nil, reply{Problems: ce.Problems}, nil
	}
	if err != nil {
		return nil, reply{Error: err.Error()}, nil
	}
	p.cacheEngine(req.BindingKey, e)
	return e, reply{}, nil
}

func (s *workerServer) test(ctx context.Context, req request) (reply, error) {
	// Each result is sent as it is ready.
	_, err := runTests(ctx, req.Modules, req.Timeout, req.Skip, testStream{s})
	var ce *CompileError
	switch {
	case errors.As(err, &ce):
		return reply{Problems: ce.Problems}, nil
	case errors.Is(err, errWrite):
		return reply{}, err
	case err != nil:
		return reply{Error: err.Error()}, nil
	}
	return reply{}, nil
}

// errWrite marks a reply the worker could not write: the server is gone.
var errWrite = errors.New("write a reply")

// ruleStream sends each rule's start, with the results finished since the
// last one.
type ruleStream struct {
	s       *workerServer
	pending []decision.RuleResult
	size    int
}

func (r *ruleStream) starting(id string) error {
	err := r.s.send(reply{Results: r.pending, Stage: stageRule, Name: id})
	r.pending, r.size = nil, 0
	return err
}

// maxResult bounds one rule's result, and a reply of results, well within
// maxReply.
const maxResult = 30 << 20

func (r *ruleStream) finished(res decision.RuleResult) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if len(b) > maxResult {
		// Keep the server's memory bounded: the rule fails instead.
		res.Denials, res.Warnings, res.SkipReasons, res.Prints, res.Details = nil, nil, nil, nil, nil
		res.Err = fmt.Sprintf("rule %s produced %d MiB of findings, more than the %d MiB mergeguard accepts from one rule; report fewer, shorter findings", res.ID, len(b)>>20, maxResult>>20)
		b = nil
	}
	if r.size+len(b) > maxResult {
		if err := r.s.send(reply{Results: r.pending}); err != nil {
			return err
		}
		r.pending, r.size = nil, 0
	}
	r.pending = append(r.pending, res)
	r.size += len(b)
	return nil
}

// testStream sends each test's start and result.
type testStream struct{ s *workerServer }

func (t testStream) compiling() error { return t.wrap(t.s.stage(stageTests, "")) }

func (t testStream) starting(c testCase) error {
	id := c.id
	return t.wrap(t.s.send(reply{Stage: stageTest, Name: c.name, Case: &id}))
}

func (t testStream) finished(r TestResult) error { return t.wrap(t.s.send(reply{Test: &r})) }

func (testStream) wrap(err error) error {
	if err != nil {
		return fmt.Errorf("%w: %v", errWrite, err)
	}
	return nil
}
