package policy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// A policy worker reads requests on its standard input and writes replies
// on its standard output, each one frame: the length of a JSON document as
// four big-endian bytes, then the document. It handles one request at a
// time, announcing each stage (the rule or test it starts) and streaming
// each result as it is ready, so that the server knows where a worker that
// dies died, and keeps what it finished.

const (
	// maxReply bounds one frame from a worker: the server reads nothing
	// larger, so policy output cannot fill the server's memory.
	maxReply = 32 << 20
	// maxRequest bounds one frame to a worker (the input document of the
	// largest pull request GitHub describes is about 9 MiB of JSON).
	maxRequest = 1 << 30
)

// Operations.
const (
	opCompile   = "compile"
	opBind      = "bind"
	opEvaluate  = "evaluate"
	opAuthorize = "authorize"
	opTest      = "test"
)

// Stages a worker announces.
const (
	stageParse     = "parse"     // Name is the file
	stageCompile   = "compile"   // the modules together
	stageBind      = "bind"      // preparing the configuration's queries
	stageInput     = "input"     // reading the input document
	stageRule      = "rule"      // Name is the rule's id
	stageAuthorize = "authorize" // the override policy
	stageTests     = "tests"     // compiling the modules with their tests
	stageTest      = "test"      // Name is the test
)

type request struct {
	Op     string     `json:"op"`
	Policy *policyRef `json:"policy,omitempty"`
	// Binding and BindingKey are the engine's configuration (bind,
	// evaluate, authorize).
	Binding    json.RawMessage `json:"binding,omitempty"`
	BindingKey string          `json:"binding_key,omitempty"`
	// Input is the input document. It travels as a frame of its own,
	// right after the request's (HasInput says it follows): inside the
	// request, encoding/json would scan megabytes of it on each side.
	Input    json.RawMessage `json:"-"`
	HasInput bool            `json:"has_input,omitempty"`
	Now      time.Time       `json:"now,omitzero"`
	Only     []string        `json:"only,omitempty"`
	// Budget is what is left of the evaluation's overall time budget.
	Budget time.Duration `json:"budget,omitempty"`
	// Modules, Timeout and Skip are a test run's.
	Modules []Module      `json:"modules,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
	Skip    []string      `json:"skip,omitempty"`
}

// policyRef names a compiled policy; Modules are sent when the worker may
// not have compiled it yet.
type policyRef struct {
	Key     string        `json:"key"`
	Timeout time.Duration `json:"timeout"`
	Budget  time.Duration `json:"budget"`
	Modules []Module      `json:"modules,omitempty"`
}

type reply struct {
	Ready *readiness `json:"ready,omitempty"`
	// Stage and Name say what the worker starts doing; Case is the test
	// it starts.
	Stage string      `json:"stage,omitempty"`
	Name  string      `json:"name,omitempty"`
	Case  *TestResult `json:"case,omitempty"`
	// Results are rules' results, sent with the next rule's stage (one
	// write instead of two); Test is one test's result.
	Results []decision.RuleResult `json:"results,omitempty"`
	Test    *TestResult           `json:"test,omitempty"`
	// Rules are a compiled policy's.
	Rules   []Meta         `json:"rules,omitempty"`
	Notices []string       `json:"notices,omitempty"`
	Auth    *Authorization `json:"auth,omitempty"`
	// Unknown asks for the policy's modules: the worker has not compiled
	// it, or no longer has it.
	Unknown  bool      `json:"unknown,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
	Error    string    `json:"error,omitempty"`
	Done     bool      `json:"done,omitempty"`
}

// readiness is a worker's first reply.
type readiness struct {
	// HardLimit says the operating system enforces the memory limit.
	HardLimit bool `json:"hard_limit"`
}

func writeFrame(w *bufio.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := writeRaw(w, b); err != nil {
		return err
	}
	return w.Flush()
}

// writeRequest writes req as a frame, followed by its input document as a
// frame of its own.
func writeRequest(w *bufio.Writer, req request) error {
	req.HasInput = len(req.Input) > 0
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if err := writeRaw(w, b); err != nil {
		return err
	}
	if req.HasInput {
		if err := writeRaw(w, req.Input); err != nil {
			return err
		}
	}
	return w.Flush()
}

// readRequest reads what writeRequest wrote.
func readRequest(r io.Reader, req *request) error {
	if err := readFrame(r, maxRequest, req); err != nil {
		return err
	}
	if !req.HasInput {
		return nil
	}
	b, err := readRaw(r, maxRequest)
	if err != nil {
		return fmt.Errorf("read the input document: %w", err)
	}
	req.Input = b
	return nil
}

func writeRaw(w io.Writer, b []byte) error {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}

// readRaw reads one frame of at most limit bytes.
func readRaw(r io.Reader, limit int) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := int(binary.BigEndian.Uint32(n[:]))
	if size > limit {
		return nil, fmt.Errorf("a message of %d bytes, more than the %d accepted", size, limit)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// readFrame reads one frame of at most limit bytes into v.
func readFrame(r io.Reader, limit int, v any) error {
	b, err := readRaw(r, limit)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}
