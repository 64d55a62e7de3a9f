//go:build !linux

package policy

import (
	"os"
	"runtime/debug"
)

// limitMemory sets only Go's soft memory limit: outside Linux the worker
// has no address-space limit, so a single huge allocation can still end it
// (and only it) by exhausting the machine's memory.
func limitMemory(budget int64) (hard bool, err error) {
	debug.SetMemoryLimit(budget)
	return false, nil
}

func killedBySystem(*os.ProcessState) bool { return false }

func peakRSS(*os.ProcessState) int64 { return 0 }
