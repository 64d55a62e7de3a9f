package policy

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"syscall"
)

// heapArena is the unit in which Go reserves address space for its heap.
// The heap starts at a random offset in its first arena (Go 1.26), so a
// worker may need a new arena after its first few MiB; one arena more than
// the budget makes the heap available at least the budget, whatever the
// offset.
const heapArena = 64 << 20

// limitMemory makes the operating system refuse the worker more than budget
// bytes (plus one heap arena) of address space beyond what it has mapped at
// start (RLIMIT_AS). Go's own soft limit (GOMEMLIMIT) cannot stop a single
// huge allocation; the address-space limit can: the allocation fails, and
// the Go runtime ends the process with "fatal error: out of memory", which
// the server reads as the policy exceeding the memory limit.
func limitMemory(budget int64) (hard bool, err error) {
	if err := smallThreadStacks(); err != nil {
		return false, err
	}
	base, err := mappedBytes()
	if err != nil {
		return false, err
	}
	limit := uint64(base + budget + heapArena)
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &cur); err != nil {
		return false, err
	}
	limit = min(limit, cur.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		return false, fmt.Errorf("set RLIMIT_AS: %w", err)
	}
	// Collect harder near the limit rather than let garbage reach it.
	debug.SetMemoryLimit(budget)
	// Should the container itself run short of memory, the kernel is to
	// kill a worker before the server. Raising one's own score needs no
	// privilege; if /proc is not writable, nothing is lost but that.
	_ = os.WriteFile("/proc/self/oom_score_adj", []byte("1000"), 0)
	return true, nil
}

// threadStack is the stack size of the worker's threads. A binary built
// with cgo starts its threads with pthread_create, which maps RLIMIT_STACK
// (usually 8 MiB) of address space for each: a few threads would use up
// a small limit. Go needs far less (its goroutines have their own stacks).
const threadStack = 1 << 20

// smallThreadStacks starts the worker again with RLIMIT_STACK at
// threadStack when it is larger: the C library reads it once, at start.
func smallThreadStacks() error {
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &cur); err != nil {
		return err
	}
	if cur.Cur <= threadStack {
		return nil
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_STACK, &syscall.Rlimit{Cur: threadStack, Max: cur.Max}); err != nil {
		return fmt.Errorf("set RLIMIT_STACK: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(exe, os.Args, os.Environ())
}

// mappedBytes is the process's address space now (VmSize): Go reserves far
// more than it uses, so the limit counts from here.
func mappedBytes() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmSize:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			break
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no VmSize in /proc/self/status")
}

// killedBySystem reports whether a worker was killed with SIGKILL by
// something other than the server: the kernel's out-of-memory killer when
// the container runs short.
func killedBySystem(state *os.ProcessState) bool {
	ws, ok := state.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// peakRSS is the most memory the process had resident, in bytes.
func peakRSS(state *os.ProcessState) int64 {
	if ru, ok := state.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}
